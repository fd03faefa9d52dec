"""Sending the digests of a period: at most once per person, in batches, over one SMTP connection per batch.

The row (user_id, period) of `digest_deliveries` is inserted just before a digest is handed to the
SMTP server, and the insert is one that does nothing on a clash: whoever inserts it owns that send,
so a second run or an overlapping shard never sends it again. Then:

- accepted by the server: `sent` (committed per message, so a crash loses at most the one in flight);
- nothing new for the person: `empty`, no email;
- refused for good (5xx, unknown address): `failed` with no next attempt, shown to administrators;
- the server is unreachable or drops the connection: `failed` with `next_attempt_at` (backoff); a later
  run retries it. The run stops there: the rest of the shard waits for the next run;
- a run that dies while sending leaves its row `claimed`; once the lease is over, the next run marks it
  `uncertain` (the server may have taken it): never resent automatically, reported and shown.
People not yet claimed when a run stops have no row, so the next run simply sends theirs.

A run selects and renders its batches while a sender process of its own (`_Sender`) records and
sends the previous one: the SMTP server's answers are waited for beside that work.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import multiprocessing
import pickle
import signal
import smtplib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import format_datetime, make_msgid
from multiprocessing.connection import Connection as PipeConnection
from typing import NamedTuple
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Connection, Insert, Update, and_, bindparam, func, or_, select, true, update
from sqlalchemy.dialects import postgresql, sqlite

from rse.accounts.models import User
from rse.database import db
from rse.dbtypes import utcnow
from rse.mail.backends import PermanentMailError, backend_from_url
from rse.mail.mime import RawMessage, address, alternative

from . import periods
from .models import DigestDelivery, DigestSubscription, Frequency, Status
from .periods import Period
from .rendering import RenderedDigest, render
from .selection import Window, select_digests

log = logging.getLogger(__name__)

BATCH = 100
LEASE = timedelta(minutes=30)  # longer than any batch takes to send
MAX_ATTEMPTS = 5


def backoff(attempts: int) -> timedelta:
    """15 minutes after the first failure, then 30, 60, 120."""
    return timedelta(minutes=15 * 2 ** max(attempts - 1, 0))


class ServerUnavailable(Exception):
    """The SMTP server could not be reached or dropped the connection: stop, a later run retries."""


@dataclass
class Report:
    sent: int = 0
    empty: int = 0
    failed: int = 0
    uncertain: int = 0
    skipped: int = 0
    retry_later: int = 0
    dry_run: bool = False
    periods: list[str] = field(default_factory=list)

    def line(self) -> str:
        prefix = "dry run (nothing sent or recorded): would send" if self.dry_run else "sent"
        return (f"{', '.join(self.periods)}: {prefix} {self.sent}, empty {self.empty}, failed {self.failed}, "
                f"uncertain {self.uncertain}, skipped {self.skipped}"
                + (f", to retry {self.retry_later}" if self.retry_later else ""))


def periods_due(now: datetime, *, weekday: int, tz: ZoneInfo) -> list[Period]:
    """Each run: today's period for daily subscribers, and this week's from the configured weekday on
    (a run missed on that day, or retries due later in the week, still reach the week's digest; people
    who had it are skipped by their delivery row)."""
    due = [periods.current(Frequency.DAILY, now, tz)]
    if now.astimezone(tz).weekday() >= weekday:
        due.append(periods.current(Frequency.WEEKLY, now, tz))
    return due


def _active(now: datetime):
    return and_(User.deactivated_at.is_(None), or_(User.expires_at.is_(None), User.expires_at > now),
                User.email != "")


def _subscribed(frequency: str):
    if frequency == Frequency.WEEKLY:
        return or_(DigestSubscription.frequency.is_(None), DigestSubscription.frequency == Frequency.WEEKLY)
    return DigestSubscription.frequency == frequency


def _in_shard(column, shard: tuple[int, int]):
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


def _expire_leases(ledger: Connection, period: Period, shard, now: datetime) -> None:
    ledger.execute(update(DigestDelivery).where(
        DigestDelivery.period == period.key, DigestDelivery.status == Status.CLAIMED,
        DigestDelivery.lease_until < now, _in_shard(DigestDelivery.user_id, shard)).values(status=Status.UNCERTAIN))
    ledger.commit()


def _count(period: Period, shard, *conditions) -> int:
    return db.session.scalar(select(func.count()).select_from(DigestDelivery).where(
        DigestDelivery.period == period.key, _in_shard(DigestDelivery.user_id, shard), *conditions)) or 0


def _retryable(now: datetime):
    return and_(DigestDelivery.status == Status.FAILED, DigestDelivery.next_attempt_at.is_not(None),
                DigestDelivery.next_attempt_at <= now)


def _candidates(period: Period, shard, now: datetime, after_id: int, limit: int, only: int | None):
    """The next people of the shard to consider: active, subscribed at this frequency, with no digest
    for the period yet (or one to retry). Returns (user, id of the failed row to retry or None)."""
    query = (
        select(User, DigestDelivery.id)
        .outerjoin(DigestSubscription, DigestSubscription.user_id == User.id)
        .outerjoin(DigestDelivery, and_(DigestDelivery.user_id == User.id, DigestDelivery.period == period.key))
        .where(User.id > after_id, _active(now), _subscribed(period.frequency), _in_shard(User.id, shard),
               or_(DigestDelivery.id.is_(None), _retryable(now)))
        .order_by(User.id).limit(limit))
    if only is not None:
        query = query.where(User.id == only)
    return list(db.session.execute(query).tuples())


def _claim(ledger: Connection, user_id: int, period: Period, retry_id: int | None, now: datetime,
           sent: tuple[int, int] | None = None) -> bool:
    """Own this send, or learn that someone else does. Committed before anything leaves.

    `sent` (person, items) is the message handed over just before: recording it in the same commit
    halves the commits of a run, and a crash before this commit leaves it claimed, as a crash
    right after handing it over always could (it then becomes `uncertain`, never resent)."""
    if sent is not None:
        _record_sent(ledger, *sent, period)
    values = {"status": Status.CLAIMED, "claimed_at": now, "lease_until": now + LEASE}
    if retry_id is None:
        claimed = _insert_ignoring_clash(ledger, {"user_id": user_id, "period": period.key, **values})
    else:
        claimed = ledger.execute(update(DigestDelivery).where(
            DigestDelivery.id == retry_id, _retryable(now)).values(**values)).rowcount == 1
    ledger.commit()
    return claimed


def _record_sent(ledger: Connection, user_id: int, items: int, period: Period) -> None:
    ledger.execute(_sent_statement(), {"b_user_id": user_id, "b_period": period.key, "b_sent_at": utcnow(),
                                       "b_items": items})


def _mark_empty(ledger: Connection, user_id: int, period: Period, retry_id: int | None, now: datetime) -> bool:
    values = {"status": Status.EMPTY, "claimed_at": now, "lease_until": None, "next_attempt_at": None}
    if retry_id is None:
        return _insert_ignoring_clash(ledger, {"user_id": user_id, "period": period.key, **values})
    return ledger.execute(update(DigestDelivery).where(
        DigestDelivery.id == retry_id, _retryable(now)).values(**values)).rowcount == 1


def _finish(ledger: Connection, user_id: int, period: Period, **values) -> None:
    ledger.execute(update(DigestDelivery).where(
        DigestDelivery.user_id == user_id, DigestDelivery.period == period.key,
        DigestDelivery.status == Status.CLAIMED).values(
            attempts=DigestDelivery.attempts + 1, lease_until=None, **values))
    ledger.commit()


def build_message(rendered: RenderedDigest, user_id: int, period: Period, now: datetime) -> RawMessage:
    """The email as bytes for the wire (`rse.mail.mime`: the `email` package's generator cost more
    than selecting and rendering the digest)."""
    config = current_app.config
    domain = urlsplit(config["BASE_URL"]).hostname or "maillage.localhost"
    headers = [
        ("From", address(config["MAIL_FROM"])),
        ("To", address(rendered.to)),
        ("Subject", rendered.subject),
        ("Date", format_datetime(now)),
        ("Message-ID", make_msgid(idstring=f"digest.{period.key}.{user_id}", domain=domain)),
        ("Auto-Submitted", "auto-generated"),
        *rendered.headers.items(),
    ]
    return alternative(headers, rendered.text, rendered.html, sender=config["MAIL_FROM"], recipients=[rendered.to])


def transmit(connection, message: RawMessage) -> None:
    """Hand one message to the server (a seam: tests stop a run here)."""
    connection.send(message)


def send_digests(period_list: list[Period], *, now: datetime | None = None, user: User | None = None,
                 shard: tuple[int, int] = (0, 1), dry_run: bool = False, batch_size: int = BATCH) -> Report:
    """Send (or, dry, count) the digests of these periods: every person of the shard, or `user` alone."""
    now = now or utcnow()
    report = Report(dry_run=dry_run, periods=[p.key for p in period_list])
    only = user.id if user is not None else None
    # The record of sends goes through connections of its own (this one, and the sender's): committing
    # it per message leaves the objects the selection loaded alone (no expiry of a whole batch at every
    # message), and plain Core statements cost a fraction of ORM ones.
    with db.engine.connect() as ledger:
        try:
            for period in period_list:
                _send_period(ledger, period, now, only, shard, dry_run, batch_size, report)
        except ServerUnavailable as exc:
            log.warning("digest run stopped, the mail server is unavailable: %s", exc)
        finally:
            db.session.rollback()
    return report


def _send_period(ledger: Connection, period: Period, now, only, shard, dry_run, batch_size, report: Report) -> None:
    if not dry_run:
        _expire_leases(ledger, period, shard, now)
    db.session.rollback()  # read from here on what the ledger committed
    mine = DigestDelivery.user_id == only if only is not None else true()
    report.uncertain += _count(period, shard, mine, DigestDelivery.status == Status.UNCERTAIN)
    # Already handled (by an earlier run or another shard), or waiting for its next attempt.
    report.skipped += _count(period, shard, mine, or_(
        DigestDelivery.status.in_((Status.SENT, Status.EMPTY, Status.CLAIMED)),
        and_(DigestDelivery.status == Status.FAILED, or_(DigestDelivery.next_attempt_at.is_(None),
                                                        DigestDelivery.next_attempt_at > now))))
    if dry_run:
        _count_period(period, now, only, shard, batch_size, report)
        return
    batches = _rendered_batches(period, now, only, shard, batch_size)
    with _Sender(period, now, report) as sender:
        while not sender.stopped and (batch := next(batches, None)) is not None:
            sender.hand_over(batch)


def _count_period(period: Period, now: datetime, only, shard, batch_size: int, report: Report) -> None:
    """A dry run: what would be sent, counted."""
    for empties, outgoing, _retry_ids in _rendered_batches(period, now, only, shard, batch_size):
        report.empty += len(empties)
        report.sent += len(outgoing)


def _rendered_batches(period: Period, now: datetime, only, shard, batch_size: int) -> Iterator[Batch]:
    """The people still to consider, a batch at a time, selected and rendered."""
    after_id = 0
    window: Window | None = None
    fragments: dict = {}  # each entry rendered once in the run
    while batch := _candidates(period, shard, now, after_id, batch_size, only):
        after_id = batch[-1][0].id
        retry_ids = {u.id: retry_id for u, retry_id in batch}
        window = window or Window.read(period, now)  # once per run: what every batch draws from
        digests = select_digests([u for u, _r in batch], period, now, window)
        empties = [user_id for user_id, digest in digests.items() if digest.is_empty]
        outgoing = [(user_id, render(digest, fragments), digest.item_count)
                    for user_id, digest in digests.items() if not digest.is_empty]
        # End the read transaction: the next batch sees what the ledger committed (and SQLite's
        # snapshot never holds back its writer).
        db.session.rollback()
        yield Batch(empties, outgoing, retry_ids)


class Batch(NamedTuple):
    """A batch of people, selected and rendered, as it crosses to the sender."""

    empties: list[int]                                # people with nothing new: no email
    outgoing: list[tuple[int, RenderedDigest, int]]   # (person, their digest, its item count)
    retry_ids: dict[int, int | None]                  # person → id of the failed row to retry, if any


class _Sender:
    """Records and sends the batches of a run in a process of its own, in order, while this one
    selects and renders the next batch: the wait for the SMTP server's answers overlaps that work.

    A process rather than a thread: a thread back from an SMTP answer then waits for the GIL, up to
    the interpreter's switch interval (5 ms), four times a message while this process renders; and
    that interval is the whole process's, not a run's to change. Each person is still claimed just
    before their message leaves (see the module docstring); what was handed over but not sent when
    the run stops has no row, and goes at the next run.

    A context manager: leaving it normally waits until every batch handed over is sent and raises
    what stopped the sending, if anything; leaving it on an exception (a failure while selecting,
    Ctrl+C) lets the message in flight finish and sends nothing more, then lets it propagate."""

    def __init__(self, period: Period, now: datetime, report: Report):
        # Forked: the sender starts from the app as it is (configuration, loaded modules).
        context = multiprocessing.get_context("fork")
        self.report = report
        batches_in, self.batches = context.Pipe(duplex=False)
        self.events, events_out = context.Pipe(duplex=False)
        self.abandoned = context.Event()
        self.handed = self.taken = 0
        self.done = False
        self.error: Exception | None = None
        app = current_app._get_current_object()  # type: ignore[attr-defined]  # a LocalProxy typed as Flask
        self.process = context.Process(
            target=_serve, name="digest-sender", daemon=True,
            args=(app, period, now, batches_in, events_out, self.abandoned, (self.batches, self.events)))
        self.process.start()
        # Only the sender holds these ends now: its exit reads here as the end of the pipe.
        batches_in.close()
        events_out.close()

    def __enter__(self) -> _Sender:
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abandon()

    @property
    def stopped(self) -> bool:
        """The sending stopped (server unavailable, or a failure): select no more."""
        self._read_events(block=False)
        return self.error is not None or self.done

    def hand_over(self, batch: Batch) -> None:
        """Pass a batch on, once the sender has taken the previous one: one batch ahead at most."""
        while self.taken < self.handed and not self.done:
            self._read_events(block=True)
        if self.done:
            return
        try:
            self.batches.send(batch)
        except OSError:  # the sender is gone; close() says why
            self._read_events(block=True)
        else:
            self.handed += 1

    def close(self) -> None:
        """Wait until every batch handed over is sent; raise what stopped the sending, if anything."""
        self._finish()
        if self.error is not None:
            raise self.error

    def abandon(self) -> None:
        """The run failed: finish the message in flight, send nothing more."""
        self.abandoned.set()
        self._finish()
        if self.error is not None:
            log.warning("the digest sender had stopped too: %s", self.error)

    def _finish(self) -> None:
        # Closing our end is the sender's end of input; unlike a last message, it never lands in the
        # middle of a batch that Ctrl+C cut short.
        self.batches.close()
        while not self.done:
            self._read_events(block=True)
        self.events.close()
        self.process.join()

    def _read_events(self, *, block: bool) -> None:
        """What the sender said: a batch taken, the sending stopped, or its counts at the end."""
        while not self.done and (block or self.events.poll()):
            block = False
            try:
                event, value = self.events.recv()
            except EOFError:  # died without a word (killed): its claimed row becomes `uncertain`
                self.process.join()
                self.error = self.error or RuntimeError(f"the digest sender exited ({self.process.exitcode})")
                self.done = True
            else:
                self._on_event(event, value)

    def _on_event(self, event: str, value) -> None:
        if event == "taken":
            self.taken += 1
        elif event == "stopped":
            self.error = self.error or value
        elif event == "done":
            counts, error = value
            for name, count in counts.items():
                setattr(self.report, name, getattr(self.report, name) + count)
            self.error = self.error or error
            self.done = True


_COUNTS = ("sent", "empty", "failed", "skipped", "retry_later")  # what the sender adds to the report


def _serve(app, period: Period, now: datetime, batches: PipeConnection, events: PipeConnection, abandoned,
           inherited: tuple[PipeConnection, ...]) -> None:
    """The sender process: record and send each batch received until the run closes its end, then
    report its counts and what stopped it."""
    for end in inherited:  # the run's ends: without them here, the run's death reads as the end of the pipe
        end.close()
    # Ctrl+C reaches the whole process group: the run's process decides, and abandons between messages.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    report = Report()
    with app.app_context():
        db.engine.dispose(close=False)  # the pooled connections are the run's process's: open our own
        error = _send_received(period, now, batches, events, abandoned, report)
    with contextlib.suppress(OSError):  # the run's process is gone: nobody to report to
        events.send(("done", ({name: getattr(report, name) for name in _COUNTS}, _portable(error))))


def _send_received(period: Period, now: datetime, batches: PipeConnection, events: PipeConnection, abandoned,
                   report: Report) -> Exception | None:
    """Send each batch received until the end of input; what stopped the sending, if anything. Once
    stopped, it still takes every batch (never leaving the run's process blocked on a full pipe)."""
    error: Exception | None = None
    with contextlib.ExitStack() as stack:
        try:
            ledger = stack.enter_context(db.engine.connect())
            backend = backend_from_url(current_app.config["MAIL_URL"])
        except Exception as exc:  # nothing can be sent: say so at once
            error = _stop(events, exc)
        for batch in _received(batches):
            events.send(("taken", None))
            if error is not None or abandoned.is_set():
                if isinstance(error, ServerUnavailable):
                    report.retry_later += len(batch.outgoing)
                continue
            try:
                _send(ledger, backend, period, now, batch, report, abandoned.is_set)
            except Exception as exc:  # raised by the run's process
                error = _stop(events, exc)
    return error


def _received(batches: PipeConnection) -> Iterator[Batch]:
    """The batches as they arrive, until the run closes its end (or dies)."""
    while True:
        try:
            yield batches.recv()
        except EOFError:
            return


def _stop(events: PipeConnection, error: Exception) -> Exception:
    if not isinstance(error, ServerUnavailable):  # its traceback stays in this process: log it here
        log.error("digest sending failed", exc_info=error)
    events.send(("stopped", _portable(error)))
    return error


def _portable(error: Exception | None) -> Exception | None:
    """The exception itself if it can cross to the run's process, else its description."""
    if error is None:
        return None
    try:
        pickle.dumps(error)
    except Exception:  # whatever pickling raises: the description will do
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error


def _send(ledger: Connection, backend, period: Period, now: datetime, batch: Batch, report: Report,
          stop: Callable[[], bool]) -> None:
    empties, outgoing, retry_ids = batch
    for user_id in empties:
        if _mark_empty(ledger, user_id, period, retry_ids[user_id], now):
            report.empty += 1
        else:
            report.skipped += 1
    ledger.commit()
    if outgoing:
        _send_batch(ledger, backend, period, outgoing, retry_ids, now, report, stop=stop)


def _send_batch(ledger: Connection, backend, period: Period, outgoing, retry_ids, now, report: Report, *,
                stop=lambda: False) -> None:
    sent: tuple[int, int] | None = None  # handed over, recorded with the next claim or at the end
    try:
        with backend.connection() as connection:
            for position, (user_id, rendered, items) in enumerate(outgoing):
                if stop():
                    break
                claimed = _claim(ledger, user_id, period, retry_ids[user_id], now, sent)
                sent = None
                if not claimed:
                    report.skipped += 1  # an overlapping run or shard got there first
                    continue
                message = build_message(rendered, user_id, period, now)
                try:
                    transmit(connection, message)
                except PermanentMailError as exc:
                    log.warning("digest %s for user %s refused: %s", period.key, user_id, exc)
                    _finish(ledger, user_id, period, status=Status.FAILED, next_attempt_at=None, error=str(exc)[:500])
                    report.failed += 1
                except (OSError, smtplib.SMTPException) as exc:
                    _retry_later(ledger, user_id, period, str(exc) or type(exc).__name__, now)
                    report.failed += 1
                    report.retry_later += len(outgoing) - position
                    raise ServerUnavailable(str(exc)) from exc
                else:
                    sent = (user_id, items)
                    report.sent += 1
    except ServerUnavailable:
        raise
    except (OSError, smtplib.SMTPException) as exc:  # connecting, or closing the connection
        if report.retry_later == 0:
            report.retry_later += len(outgoing)
        raise ServerUnavailable(str(exc)) from exc
    finally:
        if sent is not None:  # the batch's last message (or one before the connection failed to close)
            _record_sent(ledger, *sent, period)
            ledger.commit()


def _retry_later(ledger: Connection, user_id: int, period: Period, error: str, now: datetime) -> None:
    attempts = (ledger.scalar(select(DigestDelivery.attempts).where(
        DigestDelivery.user_id == user_id, DigestDelivery.period == period.key)) or 0) + 1
    next_attempt = now + backoff(attempts) if attempts < MAX_ATTEMPTS else None
    _finish(ledger, user_id, period, status=Status.FAILED, next_attempt_at=next_attempt, error=error[:500])
