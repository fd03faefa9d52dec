"""The Lucene engine: Elasticsearch 8 (RSE_SEARCH_URL=http://host:9200) or OpenSearch
(RSE_SEARCH_URL=opensearch://host:9200), each through its official client (`clients.py`).

Searches and writes go through an alias named after the index ("maillage") that points at one
concrete index ("maillage-<time>-<random>"). A full reindex fills a new concrete index beside
the live one, then moves the alias in one atomic `_aliases` request and drops the old index:
readers see the old index or the new one, never a mix.

Writes carry the outbox version as an external version, so the server itself refuses an older
change; a delete is written as a tombstone document that keeps its version (see
`elastic_json.tombstone`). Every failure to reach or use the server is a `SearchUnavailable`,
after at most `timeout` seconds for what a page waits on (search, completion, ping, count); the
batch commands use an engine with long timeouts and retries instead (`ElasticEngine.batch`).

The JSON sent is built in `elastic_json`; this module sends it and reads the answers.
"""

from __future__ import annotations

import json
import logging
import os
import re
import uuid
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup, escape

from rse.excerpts import one_line
from rse.indexing import SearchItem
from rse.tags import fold

from . import elastic_json as js
from .clients import Cluster, ElasticsearchCluster, OpenSearchCluster
from .engine import Builder, Completions, Engine, Hit, Query, Results, SearchUnavailable, Suggestion
from .text import Term, highlight, marked_ends

log = logging.getLogger(__name__)

# A bulk request stays below these (a body may be 200 000 characters long).
BULK_MAX_ACTIONS = 500
BULK_MAX_BYTES = 8 * 1024 * 1024
# A full reindex keeps this many bulk requests at the server: the next one is built while the
# server indexes, and a node with two cores indexes two at once (one shard, two write threads).
BULK_IN_FLIGHT = 2
# Once switched in, a rebuilt index is merged down to this many segments, in the background. The
# audience filter (hundreds of scope tokens) looks each token up in every segment, and the
# server caches a filter only for segments of 10,000 documents and more: at 231,000 items, 13
# segments after a build against 1, a 1-word search took 30.8 against 18.5 ms (p50) and a
# completion 12.2 against 6.8 ms. (A segment past 5 GB is merged again only once mostly
# deleted: far beyond this index, 500 MB at 231,000 items.)
BUILT_SEGMENTS = 1
VERSION_CONFLICT = 409
# The batch commands' client (`ElasticEngine.batch`): a call sent again this many times after a
# timeout or a lost connection.
BATCH_RETRIES = 3

_MARK = re.compile(r"(</?mark>)")
_REBUILT = re.compile(r"\d{8}t\d{6}-[0-9a-f]{8}")  # the suffix of new_index_name()


