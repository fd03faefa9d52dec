"""Locale choice and French formatting helpers for templates."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app, request
from flask_babel import format_date, format_datetime, format_decimal, get_locale
from flask_login import current_user

DEFAULT_LOCALE = "fr"


def select_locale() -> str:
    """A signed-in user's chosen language, French unless they chose otherwise.

    Only anonymous pages (login, invitation, password reset) follow the browser, so that a
    colleague whose browser happens to be set to English still sees the French product.
    """
    if not request:
        return DEFAULT_LOCALE
    if getattr(current_user, "is_authenticated", False):
        return current_user.locale or DEFAULT_LOCALE
    return request.accept_languages.best_match(["fr", "en"], default=DEFAULT_LOCALE)


def local_today() -> date:
    """Today where the users are (RSE_TIMEZONE), not where the server's clock is."""
    return datetime.now(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def init_app(app: Flask) -> None:
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["local_today"] = local_today
    app.jinja_env.filters["date"] = lambda value, fmt="medium": format_date(value, fmt) if value else ""
    app.jinja_env.filters["datetime"] = lambda value, fmt="medium": format_datetime(value, fmt) if value else ""
    app.jinja_env.filters["number"] = format_decimal  # 12 345 in French, 12,345 in English
