"""Action plans: create and change plans, objectives and actions, close an action with its result,
indicators and their values, links to the space's documents and publications, and the queries
the pages, the API, the digest and the exports share.

Every read goes through the permission layer (rse.plans.access). An update names the row version
it started from: a stale one is refused with 409 `stale_action` and changes nothing, so two people
editing one action never overwrite each other. Every change of an action is kept in its history
(ActionChange). Stream lines and notifications leave through `signals.plan_action_event`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from flask_babel import gettext as _
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from rse import items, permissions, signals
from rse.accounts.models import User
from rse.communities.models import Community, Membership
from rse.database import db
from rse.dbtypes import utcnow
from rse.errors import Conflict, NotFound, PermissionDenied, ValidationError
from rse.i18n import local_today
from rse.validation import clean_text, one_of

from .models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    Action,
    ActionChange,
    ActionLink,
    ActionOwner,
    ActionStatus,
    Indicator,
    IndicatorValue,
    Objective,
    Plan,
    Priority,
    ValueType,
    due_within_condition,
    late_condition,
    owned_by_condition,
)

MAX_CO_OWNERS = 20
MAX_DUE_WITHIN = 366
# The fields of an action its history follows, in the order a change lists them.
TRACKED = ("title", "description", "objective_id", "owner_id", "co_owners", "start_date", "due_date", "status",
           "progress", "priority", "result_note")
_Row = TypeVar("_Row", Plan, Objective, Action, Indicator)
SORTS = ("due", "title", "status", "owner", "progress", "priority", "objective")


# --- Reading ----------------------------------------------------------------------------------------

def _get(model: type[_Row], actor: User, row_id: int, action: str) -> _Row:
    """The row if the actor may take `action` on it; NotFound when missing, the permission layer's
    refusal otherwise (404 for who may not know it exists)."""
    row = db.session.get(model, row_id)
    if row is None:
        raise NotFound()
    permissions.require(actor, action, row)
    return row


def get_plan(actor: User, plan_id: int, action: str = "read") -> Plan:
    return _get(Plan, actor, plan_id, action)


def get_objective(actor: User, objective_id: int, action: str = "read") -> Objective:
    return _get(Objective, actor, objective_id, action)


def get_action(actor: User, action_id: int, action: str = "read") -> Action:
    return _get(Action, actor, action_id, action)


def get_indicator(actor: User, indicator_id: int, action: str = "read") -> Indicator:
    return _get(Indicator, actor, indicator_id, action)


def plans_of(actor: User, community: Community) -> list[Plan]:
    """The live plans of a space the actor reads, newest first."""
    permissions.require(actor, "read", community)
    return list(db.session.scalars(select(Plan).where(
        Plan.community_id == community.id, Plan.archived_at.is_(None), permissions.readable(actor, Plan))
        .order_by(Plan.created_at.desc(), Plan.id.desc())))


@dataclass
class Filters:
    """What the table of a plan shows. `status` may also be "late" or "open"."""

    owner_id: int | None = None
    status: str | None = None
    objective_id: int | None = None
    due_within: int | None = None  # days
    q: str | None = None
    sort: str = "due"
    descending: bool = False


def clean_filters(args: dict) -> Filters:
    """Filters from a query string or JSON (strings or numbers), or a ValidationError naming the field."""
    def number(name: str, low: int, high: int) -> int | None:
        raw = args.get(name)
        if raw in (None, ""):
            return None
        if isinstance(raw, bool) or not str(raw).isdigit() or not low <= int(raw) <= high:
            raise ValidationError(fields={name: _("Nombre entre %(low)d et %(high)d attendu.", low=low, high=high)})
        return int(raw)

    status = args.get("status") or None
    if status is not None:
        one_of(status, [*ActionStatus, "late", "open"], "status")
    sort = args.get("sort") or "due"
    one_of(sort, SORTS, "sort")
    q = clean_text(args.get("q"), "q", max_length=100) or None
    return Filters(owner_id=number("owner", 1, 2**31 - 1), status=status,
                   objective_id=number("objective", 1, 2**31 - 1), due_within=number("due_within", 0, MAX_DUE_WITHIN),
                   q=q, sort=sort, descending=args.get("order") == "desc")


def sorted_actions(statement, filters: Filters):
    """`statement` (of plan actions) in the order `filters` asks, ties by id."""
    status_order = case({s: n for n, s in enumerate(ActionStatus)}, value=Action.status)
    priority_order = case({Priority.HIGH: 0, Priority.NORMAL: 1, Priority.LOW: 2}, value=Action.priority)
    orders: dict[str, list[Any]] = {
        "due": [Action.due_date.is_(None), Action.due_date], "title": [func.lower(Action.title)],
        "status": [status_order], "progress": [Action.progress], "priority": [priority_order],
        "objective": [Objective.position, Objective.id], "owner": [User.name.is_(None), func.lower(User.name)],
    }
    keys = orders[filters.sort]
    if filters.descending:
        keys = [key.desc() for key in keys]
    if filters.sort == "owner":
        statement = statement.outerjoin(User, User.id == Action.owner_id)
    return statement.order_by(*keys, Action.id)


def plan_actions(actor: User, plan: Plan, filters: Filters | None = None, today: date | None = None, *,
                 with_indicators: bool = False) -> list[Action]:
    """The actions of a plan the actor reads, filtered and sorted (their indicators loaded in one go if asked)."""
    permissions.require(actor, "read", plan)
    filters = filters or Filters()
    statement = filtered_actions(actor, plan, filters, today or local_today())
    if with_indicators:
        statement = statement.options(selectinload(Action.indicators))
    return list(db.session.scalars(sorted_actions(statement, filters)).unique())


def filtered_actions(actor: User, plan: Plan, filters: Filters, today: date, *columns: Any):
    """The statement of the plan's actions the actor reads that pass `filters`, unsorted: of whole
    actions, or of `columns` (of Action and Objective, joined) for a lighter read."""
    statement = (select(*(columns or (Action,))).select_from(Action)
                 .join(Objective, Objective.id == Action.objective_id)
                 .where(Action.plan_id == plan.id, permissions.readable(actor, Action)))
    if filters.owner_id is not None:
        statement = statement.where(owned_by_condition(filters.owner_id))
    if filters.status == "late":
        statement = statement.where(late_condition(today))
    elif filters.status == "open":
        statement = statement.where(Action.status.in_(OPEN_STATUSES))
    elif filters.status is not None:
        statement = statement.where(Action.status == filters.status)
    if filters.objective_id is not None:
        statement = statement.where(Action.objective_id == filters.objective_id)
    if filters.due_within is not None:
        statement = statement.where(due_within_condition(today, filters.due_within))
    if filters.q:
        needle = f"%{filters.q.casefold()}%"
        statement = statement.where(or_(func.lower(Action.title).like(needle),
                                        func.lower(Action.description).like(needle)))
    return statement


def my_actions(actor: User, *, limit: int = 20, today: date | None = None) -> list[Action]:
    """The open actions the actor owns or co-owns, in every space they read: late first, then by due date."""
    today = today or local_today()
    owned = owned_by_condition(actor.id)
    # Every home page asks, and most people own no open action: one look at the owners' indexes
    # answers them without building the read filter.
    if db.session.scalar(select(Action.id).where(owned, Action.status.in_(OPEN_STATUSES)).limit(1)) is None:
        return []
    late_first = late_condition(today)
    return list(db.session.scalars(
        select(Action).where(owned, Action.status.in_(OPEN_STATUSES), permissions.readable(actor, Action))
        .order_by(late_first.desc(), Action.due_date.is_(None), Action.due_date, Action.id).limit(limit)))


def history(actor: User, action: Action) -> list[ActionChange]:
    permissions.require(actor, "read", action)
    return list(db.session.scalars(select(ActionChange).where(ActionChange.action_id == action.id)
                                   .order_by(ActionChange.id.desc())))


@dataclass
class IndicatorSummary:
    indicator: Indicator
    action: Action
    latest: float | None
    ratio: float | None  # 0..1 of the way from baseline to target, None when it cannot be said


@dataclass
class PlanSummary:
    total: int
    by_status: dict[str, int]           # not_started, in_progress, done, abandoned
    late: list[Action]
    due_soon: list[Action]              # open, due within 30 days
    by_objective: list[tuple[Objective, dict[str, int]]]
    indicators: list[IndicatorSummary] = field(default_factory=list)

    @property
    def done_ratio(self) -> float:
        counted = self.total - self.by_status.get(ActionStatus.ABANDONED, 0)
        return self.by_status.get(ActionStatus.DONE, 0) / counted if counted else 0.0


def progress_ratio(indicator: Indicator, value: float | None) -> float | None:
    """How far `value` is from the baseline to the target, clamped to 0..1 (a falling target works too)."""
    if value is None or indicator.target is None:
        return None
    start = indicator.baseline if indicator.baseline is not None else 0.0
    if math.isclose(indicator.target, start):
        return 1.0 if math.isclose(value, indicator.target) else 0.0
    return max(0.0, min(1.0, (value - start) / (indicator.target - start)))


def summary(actor: User, plan: Plan, today: date | None = None) -> PlanSummary:
    """What the plan's summary page draws: counts per status and per objective, the late actions,
    those due within a month, and each indicator's latest value against its target."""
    today = today or local_today()
    actions = plan_actions(actor, plan, today=today, with_indicators=True)
    by_status = {status.value: 0 for status in ActionStatus}
    per_objective: dict[int, dict[str, int]] = {o.id: {s.value: 0 for s in ActionStatus} | {"late": 0}
                                                for o in plan.objectives}
    for item in actions:
        by_status[item.status] += 1
        counts = per_objective.setdefault(item.objective_id, {s.value: 0 for s in ActionStatus} | {"late": 0})
        counts[item.status] += 1
        counts["late"] += item.is_late(today)
    late = [a for a in actions if a.is_late(today)]
    due_soon = [a for a in actions if a.is_open and a.due_date is not None and today <= a.due_date
                and (a.due_date - today).days <= 30]
    indicators = [IndicatorSummary(indicator, item, indicator.latest.value if indicator.latest else None,
                                   progress_ratio(indicator, indicator.latest.value if indicator.latest else None))
                  for item in actions for indicator in item.indicators]
    return PlanSummary(total=len(actions), by_status=by_status, late=late, due_soon=due_soon,
                       by_objective=[(o, per_objective[o.id]) for o in plan.objectives], indicators=indicators)


