"""A digest as an email: subject, plain text and HTML parts, and the one-click unsubscribe headers."""

from __future__ import annotations

from dataclasses import dataclass

from flask import render_template
from flask_babel import force_locale, format_date
from flask_babel import ngettext

from rse.urls import external_url

from .selection import Digest
from .service import unsubscribe_token


@dataclass
class RenderedDigest:
    to: str
    subject: str
    text: str
    html: str
    headers: dict[str, str]


def render(digest: Digest) -> RenderedDigest:
    user = digest.user
    unsubscribe = external_url("digest.unsubscribe", token=unsubscribe_token(user))
    with force_locale(user.locale or "fr"):
        count = digest.item_count
        subject = ngettext("Votre résumé Maillage : %(num)d nouveauté", "Votre résumé Maillage : %(num)d nouveautés",
                           count)
        context = {
            "digest": digest, "user": user, "subject": subject, "mail_lang": user.locale or "fr",
            "since": format_date(digest.since, "long"),
            "home": external_url("communities.home"),
            "preferences": external_url("digest.settings"),
            "unsubscribe": unsubscribe,
        }
        text = render_template("digest/email.txt", **context)
        html = render_template("digest/email.html", **context)
    headers = {
        # RFC 8058: a mail client may POST "List-Unsubscribe=One-Click" to the https link, without login.
        "List-Unsubscribe": f"<{unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": "Maillage digest <digest.maillage>",
        "Precedence": "bulk",
    }
    return RenderedDigest(user.email, subject, text, html, headers)
