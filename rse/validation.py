"""Checks shared by services: text fields, email addresses, passwords, URLs."""

from __future__ import annotations

import unicodedata
from typing import Any
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _

from rse.errors import ValidationError

PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 256


# Invisible characters that reorder the text around them: "‮fdp.exe" displays as "exe.pdf", and a
# title or a name carrying one reaches pages and email subjects disguised. Embeddings, overrides and
# isolates are refused in every text, bodies included (excerpts and subjects are cut from them).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# The direction marks only nudge neutral characters (legitimate in mixed Arabic or Hebrew prose), but
# in a single line of display text they serve nothing but disguise: refused there, kept in bodies.
BIDI_MARKS = frozenset("\u200e\u200f\u061c")


_NO_DIRECTION = dict.fromkeys(map(ord, BIDI_CONTROLS | BIDI_MARKS))


def without_direction_controls(value: str) -> str:
    """`value` with every direction control and mark taken out: for text leaving in an email
    header, which may come from rows written before they were refused."""
    return value.translate(_NO_DIRECTION)


def refuse_bidi_controls(value: str, field: str, *, multiline: bool = False) -> str:
    """`value` unchanged, or a ValidationError (code bidi_control) if it holds direction controls."""
    refused = BIDI_CONTROLS if multiline else BIDI_CONTROLS | BIDI_MARKS
    if not refused.isdisjoint(value):
        raise ValidationError(
            fields={field: _("Contient des caractères invisibles qui changent le sens d'écriture du texte.")},
            code="bidi_control")
    return value


def clean_text(value: Any, field: str, *, max_length: int, required: bool = False,
               multiline: bool = False) -> str:
    """A trimmed string without control or direction characters, or a ValidationError naming the field."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError(fields={field: _("Doit être un texte.")})
    value = value.strip()
    allowed = {"\n", "\r", "\t"} if multiline else set()
    if any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in value):
        raise ValidationError(fields={field: _("Contient des caractères non autorisés.")})
    refuse_bidi_controls(value, field, multiline=multiline)
    if required and not value:
        raise ValidationError(fields={field: _("Ce champ est obligatoire.")})
    if len(value) > max_length:
        raise ValidationError(fields={field: _("%(max)d caractères au maximum.", max=max_length)})
    return value


def normalize_email(value: Any, field: str = "email") -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(fields={field: _("Indiquez une adresse électronique.")})
    if len(value) > 254:
        raise ValidationError(fields={field: _("Adresse électronique trop longue.")})
    try:
        result = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError:
        raise ValidationError(fields={field: _("Adresse électronique invalide.")}) from None
    return result.normalized.lower()


def check_password(password: Any, *, email: str = "", field: str = "password") -> str:
    if not isinstance(password, str):
        raise ValidationError(fields={field: _("Doit être un texte.")})
    if len(password) < PASSWORD_MIN_LENGTH:
        raise ValidationError(fields={field: _("Au moins %(min)d caractères.", min=PASSWORD_MIN_LENGTH)})
    if len(password) > PASSWORD_MAX_LENGTH:
        raise ValidationError(fields={field: _("%(max)d caractères au maximum.", max=PASSWORD_MAX_LENGTH)})
    if len(set(password)) < 5 or (email and password.lower() == email.lower()):
        raise ValidationError(fields={field: _("Ce mot de passe est trop facile à deviner.")})
    return password


def clean_url(value: Any, field: str = "url") -> str:
    url = clean_text(value, field, max_length=2000, required=True)
    parts = urlsplit(url)
    if url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return url  # a link inside the platform ("/\\host" is another site to a browser)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValidationError(fields={field: _("Indiquez une adresse web commençant par https:// ou http://.")})
    return url


def one_of(value: Any, choices, field: str) -> str:
    if value not in tuple(choices):
        raise ValidationError(fields={field: _("Valeur non reconnue.")})
    return value
