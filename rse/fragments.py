"""Fragments of pages drawn once and reused: by the next reader, the next page, the next worker.

A fragment is kept (rse/cache.py) under a key made of everything it is drawn from: the values its
caller names (the column values of its rows, `row_state`, and any other input), the language,
the time zone and the code and templates that draw it. A change of any of them makes a new key, so
a fragment is never stale and nothing ever has to be deleted. The cache never decides who sees
what: a page asks for the fragments of what the permission layer already gave it.

A fragment holds nothing of one request or one reader beyond what its key names; what belongs to
the request (a CSRF token) is drawn as a marker and put in by `fill` when the fragment is shown.

In a template: `{{ cards.show(slot) or cards.keep(slot, macro(...)) }}` (Jinja's `or` only draws
the macro when the fragment is missing).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from flask import after_this_request, request
from flask_babel import get_locale, get_timezone
from markupsafe import Markup
from sqlalchemy import inspect

from rse import cache as shared_cache

ROOT = Path(__file__).resolve().parent.parent
_COLUMNS: dict[type, tuple[str, ...]] = {}


@cache
def code_version() -> str:
    """What draws a fragment, as one digest: the package, the templates, the catalogues, the icons."""
    digest = hashlib.sha256()
    paths = [*ROOT.joinpath("rse").rglob("*.py"), *ROOT.joinpath("templates").rglob("*.html"),
             *ROOT.joinpath("translations").rglob("*.mo"), ROOT / "static" / "img" / "icons.svg"]
    for path in sorted(p for p in paths if p.is_file()):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def row_state(row) -> tuple | None:
    """The values of a row's columns (what a fragment drawn from the row may show)."""
    if row is None:
        return None
    model = type(row)
    if model not in _COLUMNS:
        _COLUMNS[model] = tuple(column.key for column in inspect(model).column_attrs)
    return tuple(getattr(row, key) for key in _COLUMNS[model])


def key(kind: str, parts: tuple) -> str:
    drawn_with = (code_version(), str(get_locale()), str(get_timezone()), request.script_root)
    return f"{kind}:" + hashlib.blake2b(repr((drawn_with, parts)).encode(), digest_size=20).hexdigest()


class Fragments:
    """The fragments of one kind on one page, read from the cache at once (one round trip); those
    missing are kept after the response is made. `parts`: by slot (any name the page uses), the
    values the fragment is drawn from; a slot left out is drawn each time."""

    def __init__(self, kind: str, parts: Mapping[Any, tuple], fill: Callable[[str], str] = str) -> None:
        self._fill = fill
        self._keys = {slot: key(kind, values) for slot, values in parts.items()}
        keys = list(self._keys.values())
        self._found = dict(zip(keys, shared_cache.get_many(keys), strict=True))
        self._drawn: dict[str, str] = {}

    def show(self, slot: Hashable) -> Markup | None:
        """The fragment from the cache (filled in), or None when it is missing."""
        found = self._found.get(self._keys.get(slot, ""))
        return Markup(self._fill(found)) if found is not None else None

    def keep(self, slot: Hashable, drawn: str) -> Markup:
        """A fragment just drawn: kept for later (when its slot has a key), shown now (filled in)."""
        fragment_key = self._keys.get(slot)
        if fragment_key is not None:
            if not self._drawn:
                after_this_request(self._store)
            self._drawn[fragment_key] = str(drawn)
        return Markup(self._fill(str(drawn)))

    def _store(self, response):
        shared_cache.set_many(self._drawn)
        return response
