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
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from rse import aftercommit
from rse.database import db, rowcount
from rse.dbtypes import utcnow
from rse.validation import without_direction_controls

from .backends import PermanentMailError, backend_from_url
from .mime import RawMessage, address, alternative, plain
from .models import OutboundEmail

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
LEASE = timedelta(minutes=5)


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


def deliver_pending(ids: list[int] | None = None, *, limit: int = 200) -> dict[str, int]:
    """Send due emails from the outbox over one connection; returns counts by outcome."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # a LocalProxy typed as Flask
    counts = {"sent": 0, "failed": 0, "retry": 0}
    with Session(db.engine) as session:
        now = utcnow()
        query = select(OutboundEmail.id).where(
            OutboundEmail.sent_at.is_(None), OutboundEmail.failed_at.is_(None),
            OutboundEmail.next_attempt_at <= now,
        ).order_by(OutboundEmail.id).limit(limit)
        if ids is not None:
            query = query.where(OutboundEmail.id.in_(ids))
        candidates = list(session.scalars(query))
        if not candidates:
            return counts
        claimed = []
        for mail_id in candidates:
            # A lease: another worker draining the outbox at the same time skips this row.
            result = session.execute(
                update(OutboundEmail)
                .where(OutboundEmail.id == mail_id, OutboundEmail.sent_at.is_(None),
                       OutboundEmail.next_attempt_at <= now)
                .values(next_attempt_at=now + LEASE)
            )
            if rowcount(result) == 1:
                claimed.append(mail_id)
        session.commit()
        rows = list(session.scalars(select(OutboundEmail).where(OutboundEmail.id.in_(claimed))))
        domain = urlsplit(app.config["BASE_URL"]).hostname or "maillage.localhost"
        backend = backend_from_url(app.config["MAIL_URL"])
        try:
            with backend.connection() as connection:
                for row in rows:
                    row.attempts += 1
                    try:
                        connection.send(build_message(row, app.config["MAIL_FROM"], domain))
                    except PermanentMailError as exc:
                        row.failed_at, row.last_error = utcnow(), str(exc)[:500]
                        counts["failed"] += 1
                        log.warning("email %s to %s refused: %s", row.id, row.recipient, exc)
                    else:
                        row.sent_at = utcnow()
                        counts["sent"] += 1
                    session.commit()
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("mail server unavailable, %d email(s) kept for later: %s",
                        sum(1 for r in rows if r.sent_at is None and r.failed_at is None), exc)
            for row in rows:
                if row.sent_at is None and row.failed_at is None:
                    _schedule_retry(row, str(exc))
                    counts["retry"] += 1
            session.commit()
    return counts


def _schedule_retry(row: OutboundEmail, error: str) -> None:
    row.last_error = error[:500]
    if row.attempts >= MAX_ATTEMPTS:
        row.failed_at = utcnow()
        return
    row.attempts = max(row.attempts, 1)
    row.next_attempt_at = utcnow() + timedelta(minutes=2 ** row.attempts)


def _deliver_after_commit(ids: list[int]) -> None:
    try:
        deliver_pending(ids)
    except Exception:  # never let delivery break the request that already committed
        log.exception("delivery of emails %s failed; they stay in the outbox", ids)


@click.group("mail", help="Outgoing email.")
def mail_cli() -> None:
    pass


@mail_cli.command("send", help="Send the emails waiting in the outbox (retries included).")
def send_command() -> None:
    total = {"sent": 0, "failed": 0, "retry": 0}
    while True:
        counts = deliver_pending()
        for key, value in counts.items():
            total[key] += value
        if not any(counts.values()) or counts["retry"]:
            break
    click.echo(f"sent {total['sent']}, refused {total['failed']}, to retry {total['retry']}")


def init_app(app: Flask) -> None:
    from rse.web import register_health_check

    aftercommit.register("mail", _deliver_after_commit)
    register_health_check(app, "mail", lambda: backend_from_url(app.config["MAIL_URL"]).check())
    app.cli.add_command(mail_cli)
