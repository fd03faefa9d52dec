"""A search engine that answers slowly: the batch commands wait it out, the pages do not.

Every answer of the session's OpenSearch node reaches the app DELAY seconds late (`slow_proxy`),
more than the pages' timeout: a full reindex and the worker's sync still complete (their engine
waits up to its write timeout and retries), while a search fails within that timeout. The page
timeout is 1 s here rather than the default 2 s: the same race, and a reindex's twenty-odd
requests take half as long.
"""

from __future__ import annotations

import time

import pytest

from rse.search.elastic import OpenSearchEngine

from .conftest import drop_test_indices, unique_index
from .slow_proxy import SlowProxy

pytestmark = pytest.mark.outage

PAGE_TIMEOUT = 1.0
DELAY = 1.5


@pytest.fixture
def slow_engine(app, opensearch_url):
    """The app searching on an index of its own, through the slow proxy; the node itself, direct."""
    proxy = SlowProxy(opensearch_url, DELAY)
    index = unique_index()
    state = app.extensions["rse_search"]
    previous = state.engine, state.ready
    state.engine, state.ready = OpenSearchEngine(proxy.url, index=index, timeout=PAGE_TIMEOUT), False
    direct = OpenSearchEngine(opensearch_url, index=index, refresh=True)
    try:
        yield direct
    finally:
        state.engine.close()
        state.engine, state.ready = previous
        proxy.stop()
        try:
            drop_test_indices(direct)
        finally:
            direct.close()


@pytest.mark.parametrize("app", ["sqlite"], indirect=True)
def test_reindex_and_sync_wait_out_slow_answers_searches_fail_fast(app, slow_engine, create_user, create_community,
                                                                   publish, api):
    author = create_user("staff", name="Claire Martin")
    space = create_community(author, name="Prévention")
    publish(author, space, title="Campagne", body="Vaccination antigrippale.")
    runner = app.test_cli_runner()

    reindexed = runner.invoke(args=["search", "reindex"])
    assert reindexed.exit_code == 0, reindexed.output
    assert "reindexed 3 item(s)" in reindexed.output  # the person, the space, the publication
    assert slow_engine.count() == 3

    publish(author, space, title="Rappel", body="Vaccination : deuxième semaine.")
    synced = runner.invoke(args=["search", "sync"])
    assert synced.exit_code == 0, synced.output
    assert "0 pending" in synced.output
    assert slow_engine.count() == 4

    started = time.monotonic()
    refused = api(author).get("/api/v1/search", query_string={"q": "vaccination"})
    elapsed = time.monotonic() - started
    assert refused.status_code == 503
    assert refused.get_json()["error"]["code"] == "search_unavailable"
    assert PAGE_TIMEOUT <= elapsed < DELAY, elapsed
