"""Helpers shared by the forms of every package."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app, flash
from flask_wtf import FlaskForm

from rse.database import db
from rse.dbtypes import id_from_text
from rse.errors import DomainError, ValidationError


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


def error_text(error: DomainError) -> str:
    """One line for a flash message: the field messages, else the error's own."""
    return " ".join(str(m) for m in (error.fields or {}).values()) or error.message


def run_and_flash(work, *, success: str | None = None):
    """Run the state change of a button or small form: commit it, or roll back and flash why not.

    A refusal the user may see (403, 409, 422, 503…) becomes a flash message and None is
    returned; one that must keep the target hidden (401, 404) propagates. Retries a unit of work
    that clashes with a concurrent one.
    """
    from rse.transactions import commit_with_retry

    try:
        result = commit_with_retry(work)
    except DomainError as exc:
        if exc.status in (401, 404):
            raise
        db.session.rollback()
        flash(error_text(exc), "error")
        return None
    if success:
        flash(success, "success")
    return result


def apply_errors(form: FlaskForm, error: ValidationError) -> None:
    """Show a service's ValidationError on the form's fields (or at the top)."""
    for field, message in (error.fields or {}).items():
        target = getattr(form, field, None)
        if target is not None and hasattr(target, "errors"):
            target.errors = list(target.errors) + [message]
        else:
            form.form_errors.append(message)
    if not error.fields:
        form.form_errors.append(error.message)


def end_of_day(day: date | None) -> datetime | None:
    """A date picked in a form means the end of that day, local time, as UTC."""
    if day is None:
        return None
    local = datetime.combine(day, time(23, 59, 59), tzinfo=ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"]))
    return local.astimezone(UTC)


def form_id(raw: str | None) -> int | None:
    """A row id read from a form or query value ("42"), or None if it cannot be one."""
    return None if raw is None else id_from_text(raw)


# The last page a listed page may ask for: beyond it nobody is reading, and offsets stay small.
MAX_PAGE = 10_000


def page_number(raw: str | None) -> int:
    """The page asked for in a query string ("3"); the first page for anything that is not a page
    number from 1 to MAX_PAGE (pages ignore odd values in their links, as their filters do)."""
    if raw is None or not raw.isascii() or not raw.isdecimal() or len(raw) > 5 or not 1 <= int(raw) <= MAX_PAGE:
        return 1
    return int(raw)
