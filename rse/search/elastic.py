"""The Elasticsearch engine (RSE_SEARCH_URL=http://host:9200), through the official client.

Searches and writes go through an alias named after the index ("maillage") that points at one
concrete index ("maillage-<time>-<random>"). A full reindex fills a new concrete index beside
the live one, then moves the alias in one atomic `_aliases` request and drops the old index:
readers see the old index or the new one, never a mix.

Writes carry the outbox version as an external version, so Elasticsearch itself refuses an older
change; a delete is written as a tombstone document that keeps its version (see
`elastic_json.tombstone`). Every failure to reach or use the server is a `SearchUnavailable`,
after at most `timeout` seconds for what a page waits on (search, completion, ping, count).

The JSON sent is built in `elastic_json`; this module sends it and reads the answers.
"""

from __future__ import annotations

import json
import logging
import os
import re
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from elastic_transport import ApiError as AnyApiError
from elastic_transport import TransportError
from elasticsearch import ApiError, Elasticsearch, NotFoundError
from markupsafe import Markup, escape

from rse.indexing import SearchItem
from rse.tags import fold

from . import elastic_json as js
from .engine import Builder, Completions, Engine, Hit, Query, Results, SearchUnavailable, Suggestion
from .text import Term, highlight

log = logging.getLogger(__name__)

# A bulk request stays below these (a body may be 200 000 characters long).
BULK_MAX_ACTIONS = 500
BULK_MAX_BYTES = 8 * 1024 * 1024
VERSION_CONFLICT = 409

_MARK = re.compile(r"(</?mark>)")
_SPACES = re.compile(r"\s+")


