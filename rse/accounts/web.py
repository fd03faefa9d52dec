"""Signing a browser in and out (a server-side session behind Flask-Login's cookie), and work
that must wait until the response has gone."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

from flask import Flask, after_this_request, current_app
from flask_login import current_user, login_user, logout_user

from rse.database import db

from . import service
from .models import User

log = logging.getLogger(__name__)


def sign_in(user: User, *, remember: bool = False) -> None:
    """Open a web session for `user` and put its key in the cookie (the caller commits)."""
    service.open_session(user)
    login_user(user, remember=remember)


def sign_out() -> None:
    """End the current browser's session on the server, then clear its cookie (the caller commits)."""
    service.end_session(current_user._get_current_object())
    logout_user()


def after_response(work: Callable[..., None], *args) -> None:
    """Run `work(*args)` once the response has been sent, in its own app context and transaction,
    so that its time is not part of what the client measures (the server's WSGI close hook)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # a LocalProxy typed as Flask

    @after_this_request
    def defer(response):
        response.call_on_close(partial(_run_after_response, app, work, args))
        return response


def _run_after_response(app: Flask, work: Callable[..., None], args: tuple) -> None:
    with app.app_context():
        try:
            work(*args)
            db.session.commit()
        except Exception:  # the client has its answer already: log, never raise into the server
            db.session.rollback()
            log.exception("work after the response failed: %s", getattr(work, "__name__", work))
