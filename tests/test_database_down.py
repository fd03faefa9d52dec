"""The database goes away (stopped, crashed, its file gone): every page says so in French with a 503,
every API route answers 503 `database_unavailable`, /healthz names it, all without the database; and
the same clients are served again as soon as it is back, without restarting the app."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
import time
from datetime import timedelta

import pytest

from rse.accounts import service as accounts
from rse.accounts.service import issue_token
from rse.database import db
from rse.web import HEALTH_TIMEOUT

from .conftest import PASSWORD, build_app
from .services import start_postgres, unavailable

pytestmark = pytest.mark.outage

UNAVAILABLE = "Le service est momentanément indisponible. Réessayez dans un instant."


@pytest.fixture(scope="module")
def private_cluster():
    """A PostgreSQL cluster of this module's own, which its tests stop and start again."""
    cluster = start_postgres(crash_safe=True)  # a member signed in just before the crash is still signed in after
    if isinstance(cluster, str):
        unavailable(cluster)
    yield cluster
    cluster.stop()


@pytest.fixture(scope="module")
def postgres_app(private_cluster, tmp_path_factory):
    app = private_app("postgresql", tmp_path_factory.mktemp("instance-down"), private_cluster.create_database("rse"))
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def sqlite_app(tmp_path):
    folder = tmp_path / "database"
    folder.mkdir()
    app = private_app("sqlite", tmp_path / "instance", f"sqlite:///{folder / 'rse.db'}")
    app.extensions["test_database_folder"] = folder
    yield app
    with app.app_context():
        db.engine.dispose()


def private_app(backend: str, instance, database_url: str):
    app = build_app(backend, instance, database_url)
    app.extensions["rse_search"].engine.ensure()  # as the first indexing would: /healthz finds search ready
    return app


class People:
    """A signed-in browser, an API client with a token, an anonymous browser: one member's view."""

    def __init__(self, app, email: str):
        with app.app_context():
            user = accounts.create_user(email=email, name="Camille Martin", password=PASSWORD, role="staff")
            token, _record = issue_token(user, kind="login", name="test", ttl=timedelta(hours=1))
            db.session.commit()
        self.email, self.name = email, "Camille Martin"
        self.pages = app.test_client()
        assert self.pages.post("/connexion", data={"email": email, "password": PASSWORD}).status_code == 302
        self.api = app.test_client()
        self.api.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        self.anonymous = app.test_client()

    def assert_served(self) -> None:
        page = self.pages.get("/")
        assert page.status_code == 200 and self.name in page.get_data(as_text=True)  # still signed in
        assert self.api.get("/api/v1/me").json["email"] == self.email
        health = self.anonymous.get("/healthz")
        assert health.status_code == 200 and health.json["status"] == "ok" and health.json["down"] == []

    def assert_refused(self) -> None:
        """Every kind of request answers that the service is away, and nothing else."""
        unavailable_page(self.pages.get("/"), self.name)
        unavailable_page(self.pages.get("/annuaire"), self.name)
        # An anonymous page that needs the database: signing in looks the account up.
        unavailable_page(self.anonymous.post("/connexion", data={"email": self.email, "password": PASSWORD}),
                         self.name, retry_link=False)
        answer = self.api.get("/api/v1/me")
        assert answer.status_code == 503 and answer.headers["Retry-After"] == "10"
        assert answer.json == {"error": {"code": "database_unavailable", "message": UNAVAILABLE}}
        started = time.monotonic()
        health = self.anonymous.get("/healthz")
        assert time.monotonic() - started < HEALTH_TIMEOUT + 1
        assert health.status_code == 503 and health.json["status"] == "unavailable"
        assert health.json["down"] == ["database"]
        assert health.json["dependencies"] == {"database": "down", "cache": "ok", "mail": "ok", "storage": "ok",
                                               "search": "ok"}


def unavailable_page(response, name: str, *, retry_link: bool = True) -> None:
    """The French error page of the app, 503, made without the database: nobody is signed in on it."""
    body = response.get_data(as_text=True)
    assert response.status_code == 503, body[:500]
    # 10 s, or longer on a rate-limited form (the limiter says when its window ends, if later).
    assert response.content_type.startswith("text/html") and int(response.headers["Retry-After"]) >= 10
    assert '<html lang="fr">' in body and "<title>Service momentanément indisponible – Maillage</title>" in body
    assert UNAVAILABLE in body
    assert name not in body and "Se déconnecter" not in body  # no account menu, no bell
    assert ("Réessayer" in body) is retry_link


def outage_log(records) -> list[logging.LogRecord]:
    return [r for r in records if r.name == "rse.errors" and r.getMessage().startswith("database unreachable")]


@pytest.mark.postgresql
def test_postgresql_stopped_every_answer_says_so_and_all_works_again_once_restarted(
        private_cluster, postgres_app, caplog):
    people = People(postgres_app, "camille.martin@ght-exemple.fr")
    people.assert_served()

    private_cluster.kill()  # every connection cut, as in a crash or a restart of the server
    try:
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            people.assert_refused()
        # One line per request (three pages, one API call), no traceback; /healthz says it its own way.
        outages = outage_log(caplog.records)
        assert len(outages) == 4
        health = [r.getMessage() for r in caplog.records if r.name == "rse.web"]
        assert len(health) == 1 and health[0].startswith("health check: database does not answer: ")
        assert all(r.levelno == logging.WARNING and r.exc_info is None for r in outages)
        assert "Connection refused" in outages[-1].getMessage()
        assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
        assert not [r for r in caplog.records if r.exc_info]
    finally:
        private_cluster.start()

    people.assert_served()  # the same clients, the same app and its pool: no restart


def _postgres_processes(cluster) -> list[int]:
    postmaster = int((cluster.data_dir / "postmaster.pid").read_text().split()[0])
    children = subprocess.run(["ps", "-o", "pid=", "--ppid", str(postmaster)], capture_output=True, text=True)
    return [postmaster, *(int(pid) for pid in children.stdout.split())]


@pytest.mark.postgresql
def test_health_check_answers_in_seconds_when_the_database_is_frozen(private_cluster, postgres_app):
    client = postgres_app.test_client()
    assert client.get("/healthz").status_code == 200  # a pooled connection, which will now hang
    frozen = _postgres_processes(private_cluster)
    answers: list = []
    asking = threading.Thread(target=lambda: answers.append(client.get("/healthz")), daemon=True)
    for pid in frozen:
        os.kill(pid, signal.SIGSTOP)
    try:
        asking.start()
        asking.join(HEALTH_TIMEOUT + 1)  # a check that hangs must not hang the suite too
    finally:
        for pid in frozen:
            os.kill(pid, signal.SIGCONT)
    assert answers, "/healthz hung on a frozen database"
    assert answers[0].status_code == 503 and answers[0].json["down"] == ["database"]
    deadline = time.monotonic() + 10
    while client.get("/healthz").status_code != 200:
        assert time.monotonic() < deadline, "the health check did not recover"
        time.sleep(0.2)


def test_sqlite_file_out_of_reach_then_back(sqlite_app):
    people = People(sqlite_app, "camille.martin@ght-exemple.fr")
    people.assert_served()
    folder = sqlite_app.extensions["test_database_folder"]
    moved = folder.with_name("database-moved")
    folder.rename(moved)  # the volume is gone: SQLite cannot open the file
    try:
        with sqlite_app.app_context():
            db.engine.dispose()  # open connections keep the file they opened; a new worker's cannot
        people.assert_refused()
    finally:
        moved.rename(folder)
    people.assert_served()
