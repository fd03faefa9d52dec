"""The engine interface: what the embedded index (FTS5) and the Lucene one (Elasticsearch or
OpenSearch) both do.

An engine stores `SearchItem`s under their key with a version (the outbox row that last
changed them; an older version never overwrites a newer one), answers a `Query` for an
audience, and completes prefixes. It knows nothing of users or permissions beyond the
scope tokens it is handed.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from markupsafe import Markup

from rse.indexing import SearchItem

from .text import Term

# The weighted fields, the same on both engines: (name, weight). The name is the
# SearchItem attribute ("link" is the URL a link publication points to).
FIELDS: tuple[tuple[str, int], ...] = (
    ("title", 5),
    ("tags", 4),
    ("description", 3),
    ("link", 2),
    ("place", 2),
    ("body", 1),
)
# The engines keep this much of a body for search (extracted text of a long document).
MAX_BODY_CHARS = 200_000

RELEVANCE = "relevance"
DATE = "date"
SORTS = (RELEVANCE, DATE)


class SearchUnavailable(Exception):
    """The engine cannot be reached or answered with an error: search says so, nothing else breaks."""


@dataclass(frozen=True)
class Query:
    """Every term must match a weighted field as the same word; the last one (the word being typed)
    may also match as the start of a word, ranked below the same word."""

    terms: list[Term]
    audience: frozenset[str]            # scope tokens the reader holds
    sort: str = RELEVANCE
    kinds: frozenset[str] = frozenset()  # empty: every kind
    community_id: int | None = None
    tag: str | None = None              # folded
    author_id: int | None = None
    date_from: datetime | None = None   # inclusive, aware
    date_to: datetime | None = None     # exclusive, aware
    after: list | None = None           # the engine's own cursor from the previous page
    limit: int = 20


@dataclass(frozen=True)
class Hit:
    key: str
    source: str
    id: int
    kind: str
    subkind: str
    title: str
    url: str
    snippet: Markup
    score: float
    date: datetime
    community_id: int | None
    author_id: int | None


@dataclass
class Results:
    hits: list[Hit]
    counts: dict[str, int]               # per kind, over every page, ignoring the kind filter
    after: list | None = None            # pass as Query.after for the next page; None: last page
    total: int = 0                       # matches with the kind filter applied
    exact: bool = True                   # False: the engine stopped counting, the counts are lower bounds
    total_exact: bool = True             # False: the total is a lower bound


@dataclass(frozen=True)
class Suggestion:
    key: str          # a tag's folded form, or an item key
    label: str
    url: str = ""
    count: int = 0    # tags: how many items the reader may see carry it


@dataclass
class Completions:
    tags: list[Suggestion] = field(default_factory=list)
    communities: list[Suggestion] = field(default_factory=list)
    people: list[Suggestion] = field(default_factory=list)


class Builder(abc.ABC):
    """A new, empty index being filled by a full reindex; live only once switched."""

    @abc.abstractmethod
    def add(self, items: Iterable[tuple[SearchItem, int]]) -> None: ...

    @abc.abstractmethod
    def apply(self, changes: Iterable[tuple[str, SearchItem | None, int]]) -> None:
        """Changes that happened while it was built: (key, item or None to delete, version)."""

    @abc.abstractmethod
    def switch(self) -> None:
        """Make this index the live one, atomically, and drop the old one."""

    @abc.abstractmethod
    def discard(self) -> None: ...


class Engine(abc.ABC):
    name: str

    @abc.abstractmethod
    def ensure(self) -> None:
        """Create the index if there is none (idempotent)."""

    @abc.abstractmethod
    def ping(self) -> bool: ...

    @abc.abstractmethod
    def write(self, changes: Iterable[tuple[str, SearchItem | None, int]]) -> None:
        """Upsert (item) or delete (None) each key, unless the engine already holds a newer version."""

    @abc.abstractmethod
    def search(self, query: Query) -> Results: ...

    @abc.abstractmethod
    def complete(self, prefix: str, audience: frozenset[str], limit: int = 5) -> Completions:
        """Tags, communities and people whose words start with `prefix` (folded), for this audience."""

    @abc.abstractmethod
    def builder(self) -> Builder: ...

    @abc.abstractmethod
    def count(self) -> int:
        """How many items the live index holds."""

    def batch(self) -> Engine:
        """This engine as the batch commands use it (the worker, a full reindex): an engine that
        waits on slow answers where a page would give up (see `ElasticEngine.batch`). The caller
        closes it when it is not this one."""
        return self

    def close(self) -> None:  # noqa: B027  (optional: an engine without connections has nothing to close)
        pass

    @contextmanager
    def rebuilding(self) -> Iterator[Builder]:
        builder = self.builder()
        try:
            yield builder
        except BaseException:
            builder.discard()
            raise
