"""What action plans hand to search: each action, found by its title, description, owners' names and
objective, by whoever reads its space.

The owners' names and the objective's title are indexed with the action, so a change of either
reindexes the actions they are on. What changes with the day rather than with a row (late or not)
is not indexed: `details` reads it, with the status and the plan, when a result is shown.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from rse import indexing, permissions
from rse.accounts.models import User
from rse.communities.access import active_people
from rse.indexing import SearchItem, content_scope
from rse.urls import internal_path

from .models import Action, ActionOwner, Objective, Plan

# The fields of an action whose change changes what search holds of it.
_ACTION_FIELDS = ("title", "description", "owner_id", "objective_id", "status", "community_id", "due_date")


def action_path(action: Action) -> str:
    """The page of the action: its own when the pages have one, else its plan's, else its space's."""
    from flask import current_app

    endpoints = current_app.view_functions
    if "plans.action" in endpoints:
        return internal_path("plans.action", action_id=action.id)
    if "plans.show" in endpoints:
        return internal_path("plans.show", plan_id=action.plan_id) + f"#action-{action.id}"
    return internal_path("communities.show", community_id=action.community_id)


def load_actions(session: Session, ids: list[int]) -> dict[int, SearchItem]:
    actions = list(session.scalars(select(Action).where(Action.id.in_(ids))))
    people = {user_id for action in actions for user_id in action.owner_ids}
    rows = session.execute(select(User.id, User.name).where(User.id.in_(people), active_people()))
    names: dict[int, str] = {row.id: row.name for row in rows}
    items = {}
    for action in actions:
        owners = [names[user_id] for user_id in sorted(action.owner_ids, key=lambda u: u != action.owner_id)
                  if user_id in names]
        items[action.id] = SearchItem(
            source="action", id=action.id, kind="action", subkind=action.status,
            scopes=(content_scope(action.community_id),), url=action_path(action), date=action.updated_at,
            title=action.title, description=action.description or "",
            body=" · ".join([action.objective.title, *owners]), community_id=action.community_id,
        )
    return items


def visible_actions(actor: Any, ids: list[int]) -> set[int]:
    from rse.database import db

    return set(db.session.scalars(select(Action.id).where(Action.id.in_(ids), permissions.readable(actor, Action))))


def action_details(actor: Any, ids: list[int]) -> dict[int, dict[str, Any]]:
    """Each action's status, lateness, due date, plan and owner (if the actor may see them), read now."""
    from rse.database import db
    from rse.i18n import local_today

    today = local_today()
    rows = db.session.execute(select(Action, Plan.title).join(Plan, Plan.id == Action.plan_id)
                              .where(Action.id.in_(ids), permissions.readable(actor, Action))).all()
    owner_ids = {action.owner_id for action, _title in rows if action.owner_id is not None}
    seen = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(owner_ids),
                                                                  permissions.visible(actor, User)))}
    return {action.id: {"status": action.status, "late": action.is_late(today), "due_date": action.due_date,
                        "plan": plan_title, "owner": seen.get(action.owner_id)}
            for action, plan_title in rows}


def _actions_of_objective(objective: Objective) -> list[tuple[str, int]]:
    # During a flush: read on the flush's own connection, without flushing again.
    session = object_session(objective)
    if session is None or objective.id is None:
        return []
    ids = session.connection().scalars(select(Action.id).where(Action.objective_id == objective.id))
    return [("action", action_id) for action_id in ids]


def _actions_of_people(session: Session, user_ids: list[int]) -> list[tuple[str, int]]:
    """When a person changes (their name, deactivated), the actions they own or co-own."""
    owned = select(Action.id).where(Action.owner_id.in_(user_ids))
    co_owned = select(ActionOwner.action_id).where(ActionOwner.user_id.in_(user_ids))
    return [("action", action_id) for action_id in session.scalars(owned.union(co_owned))]


def register() -> None:
    indexing.register_source(indexing.Source(
        name="action", load=load_actions, visible=visible_actions, details=action_details,
        batches=lambda session, size: indexing.id_batches(session, Action, Action.id > 0, size),
    ))
    indexing.watch(Action, "action", lambda a: [("action", a.id)], fields=_ACTION_FIELDS)
    indexing.watch(ActionOwner, "action", lambda row: [("action", row.action_id)])
    indexing.watch(Objective, "action", _actions_of_objective, fields=("title",))
    indexing.add_dependents("person", _actions_of_people)
