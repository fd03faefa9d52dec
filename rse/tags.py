"""Free tags: kept as first typed, matched with case and accents folded."""

from __future__ import annotations

import unicodedata
from typing import Any

from flask_babel import gettext as _

from rse.errors import ValidationError
from rse.validation import refuse_bidi_controls

MAX_TAGS = 20
MAX_TAG_LENGTH = 50


def fold(value: str) -> str:
    """The matching form of a word: lower case, no accents ("Hygiène" → "hygiene")."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def clean_tags(value: Any, field: str = "tags") -> list[str]:
    """A list of distinct tags from a list or a comma-separated string."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise ValidationError(fields={field: _("Une liste de mots-clés est attendue.")})
    tags, seen = [], set()
    for raw in value:
        tag = " ".join(raw.replace("#", " ").split())
        if not tag:
            continue
        refuse_bidi_controls(tag, field)  # before the message below, which shows the tag
        if len(tag) > MAX_TAG_LENGTH or any(unicodedata.category(ch) == "Cc" for ch in tag):
            raise ValidationError(fields={field: _("Mot-clé trop long ou invalide : %(tag)s", tag=tag[:60])})
        key = fold(tag)
        if key not in seen:
            seen.add(key)
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise ValidationError(fields={field: _("%(max)d mots-clés au maximum.", max=MAX_TAGS)})
    return tags
