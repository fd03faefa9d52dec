"""A real OpenSearch node that dies and comes back: nothing is lost and nothing else stops.

Each test starts a node of its own (the shared one must stay up for the others), kills it for real
(SIGKILL: no chance to close anything), then starts it again on the same data and port.
"""

from __future__ import annotations

import random
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from rse.database import db
from rse.feeds.publications import service as publications
from rse.indexing import SearchItem, content_scope
from rse.search import indexer
from rse.search.elastic import OpenSearchEngine
from rse.search.engine import Query, SearchUnavailable
from rse.search.models import SearchChange
from rse.search.text import parse_query

from ..services import start_opensearch, unavailable

pytestmark = pytest.mark.outage


@pytest.fixture
def node(tmp_path):
    started = start_opensearch(tmp_path / "opensearch")
    if isinstance(started, str):
        unavailable(started)
    nodes = [started]
    yield nodes  # a restart replaces the process: the test appends the new one
    for one in nodes:
        one.stop()


def restart(nodes):
    again = nodes[-1].restart()
    if isinstance(again, str):
        pytest.fail(f"the node did not start again: {again}")
    nodes.append(again)
    return again


def pending() -> int:
    return db.session.scalar(select(func.count()).where(SearchChange.done_at.is_(None)))


def titles(response) -> set[str]:
    return {item["title"] for item in response.get_json()["items"]}


@pytest.mark.parametrize("app", ["sqlite"], indirect=True)
def test_node_killed_searches_refused_the_rest_works_nothing_lost(app, node, create_user, create_community, api,
                                                                   login):
    author = create_user("staff", name="Claire Martin")
    space = create_community(author, name="Prévention GHT")
    app.config["SEARCH_SYNC_INLINE"] = True  # as in production without a worker: each commit syncs
    state = app.extensions["rse_search"]
    engine = OpenSearchEngine(node[0].url, index="rse-outage", timeout=1.0, refresh=True, write_timeout=2.0)
    state.engine, state.ready = engine, False
    client, browser = api(author), login(author)
    try:
        publications.publish(author, space, {"kind": "post", "title": "Avant la panne", "body": "Vaccination."})
        db.session.commit()
        assert titles(client.get("/api/v1/search", query_string={"q": "vaccination"})) == {"Avant la panne"}

        node[0].kill()
        during = publications.publish(author, space, {"kind": "post", "title": "Pendant la panne",
                                                      "body": "Vaccination antigrippale."})
        db.session.commit()  # the commit stands; its sync gives up and leaves the change in the outbox
        assert pending() >= 1
        refused = client.get("/api/v1/search", query_string={"q": "vaccination"})
        assert refused.status_code == 503
        assert refused.get_json()["error"]["code"] == "search_unavailable"
        assert "indisponible" in refused.get_json()["error"]["message"]
        page = browser.get("/recherche", query_string={"q": "vaccination"})
        assert page.status_code == 503 and "indisponible" in page.get_data(as_text=True)
        # Everything else goes on: the publication is there, in its space and on its own page.
        assert "Pendant la panne" in browser.get(f"/espaces/{space.id}").get_data(as_text=True)
        assert browser.get(f"/publications/{during.id}").status_code == 200
        kept = app.test_cli_runner().invoke(args=["search", "sync"])
        assert kept.exit_code != 0 and "changes kept" in kept.output
        assert pending() >= 1

        restart(node)
        caught_up = app.test_cli_runner().invoke(args=["search", "sync"])
        assert caught_up.exit_code == 0, caught_up.output
        assert pending() == 0
        assert titles(client.get("/api/v1/search", query_string={"q": "vaccination"})) == {
            "Avant la panne", "Pendant la panne"}
    finally:
        engine.close()


