"""Fragments of pages drawn once and reused: by the next reader, the next page, the next worker.

A fragment is kept (rse/cache.py) under a key made of everything it is drawn from: the values its
caller names (the column values of its rows, `row_state`, and any other input), the language,
the time zone and the code and templates that draw it. A change of any of them makes a new key, so
a fragment is never stale and nothing ever has to be deleted. The cache never decides who sees
what: a page asks for the fragments of what the permission layer already gave it.

A fragment holds nothing of one request or one reader beyond what its key names. What belongs to
the request is drawn as a marker and put in when the fragment is shown: the CSRF token of its forms
(drawn with `fragments.form`) and the page they come back to (`fragments.next`).

In a template: `{{ cards.show(slot) or cards.keep(slot, macro(..., cards.form)) }}` (Jinja's `or`
only draws the macro when the fragment is missing).
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from flask import after_this_request, request
from flask_babel import get_locale, get_timezone
from markupsafe import Markup, escape
from sqlalchemy import inspect

from rse import cache as shared_cache
from rse.web import current_path

ROOT = Path(__file__).resolve().parent.parent
CSRF_MARK = "<!--rse:csrf-->"  # never in user content: it is escaped, and sanitised HTML has no comments
NEXT_MARK = "<!--rse:next-->"
# Columns no fragment shows, left out of every key: a secret, and what changes at each sign-in
# (an author signing in would otherwise draw all their cards again).
_NOT_SHOWN = frozenset({"password_hash", "last_login_at"})
_COLUMNS: dict[type, tuple[str, ...]] = {}


class _MarkerForm:
    """Stands for the request's form while a fragment is drawn: its CSRF token is a marker."""

    @staticmethod
    def csrf_token(**_attrs) -> Markup:
        return Markup(CSRF_MARK)


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
    """The values of a row's columns (what a fragment drawn from the row may show), but `_NOT_SHOWN`."""
    if row is None:
        return None
    model = type(row)
    if model not in _COLUMNS:
        _COLUMNS[model] = tuple(column.key for column in inspect(model).column_attrs if column.key not in _NOT_SHOWN)
    return tuple(getattr(row, key) for key in _COLUMNS[model])


def key(kind: str, parts: tuple) -> str:
    drawn_with = (code_version(), str(get_locale()), str(get_timezone()), request.script_root)
    return f"{kind}:" + hashlib.blake2b(repr((drawn_with, parts)).encode(), digest_size=20).hexdigest()


class Fragments:
    """The fragments of one kind on one page, read from the cache at once (one round trip); those
    missing are kept after the response is made. `parts`: by slot (any name the page uses), the
    values the fragment is drawn from; a slot left out is drawn each time. `action_form`: the
    request's form whose CSRF token replaces the marker of `form`."""

    form = _MarkerForm()
    next = Markup(NEXT_MARK)

    def __init__(self, kind: str, parts: Mapping[Any, tuple], action_form=None) -> None:
        self._token = str(action_form.csrf_token(id=False)) if hasattr(action_form, "csrf_token") else ""
        self._next: str | None = None
        self._keys = {slot: key(kind, values) for slot, values in parts.items()}
        keys = list(self._keys.values())
        self._found = dict(zip(keys, shared_cache.get_many(keys), strict=True))
        self._drawn: dict[str, str] = {}

    def _fill(self, html: str) -> str:
        if CSRF_MARK in html:
            html = html.replace(CSRF_MARK, self._token)
        if NEXT_MARK in html:
            if self._next is None:
                self._next = str(escape(current_path()))
            html = html.replace(NEXT_MARK, self._next)
        return html

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