def assignable_people(actor: User, community: Community) -> list[User]:
    """Who may own an action of this space: its members (any role), partners included, as the actor sees them."""
    permissions.require(actor, "read", community)
    return list(db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.community_id == community.id, User.deactivated_at.is_(None),
               permissions.visible(actor, User)).order_by(User.name, User.id)))


# --- Cleaning input ---------------------------------------------------------------------------------

def clean_date(value: Any, field_name: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValidationError(fields={field_name: _("Date attendue au format AAAA-MM-JJ.")})


def _clean_progress(value: Any) -> int:
    if isinstance(value, bool):
        value = None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or not 0 <= value <= 100:
        raise ValidationError(fields={"progress": _("Un avancement entre 0 et 100 %.")})
    return value


def _member_ids(community: Community, raw, field_name: str, limit: int,
                members: frozenset[int] | None = None) -> list[int]:
    """Ids of members of the space, or a ValidationError that says the same for an unknown person
    and for one outside the space (no one learns who exists). `members`: the space's active members,
    when the caller read them once for many actions (`ActionBatch`)."""
    values = raw if isinstance(raw, list | tuple) else [raw]
    if len(values) > limit:
        raise ValidationError(fields={field_name: _("Au plus %(n)d personnes.", n=limit)})
    ids = []
    for value in values:
        if isinstance(value, bool) or not str(value).strip().isdigit() or not 0 < int(value) < 2**31:
            raise ValidationError(fields={field_name: _("Choisissez une personne membre de l'espace.")})
        ids.append(int(value))
    if not ids:
        return []
    if members is None:
        members = _active_members(community, ids)
    if set(ids) - members:
        raise ValidationError(fields={field_name: _("Choisissez une personne membre de l'espace.")})
    return list(dict.fromkeys(ids))


def _active_members(community: Community, among: list[int] | None = None) -> frozenset[int]:
    """The ids of the space's members whose account is active (of `among`, if given)."""
    query = select(Membership.user_id).join(User, User.id == Membership.user_id).where(
        Membership.community_id == community.id, User.deactivated_at.is_(None))
    if among is not None:
        query = query.where(Membership.user_id.in_(among))
    return frozenset(db.session.scalars(query))


def _clean_action(data: dict, community: Community, current: Action | None,
                  members: frozenset[int] | None = None) -> dict:
    """The fields `data` names, cleaned; those it does not name are left out (a partial update)."""
    cleaned: dict[str, Any] = {}
    if "title" in data or current is None:
        cleaned["title"] = clean_text(data.get("title"), "title", max_length=200, required=True)
    if "description" in data:
        cleaned["description"] = clean_text(data.get("description"), "description", max_length=10_000,
                                            multiline=True)
    if "owner_id" in data:
        owner = (_member_ids(community, data["owner_id"], "owner_id", 1, members)
                 if data["owner_id"] not in (None, "") else [])
        cleaned["owner_id"] = owner[0] if owner else None
    if "co_owners" in data:
        cleaned["co_owners"] = sorted(_member_ids(community, data["co_owners"] or [], "co_owners", MAX_CO_OWNERS,
                                                  members))
    # The owner is no co-owner of their own action: named as both, or made owner, they are the owner.
    owner_id = cleaned.get("owner_id", current.owner_id if current else None)
    co_owners = cleaned.get("co_owners", sorted(current.co_owner_ids) if current else [])
    if owner_id in co_owners:
        cleaned["co_owners"] = [user_id for user_id in co_owners if user_id != owner_id]
    for name in ("start_date", "due_date"):
        if name in data:
            cleaned[name] = clean_date(data[name], name)
    if "status" in data:
        cleaned["status"] = one_of(data["status"], ActionStatus, "status")
    if "progress" in data:
        cleaned["progress"] = _clean_progress(data["progress"])
    if "priority" in data:
        cleaned["priority"] = one_of(data["priority"] or Priority.NORMAL, Priority, "priority")
    if "result_note" in data:
        cleaned["result_note"] = clean_text(data.get("result_note"), "result_note", max_length=4000, multiline=True)
    start = cleaned.get("start_date", current.start_date if current else None)
    due = cleaned.get("due_date", current.due_date if current else None)
    if start is not None and due is not None and start > due:
        raise ValidationError(fields={"due_date": _("L'échéance ne peut pas précéder le début.")})
    return cleaned


# --- Plans and objectives ---------------------------------------------------------------------------

def _clean_titled(data: dict, current: Plan | Objective | None) -> dict:
    cleaned = {}
    if "title" in data or current is None:
        cleaned["title"] = clean_text(data.get("title"), "title", max_length=200, required=True)
    if "description" in data:
        cleaned["description"] = clean_text(data.get("description"), "description", max_length=10_000,
                                            multiline=True)
    return cleaned


def create_plan(actor: User, community: Community, data: dict) -> Plan:
    permissions.require(actor, "manage", community)
    cleaned = _clean_titled(data, None)
    plan = Plan(community_id=community.id, created_by_id=actor.id, **cleaned)
    db.session.add(plan)
    db.session.flush()
    return plan


def update_plan(actor: User, plan: Plan, data: dict) -> Plan:
    permissions.require(actor, "manage", plan)
    for name, value in _clean_titled(data, plan).items():
        setattr(plan, name, value)
    plan.updated_at = utcnow()
    return plan


def archive_plan(actor: User, plan: Plan) -> None:
    permissions.require(actor, "manage", plan)
    plan.archived_at = utcnow()


def add_objective(actor: User, plan: Plan, data: dict) -> Objective:
    permissions.require(actor, "manage", plan)
    cleaned = _clean_titled(data, None)
    position = db.session.scalar(select(func.max(Objective.position)).where(Objective.plan_id == plan.id))
    objective = Objective(plan_id=plan.id, position=(position or 0) + 1, **cleaned)
    db.session.add(objective)
    db.session.flush()
    plan.updated_at = utcnow()
    return objective


def update_objective(actor: User, objective: Objective, data: dict) -> Objective:
    permissions.require(actor, "manage", objective)
    for name, value in _clean_titled(data, objective).items():
        setattr(objective, name, value)
    return objective


# --- Actions ----------------------------------------------------------------------------------------

def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _snapshot(action: Action) -> dict:
    return {name: _json(sorted(action.co_owner_ids) if name == "co_owners" else getattr(action, name))
            for name in TRACKED}


def _record(actor: User | None, action: Action, event: str, changes: dict) -> None:
    db.session.add(ActionChange(action_id=action.id, user_id=actor.id if actor else None, event=event,
                                changes=changes))


def _apply(action: Action, cleaned: dict) -> None:
    for name, value in cleaned.items():
        if name == "co_owners":
            action.co_owner_rows = [row for row in action.co_owner_rows if row.user_id in value] + [
                ActionOwner(user_id=user_id) for user_id in value if user_id not in action.co_owner_ids]
        else:
            setattr(action, name, value)


def _announce(action: Action, event: str, actor: User | None, user_ids: set[int] | None = None, **extra) -> None:
    signals.plan_action_event.send(action, event=event, actor=actor, user_ids=set(user_ids or ()), **extra)


def create_action(actor: User, objective: Objective, data: dict) -> Action:
    """A new action of an objective: by the plan's animators. Its owners are told."""
    permissions.require(actor, "manage", objective)
    action = _new_action(actor, objective, data)
    if action.owner_ids - {actor.id}:
        _announce(action, "assigned", actor, action.owner_ids - {actor.id})
    return action


class ActionBatch:
    """Many new actions of one plan by one person (an import): who may is checked once, the space's
    members are read once, and each owner is told once, at the end, of how many (`finish`). The rules
    are create_action's and close_action's: closing asks the permission layer for each action closed."""

    def __init__(self, actor: User, plan: Plan):
        permissions.require(actor, "manage", plan)
        self.actor, self.plan = actor, plan
        self.members = _active_members(plan.community)
        self.created: list[Action] = []

    def create(self, objective: Objective, data: dict) -> Action:
        if objective.plan_id != self.plan.id:
            raise ValidationError(fields={"objective_id": _("Objectif inconnu dans ce plan.")})
        action = _new_action(self.actor, objective, data, self.members)
        self.created.append(action)
        return action

    def close(self, action: Action, *, status: str, result_note: Any) -> Action:
        permissions.require(self.actor, "close", action)
        return _close(self.actor, action, status, result_note)

    def finish(self) -> None:
        given: dict[int, list[Action]] = {}
        for action in self.created:
            for user_id in sorted(action.owner_ids - {self.actor.id}):
                given.setdefault(user_id, []).append(action)
        for user_id, theirs in given.items():
            _announce(theirs[0], "assigned", self.actor, {user_id}, run_size=len(theirs))


def _new_action(actor: User, objective: Objective, data: dict, members: frozenset[int] | None = None) -> Action:
    community = objective.plan.community
    cleaned = _clean_action(data, community, None, members)
    status = cleaned.get("status", ActionStatus.NOT_STARTED)
    if status in CLOSED_STATUSES:
        raise ValidationError(fields={"status": _("Une nouvelle action ne peut pas être déjà close.")})
    action = Action(plan_id=objective.plan_id, objective_id=objective.id, community_id=community.id,
                    created_by_id=actor.id)
    _apply(action, cleaned)
    db.session.add(action)
    db.session.flush()
    _record(actor, action, "created", {k: _json(v) for k, v in _snapshot(action).items()})
    _announce(action, "created", actor)
    return action


def _check_version(action: Action, row_version: Any) -> None:
    if isinstance(row_version, str) and row_version.isdigit():
        row_version = int(row_version)
    if not isinstance(row_version, int) or isinstance(row_version, bool):
        raise ValidationError(fields={"row_version": _("Version de l'action attendue.")})
    if row_version != action.row_version:
        raise Conflict(_("Cette action a été modifiée par quelqu'un d'autre pendant que vous la modifiiez. "
                         "Rechargez-la pour voir ses nouvelles valeurs."), code="stale_action")


def _flush_or_stale() -> None:
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise Conflict(_("Cette action a été modifiée par quelqu'un d'autre pendant que vous la modifiiez. "
                         "Rechargez-la pour voir ses nouvelles valeurs."), code="stale_action") from None


def update_action(actor: User, action: Action, data: dict, *, row_version: Any) -> Action:
    """Change the fields `data` names, from the row version the writer saw. Owners may change all but
    the owners and the objective, which are the animators'. Closing goes through close_action."""
    permissions.require(actor, "update", action)
    _check_version(action, row_version)
    if ({"owner_id", "co_owners", "objective_id"} & data.keys()) and not permissions.can(actor, "manage", action):
        raise ValidationError(fields={name: _("Seuls les animateurs de l'espace changent les responsables.")
                                      for name in {"owner_id", "co_owners", "objective_id"} & data.keys()},
                              code="managers_only")
    community = action.objective.plan.community
    cleaned = _clean_action(data, community, action)
    if "objective_id" in data:
        objective_id = data["objective_id"]
        objective = db.session.get(Objective, int(objective_id)) if str(objective_id).isdigit() else None
        if objective is None or objective.plan_id != action.plan_id:
            raise ValidationError(fields={"objective_id": _("Objectif inconnu dans ce plan.")})
        cleaned["objective_id"] = objective.id
    if cleaned.get("status") in CLOSED_STATUSES and action.status not in CLOSED_STATUSES:
        raise ValidationError(fields={"status": _("Pour clore l'action, dites-en le résultat.")},
                              code="result_note_required")
    before = _snapshot(action)
    owners_before = action.owner_ids
    _apply(action, cleaned)
    if cleaned.get("status") in OPEN_STATUSES and action.closed_at is not None:
        action.closed_at = None
    after = _snapshot(action)
    changes = {name: [before[name], after[name]] for name in TRACKED if before[name] != after[name]}
    if not changes:
        return action
    action.updated_at = utcnow()
    _flush_or_stale()
    _record(actor, action, "updated", changes)
    if action.owner_ids - owners_before - {actor.id}:
        _announce(action, "assigned", actor, action.owner_ids - owners_before - {actor.id})
    return action


def close_action(actor: User, action: Action, *, status: str, result_note: Any, row_version: Any) -> Action:
    """Done or abandoned, with a short note of the result (required)."""
    permissions.require(actor, "close", action)
    _check_version(action, row_version)
    return _close(actor, action, status, result_note)


def _close(actor: User, action: Action, status: Any, result_note: Any) -> Action:
    status = one_of(status, CLOSED_STATUSES, "status")
    note = clean_text(result_note, "result_note", max_length=4000, multiline=True, required=True)
    if action.status in CLOSED_STATUSES:
        raise Conflict(_("Cette action est déjà close."), code="already_closed")
    before = _snapshot(action)
    action.status, action.result_note, action.closed_at = status, note, utcnow()
    if status == ActionStatus.DONE:
        action.progress = 100
    action.updated_at = utcnow()
    after = _snapshot(action)
    _flush_or_stale()
    _record(actor, action, "closed", {name: [before[name], after[name]] for name in TRACKED
                                      if before[name] != after[name]})
    _announce(action, status, actor)
    return action


def reopen_action(actor: User, action: Action, *, row_version: Any) -> Action:
    permissions.require(actor, "close", action)
    _check_version(action, row_version)
    if action.status not in CLOSED_STATUSES:
        raise Conflict(_("Cette action n'est pas close."), code="not_closed")
    before = _snapshot(action)
    action.status, action.closed_at = ActionStatus.IN_PROGRESS, None
    action.updated_at = utcnow()
    after = _snapshot(action)
    _flush_or_stale()
    _record(actor, action, "reopened", {name: [before[name], after[name]] for name in TRACKED
                                        if before[name] != after[name]})
    return action


# --- Indicators -------------------------------------------------------------------------------------

def _number(value: Any, field_name: str, value_type: str, *, required: bool) -> float | None:
    """A value of this type: whole for integer, 0..100 for percent. Strings may use a decimal comma."""
    if value in (None, "") and not required:
        return None
    if isinstance(value, str):
        text = value.strip().replace("\u202f", "").replace(" ", "").replace(",", ".")
        try:
            value = float(text) if text else None
        except ValueError:
            value = None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationError(fields={field_name: _("Nombre attendu.")})
    if value_type == ValueType.INTEGER and value != int(value):
        raise ValidationError(fields={field_name: _("Nombre entier attendu pour cet indicateur.")})
    if value_type == ValueType.PERCENT and not 0 <= value <= 100:
        raise ValidationError(fields={field_name: _("Pourcentage entre 0 et 100 attendu.")})
    if abs(value) >= 1e15:
        raise ValidationError(fields={field_name: _("Nombre trop grand.")})
    return float(value)


def add_indicator(actor: User, action: Action, data: dict) -> Indicator:
    permissions.require(actor, "update", action)
    name = clean_text(data.get("name"), "name", max_length=200, required=True)
    unit = clean_text(data.get("unit"), "unit", max_length=40)
    value_type = one_of(data.get("value_type") or ValueType.DECIMAL, ValueType, "value_type")
    baseline = _number(data.get("baseline"), "baseline", value_type, required=False)
    target = _number(data.get("target"), "target", value_type, required=False)
    indicator = Indicator(name=name, unit=unit, value_type=value_type, baseline=baseline, target=target,
                          position=len(action.indicators) + 1)
    action.indicators.append(indicator)
    db.session.flush()
    _record(actor, action, "indicator", {"name": name, "unit": unit, "value_type": value_type,
                                         "baseline": baseline, "target": target})
    return indicator


def record_value(actor: User, indicator: Indicator, data: dict) -> IndicatorValue:
    permissions.require(actor, "record", indicator)
    measured_on = clean_date(data.get("measured_on"), "measured_on")
    if measured_on is None:
        raise ValidationError(fields={"measured_on": _("Ce champ est obligatoire.")})
    value = _number(data.get("value"), "value", indicator.value_type, required=True)
    source = clean_text(data.get("source"), "source", max_length=300)
    row = IndicatorValue(measured_on=measured_on, value=value, source=source, recorded_by_id=actor.id)
    indicator.values.append(row)
    db.session.flush()
    _record(actor, indicator.action, "value", {"indicator": indicator.name, "measured_on": measured_on.isoformat(),
                                               "value": value, "source": source})
    return row


# --- Links ------------------------------------------------------------------------------------------

LINKABLE = ("document", "publication")


def link(actor: User, action: Action, kind: Any, item_id: Any) -> ActionLink:
    """Point the action at a document or a publication of its own space that the actor reads. Anything
    else (another space's, one they may not read, one that does not exist) is refused the same way."""
    permissions.require(actor, "link", action)
    found = items.named(kind) if kind in LINKABLE else None
    if found is None:
        raise ValidationError(fields={"kind": _("Un document ou une publication.")})
    try:
        item = found.get(actor, int(item_id))
    except (TypeError, ValueError, NotFound, PermissionDenied):
        item = None
    if item is None or item.community_id != action.community_id:
        raise ValidationError(fields={"item_id": _("Choisissez un document ou une publication de cet espace.")})
    column = found.column
    existing = db.session.scalar(select(ActionLink).where(ActionLink.action_id == action.id,
                                                          getattr(ActionLink, column) == item.id))
    if existing is not None:
        return existing
    row = ActionLink(action_id=action.id, created_by_id=actor.id, **{column: item.id})
    db.session.add(row)
    db.session.flush()
    # The item, not its title: the history names it to each reader only while they may read it
    # (`linked_title`), a trashed document or a draft of a controlled one not at all.
    _record(actor, action, "linked", {"kind": kind, "id": item.id})
    return row


def unlink(actor: User, action: Action, link_id: Any) -> None:
    permissions.require(actor, "link", action)
    row = db.session.get(ActionLink, int(link_id)) if str(link_id).isdigit() else None
    if row is None or row.action_id != action.id:
        raise NotFound()
    db.session.delete(row)
    _record(actor, action, "unlinked", {"kind": "document" if row.document_id else "publication",
                                        "id": row.document_id or row.publication_id})


def linked_title(actor: User, kind: Any, item_id: Any) -> str | None:
    """The title of an item an action's history names (linked, unlinked) if the actor reads it now;
    None for one they may not, or that is gone. (Rows written before 0012 also kept a title: never
    shown, this is what names the item.)"""
    found = items.named(kind) if kind in LINKABLE else None
    if found is None or not isinstance(item_id, int):
        return None
    try:
        return items.title(found.get(actor, item_id))
    except (NotFound, PermissionDenied):
        return None


def links(actor: User, action: Action) -> list[tuple[ActionLink, Any]]:
    """The action's links with their items, only those the actor reads (a trashed document drops out)."""
    permissions.require(actor, "read", action)
    rows = list(db.session.scalars(select(ActionLink).where(ActionLink.action_id == action.id)
                                   .order_by(ActionLink.id)))
    shown = []
    for row in rows:
        item = items.pointed_at(row)
        if item is not None and permissions.can(actor, "read", item):
            shown.append((row, item))
    return shown


# --- For the API ------------------------------------------------------------------------------------

def visible_user_ids(actor: User, user_ids) -> set[int]:
    """Of these people, those the actor may see: the API names an owner or an author only then."""
    ids = {user_id for user_id in user_ids if user_id is not None}
    if not ids:
        return set()
    return set(db.session.scalars(select(User.id).where(User.id.in_(ids), permissions.visible(actor, User))))
