"""What the pages of action plans show beside the service's answers: the words for statuses and
priorities, people's names as the viewer may see them, an action's history in sentences, what an
action may link to, and the months of a plan's timeline."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from rse import items, permissions
from rse.accounts.models import User
from rse.communities.models import Community
from rse.database import db
from rse.documents import service as documents
from rse.feeds.models import Publication
from rse.i18n import format_day

from . import service
from .models import Action, ActionChange, Plan, late_condition

STATUS_LABELS = {"not_started": _l("Non commencée"), "in_progress": _l("En cours"), "done": _l("Réalisée"),
                 "abandoned": _l("Abandonnée")}
PRIORITY_LABELS = {"high": _l("Haute"), "normal": _l("Normale"), "low": _l("Basse")}
VALUE_TYPE_LABELS = {"integer": _l("Nombre entier"), "decimal": _l("Nombre décimal"), "percent": _l("Pourcentage")}
FIELD_LABELS = {
    "title": _l("Titre"), "description": _l("Description"), "objective_id": _l("Objectif"),
    "owner_id": _l("Responsable"), "co_owners": _l("Co-responsables"), "start_date": _l("Début"),
    "due_date": _l("Échéance"), "status": _l("Statut"), "progress": _l("Avancement"), "priority": _l("Priorité"),
    "result_note": _l("Résultat"),
}


# How long the list of documents and publications offered to link may be.
LINKABLE_LIMIT = 40


def said(labels: dict) -> dict[str, str]:
    """`labels` translated once, for a page that repeats them on every row of a table."""
    return {key: str(label) for key, label in labels.items()}


def people_named(actor: User, ids: set[int]) -> dict[int, User]:
    """The people among `ids` the actor may see, by id: the others are never named."""
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {user.id: user for user in db.session.scalars(
        select(User).where(User.id.in_(ids), permissions.visible(actor, User)))}


def plan_counts(actor: User, plans: list[Plan], today: date) -> dict[int, dict[str, int]]:
    """For each plan, how many of its actions the actor reads are in each status, and how many are late."""
    counts: dict[int, dict[str, int]] = {plan.id: dict.fromkeys((*STATUS_LABELS, "late", "total"), 0)
                                         for plan in plans}
    if not plans:
        return counts
    # The late ones counted by an aggregate, not grouped on: PostgreSQL does not take a GROUP BY
    # expression with a bound date as the same expression in the selected columns.
    rows = db.session.execute(
        select(Action.plan_id, Action.status, func.count(), func.sum(case((late_condition(today), 1), else_=0)))
        .where(Action.plan_id.in_(counts), permissions.readable(actor, Action))
        .group_by(Action.plan_id, Action.status))
    for plan_id, status, count, late in rows:
        counts[plan_id][status] += count
        counts[plan_id]["total"] += count
        counts[plan_id]["late"] += int(late or 0)
    return counts


class Owned(Protocol):
    """An action, or a row of a plan's table."""

    @property
    def owner_ids(self) -> set[int]: ...


def owner_ids_of(actions: Iterable[Owned]) -> set[int]:
    return {user_id for action in actions for user_id in action.owner_ids}


def linkable(actor: User, community: Community) -> list[tuple[str, int, str]]:
    """The space's recent documents and publications the actor reads: (kind, id, title), newest first."""
    shown = [("document", document.id, document.title)
             for document in documents.list_documents(actor, community, all_folders=True)[:LINKABLE_LIMIT]]
    shown += [("publication", publication.id, items.title(publication)) for publication in db.session.scalars(
        select(Publication).where(Publication.community_id == community.id, Publication.deleted_at.is_(None),
                                  permissions.readable(actor, Publication))
        .order_by(Publication.created_at.desc(), Publication.id.desc()).limit(LINKABLE_LIMIT))]
    return shown


# --- History ------------------------------------------------------------------------------------------

@dataclass
class HistoryLine:
    change: ActionChange
    who: User | None      # None: someone the viewer may not see, or an account gone
    lines: list[str]


def _value(actor: User, plan: Plan, name: str, value: Any, names: dict[int, User]) -> str:
    if value in (None, "", []):
        return str(_l("(aucun)"))
    if name in ("start_date", "due_date"):
        return format_day(date.fromisoformat(value))
    if name == "progress":
        return f"{value}\u00a0%"
    if name == "status":
        return str(STATUS_LABELS.get(value, value))
    if name == "priority":
        return str(PRIORITY_LABELS.get(value, value))
    if name == "owner_id":
        return names[value].name if value in names else str(_l("une personne"))
    if name == "co_owners":
        return ", ".join(names[i].name if i in names else str(_l("une personne")) for i in value)
    if name == "objective_id":
        titles = {objective.id: objective.title for objective in plan.objectives}
        return titles.get(value, str(_l("un objectif")))
    return str(value)


