"""Helpers shared by the forms of every package, and the end of a page's unit of work."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, flash
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from rse.dbtypes import id_from_text
from rse.errors import DomainError
from rse.transactions import commit_with_retry, end_refused


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


def error_text(error: DomainError) -> str:
    """One line for a flash message: the field messages, else the error's own."""
    return " ".join(str(m) for m in (error.fields or {}).values()) or error.message


def run_work(work, *, propagate: tuple[int, ...] = (401, 404)) -> tuple[Any, DomainError | None]:
    """Run a unit of work and commit it: (its result, None), or (None, the refusal) once ended.

    The one place where pages end a change. A refusal the user may see (403, 409, 422, 503…) is
    returned for the caller to show; one that must keep the target hidden (401, 404, or the
    `propagate` statuses) goes on to the error page. A unit of work that clashes with a concurrent
    one is run again.
    """
    try:
        return commit_with_retry(work), None
    except DomainError as exc:
        end_refused(exc)
        if exc.status in propagate:
            raise
        return None, exc


def commit_work(work):
    """Run a unit of work and commit it; a refusal goes on to the error page (which rolls it back)."""
    return commit_with_retry(work)


def run_and_flash(work, *, success: str | None = None):
    """Run the state change of a button or small form: its result, or None with the refusal flashed."""
    result, refused = run_work(work)
    if refused is not None:
        flash(error_text(refused), "error")
        return None
    if success:
        flash(success, "success")
    return result


def submit(form: FlaskForm, work, *, names: dict[str, str] | None = None) -> tuple[Any, int]:
    """Run a form's unit of work: (result, 200), or (None, status) with the refusal shown on the form
    (`names`: the form's name of a field the service calls otherwise)."""
    result, refused = run_work(work)
    if refused is None:
        return result, 200
    apply_errors(form, refused, names)
    return None, refused.status


def attempt(work) -> tuple[str | None, int]:
    """Run a button's unit of work (CSRF checked first): (None, 200), or the refusal's message and status."""
    if not ActionForm().validate_on_submit():
        return _("Le formulaire a expiré. Rechargez la page et réessayez."), 400
    _result, refused = run_work(work)
    if refused is not None:
        return error_text(refused), refused.status
    return None, 200


def apply_errors(form: FlaskForm, error: DomainError, names: dict[str, str] | None = None) -> None:
    """Show a service's refusal on the form: each field's message beside it, the rest at the top."""
    for field, message in (error.fields or {}).items():
        target = getattr(form, (names or {}).get(field, field), None)
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
