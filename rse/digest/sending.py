"""Sending the digests of a period: at most once per person, in batches, over one SMTP connection per batch.

A run settles the sends of runs that died (`deliveries`), then selects and renders the people
still to be sent, a batch at a time, while a sender process of its own (`sender.Sender`) sends and
records the previous batch: the SMTP server's answers are waited for beside that work.
What each outcome leaves in the record, and why nothing is sent twice, is in `deliveries`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, or_, true

from rse.accounts.models import User
from rse.database import db
from rse.dbtypes import utcnow

from . import deliveries, periods
from .models import DigestDelivery, Frequency, Status
from .periods import Period
from .rendering import render
from .selection import select_digests
from .sender import Batch, Report, Sender, ServerUnavailable
from .window import Window

log = logging.getLogger(__name__)

BATCH = 100


def periods_due(now: datetime, *, weekday: int, tz: ZoneInfo) -> list[Period]:
    """Each run: today's period for daily subscribers, and this week's from the configured weekday on
    (a run missed on that day, or retries due later in the week, still reach the week's digest; people
    who had it are skipped by their delivery row)."""
    due = [periods.current(Frequency.DAILY, now, tz)]
    if now.astimezone(tz).weekday() >= weekday:
        due.append(periods.current(Frequency.WEEKLY, now, tz))
    return due


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
        deliveries.settle_unanswered(ledger, period, shard)
    db.session.rollback()  # read from here on what the ledger committed
    mine = DigestDelivery.user_id == only if only is not None else true()
    report.uncertain += deliveries.count(period, shard, mine, DigestDelivery.status == Status.UNCERTAIN)
    # Already handled (by an earlier run or another shard), or waiting for its next attempt.
    report.skipped += deliveries.count(period, shard, mine, or_(
        DigestDelivery.status.in_((Status.SENT, Status.EMPTY, Status.CLAIMED)),
        and_(DigestDelivery.status == Status.FAILED, or_(DigestDelivery.next_attempt_at.is_(None),
                                                        DigestDelivery.next_attempt_at > now))))
    if dry_run:
        _count_period(period, now, only, shard, batch_size, report)
        return
    batches = _rendered_batches(period, now, only, shard, batch_size)
    with Sender(period, now, report) as sender:
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
    while batch := deliveries.candidates(period, shard, now, after_id, batch_size, only):
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