class ElasticEngine(Engine):
    """Search in Elasticsearch 8.

    `refresh` is what a write waits for before returning: "wait_for" (the default) returns once
    the next periodic refresh (one second) has made the change searchable, without forcing extra
    refreshes; True forces one (tests), False does not wait. `write_timeout` bounds the requests
    of the indexing jobs (bulk writes, index creation, the alias switch), which may take longer
    than a page's search; a server that is down still fails at once.
    """

    name = "elasticsearch"

    def __init__(self, url: str, index: str = "maillage", timeout: float = 2.0, *,
                 refresh: bool | str = "wait_for", write_timeout: float = 30.0):
        self.url = url
        self.index = index
        self.timeout = timeout
        self.refresh = refresh
        self.write_timeout = max(write_timeout, timeout)
        self._es = self._connect()  # a malformed URL fails here, at start-up
        self._pid = os.getpid()

    # The client: one per process (a forked worker must not share the parent's connections).

    def _connect(self) -> Elasticsearch:
        return Elasticsearch(self.url, request_timeout=self.timeout, max_retries=0, retry_on_timeout=False)

    @property
    def es(self) -> Elasticsearch:
        if self._pid != os.getpid():
            self._es, self._pid = self._connect(), os.getpid()
        return self._es

    def close(self) -> None:
        self._es.close()

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        """Any transport or server error, as SearchUnavailable with the server's message."""
        try:
            yield
        except (AnyApiError, TransportError) as exc:
            raise SearchUnavailable(f"Elasticsearch, {doing} ({self.index}): {exc}") from exc

    # Index management.

    def new_index_name(self) -> str:
        """A concrete index name, unique and in creation order ("maillage-20250102t030405-1a2b3c4d")."""
        return f"{self.index}-{datetime.now(UTC):%Y%m%dt%H%M%S}-{uuid.uuid4().hex[:8]}"

    def live_indices(self) -> list[str]:
        """The concrete indices the alias points at (one, except during a failed switch)."""
        with self._errors("reading the alias"):
            try:
                found = self.es.indices.get_alias(name=self.index)
            except NotFoundError:
                return []
        return sorted(found.body)

    def ensure(self) -> None:
        """Create the first concrete index with the alias, unless the alias exists.

        The first index has a fixed name: two processes starting together create it once, and
        the loser's "already exists" is success. Should that index have lost its alias, it gets
        it back.
        """
        first = f"{self.index}-initial"
        with self._errors("creating the index"):
            if self.es.indices.exists_alias(name=self.index):
                return
            if self.es.indices.exists(index=self.index):
                raise SearchUnavailable(f"Elasticsearch: {self.index} is an index, not an alias; delete it "
                                        "and reindex")
            client = self.es.options(request_timeout=self.write_timeout)
            try:
                client.indices.create(index=first, body=js.index_body(alias=self.index))
            except ApiError as exc:
                if exc.error != "resource_already_exists_exception":
                    raise
            if not self.es.indices.exists_alias(name=self.index):
                client.indices.update_aliases(actions=js.switch_actions(self.index, [], first))

    def create_index(self, name: str) -> None:
        with self._errors("creating an index"):
            self.es.options(request_timeout=self.write_timeout).indices.create(index=name, body=js.index_body())

    def drop_indices(self, names: Iterable[str]) -> None:
        names = list(names)
        if not names:
            return
        with self._errors("deleting an index"):
            self.es.options(request_timeout=self.write_timeout, ignore_status=404).indices.delete(
                index=",".join(names))

    def switch_to(self, new_index: str) -> None:
        """Point the alias at `new_index` in one request, then drop the indices it left."""
        old = [name for name in self.live_indices() if name != new_index]
        with self._errors("switching the index"):
            client = self.es.options(request_timeout=self.write_timeout)
            client.indices.refresh(index=new_index)
            client.indices.update_aliases(actions=js.switch_actions(self.index, old, new_index))
        try:
            self.drop_indices(old)
        except SearchUnavailable:  # the new index is live; an old one left behind is only disk space
            log.warning("search: could not delete the old index %s", ", ".join(old), exc_info=True)

    # Writes.

    def write(self, changes: Iterable[tuple[str, SearchItem | None, int]]) -> None:
        self.bulk(self.index, changes, refresh=self.refresh, require_alias=True)

    def bulk(self, index: str, changes: Iterable[tuple[str, SearchItem | None, int]], *,
             refresh: bool | str, require_alias: bool) -> None:
        """Send changes in bulk requests of bounded size; only the last one waits for `refresh`
        (a refresh makes every earlier write searchable too). A version conflict means a newer
        change is already in: it is skipped, not an error."""
        chunks = list(_chunks(changes, index))
        for number, operations in enumerate(chunks, start=1):
            last = number == len(chunks)
            with self._errors("writing"):
                answer = self.es.options(request_timeout=self.write_timeout).bulk(
                    operations=operations, refresh=refresh if last else False, require_alias=require_alias)
            _raise_item_errors(answer.body, self.index)

    # Reads.

    def ping(self) -> bool:
        try:
            return bool(self.es.indices.exists_alias(name=self.index))
        except (AnyApiError, TransportError):
            return False

    def count(self) -> int:
        with self._errors("counting"):
            return int(self.es.count(index=self.index, query=js.live_query())["count"])

    def search(self, query: Query) -> Results:
        if not query.terms or not query.audience:
            return Results(hits=[], counts={}, after=None, total=0)
        body = js.search_body(query)
        with self._errors("searching"):
            answer = self.es.search(index=self.index, body=body).body
        return _results(answer, query)

    def complete(self, prefix: str, audience: frozenset[str], limit: int = 5) -> Completions:
        searches = js.completion_searches(prefix, audience, limit)
        if not searches:
            return Completions()
        with self._errors("completing"):
            answer = self.es.msearch(index=self.index, searches=searches).body
        responses = answer["responses"]
        for response in responses:
            if "error" in response:
                raise SearchUnavailable(f"Elasticsearch, completing ({self.index}): {response['error']}")
        tags, communities, people = responses
        return Completions(tags=_tag_suggestions(tags, " ".join(js.prefix_words(prefix)), limit),
                           communities=_name_suggestions(communities), people=_name_suggestions(people))

    def builder(self) -> ElasticBuilder:
        return ElasticBuilder(self)


class ElasticBuilder(Builder):
    """A new concrete index, filled while the alias still points at the live one."""

    def __init__(self, engine: ElasticEngine):
        self.engine = engine
        self.name = engine.new_index_name()
        engine.create_index(self.name)

    def add(self, items: Iterable[tuple[SearchItem, int]]) -> None:
        self.apply((item.key, item, version) for item, version in items)

    def apply(self, changes: Iterable[tuple[str, SearchItem | None, int]]) -> None:
        self.engine.bulk(self.name, changes, refresh=False, require_alias=False)

    def switch(self) -> None:
        self.engine.switch_to(self.name)

    def discard(self) -> None:
        self.engine.drop_indices([self.name])


# --- Requests and answers -----------------------------------------------------------------------

