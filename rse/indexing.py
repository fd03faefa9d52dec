"""What a searchable item looks like, and how features hand theirs to search.

Search sits above every feature and knows none of them. Each feature registers a
*source* (how to load its items by id, list them all, and check who may read them now)
and *watches* its models: when a watched row is added, changed or deleted, search
writes an outbox row in the same transaction and later asks the source for the
item's current state. The features import only this module.

Who may find an item is written on the item as *scopes*, tokens that the reader's
audience must share (see `content_scope` and its siblings): the engines filter on
them at query time, and the source's `visible` check confirms each hit against the
permission layer before it is shown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# The kinds of results, in the order the search page lists them.
KINDS = ("publication", "wiki", "comment", "document", "action", "community", "person")

# Who may find what: a reader's audience is the set of these tokens they hold.
EVERY_STAFF_MEMBER = "people:*"


def content_scope(community_id: int) -> str:
    """Items whose content is read in a community (publications, comments, documents)."""
    return f"content:{community_id}"


def listing_scope(community_id: int) -> str:
    """The community itself: its name and description, seen by whoever may know it exists."""
    return f"listing:{community_id}"


def people_scope(community_id: int) -> str:
    """A person, for the partners who share this community with them."""
    return f"people:{community_id}"


def self_scope(user_id: int) -> str:
    """A person, for themselves."""
    return f"user:{user_id}"


@dataclass(frozen=True)
class SearchItem:
    """One searchable thing, in the words of search: fields weighted by `rse.search.fields`."""

    source: str                 # the registered source that loads it ("publication", "document"...)
    id: int                     # its id in that source
    kind: str                   # one of KINDS: what the reader filters on
    scopes: tuple[str, ...]     # who may find it (see above)
    url: str                    # path of its page, e.g. "/publications/12"
    date: datetime              # aware, UTC: published, or last changed
    title: str = ""
    tags: tuple[str, ...] = ()
    description: str = ""
    link: str = ""              # the URL a link publication points to (weighted as "url")
    place: str = ""
    body: str = ""
    heading: str = ""           # shown as the result's title when `title` is not (a comment)
    subkind: str = ""           # finer kind, shown only (question, announcement...)
    community_id: int | None = None
    author_id: int | None = None
    names: tuple[str, ...] = field(default=())  # words offered by autocomplete (communities, people)

    @property
    def key(self) -> str:
        return item_key(self.source, self.id)

    @property
    def display_title(self) -> str:
        return self.title or self.heading


def item_key(source: str, item_id: int) -> str:
    return f"{source}:{item_id}"


def split_key(key: str) -> tuple[str, int]:
    source, _, raw = key.partition(":")
    return source, int(raw)


@dataclass(frozen=True)
class Source:
    """How search reads one feature's items, through the SQLAlchemy session it is given.

    `load(session, ids)` returns the current item for each id that should be findable (a
    deleted, trashed or deactivated thing is simply absent); `batches(session, size)` yields
    every id, in lists of `size`, for a full reindex; `visible(user, ids)` returns the ids the user may read
    now, asking the permission layer (in the request's session). `details(user, ids)`, if given, says
    more of each result the user may read than the index keeps, read now: an action's status, its
    lateness (which changes with the day, not with a row) and its plan.
    """

    name: str
    load: Callable[[Any, list[int]], dict[int, SearchItem]]
    batches: Callable[[Any, int], Iterator[list[int]]]
    visible: Callable[[Any, list[int]], set[int]]
    details: Callable[[Any, list[int]], dict[int, dict[str, Any]]] | None = None


Refs = Callable[[Any], Iterable[tuple[str, int]]]


@dataclass(frozen=True)
class Watch:
    source: str  # the source of the items `refs` names
    refs: Refs
    fields: frozenset[str] | None  # a changed row matters only if one of these changed (None: any)


Dependents = Callable[[Any, list[int]], Iterable[tuple[str, int]]]

Audience = Callable[[Any], Iterable[str]]

_sources: dict[str, Source] = {}
_audiences: list[Audience] = []
_watches: dict[type, list[Watch]] = {}
_dependents: dict[str, list[Dependents]] = {}


def register_source(source: Source) -> None:
    _sources[source.name] = source


def sources() -> dict[str, Source]:
    return dict(_sources)


def register_audience(fn: Audience) -> None:
    """`fn(actor)` names scope tokens the actor holds (computed by the package that owns the rule)."""
    if fn not in _audiences:
        _audiences.append(fn)


def audience(actor: Any) -> frozenset[str]:
    """Every scope token the actor holds now (none for anonymous and deactivated accounts)."""
    return frozenset(token for fn in _audiences for token in fn(actor))


def watch(model: type, source: str, refs: Refs, fields: Iterable[str] | None = None) -> None:
    """When a row of `model` is added, deleted, or changed (in one of `fields`), reindex the
    items `refs(row)` names: (source, id) pairs, of `source`."""
    entry = Watch(source, refs, frozenset(fields) if fields is not None else None)
    if entry not in _watches.setdefault(model, []):
        _watches[model].append(entry)


def watches(model: type) -> list[Watch]:
    return _watches.get(model, [])


def check_complete() -> None:
    """Fail at startup, not at the first change: every watched model and every dependent names a
    registered source."""
    named = {w.source for entries in _watches.values() for w in entries} | set(_dependents)
    missing = sorted(named - set(_sources))
    if missing:
        raise RuntimeError(f"search: no source registered for {', '.join(missing)}")


def add_dependents(source: str, fn: Dependents) -> None:
    """When items of `source` change, `fn(session, ids)` names other items whose text or access
    follows theirs (the comments of a publication or of a document), reindexed with them."""
    if fn not in _dependents.setdefault(source, []):
        _dependents[source].append(fn)


def dependents(session: Any, source: str, ids: list[int]) -> list[tuple[str, int]]:
    return [ref for fn in _dependents.get(source, ()) for ref in fn(session, ids)]


_PENDING = "rse_search_refs"


def changed(session: Any, source: str, item_id: int) -> None:
    """Name an item to reindex when the change is not a watched row (a bulk update, say)."""
    session.info.setdefault(_PENDING, set()).add((source, item_id))


def take_pending(session: Any) -> set[tuple[str, int]]:
    return session.info.pop(_PENDING, set())


def id_batches(session: Any, model: Any, live: Any, size: int) -> Iterator[list[int]]:
    """The ids of the rows of `model` matching `live`, in ascending lists of `size` (for `Source.batches`)."""
    from sqlalchemy import select

    last = 0
    while True:
        ids = list(session.scalars(select(model.id).where(model.id > last, live).order_by(model.id).limit(size)))
        if not ids:
            return
        yield ids
        last = ids[-1]
