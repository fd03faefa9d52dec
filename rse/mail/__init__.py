"""Outgoing email: queued in the outbox inside the transaction, delivered after commit."""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta
from email.utils import format_datetime, make_msgid
from urllib.parse import urlsplit

import click
from flask import Flask, current_app, render_template
from flask_babel import get_locale
from sqlalchemy import func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from rse import aftercommit
from rse.database import commit_then, db, rowcount
from rse.dbtypes import utcnow
from rse.validation import without_direction_controls

from .backends import MessageAbandoned, NoAnswer, PermanentMailError, backend_from_url
from .mime import RawMessage, address, alternative, plain
from .models import OutboundEmail

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


def queue_email(*, kind: str, to: str, subject: str, text: str, html: str | None = None,
                headers: dict | None = None) -> OutboundEmail:
    """Write an email to the outbox; it leaves only if the transaction commits."""
    # Titles and names in subjects are refused with direction controls now; older rows may hold some.
    row = OutboundEmail(kind=kind, recipient=to, subject=without_direction_controls(subject),
                        text_body=text, html_body=html, headers=headers or {})
    db.session.add(row)
    db.session.flush()
    aftercommit.schedule(db.session(), "mail", [row.id])
    return row


def queue_templated(kind: str, to: str, subject: str, template: str, **context) -> OutboundEmail:
    """Queue an email rendered from templates/mail/<template>.txt and .html."""
    context.setdefault("subject", subject)
    context.setdefault("mail_lang", str(get_locale() or "fr"))
    text = render_template(f"mail/{template}.txt", **context)
    html = render_template(f"mail/{template}.html", **context)
    return queue_email(kind=kind, to=to, subject=subject, text=text, html=html)


def build_message(row: OutboundEmail, mail_from: str, domain: str) -> RawMessage:
    """An outbox row as bytes for the wire, through `mime` (which keeps every space of a subject)."""
    headers = [
        ("From", address(mail_from)),
        ("To", address(row.recipient)),
        ("Subject", row.subject),
        ("Date", format_datetime(row.created_at)),
        ("Message-ID", make_msgid(idstring=f"rse{row.id}", domain=domain)),
        ("Auto-Submitted", "auto-generated"),
        *(row.headers or {}).items(),
    ]
    if row.html_body:
        return alternative(headers, row.text_body, row.html_body, sender=mail_from, recipients=[row.recipient])
    return plain(headers, row.text_body, sender=mail_from, recipients=[row.recipient])


def deliver_pending(ids: list[int] | None = None, *, limit: int = 200, now: bool = False) -> dict[str, int]:
    """Send due emails from the outbox (every waiting one with `now`), over one connection; returns
    counts by outcome.

    Each row is marked sent, and committed, just before the last line of its message leaves (see
    `rse.mail.backends`): a sender killed before that leaves the row waiting and nothing on the
    server; one killed after it leaves the row sent, as the server has it. Two senders draining
    the same rows each compose the message, and the one whose mark lands first sends it; the other
    abandons its copy mid-way. No lease: after a crash, the next run sends what waits at once."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # a LocalProxy typed as Flask
    counts = {"sent": 0, "failed": 0, "retry": 0, "uncertain": 0}
    with Session(db.engine, expire_on_commit=False) as session:
        query = select(OutboundEmail).where(OutboundEmail.sent_at.is_(None), OutboundEmail.failed_at.is_(None))
        if not now:
            query = query.where(OutboundEmail.next_attempt_at <= utcnow())
        if ids is not None:
            query = query.where(OutboundEmail.id.in_(ids))
        rows = list(session.scalars(query.order_by(OutboundEmail.id).limit(limit)))
        session.commit()
        if not rows:
            return counts
        domain = urlsplit(app.config["BASE_URL"]).hostname or "maillage.localhost"
        backend = backend_from_url(app.config["MAIL_URL"])
        position = 0
        try:
            while position < len(rows):
                with backend.connection() as connection:
                    while position < len(rows):
                        row = rows[position]
                        position += 1
                        message = build_message(row, app.config["MAIL_FROM"], domain)
                        if not _send_one(session, connection, row, message, counts):
                            break  # abandoned mid-message: the connection is closed
        except (OSError, smtplib.SMTPException) as exc:
            # A failed connection is an attempt too, for every email it was to carry.
            error = str(exc) or type(exc).__name__
            log.warning("mail server unavailable, %d email(s) kept for later: %s", len(rows) - position, error)
            for row in rows[position:]:
                _retry_later(session, row, error, counted=False)
            counts["retry"] += len(rows) - position
    return counts


def _send_one(session: Session, connection, row: OutboundEmail, message: RawMessage, counts: dict[str, int]) -> bool:
    """Send one email and record what came of it; False when another sender owns it (the connection
    is then closed). A failure of the server propagates once this row's retry is set."""
    handed = False

    def before_end(end) -> bool:
        at = utcnow()
        owned = rowcount(session.execute(
            update(OutboundEmail)
            .where(OutboundEmail.id == row.id, OutboundEmail.sent_at.is_(None), OutboundEmail.failed_at.is_(None))
            .values(sent_at=at, attempts=OutboundEmail.attempts + 1, last_error=""))) == 1
        if not owned:
            session.commit()
            return False

        nonlocal handed
        handed = True
        _remember(row, sent_at=at, attempts=row.attempts + 1)
        commit_then(session, end)  # the last line leaves as the record lands
        return True

    try:
        connection.send(message, before_end)
    except MessageAbandoned:
        return False
    except PermanentMailError as exc:
        log.warning("email %s to %s refused: %s", row.id, row.recipient, exc)
        _record(session, row, sent_at=None, failed_at=utcnow(), last_error=str(exc)[:500],
                attempts=row.attempts if handed else row.attempts + 1)
        counts["failed"] += 1
    except NoAnswer as exc:  # the server may have it: counted as sent, never sent again
        _record(session, row, last_error=str(exc)[:500])
        counts["uncertain"] += 1
        raise smtplib.SMTPServerDisconnected(str(exc)) from exc
    except (OSError, smtplib.SMTPException) as exc:
        _retry_later(session, row, str(exc) or type(exc).__name__, counted=handed)
        counts["retry"] += 1
        raise
    else:
        counts["sent"] += 1
    return True


