"""Pins: a publication held at the top of its community's stream, or of everyone's home page."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from rse import audit, permissions
from rse.accounts.models import User
from rse.database import db
from rse.dbtypes import MAX_ID, utcnow
from rse.errors import Conflict, ValidationError
from rse.feeds.models import Pin, Publication


def pin(actor: User, publication: Publication, *, home: bool = False, until: datetime | None = None,
        position: int | None = None) -> Pin:
    permissions.require(actor, "pin_home" if home else "pin", publication)
    if until is not None and (not isinstance(until, datetime) or until.tzinfo is None):
        raise ValidationError(fields={"until": _("Date et heure attendues, avec leur fuseau horaire.")})
    if until is not None and until <= utcnow():
        raise ValidationError(fields={"until": _("La date de fin doit être dans le futur.")})
    if position is not None and (
            isinstance(position, bool) or not isinstance(position, int) or not 0 <= position <= MAX_ID):
        raise ValidationError(fields={"position": _("Doit être un nombre entier positif ou nul.")})
    scope = "home" if home else "community"
    row = db.session.scalar(select(Pin).where(Pin.publication_id == publication.id, Pin.scope == scope))
    if row is None:
        query = select(func.coalesce(func.max(Pin.position), -1)).where(Pin.scope == scope)
        if not home:
            query = query.where(Pin.community_id == publication.community_id)
        row = Pin(publication_id=publication.id, scope=scope, community_id=publication.community_id,
                  position=(db.session.scalar(query) or 0) + 1, pinned_by_id=actor.id)
        db.session.add(row)
    if position is not None:
        row.position = position
    row.until = until
    db.session.flush()
    audit.record("publication.pin", actor=actor, target=publication, details={"scope": scope})
    return row


def unpin(actor: User, publication: Publication, *, home: bool = False) -> None:
    permissions.require(actor, "pin_home" if home else "pin", publication)
    scope = "home" if home else "community"
    row = db.session.scalar(select(Pin).where(Pin.publication_id == publication.id, Pin.scope == scope))
    if row is None:
        raise Conflict(_("Cette publication n'est pas épinglée."), code="not_pinned")
    db.session.delete(row)
    audit.record("publication.unpin", actor=actor, target=publication, details={"scope": scope})


def pins_of(publication_ids: list[int]) -> dict[int, set[str]]:
    if not publication_ids:
        return {}
    found: dict[int, set[str]] = {}
    for pid, scope in db.session.execute(select(Pin.publication_id, Pin.scope).where(
            Pin.publication_id.in_(publication_ids))):
        found.setdefault(pid, set()).add(scope)
    return found
