"""The register of controlled documents: one row per document the actor may read, for a space or the group."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import and_, case, func, or_, select

from rse import permissions
from rse.accounts.models import User
from rse.communities.models import Community
from rse.database import db
from rse.errors import PermissionDenied, Unauthorized, ValidationError
from rse.i18n import local_today
from rse.validation import clean_text

from ..models import Document
from .models import Circuit, ControlledDocument, DocType, ReadingRequirement, Stage, Status
from .service import STAGE_LABELS, STATUS_LABELS, TYPE_LABELS

# The states a register is filtered on: the document's status, an open circuit's stage, or overdue.
STATES = ("draft", Stage.CHECKING.value, Stage.APPROVAL.value, Status.IN_FORCE.value, "overdue",
          Status.WITHDRAWN.value)
SORTS = ("code", "title", "type", "state", "effective", "review", "reading")


@dataclass(frozen=True)
class RegisterEntry:
    document: Document
    control: ControlledDocument
    stage: str | None          # the open circuit's stage, if any
    state: str                 # the label a reader sees (the page's state column)
    type_label: str
    in_force: int | None
    effective: date | None
    next_review: date | None
    overdue: bool
    reading_done: int
    reading_total: int

    @property
    def reading_percent(self) -> int | None:
        return round(100 * self.reading_done / self.reading_total) if self.reading_total else None


def _state_label(control: ControlledDocument, stage: str | None) -> str:
    if control.status == Status.DRAFT:
        return str(STAGE_LABELS[Stage(stage)]) if stage else str(STATUS_LABELS[Status.DRAFT])
    return str(STATUS_LABELS[Status(control.status)])


def _check_group(actor: User) -> None:
    """The whole group's register: staff and administrators (a partner knows only their spaces)."""
    if permissions.effective_actor(actor) is None:
        raise Unauthorized()
    if actor.is_partner:
        raise PermissionDenied(_("Le registre du groupe est réservé aux agents des établissements."),
                               code="staff_only")


def rows(actor: User, community: Community | None = None, *, state: str | None = None,
         doc_type: str | None = None, q: str | None = None, sort: str = "code") -> list[RegisterEntry]:
    """The controlled documents of `community` (None: of the whole group) that the actor may read,
    filtered and sorted; drafts never in force only for the people in their circuit."""
    if community is None:
        _check_group(actor)
    else:
        permissions.require(actor, "read", community)
    errors = {}
    if state not in (None, "", *STATES):
        errors["state"] = _("État inconnu.")
    if doc_type not in (None, "", *DocType):
        errors["type"] = _("Type de document inconnu.")
    if sort not in SORTS:
        errors["sort"] = _("Tri inconnu.")
    q = clean_text(q or "", "q", max_length=100)
    if errors:
        raise ValidationError(fields=errors)
    today = local_today()
    stage = Circuit.stage
    statement = (select(Document, ControlledDocument, stage)
                 .join(ControlledDocument, ControlledDocument.document_id == Document.id)
                 .outerjoin(Circuit, and_(Circuit.document_id == Document.id, Circuit.closed_at.is_(None)))
                 .where(permissions.readable(actor, Document), Document.deleted_at.is_(None)))
    if community is not None:
        statement = statement.where(Document.community_id == community.id)
    if doc_type:
        statement = statement.where(ControlledDocument.doc_type == doc_type)
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(or_(Document.title.ilike(pattern, escape="\\"),
                                        ControlledDocument.code.ilike(pattern, escape="\\")))
    overdue = and_(ControlledDocument.status == Status.IN_FORCE, Document.review_by.is_not(None),
                   Document.review_by <= today)
    if state == "draft":
        statement = statement.where(ControlledDocument.status == Status.DRAFT, Circuit.id.is_(None))
    elif state in (Stage.CHECKING, Stage.APPROVAL):
        statement = statement.where(ControlledDocument.status == Status.DRAFT, Circuit.stage == state)
    elif state == "overdue":
        statement = statement.where(overdue)
    elif state:
        statement = statement.where(ControlledDocument.status == state)
    found = list(db.session.execute(statement).tuples())
    rates = _reading_rates([d.id for d, _c, _s in found])
    entries = [RegisterEntry(
        document=document, control=control, stage=open_stage, state=_state_label(control, open_stage),
        type_label=str(TYPE_LABELS[DocType(control.doc_type)]), in_force=control.in_force_number,
        effective=control.effective_date,
        next_review=document.review_by if control.status == Status.IN_FORCE else None,
        overdue=(control.status == Status.IN_FORCE and document.review_by is not None and document.review_by <= today),
        reading_done=rates.get(document.id, (0, 0))[0], reading_total=rates.get(document.id, (0, 0))[1])
        for document, control, open_stage in found]
    return sorted(entries, key=_SORT_KEYS[sort])


def _reading_rates(document_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(people who confirmed, people asked) for the version in force of each document, in one query."""
    if not document_ids:
        return {}
    confirmed = case((ReadingRequirement.confirmed_at.is_not(None), ReadingRequirement.user_id))
    statement = (select(ReadingRequirement.document_id, func.count(func.distinct(confirmed)),
                        func.count(func.distinct(ReadingRequirement.user_id)))
                 .join(ControlledDocument, ControlledDocument.document_id == ReadingRequirement.document_id)
                 .where(ReadingRequirement.document_id.in_(document_ids),
                        ReadingRequirement.version_number == ControlledDocument.in_force_number)
                 .group_by(ReadingRequirement.document_id))
    return {document_id: (done, total) for document_id, done, total in db.session.execute(statement)}


_FAR = date.max
_SORT_KEYS = {
    "code": lambda e: e.control.code_key,
    "title": lambda e: (e.document.title.casefold(), e.control.code_key),
    "type": lambda e: (e.type_label.casefold(), e.control.code_key),
    "state": lambda e: (e.state.casefold(), e.control.code_key),
    "effective": lambda e: (e.effective or _FAR, e.control.code_key),
    "review": lambda e: (e.next_review or _FAR, e.control.code_key),
    "reading": lambda e: (e.reading_percent if e.reading_percent is not None else 101, e.control.code_key),
}