def _record(session: Session, row: OutboundEmail, **values) -> None:
    session.execute(update(OutboundEmail).where(OutboundEmail.id == row.id).values(**values))
    session.commit()
    _remember(row, **values)


def _remember(row: OutboundEmail, **values) -> None:
    """What the row now holds in the database, on the object (not a change for the session to flush)."""
    for name, value in values.items():
        set_committed_value(row, name, value)


def _retry_later(session: Session, row: OutboundEmail, error: str, *, counted: bool) -> None:
    """Another try 2, 4, 8… minutes after this attempt (`counted`: at its hand-over already), or
    refused for good after `MAX_ATTEMPTS`."""
    attempts = row.attempts if counted else row.attempts + 1
    values: dict = {"attempts": attempts, "last_error": error[:500], "sent_at": None}
    if attempts >= MAX_ATTEMPTS:
        values["failed_at"] = utcnow()
    else:
        values["next_attempt_at"] = utcnow() + timedelta(minutes=2 ** attempts)
    _record(session, row, **values)


def _deliver_after_commit(ids: list[int]) -> None:
    try:
        deliver_pending(ids)
    except Exception:  # never let delivery break the request that already committed
        log.exception("delivery of emails %s failed; they stay in the outbox", ids)


@click.group("mail", help="Outgoing email.")
def mail_cli() -> None:
    pass


@mail_cli.command("send", help="Send the emails waiting in the outbox whose time has come (retries included).")
@click.option("--now", "now", is_flag=True,
              help="Also those waiting for their next attempt: send every waiting email now.")
def send_command(now: bool) -> None:
    total = {"sent": 0, "failed": 0, "retry": 0, "uncertain": 0}
    try:
        while True:
            counts = deliver_pending(now=now)
            for key, value in counts.items():
                total[key] += value
            if not any(counts.values()) or counts["retry"]:
                break
    except SQLAlchemyError as exc:
        _echo_totals(total)
        raise click.ClickException(f"the database is unavailable ({type(exc).__name__}): nothing is lost, "
                                   "the next run sends what waits") from exc
    _echo_totals(total)
    waiting, next_attempt = db.session.execute(
        select(func.count(), func.min(OutboundEmail.next_attempt_at))
        .where(OutboundEmail.sent_at.is_(None), OutboundEmail.failed_at.is_(None))).one()
    if waiting:
        when = max(next_attempt - utcnow(), timedelta(0))
        click.echo(f"waiting {waiting}: the next attempt at {next_attempt:%Y-%m-%d %H:%M:%S} UTC "
                   f"(in {int(when.total_seconds() // 60)} min {int(when.total_seconds() % 60)} s); "
                   "`flask mail send --now` sends them now")


def _echo_totals(total: dict[str, int]) -> None:
    click.echo(f"sent {total['sent']}, refused {total['failed']}, to retry {total['retry']}"
               + (f", no answer {total['uncertain']} (counted as sent)" if total["uncertain"] else ""))


def init_app(app: Flask) -> None:
    from rse.web import register_health_check

    aftercommit.register("mail", _deliver_after_commit)
    register_health_check(app, "mail", lambda: backend_from_url(app.config["MAIL_URL"]).check())
    app.cli.add_command(mail_cli)
