"""Locale choice and French formatting helpers for templates."""

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from babel import dates as babel_dates
from flask import Flask, current_app, g, request
from flask_babel import format_date, format_decimal, format_time, get_locale, get_translations, gettext
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
    return local_day(datetime.now(UTC))


def local_day(moment: datetime) -> date:
    """The day of this moment where the users are (RSE_TIMEZONE): from 23:00 UTC it is already the
    next day in Paris in winter."""
    return moment.astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def format_day(value: date | datetime | None) -> str:
    """A day as the whole product writes it, « 7 déc. 2026 » (a moment: its day in the user's zone)."""
    return format_date(value, "medium") if value else ""


def day_formatter() -> Callable[[date | datetime | None], str]:
    """format_day for a page that writes hundreds of days (a table): the locale and its pattern
    looked up once rather than once per day, and each day written once (a plan's actions share
    their dates). A moment still goes through format_day (its day in the user's zone)."""
    locale = get_locale()
    pattern = babel_dates.parse_pattern(babel_dates.get_date_format("medium", locale=locale))
    written: dict[date, str] = {}

    def day(value: date | datetime | None) -> str:
        if not value or isinstance(value, datetime):
            return format_day(value)
        if value not in written:
            written[value] = pattern.apply(value, locale)
        return written[value]

    return day


def format_moment(value: datetime | None) -> str:
    """A moment as the whole product writes it, « 7 déc. 2026 à 00:42 », in the user's time zone.

    One format in feeds, tables and emails alike; CLDR joins a date and a time with a comma, so
    the words between them are a message of their own.
    """
    if not value:
        return ""
    return gettext("%(day)s à %(time)s", day=format_date(value, "medium"), time=format_time(value, "short"))


def format_upcoming(value: datetime | None) -> str:
    """A moment of the coming days as one announces it: « mardi 8 décembre vers 7 h »."""
    if not value:
        return ""
    return gettext("%(day)s vers %(hour)s h", day=format_date(value, "EEEE d MMMM"), hour=format_time(value, "H"))


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
    app.jinja_env.globals["day_formatter"] = day_formatter
    app.jinja_env.filters["date"] = format_day  # no format argument: one way to write a date
    app.jinja_env.filters["datetime"] = format_moment
    app.jinja_env.filters["upcoming"] = format_upcoming
    app.jinja_env.filters["number"] = format_decimal  # 12 345 in French, 12,345 in English
