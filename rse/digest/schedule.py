"""When the scheduler sends the next digests, and to how many people: what administrators are told.

The scheduler runs `flask digest send` every day at DIGEST_HOUR (local time): each run sends the
day's digest to daily subscribers and, from DIGEST_WEEKDAY on, the week's to weekly ones, unless
the week's went out already (sending.periods_due).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from rse import permissions
from rse.accounts.models import User
from rse.database import db

from . import periods
from .deliveries import active, subscribed
from .models import DigestDelivery, DigestSubscription, Frequency


@dataclass(frozen=True)
class NextSends:
    hour: int  # local hour of every run
    next_run: datetime  # aware UTC
    weekly_at: datetime  # aware UTC: the run that will send the next weekly digest
    weekly_people: int  # active people subscribed to it (those with nothing new get no email)
    daily_people: int


def next_sends(actor: User, now: datetime, tz: ZoneInfo, *, hour: int, weekday: int) -> NextSends:
    permissions.require(actor, "administer")
    local = now.astimezone(tz)
    run = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if run <= local:
        run += timedelta(days=1)
    weekly = run
    for _day in range(8):
        # The week's digest leaves at the first run from the weekday on, unless it left already.
        week = periods.current(Frequency.WEEKLY, weekly.astimezone(UTC), tz)
        if weekly.weekday() >= weekday and not _started(week.key):
            break
        weekly += timedelta(days=1)
    # Days added to a local time keep its wall-clock hour across a change to or from summer time.
    return NextSends(hour=hour, next_run=run.astimezone(UTC), weekly_at=weekly.astimezone(UTC),
                     weekly_people=_subscribers(Frequency.WEEKLY, now),
                     daily_people=_subscribers(Frequency.DAILY, now))


def _started(period_key: str) -> bool:
    return db.session.scalar(select(DigestDelivery.id).where(DigestDelivery.period == period_key).limit(1)) is not None


def _subscribers(frequency: str, now: datetime) -> int:
    return db.session.scalar(
        select(func.count(User.id)).outerjoin(DigestSubscription, DigestSubscription.user_id == User.id)
        .where(active(now), subscribed(frequency))) or 0