class ElasticEngine(Engine):
    """Search in Elasticsearch 8 (OpenSearch: `OpenSearchEngine`, the same with another client).

    `refresh` is what a write waits for before returning: "wait_for" (the default) returns once
    the next periodic refresh (one second) has made the change searchable, without forcing extra
    refreshes; True forces one (tests), False does not wait. `write_timeout` bounds the requests
    of the indexing jobs (bulk writes, index creation, the alias switch), which may take longer
    than a page's search; a server that is down still fails at once. `retries`: how many times a
    call is sent again after a timeout or a lost connection (none for pages: see `batch`).
    """

    name = "elasticsearch"
    cluster_class: type[Cluster] = ElasticsearchCluster

    def __init__(self, url: str, index: str = "maillage", timeout: float = 2.0, *,
                 refresh: bool | str = "wait_for", write_timeout: float = 30.0, retries: int = 0):
        self.url = url
        self.index = index
        self.timeout = timeout
        self.refresh = refresh
        self.write_timeout = max(write_timeout, timeout)
        self.retries = retries
        self._cluster = self._connect()  # a malformed URL fails here, at start-up
        self._pid = os.getpid()

    def batch(self) -> ElasticEngine:
        """The same index for the batch commands: every call, an alias check as much as a bulk
        write, waits up to `write_timeout` and is sent again BATCH_RETRIES times after a timeout
        or a lost connection. One slow answer no longer ends a full reindex or the worker's round;
        pages keep the short `timeout` and no retry, so that a slow server fails a search fast.
        (Sending a call again is safe: writes carry their version, creating an index that exists
        or deleting one that does not is not an error, and an alias switch sent again after the
        server made it fails but leaves the new index live: see `ElasticBuilder.discard`.)"""
        return type(self)(self.url, self.index, self.write_timeout, refresh=self.refresh,
                          write_timeout=self.write_timeout, retries=BATCH_RETRIES)

    # The client: one per process (a forked worker must not share the parent's connections).

    def _connect(self) -> Cluster:
        return self.cluster_class(self.url, self.timeout, self.retries)

    @property
    def cluster(self) -> Cluster:
        if self._pid != os.getpid():
            self._cluster, self._pid = self._connect(), os.getpid()
        return self._cluster

    def close(self) -> None:
        self._cluster.close()

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        """Any transport or server error, as SearchUnavailable with the server's message."""
        try:
            yield
        except self.cluster.errors as exc:
            raise SearchUnavailable(f"{self.cluster.product}, {doing} ({self.index}): {exc}") from exc

    # Index management.

    def new_index_name(self) -> str:
        """A concrete index name, unique and in creation order ("maillage-20250102t030405-1a2b3c4d")."""
        return f"{self.index}-{datetime.now(UTC):%Y%m%dt%H%M%S}-{uuid.uuid4().hex[:8]}"

    def live_indices(self) -> list[str]:
        """The concrete indices the alias points at (one, except during a failed switch)."""
        with self._errors("reading the alias"):
            return self.cluster.concrete_indices(self.index)

    def ensure(self) -> None:
        """Create the first concrete index with the alias, unless the alias exists.

        The first index has a fixed name: two processes starting together create it once, and
        the loser's "already exists" is success. Should that index have lost its alias, it gets
        it back.
        """
        first = f"{self.index}-initial"
        cluster = self.cluster
        with self._errors("creating the index"):
            if cluster.has_alias(self.index):
                return
            if cluster.has_index(self.index):
                raise SearchUnavailable(f"{cluster.product}: {self.index} is an index, not an alias; delete it "
                                        "and reindex")
            cluster.create_index(first, js.index_body(alias=self.index), timeout=self.write_timeout)
            if not cluster.has_alias(self.index):
                cluster.update_aliases(js.switch_actions(self.index, [], first), timeout=self.write_timeout)

    def create_index(self, name: str) -> None:
        """A concrete index for a full reindex to fill (see `elastic_json.BUILDING_SETTINGS`)."""
        with self._errors("creating an index"):
            self.cluster.create_index(name, js.index_body(building=True), timeout=self.write_timeout)

    def drop_indices(self, names: Iterable[str]) -> None:
        names = list(names)
        if not names:
            return
        with self._errors("deleting an index"):
            self.cluster.delete_indices(names, timeout=self.write_timeout)

    def switch_to(self, new_index: str) -> None:
        """Point the alias at `new_index` in one request, then drop the indices it left and those
        that earlier rebuilds left half-built (a reindex killed with the server or its process),
        and start merging `new_index` down to BUILT_SEGMENTS segments."""
        old = [name for name in self.live_indices() if name != new_index]
        with self._errors("switching the index"):
            self.cluster.put_settings(new_index, js.live_settings(), timeout=self.write_timeout)
            self.cluster.refresh(new_index, timeout=self.write_timeout)
            self.cluster.update_aliases(js.switch_actions(self.index, old, new_index), timeout=self.write_timeout)
        try:
            with self._errors("listing the indices"):
                left = [name for name in self.cluster.indices_matching(f"{self.index}-*")
                        if self._built_before(name, new_index) and name not in old]
            self.drop_indices(old + left)
        except SearchUnavailable:  # the new index is live; an old one left behind is only disk space
            log.warning("search: could not delete the old indices of %s", self.index, exc_info=True)
        try:
            with self._errors("merging the new index"):
                self.cluster.start_force_merge(new_index, BUILT_SEGMENTS, timeout=self.write_timeout)
        except SearchUnavailable:  # searches are only slower
            log.warning("search: could not start merging %s", new_index, exc_info=True)

    def _built_before(self, name: str, new_index: str) -> bool:
        """Whether `name` is a rebuild's index (see `new_index_name`) started before `new_index`'s:
        one started since is another reindex at work, and stays."""
        return bool(_REBUILT.fullmatch(name.removeprefix(f"{self.index}-"))) and name < new_index

    # Writes.

    def write(self, changes: Iterable[tuple[str, SearchItem | None, int]]) -> None:
        self.bulk(self.index, changes, refresh=self.refresh, require_alias=True)

    def bulk(self, index: str, changes: Iterable[tuple[str, SearchItem | None, int]], *,
             refresh: bool | str, require_alias: bool) -> None:
        """Send changes in bulk requests of bounded size; only the last one waits for `refresh`
        (a refresh makes every earlier write searchable too). A version conflict means a newer
        change is already in: it is skipped, not an error."""
        chunks = list(_chunks(changes, index))
        for number, lines in enumerate(chunks, start=1):
            last = number == len(chunks)
            self.send(lines, refresh=refresh if last else False, require_alias=require_alias)

    def send(self, lines: list[str], *, refresh: bool | str, require_alias: bool) -> None:
        """One bulk request (lines of `_chunks`)."""
        with self._errors("writing"):
            answer = self.cluster.bulk(lines, refresh=refresh, require_alias=require_alias,
                                       timeout=self.write_timeout)
        _raise_item_errors(answer, self.cluster.product, self.index)

    # Reads.

    def ping(self) -> bool:
        try:
            return self.cluster.has_alias(self.index)
        except self.cluster.errors:
            return False

    def count(self) -> int:
        with self._errors("counting"):
            return self.cluster.count(self.index, js.live_query())

    def search(self, query: Query) -> Results:
        if not query.terms or not query.audience:
            return Results(hits=[], counts={}, after=None, total=0)
        body = js.search_body(query)
        with self._errors("searching"):
            answer = self.cluster.search(self.index, body)
        return _results(answer, query)

    def complete(self, prefix: str, audience: frozenset[str], limit: int = 5) -> Completions:
        searches = js.completion_searches(prefix, audience, limit)
        if not searches:
            return Completions()
        with self._errors("completing"):
            answer = self.cluster.msearch(self.index, searches)
        responses = answer["responses"]
        for response in responses:
            if "error" in response:
                raise SearchUnavailable(f"{self.cluster.product}, completing ({self.index}): {response['error']}")
        tags, communities, people = responses
        return Completions(tags=_tag_suggestions(tags, " ".join(js.prefix_words(prefix)), limit),
                           communities=_name_suggestions(communities), people=_name_suggestions(people))

    def builder(self) -> ElasticBuilder:
        return ElasticBuilder(self)


