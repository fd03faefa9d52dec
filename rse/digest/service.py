"""Digest subscriptions, the unsubscribe token, what people opened, and the deliveries administrators check."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from rse import audit, items, permissions
from rse.accounts.models import User
from rse.database import db, upsert
from rse.dbtypes import get_by_id, utcnow
from rse.errors import NotFound, ValidationError
from rse.feeds.notifications import service as notifications

from . import periods
from .models import DigestDelivery, DigestSubscription, Frequency, ItemView, Status
from .periods import Period

log = logging.getLogger(__name__)
UNSUBSCRIBE_SALT = "digest.unsubscribe"


# --- Frequency ----------------------------------------------------------------------------------

def frequency(user: User) -> str:
    row = db.session.get(DigestSubscription, user.id)
    return row.frequency if row is not None else Frequency.WEEKLY.value


def set_frequency(actor: User, user: User, value: Any, *, via: str = "preferences") -> str:
    """Change a person's digest frequency (themselves, or an administrator), with an audit entry."""
    permissions.require(actor, "edit", user)
    if message := frequency_error(value):
        raise ValidationError(fields={"frequency": message})
    row = db.session.get(DigestSubscription, user.id)
    if row is None:
        row = DigestSubscription(user_id=user.id)
        db.session.add(row)
    if row.frequency != value:
        audit.record("digest.frequency_changed", actor=actor, target=user,
                     details={"from": row.frequency or Frequency.WEEKLY.value, "to": value, "via": via})
    row.frequency, row.changed_at = value, utcnow()
    db.session.flush()
    return value


def frequency_error(value: Any) -> str | None:
    if not isinstance(value, str) or value not in {f.value for f in Frequency}:
        return _("Choisissez hebdomadaire, quotidienne ou jamais.")
    return None


# --- Everything that emails a person, on one page -----------------------------------------------

@dataclass
class EmailSettings:
    frequency: str
    changed_at: datetime | None  # when the frequency was last chosen (None: never chosen, weekly)
    modes: dict[str, str]        # notification kind -> immediate, digest or never


def email_settings(user: User) -> EmailSettings:
    row = db.session.get(DigestSubscription, user.id)
    return EmailSettings(frequency=row.frequency if row is not None else Frequency.WEEKLY.value,
                         changed_at=row.changed_at if row is not None else None,
                         modes=notifications.preferences(user))


def save_email_settings(actor: User, frequency: Any, modes: dict) -> None:
    """Save the digest frequency (None: unchanged) and notification modes together, or nothing at all."""
    errors = notifications.preference_errors(modes)
    if (frequency is not None or not modes) and (message := frequency_error(frequency)):
        errors["frequency"] = message  # a form with neither part is answered as one without a frequency
    if errors:
        raise ValidationError(fields=errors)
    notifications.set_preferences(actor, modes)
    if frequency is not None:
        set_frequency(actor, actor, frequency)


# --- One-click unsubscribe ----------------------------------------------------------------------

def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(user: User) -> str:
    """A signed user id without expiry: the link of an old digest still unsubscribes."""
    return _serializer().dumps(user.id)


def user_from_token(token: str) -> User:
    try:
        user_id = _serializer().loads(token)
    except BadSignature as exc:
        raise NotFound() from exc
    user = get_by_id(User, user_id)
    if user is None:
        raise NotFound()
    return user


def unsubscribe(token: str) -> User:
    """Stop the digest for the token's owner (no login: the token is the proof)."""
    user = user_from_token(token)
    return _stop(user)


def _stop(user: User) -> User:
    row = db.session.get(DigestSubscription, user.id)
    if row is None:
        row = DigestSubscription(user_id=user.id)
        db.session.add(row)
    if row.frequency != Frequency.NEVER:
        audit.record("digest.unsubscribed", actor=user, target=user,
                     details={"from": row.frequency or Frequency.WEEKLY.value, "via": "one-click"})
    row.frequency, row.changed_at = Frequency.NEVER.value, utcnow()
    db.session.flush()
    return user


# --- What people opened -------------------------------------------------------------------------

def record_view(item, user: User) -> None:
    """Remember that `user` opened `item`, in a transaction of its own: a page view never fails for it."""
    if user is None or not getattr(user, "is_authenticated", False):
        return
    target = items.ref(item)
    if not all(hasattr(ItemView, column) for column in target):
        return  # a kind of item the digest does not follow (an action of a plan: its own section)
    try:
        with Session(db.engine) as session:
            upsert(session, ItemView, {"user_id": user.id, "viewed_at": utcnow(), **target},
                   key=["user_id", *target], update=["viewed_at"])
            session.commit()
    except SQLAlchemyError:
        log.warning("could not record that user %s opened %s %s", user.id, type(item).__name__, item.id,
                    exc_info=True)


# --- For administrators -------------------------------------------------------------------------

@dataclass
class PeriodSummary:
    """What the runs of one period did, for the administrators' page."""

    period: Period
    counts: dict[str, int] = field(default_factory=dict)  # status -> deliveries
    refused: int = 0  # failed for good (the others wait for their retry)

    @property
    def to_retry(self) -> int:
        return max(0, self.counts.get(Status.FAILED, 0) - self.refused)


def summary(actor: User, now: datetime, tz: ZoneInfo) -> list[PeriodSummary]:
    """The recent periods that have deliveries, newest first, with their counts per status. Counted on
    the (status, period) index: a seek per pair, no table read except for the failed rows."""
    permissions.require(actor, "administer")
    recent = {period.key: period for period in periods.recent(now, tz)}
    found: dict[str, PeriodSummary] = {}
    rows = db.session.execute(
        select(DigestDelivery.status, DigestDelivery.period, func.count())
        .where(DigestDelivery.status.in_(list(Status)), DigestDelivery.period.in_(list(recent)))
        .group_by(DigestDelivery.status, DigestDelivery.period))
    for status, key, count in rows:
        found.setdefault(key, PeriodSummary(recent[key])).counts[status] = count
    refused = db.session.execute(
        select(DigestDelivery.period, func.count())
        .where(DigestDelivery.status == Status.FAILED, DigestDelivery.period.in_(list(recent)),
               DigestDelivery.next_attempt_at.is_(None))
        .group_by(DigestDelivery.period))
    for key, count in refused:
        if key in found:  # a send may have failed between the two counts
            found[key].refused = count
    return [found[key] for key in recent if key in found]


def problems(actor: User, limit: int = 200) -> list[tuple[DigestDelivery, User]]:
    """Failed and uncertain deliveries, newest first: refused addresses, retries, interrupted sends."""
    permissions.require(actor, "administer")
    return list(db.session.execute(
        select(DigestDelivery, User).join(User, User.id == DigestDelivery.user_id)
        .where(DigestDelivery.status.in_((Status.FAILED, Status.UNCERTAIN)))
        .order_by(DigestDelivery.claimed_at.desc(), DigestDelivery.id.desc()).limit(limit)).tuples())