def _people_in(change: ActionChange) -> set[int]:
    ids = {change.user_id} if change.user_id else set()
    for name in ("owner_id", "co_owners"):
        pair = change.changes.get(name)
        if change.event == "created" and pair is not None:
            pair = [None, pair]
        for value in pair or ():
            ids |= set(value) if isinstance(value, list) else ({value} if value else set())
    return ids


def _item_title(actor: User, kind: Any, item_id: Any) -> str:
    """The title of a linked item if the actor still reads it (a trashed document is not named)."""
    title = service.linked_title(actor, kind, item_id)
    return f"« {title} »" if title is not None else str(_l("un document ou une publication"))


def history_lines(actor: User, action: Action, changes: list[ActionChange]) -> list[HistoryLine]:
    """Each change in French sentences: « Avancement : 20 % → 60 % »."""
    names = people_named(actor, set().union(*(_people_in(c) for c in changes)) if changes else set())
    plan = action.objective.plan
    shown = []
    for change in changes:
        data = change.changes or {}
        lines: list[str] = []
        if change.event == "created":
            lines.append(str(_l("Action créée")))
        elif change.event in ("updated", "closed", "reopened"):
            if change.event == "closed":
                lines.append(str(_l("Action close")))
            elif change.event == "reopened":
                lines.append(str(_l("Action rouverte")))
            for name, label in FIELD_LABELS.items():
                if name not in data:
                    continue
                before, after = data[name]
                if name in ("description", "result_note"):
                    lines.append(str(_l("Description modifiée")) if name == "description"
                                 else f"{label}\u00a0: {after}" if after else str(_l("Résultat effacé")))
                else:
                    lines.append(f"{label}\u00a0: {_value(actor, plan, name, before, names)} → "
                                 f"{_value(actor, plan, name, after, names)}")
        elif change.event == "indicator":
            lines.append(str(_l("Indicateur ajouté : « %(name)s »", name=data.get("name", ""))))
        elif change.event == "value":
            lines.append(str(_l("Valeur relevée pour « %(name)s » : %(value)s au %(day)s",
                                name=data.get("indicator", ""), value=_number(data.get("value")),
                                day=format_day(date.fromisoformat(data["measured_on"]))
                                if data.get("measured_on") else "")))
        elif change.event == "linked":
            lines.append(str(_l("Lien ajouté : %(title)s", title=_item_title(actor, data.get("kind"), data.get("id")))))
        elif change.event == "unlinked":
            lines.append(str(_l("Lien retiré : %(title)s",
                                title=_item_title(actor, data.get("kind"), data.get("id")))))
        shown.append(HistoryLine(change, names.get(change.user_id) if change.user_id else None, lines))
    return shown


def _number(value: Any) -> str:
    return format_decimal(value) if isinstance(value, int | float) else ""


# --- Timeline -----------------------------------------------------------------------------------------

@dataclass
class Bar:
    action: Action
    first: int          # 1..12, the month it starts in (or the year's first, if it started before)
    last: int           # 1..12
    before: bool        # it started before this year
    after: bool         # it ends after this year
    late: bool


def timeline_year(actions: list[Action], year: int, today: date) -> tuple[list[Bar], list[Action]]:
    """The actions of `year` as bars from their start month to their due month (an action with one date
    is a one-month bar); the actions with no date at all, apart."""
    bars, undated = [], []
    for action in actions:
        start, due = action.start_date or action.due_date, action.due_date or action.start_date
        if start is None or due is None:
            undated.append(action)
            continue
        if due.year < year or start.year > year:
            continue
        bars.append(Bar(action, first=start.month if start.year == year else 1,
                        last=due.month if due.year == year else 12, before=start.year < year,
                        after=due.year > year, late=action.is_late(today)))
    return bars, undated


def years_of(actions: list[Action], today: date) -> list[int]:
    """The years the plan's dated actions cover (this year when none is dated)."""
    years = {d.year for action in actions for d in (action.start_date, action.due_date) if d}
    if not years:
        return [today.year]
    return list(range(min(years), max(years) + 1))