class OpenSearchEngine(ElasticEngine):
    """Search in OpenSearch 3 (2.x lacks `combined_fields`), through opensearch-py: the same
    index definition, requests and answers as Elasticsearch's."""

    name = "opensearch"
    cluster_class = OpenSearchCluster


class ElasticBuilder(Builder):
    """A new concrete index, filled while the alias still points at the live one.

    Its bulk requests are sent by BULK_IN_FLIGHT threads: `add` and `apply` return once their
    last request is on its way, and fail with the error of any earlier one; `switch` first waits
    for every answer. Requests may be indexed out of order: the versions keep the newest change.
    """

    def __init__(self, engine: ElasticEngine):
        self.engine = engine
        self.name = engine.new_index_name()
        engine.create_index(self.name)
        self._senders = ThreadPoolExecutor(BULK_IN_FLIGHT, thread_name_prefix="search-bulk")
        self._sent: deque[Future[None]] = deque()

    def add(self, items: Iterable[tuple[SearchItem, int]]) -> None:
        self.apply((item.key, item, version) for item, version in items)

    def apply(self, changes: Iterable[tuple[str, SearchItem | None, int]]) -> None:
        for lines in _chunks(changes, self.name):
            while len(self._sent) >= BULK_IN_FLIGHT:
                self._sent.popleft().result()
            self._sent.append(self._senders.submit(self.engine.send, lines, refresh=False, require_alias=False))

    def switch(self) -> None:
        while self._sent:
            self._sent.popleft().result()
        self._senders.shutdown()
        self.engine.switch_to(self.name)

    def discard(self) -> None:
        for sent in self._sent:
            sent.cancel()
        self._senders.shutdown(wait=True)  # the requests under way end (or time out) first
        self._sent.clear()
        # A switch whose answer was lost (a timeout, or the retry of a switch the server had made
        # refused because the alias had moved already) leaves this index live: it stays.
        if self.name not in self.engine.live_indices():
            self.engine.drop_indices([self.name])


