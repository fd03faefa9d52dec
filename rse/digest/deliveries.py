"""The record of digest deliveries (`digest_deliveries`): who is still to be sent a period's
digest, and each send's outcome.

A digest is delivered at one moment: when the SMTP server receives the last line of the message
(its end of data). The row (user_id, period) is committed just before that line leaves (the line
sent as the commit lands: `rse.database.commit_then`), with an insert that does nothing on a
clash: whoever inserts it owns that send, so a second run or an overlapping shard never sends it
again (it abandons its copy mid-way, which the server drops).
Then, by what the sender learns:

- the server accepts: `sent` (recorded with the next message's row, or at the end of the batch);
- the server refuses for good (5xx, unknown address): `failed` with no next attempt, shown to
  administrators;
- the server refuses for now (4xx), or is unreachable, or closes the connection before the last
  line or without answering it: `failed` with `next_attempt_at` (backoff), and the run stops; a
  later run retries. A server answers once it has a message: with no answer, it did not take it;
- no answer to the last line within the timeout: `uncertain`.

After a crash, the state says what to do, with nothing to guess:

- no row (or a `failed` one): the run died before the last line left; a server drops a message
  whose end never came, so the next run sends it;
- `claimed`: the run died after recording the last line as leaving. The line left with it (a
  killed process's socket still sends what it was given), so the server has the message: it
  counts as sent and is never sent again. Ten minutes after its claim, the next run calls it
  `uncertain` (sent, with no answer recorded), which administrators see.

The one case this rule gets wrong is a crash in the microseconds between the commit of the row and
the write of the last line: that person's digest is then counted as sent though it never left.

Nothing else is waited for or leased: a run's rows are settled within a message, so a run after a
crash sends everyone left at once. The writes go through a connection of their own (`ledger`),
committed per message; the reads of the run (`count`, `candidates`) through the session.
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

# A live run records the server's answer within the SMTP timeout of the last line: a `claimed` row
# older than this belongs to a run that died.
UNANSWERED_AFTER = timedelta(minutes=10)
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
        DigestDelivery.status.in_((Status.CLAIMED, Status.UNCERTAIN))).values(
            attempts=DigestDelivery.attempts + 1, status=Status.SENT, error="")


def settle_unanswered(ledger: Connection, period: Period, shard) -> None:
    """The `claimed` rows of runs that died after the last line: `uncertain` (sent, no answer recorded)."""
    ledger.execute(update(DigestDelivery).where(
        DigestDelivery.period == period.key, DigestDelivery.status == Status.CLAIMED,
        DigestDelivery.claimed_at < utcnow() - UNANSWERED_AFTER,
        in_shard(DigestDelivery.user_id, shard)).values(status=Status.UNCERTAIN, error="no answer recorded"))
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


def _own(ledger: Connection, user_id: int, period: Period, retry_id: int | None, now: datetime, values: dict) -> bool:
    """Insert the person's row, or take over their failed one: whether this run now owns the send."""
    if retry_id is None:
        return _insert_ignoring_clash(ledger, {"user_id": user_id, "period": period.key, **values})
    return ledger.execute(update(DigestDelivery).where(
        DigestDelivery.id == retry_id, _retryable(now)).values(**values)).rowcount == 1


def hand_over(ledger: Connection, user_id: int, period: Period, retry_id: int | None, now: datetime, items: int,
              answered: int | None = None) -> bool:
    """Write, uncommitted, that this person's digest is leaving; False when another run owns it.
    The caller commits it with the last line of the message (`rse.database.commit_then`).
    `answered` is the person whose digest the server accepted just before: recorded in the same
    commit (one commit a message)."""
    if answered is not None:
        record_sent(ledger, answered, period)
    at = utcnow()
    return _own(ledger, user_id, period, retry_id, now, {
        "status": Status.CLAIMED, "claimed_at": at, "sent_at": at, "next_attempt_at": None, "items": items})


def record_sent(ledger: Connection, user_id: int, period: Period) -> None:
    ledger.execute(_sent_statement(), {"b_user_id": user_id, "b_period": period.key})


def mark_empty(ledger: Connection, user_id: int, period: Period, retry_id: int | None, now: datetime) -> bool:
    return _own(ledger, user_id, period, retry_id, now, {
        "status": Status.EMPTY, "claimed_at": now, "next_attempt_at": None})


def failed(ledger: Connection, user_id: int, period: Period, retry_id: int | None, now: datetime, error: str, *,
           permanent: bool, handed: bool) -> None:
    """The server did not take the message: refused for good, or to try again later (backoff). `handed`:
    this run's row says it was leaving; otherwise the row is inserted now, or the failed one updated."""
    error = (error or "error")[:500]
    if handed:
        mine = and_(DigestDelivery.user_id == user_id, DigestDelivery.period == period.key,
                    DigestDelivery.status == Status.CLAIMED)
    elif retry_id is not None:
        mine = and_(DigestDelivery.id == retry_id, DigestDelivery.status == Status.FAILED)
    else:
        _insert_ignoring_clash(ledger, {"user_id": user_id, "period": period.key, "status": Status.FAILED,
                                        "claimed_at": now, "attempts": 1, "error": error,
                                        "next_attempt_at": None if permanent else now + backoff(1)})
        ledger.commit()
        return
    attempts = (ledger.scalar(select(DigestDelivery.attempts).where(mine)) or 0) + 1
    retry = not permanent and attempts < MAX_ATTEMPTS
    ledger.execute(update(DigestDelivery).where(mine).values(
        status=Status.FAILED, attempts=attempts, sent_at=None, error=error,
        next_attempt_at=now + backoff(attempts) if retry else None))
    ledger.commit()


def unanswered(ledger: Connection, user_id: int, period: Period, error: str) -> None:
    """The last line left and no answer came in time: the server may have it. Never resent."""
    ledger.execute(update(DigestDelivery).where(
        DigestDelivery.user_id == user_id, DigestDelivery.period == period.key,
        DigestDelivery.status == Status.CLAIMED).values(status=Status.UNCERTAIN, error=error[:500]))
    ledger.commit()
