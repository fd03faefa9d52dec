"""Signing a browser in and out: a server-side session behind Flask-Login's cookie."""

from __future__ import annotations

from flask_login import current_user, login_user, logout_user

from . import service
from .models import User


def sign_in(user: User, *, remember: bool = False) -> None:
    """Open a web session for `user` and put its key in the cookie (the caller commits)."""
    service.open_session(user)
    login_user(user, remember=remember)


def sign_out() -> None:
    """End the current browser's session on the server, then clear its cookie (the caller commits)."""
    service.end_session(current_user._get_current_object())
    logout_user()
