"""Locale choice and French formatting helpers for templates."""

from flask import Flask, request
from flask_babel import format_date, format_datetime, get_locale
from flask_login import current_user


def select_locale() -> str:
    user = current_user if request else None
    if user is not None and getattr(user, "is_authenticated", False) and user.locale:
        return user.locale
    return request.accept_languages.best_match(["fr", "en"], default="fr") if request else "fr"


def init_app(app: Flask) -> None:
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.filters["date"] = lambda value, fmt="medium": format_date(value, fmt) if value else ""
    app.jinja_env.filters["datetime"] = lambda value, fmt="medium": format_datetime(value, fmt) if value else ""
