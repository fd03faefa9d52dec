"""The digest sender: a process of its own that records and sends a run's batches, one behind the
run's selecting and rendering (see `Sender`), and the email each digest becomes."""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import pickle
import signal
import smtplib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime, make_msgid
from multiprocessing.connection import Connection as PipeConnection
from typing import NamedTuple
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import Connection

from rse.database import commit_then, db
from rse.mail.backends import BeforeEnd, MessageAbandoned, NoAnswer, PermanentMailError, backend_from_url
from rse.mail.mime import RawMessage, address, alternative

from . import deliveries
from .periods import Period
from .rendering import RenderedDigest

log = logging.getLogger(__name__)


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


class Batch(NamedTuple):
    """A batch of people, selected and rendered, as it crosses to the sender."""

    empties: list[int]                                # people with nothing new: no email
    outgoing: list[tuple[int, RenderedDigest, int]]   # (person, their digest, its item count)
    retry_ids: dict[int, int | None]                  # person → id of the failed row to retry, if any


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


def transmit(connection, message: RawMessage, before_end: BeforeEnd) -> None:
    """Hand one message to the server, `before_end` called before its last line (a seam: tests stop
    a run here)."""
    connection.send(message, before_end)


class Sender:
    """Records and sends the batches of a run in a process of its own, in order, while this one
    selects and renders the next batch: the wait for the SMTP server's answers overlaps that work.

    A process rather than a thread: a thread back from an SMTP answer then waits for the GIL, up to
    the interpreter's switch interval (5 ms), four times a message while this process renders; and
    that interval is the whole process's, not a run's to change. Each person's row is still
    committed just before the last line of their message leaves (see `deliveries`); what was
    handed over but not sent when the run stops has no row, and goes at the next run.

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

    def __enter__(self) -> Sender:
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
            except EOFError:  # died without a word (killed): `deliveries` says what its rows mean
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


_COUNTS = ("sent", "empty", "failed", "uncertain", "skipped", "retry_later")  # what the sender adds to the report


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
        if deliveries.mark_empty(ledger, user_id, period, retry_ids[user_id], now):
            report.empty += 1
        else:
            report.skipped += 1
    ledger.commit()
    if outgoing:
        _send_batch(ledger, backend, period, outgoing, retry_ids, now, report, stop=stop)


def _send_batch(ledger: Connection, backend, period: Period, outgoing, retry_ids, now, report: Report, *,
                stop=lambda: False) -> None:
    """Send a batch over one connection (a new one after a message abandoned mid-way); stop at the
    first sign that the server is unavailable (`ServerUnavailable`), the rest left for a later run."""
    state = _BatchState(ledger, period, now, report)
    try:
        while state.position < len(outgoing) and not stop():
            with backend.connection() as connection:
                while state.position < len(outgoing) and not stop():
                    user_id, rendered, items = outgoing[state.position]
                    state.position += 1
                    if not state.send(connection, user_id, rendered, items, retry_ids[user_id]):
                        break  # abandoned mid-message: the connection is closed
    except (OSError, smtplib.SMTPException, ServerUnavailable) as exc:  # connecting, sending, or closing
        report.retry_later += len(outgoing) - state.position
        if isinstance(exc, ServerUnavailable):
            raise
        raise ServerUnavailable(str(exc)) from exc
    finally:
        state.record_answer()


class _BatchState:
    """A batch's progress, and the message the server accepted last, recorded with the next row
    committed (or at the end)."""

    def __init__(self, ledger: Connection, period: Period, now: datetime, report: Report):
        self.ledger, self.period, self.now, self.report = ledger, period, now, report
        self.position = 0
        self.answered: int | None = None

    def record_answer(self) -> None:
        if self.answered is not None:
            deliveries.record_sent(self.ledger, self.answered, self.period)
            self.ledger.commit()
            self.answered = None

    def send(self, connection, user_id: int, rendered: RenderedDigest, items: int, retry_id: int | None) -> bool:
        """Send one digest and record what came of it; False when it was abandoned (another run owns
        it) and the connection is closed. Raises `ServerUnavailable` to stop the run."""
        ledger, period, now, report = self.ledger, self.period, self.now, self.report
        handed = False

        def before_end(end) -> bool:
            nonlocal handed
            answered, self.answered = self.answered, None
            if not deliveries.hand_over(ledger, user_id, period, retry_id, now, items, answered):
                ledger.commit()
                return False
            handed = True  # from here, whatever happens to the send is this run's to record
            commit_then(ledger, end)  # the last line leaves as the row lands
            return True

        try:
            transmit(connection, build_message(rendered, user_id, period, now), before_end)
        except MessageAbandoned:
            report.skipped += 1  # an overlapping run or shard got there first
            return False
        except PermanentMailError as exc:
            log.warning("digest %s for user %s refused: %s", period.key, user_id, exc)
            deliveries.failed(ledger, user_id, period, retry_id, now, str(exc), permanent=True, handed=handed)
            report.failed += 1
        except NoAnswer as exc:
            deliveries.unanswered(ledger, user_id, period, str(exc))
            report.uncertain += 1
            raise ServerUnavailable(str(exc)) from exc
        except (OSError, smtplib.SMTPException) as exc:
            deliveries.failed(ledger, user_id, period, retry_id, now, str(exc) or type(exc).__name__,
                              permanent=False, handed=handed)
            report.failed += 1
            report.retry_later += 1
            raise ServerUnavailable(str(exc)) from exc
        else:
            self.answered = user_id
            report.sent += 1
        return True