# --- Requests and answers -----------------------------------------------------------------------

def _chunks(changes: Iterable[tuple[str, SearchItem | None, int]], index: str) -> Iterator[list[str]]:
    """Bulk lines as JSON text (serialized once, here, where they are measured), cut into requests
    of at most BULK_MAX_ACTIONS changes and about BULK_MAX_BYTES."""
    chunk: list[str] = []
    size = 0
    for change in changes:
        lines = [json.dumps(line, ensure_ascii=False) for line in js.bulk_operations([change], index)]
        weight = sum(len(line) for line in lines)
        if chunk and (len(chunk) // 2 >= BULK_MAX_ACTIONS or size + weight > BULK_MAX_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.extend(lines)
        size += weight
    if chunk:
        yield chunk


def _raise_item_errors(answer: dict[str, Any], product: str, index: str) -> None:
    """The first failed change of a bulk answer, as SearchUnavailable; version conflicts pass."""
    if not answer.get("errors"):
        return
    for entry in answer.get("items", []):
        result = next(iter(entry.values()))
        if "error" in result and result.get("status") != VERSION_CONFLICT:
            error = result["error"]
            reason = error.get("reason") if isinstance(error, dict) else error
            kind = error.get("type") if isinstance(error, dict) else "error"
            raise SearchUnavailable(f"{product}, writing ({index}): {result.get('_id')}: {kind}: {reason}")


def safe_fragment(fragment: str) -> Markup:
    """A highlighted passage as Markup: its text escaped again, whatever the server did, and only
    <mark> and </mark> kept as tags; on one line, its blocks apart (rse.excerpts)."""
    pieces: list[Markup] = []
    for piece in _MARK.split(fragment.strip()):
        if piece in ("<mark>", "</mark>"):
            pieces.append(Markup(piece))
        elif piece:
            pieces.append(escape(one_line(Markup(piece).unescape())))
    return Markup("").join(pieces).strip()


def _snippet(raw: dict[str, Any], terms: list[Term]) -> Markup:
    """The passage of the first field where a word was highlighted, or (none) the kept start of
    the snippet's field, marked as the embedded engine does."""
    shown = raw["_source"].get("hit", {})
    marked = raw.get("highlight", {})
    # Like the embedded engine: the description's match first, then the body's (the title is the
    # passage only for an item that has neither).
    excerpt_field = shown.get("excerpt_field", "body")
    for name in ("description", "body", excerpt_field):
        if marked.get(name):
            passage = safe_fragment(marked[name][0])
            if name != excerpt_field:  # only the excerpt's field is kept to tell where the passage stands
                return passage
            excerpt = shown.get("excerpt", "")
            return marked_ends(passage, excerpt, whole=len(excerpt) < js.EXCERPT_CHARS)
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
