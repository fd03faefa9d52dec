"""A digest as an email: subject, plain text and HTML parts, and the one-click unsubscribe headers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import force_locale, get_translations, ngettext
from jinja2 import Environment

from rse.i18n import format_day
from rse.urls import external_url

from .entries import Digest
from .service import unsubscribe_token

NEWCOMERS_SHOWN = 10  # names of a community's new members; the others are counted


@dataclass
class RenderedDigest:
    to: str
    subject: str
    text: str
    html: str
    headers: dict[str, str]


def email_environment(locale: str) -> Environment:
    """The app's templates with gettext bound to one locale's catalogue, made once per locale.

    Flask-Babel looks the catalogue up on every call, and a digest makes hundreds of them. This is
    an environment of its own (an overlay would share the app's globals, and binding gettext there
    would fix the language of every page)."""
    environments = current_app.extensions.setdefault("rse_email_environments", {})
    environment = environments.get(locale)
    if environment is None:
        with force_locale(locale):
            translations = get_translations()
        app_environment = current_app.jinja_env
        environment = Environment(loader=app_environment.loader, autoescape=current_app.select_jinja_autoescape,
                                  extensions=["jinja2.ext.i18n"], auto_reload=app_environment.auto_reload)
        environment.filters.update(app_environment.filters)
        environment.globals.update(app_environment.globals)
        environment.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]  # added by the i18n extension
        environments[locale] = environment
    return environment


def _entry_renderer(environment: Environment, template: str, locale: str, fragments: dict,
                    reader_id: int) -> Callable:
    """The entry macro of `template`, remembering what it rendered in `fragments`. An entry renders
    the same for every reader of a run (what is per person, its note and whether the reader wrote
    it, is part of the key), and a community's new items are in hundreds of digests."""
    module: Any = environment.get_template(template).module  # a template's macros are its module's attributes
    macro = module.entry

    def entry(e, show_community: bool = True):
        show_author = e.author_id is None or e.author_id != reader_id
        key = (template, locale, e.key, e.note, show_community, show_author)
        fragment = fragments.get(key)
        if fragment is None:
            fragment = fragments[key] = macro(e, show_community=show_community, show_author=show_author)
        return fragment

    return entry


def render(digest: Digest, fragments: dict | None = None) -> RenderedDigest:
    """The email of a digest. A run passes the same `fragments` to every render: its entries are
    rendered once (the items, counters and settings must not change meanwhile: one run, no more)."""
    user = digest.user
    unsubscribe = external_url("digest.unsubscribe", token=unsubscribe_token(user))
    locale = user.locale or "fr"
    environment = email_environment(locale)
    fragments = {} if fragments is None else fragments
    with force_locale(locale):
        count = digest.item_count
        subject = ngettext("Votre résumé Maillage : %(num)d nouveauté", "Votre résumé Maillage : %(num)d nouveautés",
                           count)
        context = {
            "digest": digest, "user": user, "subject": subject, "mail_lang": user.locale or "fr",
            "since": format_day(digest.since),
            "home": external_url("communities.home"),
            "preferences": external_url("digest.settings"),
            "unsubscribe": unsubscribe,
            "names_shown": NEWCOMERS_SHOWN,
            "entry_text": _entry_renderer(environment, "digest/_entry.txt", locale, fragments, user.id),
            "entry_html": _entry_renderer(environment, "digest/_entry.html", locale, fragments, user.id),
        }
        text = environment.get_template("digest/email.txt").render(context)
        html = environment.get_template("digest/email.html").render(context)
    headers = {
        # RFC 8058: a mail client may POST "List-Unsubscribe=One-Click" to the https link, without login.
        "List-Unsubscribe": f"<{unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": "Maillage digest <digest.maillage>",
        "Precedence": "bulk",
    }
    return RenderedDigest(user.email, subject, text, html, headers)
