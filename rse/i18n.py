"""Locale choice and French formatting helpers for templates."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app, g, request
from flask_babel import format_date, format_datetime, format_decimal, get_locale, get_translations
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


def _translations():
    """The request's translations, looked up once per request and language.

    Flask-Babel's template callables look them up again for each string (some 20 µs, a hundred
    times a page); this keeps them in Flask-Babel's own per-request slot, which `force_locale`
    (an email in its reader's language) and `refresh` empty.
    """
    state = g.get("_flask_babel")
    translations = getattr(state, "babel_translations", None)
    if translations is None:
        translations = get_translations()
        state = g.get("_flask_babel")  # created by the lookup
        if state is not None:
            state.babel_translations = translations
    return translations


def init_app(app: Flask) -> None:
    """After Babel's init_app: the template helpers and its gettext callables, faster."""
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]  # added by the i18n extension
        gettext=lambda string: _translations().ugettext(string),
        ngettext=lambda singular, plural, n: _translations().ungettext(singular, plural, n),
        pgettext=lambda context, string: _translations().upgettext(context, string),
        npgettext=lambda context, singular, plural, n: _translations().unpgettext(context, singular, plural, n),
        newstyle=True,
    )
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["local_today"] = local_today
    app.jinja_env.filters["date"] = lambda value, fmt="medium": format_date(value, fmt) if value else ""
    app.jinja_env.filters["datetime"] = lambda value, fmt="medium": format_datetime(value, fmt) if value else ""
    app.jinja_env.filters["number"] = format_decimal  # 12 345 in French, 12,345 in English
