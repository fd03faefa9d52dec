"""The register of controlled documents: every one the reader may read, in a space or in the whole
group, with its state, version in force, dates and reading rate; filtered, sorted, exported."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, or_, select

from rse import permissions
from rse.accounts.models import User
from rse.communities.models import Community
from rse.database import db
from rse.dbtypes import utcnow
from rse.errors import PermissionDenied, Unauthorized, ValidationError
from rse.i18n import local_today
from rse.urls import external_url

from ..models import Document
from . import service as controlled
from .models import Circuit, ControlledDocument, DocType, ReadingRequirement, Status

STATE_FILTERS = {
    "draft": _l("En rédaction"), "checking": _l("En vérification"), "approval": _l("En approbation"),
    "in_force": _l("En vigueur"), "overdue": _l("Révision dépassée"), "withdrawn": _l("Retiré"),
}
STATES = tuple(STATE_FILTERS)
SORTS = ("code", "title", "type", "state", "effective", "review", "reading")


@dataclass(frozen=True)
class Entry:
    document: Document
    control: ControlledDocument
    community: Community
    state: controlled.State
    type_label: str
    reading_done: int
    reading_total: int

    @property
    def next_review(self) -> date | None:
        return self.document.review_by if self.control.status == Status.IN_FORCE else None

    @property
    def rate(self) -> float | None:
        return self.reading_done / self.reading_total if self.reading_total else None


def rows(actor, community: Community | None = None, *, state: str | None = None, doc_type: str | None = None,
         q: str | None = None, sort: str = "code") -> list[Entry]:
    """The controlled documents the actor may read (of one space, or all), filtered and sorted."""
    if community is not None:
        permissions.require(actor, "read", community)
    elif not permissions.can(actor, "register.read"):  # the whole group's: staff and administrators
        if permissions.effective_actor(actor) is None:
            raise Unauthorized()
        raise PermissionDenied(_("Le registre du groupe est réservé aux agents des établissements."),
                               code="staff_only")
    errors = {}
    if state is not None and state not in STATES:
        errors["state"] = _("État inconnu.")
    if sort not in SORTS:
        errors["sort"] = _("Tri inconnu.")
    if doc_type is not None and doc_type not in set(DocType):
        errors["type"] = _("Type de document inconnu.")
    if errors:
        raise ValidationError(fields=errors)
    statement = (select(Document, ControlledDocument, Community)
                 .join(ControlledDocument, ControlledDocument.document_id == Document.id)
                 .join(Community, Community.id == Document.community_id)
                 .where(Document.deleted_at.is_(None), permissions.readable(actor, Document)))
    if community is not None:
        statement = statement.where(Document.community_id == community.id)
    if doc_type:
        statement = statement.where(ControlledDocument.doc_type == doc_type)
    if q:
        needle = f"%{q.casefold()[:100]}%"
        statement = statement.where(or_(func.lower(Document.title).like(needle),
                                        func.lower(ControlledDocument.code).like(needle)))
    found = list(db.session.execute(statement).tuples())
    ids = [document.id for document, _c, _s in found]
    open_stages: dict[int, str] = dict(db.session.execute(select(Circuit.document_id, Circuit.stage).where(
        Circuit.document_id.in_(ids), Circuit.closed_at.is_(None))).tuples().all()) if ids else {}
    rates = _rates(ids)
    today = local_today()
    entries = []
    for document, control, space in found:
        stage = open_stages.get(document.id)
        entries.append(Entry(document, control, space, controlled.describe(document, control, stage, today),
                             str(controlled.TYPE_LABELS.get(control.doc_type, "")), *rates.get(document.id, (0, 0))))
    if state:
        entries = [e for e in entries if _matches(e, state)]
    key = {
        "title": lambda e: e.document.title.casefold(), "state": lambda e: e.state.label,
        "type": lambda e: e.type_label,
        "effective": lambda e: e.control.effective_date or date.max,
        "review": lambda e: e.document.review_by or date.max,
        "reading": lambda e: e.rate if e.rate is not None else 2.0,
    }.get(sort, lambda e: e.control.code)
    return sorted(entries, key=key)


def _matches(entry: Entry, state: str) -> bool:
    s = entry.state
    return {"draft": s.status == Status.DRAFT and s.stage is None, "checking": s.stage == "checking",
            "approval": s.stage == "approval", "in_force": s.status == Status.IN_FORCE,
            "overdue": s.overdue, "withdrawn": s.status == Status.WITHDRAWN}.get(state, True)


def _rates(ids: list[int]) -> dict[int, tuple[int, int]]:
    """(confirmed, required) per document for its version in force, a person counted once."""
    if not ids:
        return {}
    per_person = (select(ReadingRequirement.document_id, ReadingRequirement.user_id,
                         func.max(case((ReadingRequirement.confirmed_at.is_not(None), 1), else_=0)).label("done"))
                  .join(ControlledDocument, ControlledDocument.document_id == ReadingRequirement.document_id)
                  .where(ReadingRequirement.document_id.in_(ids),
                         ReadingRequirement.version_number == ControlledDocument.in_force_number)
                  .group_by(ReadingRequirement.document_id, ReadingRequirement.user_id).subquery())
    return {document_id: (int(done or 0), int(total)) for document_id, done, total in db.session.execute(
        select(per_person.c.document_id, func.sum(per_person.c.done), func.count()).group_by(per_person.c.document_id))}


def export(title: str, entries: list[Entry], actor: User, args: dict):
    """The register as the export module takes it."""
    from ..register_export import RegisterExport, RegisterRow

    filters = []
    if args.get("state"):
        filters.append(_("État : %(v)s", v=STATE_FILTERS.get(args["state"], args["state"])))
    if args.get("doc_type"):
        filters.append(_("Type : %(v)s", v=controlled.TYPE_LABELS.get(args["doc_type"], args["doc_type"])))
    if args.get("q"):
        filters.append(_("Recherche : %(v)s", v=args["q"]))
    return RegisterExport(
        title=title, generated_at=utcnow(), generated_by=actor.name, filters=filters,
        rows=[RegisterRow(code=e.control.code, title=e.document.title, kind=e.type_label,
                          state=(_("Révision dépassée") if e.state.overdue else e.state.label),
                          version=e.control.in_force_number, effective=e.control.effective_date,
                          next_review=e.next_review,
                          overdue=e.state.overdue, reading_done=e.reading_done, reading_total=e.reading_total,
                          space=e.community.name, url=external_url("documents.show", document_id=e.document.id))
              for e in entries])
