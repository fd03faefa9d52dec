"""Fixtures for the Lucene engine: real servers, and an engine on an index of its own.

The engine runs on a real OpenSearch node, always: the one the test setup builds from Maven
Central and starts for the session (`tests/services.py`, `start_opensearch`), or the developer's
(RSE_TEST_OPENSEARCH_URL). The engine tests run through both clients: OpenSearch's, and
Elasticsearch's, which reaches a real Elasticsearch 8 when RSE_TEST_ELASTICSEARCH_URL names one and
else the same node through `dialect.ElasticDialect` (two headers rewritten). The app-level tests
(permissions, odd queries) run on the real servers only.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from rse.search.elastic import ElasticEngine, OpenSearchEngine

from ..backends import CatchingUp
from .dialect import ElasticDialect

EXTERNAL = {"opensearch": os.environ.get("RSE_TEST_OPENSEARCH_URL", ""),
            "elasticsearch": os.environ.get("RSE_TEST_ELASTICSEARCH_URL", "")}
# The real servers the app-level tests run on, and the clients every engine test runs through
# (parameters: the test ids say which).
SERVERS = ["opensearch"] + (["elasticsearch"] if EXTERNAL["elasticsearch"] else [])
CLIENTS = ["opensearch", "elasticsearch"]
ENGINES: dict[str, type[ElasticEngine]] = {"opensearch": OpenSearchEngine, "elasticsearch": ElasticEngine}


@dataclass(frozen=True)
class LuceneServer:
    kind: str  # "opensearch" or "elasticsearch"
    url: str

    def engine(self, index: str | None = None, **options) -> ElasticEngine:
        """An engine (not ensured) on `index`, by default a new name of its own."""
        return ENGINES[self.kind](self.url, index=index or unique_index(), **options)


def unique_index() -> str:
    return f"rse-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def opensearch_url(request) -> str:
    """The OpenSearch under test: the developer's, or the session's node (tests/conftest.py)."""
    return EXTERNAL["opensearch"] or request.getfixturevalue("opensearch_node").url


@pytest.fixture(scope="session")
def elastic_dialect_url(opensearch_url) -> Iterator[str]:
    """The OpenSearch node as Elasticsearch's client expects to hear it (see dialect.py)."""
    dialect = ElasticDialect(opensearch_url)
    try:
        yield dialect.url
    finally:
        dialect.stop()


def server_of(request, kind: str) -> LuceneServer:
    """The server of that kind (the fixtures start the node on first use)."""
    if EXTERNAL[kind]:
        return LuceneServer(kind, EXTERNAL[kind])
    return LuceneServer(kind, request.getfixturevalue("opensearch_url" if kind == "opensearch" else
                                                      "elastic_dialect_url"))


@pytest.fixture(params=CLIENTS)
def lucene_server(request, opensearch_url) -> LuceneServer:
    return server_of(request, request.param)


def drop_test_indices(engine: ElasticEngine) -> None:
    """Every concrete index of the engine's alias name (named one by one: Elasticsearch 8 refuses
    to delete by wildcard)."""
    engine.drop_indices(engine.cluster.indices_matching(f"{engine.index}-*"))


@contextmanager
def fresh_engine(server: LuceneServer, **options) -> Iterator[ElasticEngine]:
    """An engine on an index of its own, created; its indices are deleted afterwards.

    Writes force a refresh (refresh=True) so that a search right after a write sees it without
    waiting for the periodic refresh.
    """
    engine = server.engine(refresh=True, **options)
    engine.ensure()
    try:
        yield engine
    finally:
        try:
            drop_test_indices(engine)
        finally:
            engine.close()


@pytest.fixture
def elastic_engine(lucene_server: LuceneServer) -> Iterator[ElasticEngine]:
    with fresh_engine(lucene_server) as engine:
        yield engine


@contextmanager
def app_searching_on(app, server: LuceneServer) -> Iterator[ElasticEngine]:
    """The app searching on a fresh index of `server` (filled from the database before the first
    search), then on its own engine again."""
    state = app.extensions["rse_search"]
    previous = state.engine, state.ready
    with fresh_engine(server) as engine:
        state.engine, state.ready = CatchingUp(engine, rebuild=True), True
        try:
            yield engine
        finally:
            state.engine, state.ready = previous


@pytest.fixture(params=["fts5", *SERVERS])
def app_engine(request, app) -> Iterator[str]:
    """The app searching on each engine in turn: its embedded index, or each Lucene server.
    Yields the engine's name."""
    if request.param == "fts5":
        yield "fts5"
        return
    with app_searching_on(app, server_of(request, request.param)):
        yield request.param
