"""Fixtures for the search engines: an Elasticsearch server and an engine on an index of its own.

The server is the one RSE_TEST_ELASTICSEARCH_URL names (a real Elasticsearch 8), else noida-db's
stand-in started for the session. The stand-in speaks the same REST API but is not Lucene: tests
assert which items are found and in what order, never scores, and a test of documented
Elasticsearch behaviour that the stand-in gets wrong is marked with `standin_differs`.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import pytest

from rse.search.elastic import ElasticEngine

from ..services import start_noida, unavailable

EXTERNAL_URL = os.environ.get("RSE_TEST_ELASTICSEARCH_URL", "")


@pytest.fixture(scope="session")
def elastic_url(tmp_path_factory) -> Iterator[str]:
    """The Elasticsearch under test: the developer's (RSE_TEST_ELASTICSEARCH_URL) or the stand-in."""
    if EXTERNAL_URL:
        yield EXTERNAL_URL
        return
    server = start_noida(tmp_path_factory.mktemp("noida-db"))
    if isinstance(server, str):
        unavailable(server)
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def on_standin() -> bool:
    """Whether the tests run against noida-db's stand-in rather than a real Elasticsearch."""
    return not EXTERNAL_URL


@pytest.fixture
def standin_differs(request, on_standin: bool) -> Callable[[str], None]:
    """Call with the reason when the test checks documented Elasticsearch behaviour that the
    stand-in gets wrong: on the stand-in the test must then fail (strict xfail)."""

    def mark(reason: str) -> None:
        if on_standin:
            request.applymarker(pytest.mark.xfail(reason=f"noida-db stand-in: {reason}", strict=True))

    return mark


def drop_test_indices(engine: ElasticEngine) -> None:
    """Every concrete index of the engine's alias name (named one by one: Elasticsearch 8
    refuses to delete by wildcard)."""
    found = engine.es.options(ignore_status=404).indices.get(index=f"{engine.index}-*", expand_wildcards="all")
    names = [name for name in found.body if name.startswith(f"{engine.index}-")] if found.meta.status == 200 else []
    engine.drop_indices(names)


@pytest.fixture
def elastic_engine(elastic_url: str) -> Iterator[ElasticEngine]:
    """An engine on an index of its own, created; its indices are deleted afterwards.

    Writes force a refresh (refresh=True) so that a search right after a write sees it without
    waiting for the periodic refresh.
    """
    engine = ElasticEngine(elastic_url, index=f"rse-test-{uuid.uuid4().hex[:12]}", refresh=True)
    engine.ensure()
    try:
        yield engine
    finally:
        try:
            drop_test_indices(engine)
        finally:
            engine.close()