def _chunks(changes: Iterable[tuple[str, SearchItem | None, int]], index: str) -> Iterator[list[dict[str, Any]]]:
    """Bulk lines, cut into requests of at most BULK_MAX_ACTIONS changes and about BULK_MAX_BYTES."""
    chunk: list[dict[str, Any]] = []
    size = 0
    for change in changes:
        operations = js.bulk_operations([change], index)
        weight = sum(len(json.dumps(line, ensure_ascii=False)) for line in operations)
        if chunk and (len(chunk) // 2 >= BULK_MAX_ACTIONS or size + weight > BULK_MAX_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.extend(operations)
        size += weight
    if chunk:
        yield chunk


def _raise_item_errors(answer: dict[str, Any], index: str) -> None:
    """The first failed change of a bulk answer, as SearchUnavailable; version conflicts pass."""
    if not answer.get("errors"):
        return
    for entry in answer.get("items", []):
        result = next(iter(entry.values()))
        if "error" in result and result.get("status") != VERSION_CONFLICT:
            error = result["error"]
            reason = error.get("reason") if isinstance(error, dict) else error
            kind = error.get("type") if isinstance(error, dict) else "error"
            raise SearchUnavailable(f"Elasticsearch, writing ({index}): {result.get('_id')}: {kind}: {reason}")


def safe_fragment(fragment: str) -> Markup:
    """A highlighted passage as Markup: its text escaped again, whatever the server did, and only
    <mark> and </mark> kept as tags; runs of white space become one space."""
    pieces: list[Markup] = []
    for piece in _MARK.split(fragment):
        if piece in ("<mark>", "</mark>"):
            pieces.append(Markup(piece))
        elif piece:
            pieces.append(escape(_SPACES.sub(" ", Markup(piece).unescape())))
    return Markup("").join(pieces).strip()


def _snippet(raw: dict[str, Any], terms: list[Term]) -> Markup:
    """The passage of the first field where a word was highlighted, or (none) the kept start of
    the snippet's field, marked as the embedded engine does."""
    shown = raw["_source"].get("hit", {})
    marked = raw.get("highlight", {})
    # Like the embedded engine: the description's match first, then the body's (the title is the
    # passage only for an item that has neither).
    for name in ("description", "body", shown.get("excerpt_field", "body")):
        if marked.get(name):
            return safe_fragment(marked[name][0])
    return highlight(shown.get("excerpt", ""), terms, width=js.SNIPPET_CHARS)


def _hit(raw: dict[str, Any], terms: list[Term]) -> Hit:
    source = raw["_source"]
    shown = source.get("hit", {})
    return Hit(
        key=source["key"], source=source["source"], id=int(source["id"]), kind=source["kind"],
        subkind=shown.get("subkind", ""), title=shown.get("title", ""), url=shown.get("url", ""),
        snippet=_snippet(raw, terms), score=float(raw.get("_score") or 0.0),
        date=datetime.fromisoformat(source["date"]), community_id=source.get("community_id"),
        author_id=source.get("author_id"),
    )


def _results(answer: dict[str, Any], query: Query) -> Results:
    """A page of hits (the request asked for one more, to know whether a next page exists)."""
    raw_hits = answer["hits"]["hits"]
    page = raw_hits[: query.limit]
    after = list(page[-1]["sort"]) if len(raw_hits) > query.limit and page else None
    buckets = answer.get("aggregations", {}).get(js.KIND_AGGREGATION, {}).get("buckets", [])
    total = answer["hits"]["total"]
    return Results(
        hits=[_hit(raw, query.terms) for raw in page],
        counts={bucket["key"]: bucket["doc_count"] for bucket in buckets},
        after=after,
        total=int(total["value"] if isinstance(total, dict) else total),
    )


def _tag_suggestions(answer: dict[str, Any], prefix: str, limit: int) -> list[Suggestion]:
    """Tags from the (word, tag as typed) buckets whose word starts with `prefix`.

    The request's `include` pattern already keeps only those; checking again costs nothing and
    keeps a server that ignores the pattern from offering unrelated tags.

    All the buckets of one spelling count the same items (each item carries every word of its
    tags), so a spelling counts as its largest bucket; a tag counts the items of all its
    spellings (an item has one spelling of a tag) and is shown as its most used one.
    """
    spellings: dict[tuple[str, str], int] = {}
    for bucket in answer.get("aggregations", {}).get(js.TAG_AGGREGATION, {}).get("buckets", []):
        word, _, label = bucket["key"].partition(js.TAG_WORD_SEPARATOR)
        if not word.startswith(prefix):
            continue
        pair = (fold(label), label)
        spellings[pair] = max(spellings.get(pair, 0), bucket["doc_count"])
    tags: dict[str, list[tuple[int, str]]] = {}
    for (key, label), count in spellings.items():
        tags.setdefault(key, []).append((count, label))
    suggestions = []
    for key, labels in tags.items():
        count = sum(n for n, _ in labels)
        label = min(labels, key=lambda pair: (-pair[0], pair[1]))[1]
        suggestions.append(Suggestion(key=key, label=label, count=count))
    suggestions.sort(key=lambda s: (-s.count, s.key))
    return suggestions[:limit]


def _name_suggestions(answer: dict[str, Any]) -> list[Suggestion]:
    suggestions = []
    for raw in answer["hits"]["hits"]:
        shown = raw["_source"].get("hit", {})
        suggestions.append(Suggestion(key=raw["_source"]["key"], label=shown.get("title", ""),
                                      url=shown.get("url", "")))
    return suggestions
