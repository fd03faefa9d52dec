"""The record of digest deliveries (`digest_deliveries`): who is still to be sent a period's
digest, and each send's claim and outcome.

The row (user_id, period) is inserted just before a digest is handed to the SMTP server, and the
insert is one that does nothing on a clash: whoever inserts it owns that send, so a second run or
an overlapping shard never sends it again. Then:

- accepted by the server: `sent` (committed per message, so a crash loses at most the one in flight);
- nothing new for the person: `empty`, no email;
- refused for good (5xx, unknown address): `failed` with no next attempt, shown to administrators;
- the server is unreachable or drops the connection: `failed` with `next_attempt_at` (backoff); a later
  run retries it. The run stops there: the rest of the shard waits for the next run;
- a run that dies while sending leaves its row `claimed`; once the lease is over, the next run marks it
  `uncertain` (the server may have taken it): never resent automatically, reported and shown.
People not yet claimed when a run stops have no row, so the next run simply sends theirs.

The writes go through a connection of their own (`ledger`), committed per message; the reads of
the run (`count`, `candidates`) through the session.
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

from sqlalchemy import Connection, Insert, Update, and_, bindparam, func, or_, select, true, update
from sqlalchemy.dialects import postgresql, sqlite

from rse.accounts.models import User
from rse.database import db
from rse.dbtypes import utcnow

from .models import DigestDelivery, DigestSubscription, Frequency, Status
from .periods import Period

LEASE = timedelta(minutes=30)  # longer than any batch takes to send
MAX_ATTEMPTS = 5


def backoff(attempts: int) -> timedelta:
    """15 minutes after the first failure, then 30, 60, 120."""
    return timedelta(minutes=15 * 2 ** max(attempts - 1, 0))


def active(now: datetime):
    return and_(User.deactivated_at.is_(None), or_(User.expires_at.is_(None), User.expires_at > now),
                User.email != "")


def subscribed(frequency: str):
    if frequency == Frequency.WEEKLY:
        return or_(DigestSubscription.frequency.is_(None), DigestSubscription.frequency == Frequency.WEEKLY)
    return DigestSubscription.frequency == frequency


def in_shard(column, shard: tuple[int, int]):
    index, count = shard
    return column % count == index if count > 1 else true()


@functools.cache
def _insert_statement(dialect_name: str) -> Insert:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id, its values given at execution (built once:
    building a statement costs more than running it on SQLite)."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    # RETURNING, not rowcount: drivers differ in what rowcount says after ON CONFLICT DO NOTHING.
    return dialect.insert(DigestDelivery).on_conflict_do_nothing(
        index_elements=["user_id", "period"]).returning(DigestDelivery.id)


def _insert_ignoring_clash(ledger: Connection, row: dict) -> bool:
    """Whether the row was inserted (False: someone else owns it)."""
    return ledger.execute(_insert_statement(ledger.dialect.name), row).first() is not None


@functools.cache
def _sent_statement() -> Update:
    return update(DigestDelivery).where(
        DigestDelivery.user_id == bindparam("b_user_id"), DigestDelivery.period == bindparam("b_period"),
        DigestDelivery.status == Status.CLAIMED).values(
            attempts=DigestDelivery.attempts + 1, lease_until=None, status=Status.SENT,
            sent_at=bindparam("b_sent_at"), items=bindparam("b_items"), error="")


def expire_leases(ledger: Connection, period: Period, shard, now: datetime) -> None:
    ledger.execute(update(DigestDelivery).where(
        DigestDelivery.period == period.key, DigestDelivery.status == Status.CLAIMED,
        DigestDelivery.lease_until < now, in_shard(DigestDelivery.user_id, shard)).values(status=Status.UNCERTAIN))
    ledger.commit()


def count(period: Period, shard, *conditions) -> int:
    return db.session.scalar(select(func.count()).select_from(DigestDelivery).where(
        DigestDelivery.period == period.key, in_shard(DigestDelivery.user_id, shard), *conditions)) or 0


def _retryable(now: datetime):
    return and_(DigestDelivery.status == Status.FAILED, DigestDelivery.next_attempt_at.is_not(None),
                DigestDelivery.next_attempt_at <= now)


def candidates(period: Period, shard, now: datetime, after_id: int, limit: int, only: int | None):
    """The next people of the shard to consider: active, subscribed at this frequency, with no digest
    for the period yet (or one to retry). Returns (user, id of the failed row to retry or None)."""
    query = (
        select(User, DigestDelivery.id)
        .outerjoin(DigestSubscription, DigestSubscription.user_id == User.id)
        .outerjoin(DigestDelivery, and_(DigestDelivery.user_id == User.id, DigestDelivery.period == period.key))
        .where(User.id > after_id, active(now), subscribed(period.frequency), in_shard(User.id, shard),
               or_(DigestDelivery.id.is_(None), _retryable(now)))
        .order_by(User.id).limit(limit))
    if only is not None:
        query = query.where(User.id == only)
    return list(db.session.execute(query).tuples())


def claim(ledger: Connection, user_id: int, period: Period, retry_id: int | None, now: datetime,
           sent: tuple[int, int] | None = None) -> bool:
    """Own this send, or learn that someone else does. Committed before anything leaves.

    `sent` (person, items) is the message handed over just before: recording it in the same commit
    halves the commits of a run, and a crash before this commit leaves it claimed, as a crash
    right after handing it over always could (it then becomes `uncertain`, never resent)."""
    if sent is not None:
        record_sent(ledger, *sent, period)
    values = {"status": Status.CLAIMED, "claimed_at": now, "lease_until": now + LEASE}
    if retry_id is None:
        claimed = _insert_ignoring_clash(ledger, {"user_id": user_id, "period": period.key, **values})
    else:
        claimed = ledger.execute(update(DigestDelivery).where(
            DigestDelivery.id == retry_id, _retryable(now)).values(**values)).rowcount == 1
    ledger.commit()
    return claimed


def record_sent(ledger: Connection, user_id: int, items: int, period: Period) -> None:
    ledger.execute(_sent_statement(), {"b_user_id": user_id, "b_period": period.key, "b_sent_at": utcnow(),
                                       "b_items": items})


def mark_empty(ledger: Connection, user_id: int, period: Period, retry_id: int | None, now: datetime) -> bool:
    values = {"status": Status.EMPTY, "claimed_at": now, "lease_until": None, "next_attempt_at": None}
    if retry_id is None:
        return _insert_ignoring_clash(ledger, {"user_id": user_id, "period": period.key, **values})
    return ledger.execute(update(DigestDelivery).where(
        DigestDelivery.id == retry_id, _retryable(now)).values(**values)).rowcount == 1


def finish(ledger: Connection, user_id: int, period: Period, **values) -> None:
    ledger.execute(update(DigestDelivery).where(
        DigestDelivery.user_id == user_id, DigestDelivery.period == period.key,
        DigestDelivery.status == Status.CLAIMED).values(
            attempts=DigestDelivery.attempts + 1, lease_until=None, **values))
    ledger.commit()


def retry_later(ledger: Connection, user_id: int, period: Period, error: str, now: datetime) -> None:
    attempts = (ledger.scalar(select(DigestDelivery.attempts).where(
        DigestDelivery.user_id == user_id, DigestDelivery.period == period.key)) or 0) + 1
    next_attempt = now + backoff(attempts) if attempts < MAX_ATTEMPTS else None
    finish(ledger, user_id, period, status=Status.FAILED, next_attempt_at=next_attempt, error=error[:500])
