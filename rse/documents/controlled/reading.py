"""Mandatory reading of a version in force: who must read it, who confirmed « J'ai lu et compris »,
the rates per establishment and per space, and reminders (at most one a week per person).

A requirement names one version: once a newer version comes into force, an older campaign's
requirements stop being asked (the new version's campaign asks again).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, func, select

from rse import audit, permissions, signals
from rse.accounts.models import User
from rse.communities.models import Community, Membership
from rse.database import db
from rse.dbtypes import utcnow
from rse.errors import Conflict, ValidationError

from ..models import Document
from .models import ControlledDocument, ReadingCampaign, ReadingRequirement, Status

REMIND_EVERY = timedelta(days=7)
MAX_TARGETS = 200


def _ids(values, field: str) -> set[int]:
    if values in (None, ""):
        return set()
    if not isinstance(values, list | tuple | set):
        raise ValidationError(fields={field: _("Liste attendue.")})
    ids = set()
    for value in values:
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ValidationError(fields={field: _("Valeur inconnue.")}) from None
        if not 0 < number < 2**31:
            raise ValidationError(fields={field: _("Valeur inconnue.")})
        ids.add(number)
    return ids


def _in_force(document: Document) -> ControlledDocument:
    control = document.control
    if control is None or control.status != Status.IN_FORCE or control.in_force_number is None:
        raise Conflict(_("La lecture ne peut être demandée que pour un document en vigueur."), code="not_in_force")
    return control


def target_choices(actor: User, document: Document) -> dict:
    """What the approver may ask to read it: the spaces they read where the document's readers are,
    the establishments of its readers, and its readers themselves."""
    permissions.require(actor, "require_reading", document)
    _in_force(document)
    readers = select(User.id).where(permissions.readers(document))
    communities = list(db.session.scalars(select(Community).where(
        permissions.readable(actor, Community),
        Community.id.in_(select(Membership.community_id).where(Membership.user_id.in_(readers))))
        .order_by(Community.name)))
    people = list(db.session.scalars(select(User).where(permissions.readers(document),
                                                        permissions.visible(actor, User)).order_by(User.name)))
    establishments = sorted({p.organisation for p in people if p.organisation}, key=str.casefold)
    return {"communities": communities, "establishments": establishments, "people": people}


def require_reading(actor: User, document: Document, data: dict) -> ReadingCampaign:
    """Ask the people named by spaces, establishments or name to read the version in force."""
    permissions.require(actor, "require_reading", document)
    control = _in_force(document)
    community_ids = _ids(data.get("communities"), "communities")
    person_ids = _ids(data.get("people"), "people")
    places = data.get("establishments") or []
    if not isinstance(places, list | tuple):
        raise ValidationError(fields={"establishments": _("Liste attendue.")})
    places = sorted({str(p).strip() for p in places if str(p).strip()})
    if not (community_ids or person_ids or places):
        raise ValidationError(fields={"communities": _(
            "Choisissez au moins un espace, un établissement ou une personne.")})
    if len(community_ids) + len(person_ids) + len(places) > MAX_TARGETS:
        raise ValidationError(fields={"people": _("Au plus %(n)d choix.", n=MAX_TARGETS)})
    readable = set(db.session.scalars(select(Community.id).where(
        Community.id.in_(community_ids), permissions.readable(actor, Community))))
    if readable != community_ids:
        raise ValidationError(fields={"communities": _("Espace inconnu.")})
    visible = set(db.session.scalars(select(User.id).where(User.id.in_(person_ids), permissions.visible(actor, User))))
    if visible != person_ids:
        raise ValidationError(fields={"people": _("Personne inconnue.")})
    readers = permissions.readers(document)
    # Who is concerned: the document's readers among the people named, the members of the spaces
    # named, and the people of the establishments named.
    via: dict[int, set[int]] = defaultdict(set)
    for user_id, community_id in db.session.execute(select(Membership.user_id, Membership.community_id).join(
            User, User.id == Membership.user_id).where(Membership.community_id.in_(community_ids), readers)):
        via[user_id].add(community_id)
    concerned = set(via)
    if person_ids:
        concerned |= set(db.session.scalars(select(User.id).where(User.id.in_(person_ids), readers)))
    if places:
        concerned |= set(db.session.scalars(select(User.id).where(User.organisation.in_(places), readers)))
    if not concerned:
        raise ValidationError(fields={"communities": _(
            "Aucune personne ayant accès au document ne correspond à ces choix.")})
    number = control.in_force_number
    already = set(db.session.scalars(select(ReadingRequirement.user_id).where(
        ReadingRequirement.document_id == document.id, ReadingRequirement.version_number == number,
        ReadingRequirement.confirmed_at.is_not(None))))
    campaign = ReadingCampaign(document_id=document.id, version_number=number, created_by_id=actor.id,
                               targets={"communities": sorted(community_ids), "establishments": places,
                                        "people": sorted(person_ids)})
    db.session.add(campaign)
    db.session.flush()
    now = utcnow()
    for user_id in sorted(concerned):
        db.session.add(ReadingRequirement(
            campaign_id=campaign.id, user_id=user_id, document_id=document.id, version_number=number,
            via_communities=sorted(via.get(user_id, ())),
            confirmed_at=now if user_id in already else None, confirmed_version=number if user_id in already else None))
    db.session.flush()
    audit.record("document.reading_required", actor=actor, target=document,
                 details={"community_id": document.community_id, "version": number, "people": len(concerned),
                          "communities": sorted(community_ids), "establishments": places})
    signals.controlled_document_event.send(document, event="reading", actor=actor, version=number,
                                           user_ids=concerned - already)
    return campaign


def people_asked(campaign: ReadingCampaign) -> int:
    return db.session.scalar(select(func.count()).select_from(ReadingRequirement).where(
        ReadingRequirement.campaign_id == campaign.id)) or 0


def pending_condition(user_id: int | None = None):
    """SQL on ReadingRequirement joined to ControlledDocument: not confirmed, and still asked (the
    version it names is the one in force). For one person, or for all (a batch adds its own filter)."""
    condition = and_(ReadingRequirement.confirmed_at.is_(None),
                     ReadingRequirement.version_number == ControlledDocument.in_force_number,
                     ControlledDocument.status == Status.IN_FORCE)
    return and_(condition, ReadingRequirement.user_id == user_id) if user_id is not None else condition


@dataclass(frozen=True)
class PendingReading:
    """A document the person is asked to read: the version, who asked first and when."""

    document: Document
    code: str
    version: int
    asked_by: User | None
    asked_at: datetime


def pending_requests(actor: User, limit: int = 20) -> list[PendingReading]:
    """The documents the actor is asked to read and has not confirmed, oldest request first, each
    once (with its oldest request still open)."""
    if permissions.effective_actor(actor) is None:
        return []
    # Every home page asks, and most people have nothing to read: one look at their index answers
    # them without building the read filter.
    if db.session.scalar(select(ReadingRequirement.campaign_id).where(
            ReadingRequirement.user_id == actor.id, ReadingRequirement.confirmed_at.is_(None)).limit(1)) is None:
        return []
    rows = db.session.execute(
        select(Document, ReadingCampaign).join(ReadingRequirement, ReadingRequirement.document_id == Document.id)
        .join(ControlledDocument, ControlledDocument.document_id == Document.id)
        .join(ReadingCampaign, ReadingCampaign.id == ReadingRequirement.campaign_id)
        .where(pending_condition(actor.id), Document.deleted_at.is_(None), permissions.readable(actor, Document))
        .order_by(ReadingRequirement.campaign_id, Document.id).limit(limit * 2)).tuples()
    seen, found = set(), []
    for document, campaign in rows:
        if document.id not in seen:
            seen.add(document.id)
            found.append((document, campaign))
    found = found[:limit]
    askers = {u.id: u for u in db.session.scalars(select(User).where(
        User.id.in_({c.created_by_id for _d, c in found if c.created_by_id is not None})))}
    return [PendingReading(document=document, code=document.control.code if document.control else "",
                           version=campaign.version_number, asked_at=campaign.created_at,
                           asked_by=askers.get(campaign.created_by_id) if campaign.created_by_id else None)
            for document, campaign in found]


def pending(actor: User, limit: int = 20) -> list[Document]:
    """The documents the actor is asked to read and has not confirmed, oldest request first."""
    return [request.document for request in pending_requests(actor, limit)]


def is_pending(actor: User, document: Document) -> bool:
    if permissions.effective_actor(actor) is None or document.control is None:
        return False
    return db.session.scalar(select(ReadingRequirement.campaign_id).join(
        ControlledDocument, ControlledDocument.document_id == ReadingRequirement.document_id).where(
        ReadingRequirement.document_id == document.id, pending_condition(actor.id)).limit(1)) is not None


def confirm(actor: User, document: Document) -> int:
    """« J'ai lu et compris »: the actor's requests for the version in force are confirmed, with that version."""
    permissions.require(actor, "confirm_reading", document)
    control = _in_force(document)
    rows = list(db.session.scalars(select(ReadingRequirement).where(
        ReadingRequirement.document_id == document.id, ReadingRequirement.user_id == actor.id,
        ReadingRequirement.version_number == control.in_force_number, ReadingRequirement.confirmed_at.is_(None))))
    if not rows:
        raise Conflict(_("Aucune lecture de ce document ne vous est demandée."), code="nothing_to_confirm")
    now = utcnow()
    for row in rows:
        row.confirmed_at, row.confirmed_version = now, control.in_force_number
    db.session.flush()
    audit.record("document.read_confirmed", actor=actor, target=document,
                 details={"community_id": document.community_id, "version": control.in_force_number})
    return len(rows)


@dataclass(frozen=True)
class Rate:
    label: str
    done: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


@dataclass(frozen=True)
class Report:
    version: int
    overall: Rate
    establishments: list[Rate]
    communities: list[Rate]
    pending_people: list[User]


def _requirements(document: Document, number: int) -> list[tuple[ReadingRequirement, User]]:
    return list(db.session.execute(select(ReadingRequirement, User).join(User, User.id == ReadingRequirement.user_id)
                                   .where(ReadingRequirement.document_id == document.id,
                                          ReadingRequirement.version_number == number)).tuples())


def report(actor: User, document: Document) -> Report | None:
    """The reading of the version in force: overall, per establishment and per space (None: none asked)."""
    permissions.require(actor, "reading_report", document)
    control = document.control
    if control is None or control.in_force_number is None:
        return None
    rows = _requirements(document, control.in_force_number)
    if not rows:
        return None
    people: dict[int, tuple[User, bool, set[int]]] = {}
    for requirement, user in rows:  # a person asked by two campaigns counts once
        done = requirement.confirmed_at is not None
        before = people.get(user.id)
        spaces = set(requirement.via_communities or ()) | (before[2] if before else set())
        people[user.id] = (user, done or (before[1] if before else False), spaces)
    by_place: dict[str, list[bool]] = defaultdict(list)
    by_space: dict[int, list[bool]] = defaultdict(list)
    for user, done, spaces in people.values():
        by_place[user.organisation or _("Établissement non renseigné")].append(done)
        for space in spaces:
            by_space[space].append(done)
    # .all(): dict() would take a Result, which has keys(), for a mapping.
    names: dict[int, str] = dict(db.session.execute(select(Community.id, Community.name).where(
        Community.id.in_(by_space), permissions.readable(actor, Community))).tuples().all())
    done_total = sum(1 for _u, done, _s in people.values() if done)
    return Report(
        version=control.in_force_number, overall=Rate(_("Ensemble"), done_total, len(people)),
        establishments=[Rate(place, sum(v), len(v))
                        for place, v in sorted(by_place.items(), key=lambda i: i[0].casefold())],
        communities=[Rate(names[c], sum(v), len(v)) for c, v in sorted(by_space.items()) if c in names],
        pending_people=sorted((u for u, done, _s in people.values() if not done), key=lambda u: u.name.casefold()))


def remind(actor: User, document: Document) -> tuple[int, int]:
    """Email a reminder to those who have not confirmed, unless reminded within a week: (sent, skipped)."""
    permissions.require(actor, "remind_reading", document)
    control = _in_force(document)
    now = utcnow()
    rows = list(db.session.scalars(select(ReadingRequirement).where(
        ReadingRequirement.document_id == document.id, ReadingRequirement.version_number == control.in_force_number,
        ReadingRequirement.confirmed_at.is_(None)).with_for_update()))
    people = {row.user_id for row in rows}
    recent = {row.user_id for row in rows if row.reminded_at is not None and now - row.reminded_at < REMIND_EVERY}
    due = people - recent
    for row in rows:
        if row.user_id in due:
            row.reminded_at = now
    db.session.flush()
    if due:
        audit.record("document.reading_reminded", actor=actor, target=document,
                     details={"community_id": document.community_id, "version": control.in_force_number,
                              "people": len(due)})
        signals.controlled_document_event.send(document, event="reading_reminder", actor=actor,
                                               version=control.in_force_number, user_ids=due)
    return len(due), len(recent)
