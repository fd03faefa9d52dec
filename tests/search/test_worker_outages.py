"""The search worker (`flask search sync --watch`, a real process, as compose runs it) outlives a
PostgreSQL server that is killed and started again: it waits, says so once, then indexes what was
written, each item once.

The database is a cluster of the test's own (the session's must stay up for the other tests); the
search engine is the session's OpenSearch node, on an index of the test's own.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rse.accounts import service as accounts
from rse.communities import service as communities
from rse.database import db
from rse.feeds.publications import service as publications
from rse.search.elastic import OpenSearchEngine
from rse.search.engine import Query, SearchUnavailable
from rse.search.text import parse_query

from ..conftest import PASSWORD, build_app
from .conftest import drop_test_indices, unique_index

pytestmark = pytest.mark.outage

ROOT = Path(__file__).resolve().parents[2]


def wait_for(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    pytest.fail(f"{what}: not after {timeout:.0f} s")


class Worker:
    """`flask search sync --watch` in a process of its own, its output in a file."""

    def __init__(self, env: dict[str, str], log: Path):
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "flask", "search", "sync", "--watch", "--interval", "0.2"],
                env=env, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def stack(own_postgres, opensearch_url, tmp_path):
    """The app on the test's own cluster and index, and the environment its processes run with."""
    index = unique_index()
    search_url = opensearch_url.replace("http://", "opensearch://", 1)
    url = own_postgres.create_database("rse_worker")
    instance = tmp_path / "instance"
    app = build_app("postgresql", instance, url, SEARCH_URL=search_url, SEARCH_INDEX=index)
    env = {**os.environ, "FLASK_APP": "rse:create_app", "RSE_INSTANCE_PATH": str(instance),
           "RSE_DATABASE_URL": url, "RSE_SEARCH_URL": search_url, "RSE_SEARCH_INDEX": index,
           "RSE_SEARCH_SYNC_INLINE": "0", "RSE_INTERNAL_DOMAINS": "ght-exemple.fr"}
    engine = OpenSearchEngine(opensearch_url, index=index)
    try:
        yield app, env, engine
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        try:
            drop_test_indices(engine)
        finally:
            engine.close()


def titles(engine: OpenSearchEngine, word: str, scopes: frozenset[str]) -> list[str]:
    """The titles found for `word`, one per hit (an item indexed twice would show twice); none
    before the worker has created the index."""
    try:
        return sorted(hit.title for hit in engine.search(Query(terms=parse_query(word), audience=scopes)).hits)
    except SearchUnavailable:
        return []


def test_worker_outlives_a_database_restart_and_indexes_what_follows(stack, own_postgres, tmp_path):
    app, env, engine = stack
    with app.app_context():
        author = accounts.create_user(email="claire@ght-exemple.fr", name="Claire Martin", password=PASSWORD,
                                      role="staff")
        space = communities.create_community(author, {"name": "Prévention", "visibility": "private"})
        publications.publish(author, space, {"kind": "post", "title": "Avant la coupure", "body": "Vaccination."})
        db.session.commit()
        scopes = frozenset({f"content:{space.id}"})
        author_id, space_id = author.id, space.id

    worker = Worker(env, tmp_path / "worker.log")
    try:
        wait_for(lambda: titles(engine, "vaccination", scopes), 60, "the first publication searchable")

        own_postgres.kill()  # every connection cut at once, as a crash or `docker restart postgres`
        # The worker looks at the outbox every 0.2 s: several attempts fail while the server is down.
        wait_for(lambda: "database unavailable" in worker.output() or not worker.alive(), 15,
                 "the worker notices the outage")
        time.sleep(2)
        assert worker.alive(), worker.output()
        own_postgres.start()

        with app.app_context():
            publications.publish(db.session.get(type(author), author_id),
                                 db.session.get(type(space), space_id),
                                 {"kind": "post", "title": "Après la coupure", "body": "Vaccination antigrippale."})
            db.session.commit()
        # The waits double from 1 s to 30 s at most: the worker is back well within a minute.
        wait_for(lambda: len(titles(engine, "vaccination", scopes)) == 2, 60,
                 f"the second publication searchable\n{worker.output()}")
        assert titles(engine, "vaccination", scopes) == ["Après la coupure", "Avant la coupure"]
        assert worker.alive(), worker.output()
        output = worker.output()
        assert output.count("database unavailable") == 1, output  # one warning per outage, not per attempt
        assert "database back after" in output, output
        assert "Traceback" not in output, output
    finally:
        worker.stop()
