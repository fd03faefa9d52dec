"""Stream cards rendered once and reused: by the next reader, the next page, the next worker.

A card is stored under a key made of everything it is drawn from: the column values of its
activity, its publication or document, its author, its community and its suggestion, the run it
stands for, the reader's own state on it (liked or not), the name of the space a suggestion went
to as the reader may know it, the language and time zone, and the code and templates that draw
it. An edit, a new like or comment, a rename, a language change: each makes a new key, so a card
is never stale and nothing has to be deleted (rse/cache.py). Only cards the reader may read reach
this module (the stream's permission filters chose them); the cache never decides who sees what.

Nothing of one reader is stored. The two things of a card that belong to one request, the CSRF
token of its "J'aime" form and the page it comes back to, are drawn as markers and put in when
the card is shown. Cards about items of other kinds (an action of a plan) are drawn each time:
they read their plan and owner through relationships that a key of columns would not see.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from flask import after_this_request, request
from flask_babel import get_locale, get_timezone
from markupsafe import Markup, escape
from sqlalchemy import inspect

from rse import cache as shared_cache
from rse.web import current_path

ROOT = Path(__file__).resolve().parents[2]
CSRF_MARK = "<!--rse:csrf-->"  # never in user content: it is escaped, and sanitised HTML has no comments
NEXT_MARK = "<!--rse:next-->"


class _MarkerForm:
    """Stands for the request's form while a card is drawn for the cache: its token is a marker."""

    @staticmethod
    def csrf_token(**_attrs) -> Markup:
        return Markup(CSRF_MARK)


@cache
def code_version() -> str:
    """What draws a card, as one digest: the package, the templates, the catalogues, the icons."""
    digest = hashlib.sha256()
    paths = [*ROOT.joinpath("rse").rglob("*.py"), *ROOT.joinpath("templates").rglob("*.html"),
             *ROOT.joinpath("translations").rglob("*.mo"), ROOT / "static" / "img" / "icons.svg"]
    for path in sorted(p for p in paths if p.is_file()):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


_COLUMNS: dict[type, tuple[str, ...]] = {}


def _state(row) -> tuple | None:
    """The values of the row's columns."""
    if row is None:
        return None
    model = type(row)
    if model not in _COLUMNS:
        _COLUMNS[model] = tuple(column.key for column in inspect(model).column_attrs)
    return tuple(getattr(row, key) for key in _COLUMNS[model])


class Cards:
    """The cards of one page of a stream: read from the cache at once, the missing ones kept after
    they are drawn. Templates call `show(...)` and, when it gives nothing, `keep(..., drawn)`."""

    form = _MarkerForm()
    next = Markup(NEXT_MARK)

    def __init__(self, items: list, *, destinations: dict, show_community: bool, action_form) -> None:
        self.destinations = destinations
        self.show_community = show_community
        self._token = str(action_form.csrf_token(id=False)) if hasattr(action_form, "csrf_token") else ""
        self._next = str(escape(current_path()))
        self._keys = {self._slot(item, pinned): self._key(item, pinned)
                      for item, pinned in items if self.cacheable(item)}
        keys = list(self._keys.values())
        self._found = dict(zip(keys, shared_cache.get_many(keys), strict=True))
        self._drawn: dict[str, str] = {}

    @staticmethod
    def cacheable(item) -> bool:
        return item.subject is None

    @staticmethod
    def _slot(item, pinned: bool) -> tuple:
        return (id(item), pinned)

    def _key(self, item, pinned: bool) -> str:
        activity = item.activity
        destination = self.destinations.get(activity.community_id) if activity.community_id else None
        parts = (code_version(), str(get_locale()), str(get_timezone()), request.script_root,
                 pinned, self.show_community, item.liked, item.same_question,
                 destination.name if destination is not None else None,
                 _state(activity), _state(item.actor), _state(item.community), _state(item.publication),
                 _state(item.document), _state(item.suggestion), repr(item.run))
        return "card:" + hashlib.blake2b(repr(parts).encode(), digest_size=20).hexdigest()

    def _fill(self, html: str) -> Markup:
        return Markup(html.replace(CSRF_MARK, self._token).replace(NEXT_MARK, self._next))

    def show(self, item, pinned: bool = False) -> Markup | None:
        """The card from the cache, with this request's token and page put in; None when missing."""
        key = self._keys.get(self._slot(item, pinned))
        html = self._found.get(key) if key else None
        return self._fill(html) if html is not None else None

    def keep(self, item, drawn: str, pinned: bool = False) -> Markup:
        """A card just drawn with the markers: kept for later (when it may be), shown now."""
        key = self._keys.get(self._slot(item, pinned))
        if key is not None:
            if not self._drawn:
                after_this_request(self._store)
            self._drawn[key] = str(drawn)
        return self._fill(str(drawn))

    def _store(self, response):
        shared_cache.set_many(self._drawn)
        return response