@pytest.mark.parametrize("app", ["sqlite"], indirect=True)
def test_embedded_mode_catches_up_once_the_node_is_back_without_another_write(app, node, create_user,
                                                                               create_community, api, monkeypatch):
    """Inline sync, no worker: what was written while the node was down becomes searchable once it
    is back, with reads only (each response, once sent, may start a catch-up: at most every
    CATCH_UP_EVERY seconds, 1 here instead of 10)."""
    monkeypatch.setattr(indexer, "CATCH_UP_EVERY", 1.0)
    author = create_user("staff", name="Claire Martin")
    space = create_community(author, name="Prévention GHT")
    app.config["SEARCH_SYNC_INLINE"] = True
    state = app.extensions["rse_search"]
    engine = OpenSearchEngine(node[0].url, index="rse-catch-up", timeout=1.0, refresh=True, write_timeout=2.0)
    state.engine, state.ready = engine, False
    client = api(author)

    def found() -> set[str]:
        # Closed as a server closes it once sent: that is when the catch-up runs.
        with client.get("/api/v1/search", query_string={"q": "vaccination"}) as response:
            return titles(response) if response.status_code == 200 else set()

    try:
        publications.publish(author, space, {"kind": "post", "title": "Avant la panne", "body": "Vaccination."})
        db.session.commit()
        assert found() == {"Avant la panne"}

        node[0].kill()
        publications.publish(author, space, {"kind": "post", "title": "Pendant la panne",
                                             "body": "Vaccination antigrippale."})
        db.session.commit()
        assert pending() >= 1
        assert found() == set()  # refused (503), and its catch-up finds the node down
        restart(node)

        deadline = time.monotonic() + 30
        while found() != {"Avant la panne", "Pendant la panne"} and time.monotonic() < deadline:
            time.sleep(0.2)
        assert found() == {"Avant la panne", "Pendant la panne"}
        assert pending() == 0
        assert not state.behind
    finally:
        engine.close()


NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def item(n: int, word: str) -> SearchItem:
    return SearchItem(source="publication", id=n, kind="publication", scopes=(content_scope(1),), url=f"/p/{n}",
                      date=NOW - timedelta(minutes=n), title=f"Note {word} {n}", body=f"Compte rendu {word}.",
                      community_id=1)


def found(engine, word: str) -> int:
    return engine.search(Query(terms=parse_query(word), audience=frozenset({content_scope(1)}), limit=5)).total


def test_node_killed_during_a_reindex_the_live_index_survives(node):
    """SIGKILL at a random moment of a full reindex: the reindex fails, the alias still points at
    the old index, whole, once the node is back; the next reindex completes and clears the
    half-built index the killed one left."""
    seed = random.randrange(1_000_000)
    delay = random.Random(seed).uniform(0.2, 1.5)
    engine = OpenSearchEngine(node[0].url, index="rse-reindex", timeout=2.0, refresh=True, write_timeout=5.0)
    try:
        engine.ensure()
        engine.write([(f"publication:{n}", item(n, "ancien"), 1) for n in range(1, 201)])
        live = engine.live_indices()
        failure: list[BaseException] = []

        def reindex():
            try:
                with engine.rebuilding() as builder:
                    for start in range(1, 20_001, 500):
                        builder.add((item(n, "nouveau"), 2) for n in range(start, start + 500))
                    builder.switch()
            except BaseException as exc:  # noqa: BLE001  (what the reindex ended with)
                failure.append(exc)

        worker = threading.Thread(target=reindex)
        worker.start()
        time.sleep(delay)
        node[0].kill()
        worker.join(timeout=60)
        assert not worker.is_alive()
        assert failure and isinstance(failure[0], SearchUnavailable), (seed, delay, failure)

        restart(node)
        assert engine.live_indices() == live, (seed, delay)
        assert engine.count() == 200 and found(engine, "ancien") == 200 and found(engine, "nouveau") == 0
        assert live[0] in engine.cluster.indices_matching(f"{engine.index}-*")

        with engine.rebuilding() as builder:
            builder.add((item(n, "nouveau"), 2) for n in range(1, 301))
            builder.switch()
        assert engine.count() == 300 and found(engine, "nouveau") == 300 and found(engine, "ancien") == 0
        assert engine.cluster.indices_matching(f"{engine.index}-*") == engine.live_indices(), (seed, delay)
    finally:
        engine.close()
