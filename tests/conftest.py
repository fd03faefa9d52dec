"""Fixtures: the app on each database backend, clients, factories for users and communities."""

from __future__ import annotations

import itertools
import os
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select

# The tests never read the developer's own RSE_* settings.
for _key in list(os.environ):
    if _key.startswith("RSE_") and _key != "RSE_REQUIRE_SERVICES" and not _key.startswith("RSE_TEST_"):
        del os.environ[_key]
os.environ["RSE_SECRET_KEY"] = "test-secret-key"

from flask import has_app_context  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from rse import create_app  # noqa: E402
from rse.accounts import service as accounts  # noqa: E402
from rse.accounts.service import issue_token  # noqa: E402
from rse.communities import service as communities  # noqa: E402
from rse.database import db as _db  # noqa: E402
from rse.dbtypes import utcnow  # noqa: E402

from .backends import BackendState  # noqa: E402
from .services import start_postgres, start_redis, start_smtp, stop_on_sigterm, unavailable  # noqa: E402

PASSWORD = "correct-horse-battery-staple"
BACKENDS = ("sqlite", "postgresql")
FAST_ARGON2 = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}


# Markers that keep a test out of the fast loop (`-m fast`); see [tool.pytest.ini_options].
NOT_FAST = ("browser", "postgresql", "outage", "slow", "schemathesis")


def pytest_configure(config):
    stop_on_sigterm()


# Parameters that start a server process for the session (SeaweedFS, the OpenSearch node): seconds
# before the first such test, so they are `slow`; their local twins stay fast.
LUCENE = {"opensearch", "elasticsearch"}
SERVER_PARAMS = {"document_storage": {"s3"}, "storage": {"s3"}, "engine": LUCENE, "app_engine": LUCENE, "kind": LUCENE}
SERVER_FIXTURES = {"seaweedfs", "opensearch_node", "opensearch_url"}


@pytest.hookimpl(tryfirst=True)  # before `-m` selects on the markers given here
def pytest_collection_modifyitems(config, items):
    """`postgresql` on every test that runs on PostgreSQL (the `app` parameter, or a world of its
    own parametrised over BACKENDS), `slow` on those that need a server
    process, and `fast` on every test that has none of NOT_FAST."""
    for item in items:
        params = (getattr(item, "callspec", None) and item.callspec.params) or {}
        fixtures = set(getattr(item, "fixturenames", ()))
        if "postgresql" in params.values() or fixtures & {"postgres_cluster", "own_postgres"}:
            item.add_marker(pytest.mark.postgresql)
        if fixtures & SERVER_FIXTURES or any(isinstance(params.get(k), str) and params[k] in v for k, v in SERVER_PARAMS.items()):
            item.add_marker(pytest.mark.slow)
        if not any(item.get_closest_marker(name) for name in NOT_FAST):
            item.add_marker(pytest.mark.fast)


@pytest.fixture(scope="session", autouse=True)
def compiled_translations():
    """Compile the .po catalogues (as the run and test scripts do) so that a bare pytest works."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parent.parent / "translations"
    for po_path in root.glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime:
            with po_path.open("rb") as handle:
                catalog = read_po(handle)
            with mo_path.open("wb") as handle:
                write_mo(handle, catalog)


# --- Services -------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def postgres_cluster():
    if os.environ.get("RSE_TEST_DATABASE_URL"):
        yield None  # an external server given by the developer
        return
    cluster = start_postgres()
    if isinstance(cluster, str):
        unavailable(cluster)
    yield cluster
    cluster.stop()


@pytest.fixture
def own_postgres():
    """A PostgreSQL cluster of the test's own (about 2 s to create) that it may kill and start
    again (`kill`, `start`): the session's cluster must stay up for the other tests."""
    cluster = start_postgres()
    if isinstance(cluster, str):
        unavailable(cluster)
    yield cluster
    cluster.stop()


def postgres_url(request, name: str) -> str:
    external = os.environ.get("RSE_TEST_DATABASE_URL")
    if external:
        return external
    cluster = request.getfixturevalue("postgres_cluster")
    return cluster.create_database(name)


@pytest.fixture(scope="session")
def smtp_server():
    try:
        controller, sink = start_smtp()
    except (ImportError, OSError) as exc:
        unavailable(f"SMTP server (aiosmtpd) did not start: {exc}")
    yield sink
    controller.stop()


@pytest.fixture(scope="session")
def redis_server():
    """Debian's redis-server for the session; tests may stop() and start() it again."""
    server = start_redis()
    if isinstance(server, str):
        unavailable(server)
    yield server
    server.stop()


@pytest.fixture(params=["memory", "redis"])
def shared_cache(request, app):
    """The app's cache on each backend (rse/cache.py), empty."""
    from rse import cache

    if request.param == "memory":
        kept = cache.MemoryCache()
    else:
        kept = cache.RedisCache(request.getfixturevalue("redis_server").url)
        kept.clear()
    saved = app.extensions["rse.cache"]
    app.extensions["rse.cache"] = kept
    yield kept
    kept.clear()
    app.extensions["rse.cache"] = saved


# --- The app on each backend ------------------------------------------------------------------

class IsolatedClient(FlaskClient):
    """Each request runs in its own app context, as in production: its own `g`, its own session.

    Without this the test's app context would be reused, and Flask-Login's cached user and
    the SQLAlchemy session would leak from one request (and one user) to the next.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        if has_app_context():  # not in a thread of the test's own making
            _db.session.rollback()  # the test's own session sees what the request committed
        return response


def build_app(backend: str, instance: Path, database_url: str, **overrides):
    env = {
        "RSE_INSTANCE_PATH": str(instance),
        "RSE_SECRET_KEY": "test-secret-key",
        "RSE_DATABASE_URL": database_url,
        "RSE_BASE_URL": "http://maillage.test",
        "RSE_INTERNAL_DOMAINS": "ght-exemple.fr",
    }
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "ARGON2_PARAMS": FAST_ARGON2,
                      "SEARCH_SYNC_INLINE": False, **overrides},  # searched, not synced: backends.CatchingUp
                     env=env)
    app.test_client_class = IsolatedClient
    with app.app_context():
        upgrade()  # the schema comes from the migrations, as in production
        _db.engine.dispose()
    return app


@pytest.fixture(scope="session")
def _backends(request, tmp_path_factory):
    states: dict[str, BackendState] = {}

    def get(backend: str) -> BackendState:
        if backend not in states:
            instance = tmp_path_factory.mktemp(f"instance-{backend}")
            if backend == "sqlite":
                url = f"sqlite:///{instance / 'rse.db'}"
            else:
                url = postgres_url(request, "rse_test")
            states[backend] = BackendState(build_app(backend, instance, url), backend, instance)
        return states[backend]

    yield get
    for state in states.values():
        with state.app.app_context():
            _db.session.remove()
            _db.engine.dispose()


@pytest.fixture(params=BACKENDS)
def app(request, _backends):
    state = _backends(request.param)
    saved = dict(state.app.config)
    state.reset()
    with state.app.app_context():
        yield state.app
        _db.session.remove()
    state.app.config.clear()
    state.app.config.update(saved)


@pytest.fixture
def backend(app) -> str:
    return _db.engine.dialect.name


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# --- Factories ------------------------------------------------------------------------------------

@pytest.fixture
def create_user(app):
    numbered = [0]  # users numbered so far: the n of staff<n>@…

    def make(role: str = "staff", *, email: str | None = None, name: str | None = None,
             password: str = PASSWORD, deactivated: bool = False, expired: bool = False, **profile):
        numbered[0] += 1
        n = numbered[0]
        domain = "ars-exemple.fr" if role == "partner" else "ght-exemple.fr"
        user = accounts.create_user(email=email or f"{role}{n}@{domain}", name=name or f"{role.title()} {n}",
                                    password=password, role=role)
        for key, value in profile.items():
            setattr(user, key, value)
        if deactivated:
            user.deactivated_at = utcnow()
        if expired:
            user.expires_at = utcnow() - timedelta(days=1)
        _db.session.commit()
        return user

    def skip(count: int) -> None:
        """Number the next users as if `count` had been made (they came from a snapshot)."""
        numbered[0] += count

    make.made, make.skip = lambda: numbered[0], skip
    return make


@pytest.fixture
def create_community(app, create_user):
    counter = itertools.count(1)

    def make(owner=None, *, visibility: str = "private", name: str | None = None, members=(), **fields):
        owner = owner or create_user("staff")
        community = communities.create_community(
            owner, {"name": name or f"Espace {next(counter)}", "visibility": visibility, **fields})
        for user, role in members:
            communities.add_member(owner, community, user, role)
        _db.session.commit()
        return community

    return make


@pytest.fixture
def create_document(app, create_user, create_community):
    """A document uploaded through the service, as `author` (a new animator by default)."""
    from rse.documents import service as documents
    from rse.uploads import HashingSpool

    from .documents.samples import pdf_bytes

    def make(community=None, author=None, *, content: bytes | None = None, filename: str = "protocole.pdf",
             title: str | None = None, **data):
        author = author or create_user("staff")
        community = community or create_community(author)
        spool = HashingSpool(app.config["UPLOAD_TMP"], app.config["MAX_UPLOAD_BYTES"])
        try:
            spool.write(pdf_bytes() if content is None else content)
            spool.flush()
            document = documents.create_document(author, community, documents.Upload(spool, filename),
                                                 {"title": title or filename, **data})
            _db.session.commit()
        finally:
            spool.close()
        return document

    return make


# What each kind of publication needs at the least: a test names only the fields it is about.
PUBLICATION_CONTENT = {
    "post": {"body": "Bonjour"},
    "announcement": {"title": "Annonce", "body": "Texte"},
    "question": {"title": "Question ?"},
    "link": {"url": "https://www.ght-exemple.fr/"},
    "wiki": {"title": "Page", "body": "Texte"},
}


@pytest.fixture
def publish(app):
    """A publication of `kind` published through the service by `author`, committed.

    `data` overrides the kind's least content (PUBLICATION_CONTENT), e.g. `body="…"`, `tags=[…]`.
    """
    from rse.feeds.publications import service as publications

    def make(author, community, kind: str = "post", **data):
        publication = publications.publish(author, community, {"kind": kind, **PUBLICATION_CONTENT[kind], **data})
        _db.session.commit()
        return publication

    return make


@pytest.fixture
def refused(app):
    """Make a call that must raise `error_type`, roll back as the request would, return the error.

    With `unchanged` (a function of nothing, e.g. row counts), also check that its value is the
    same after the refusal as before it: a refusal writes nothing.
    """

    def check(error_type, call, *args, unchanged=None, **kwargs):
        before = unchanged() if unchanged else None
        with pytest.raises(error_type) as error:
            call(*args, **kwargs)
        _db.session.rollback()
        if unchanged:
            assert unchanged() == before
        return error.value

    return check


@pytest.fixture
def login(app):
    """A new test client logged in as `user` through the real login form."""

    def make(user, password: str = PASSWORD):
        client = app.test_client()
        response = client.post("/connexion", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return make


@pytest.fixture
def api(app):
    """A test client carrying a bearer token for `user` (None: no token)."""

    def make(user=None):
        client = app.test_client()
        if user is not None:
            token, _record = issue_token(user, kind="login", name="test", ttl=timedelta(hours=1))
            _db.session.commit()
            client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        return client

    return make


@pytest.fixture
def outbox(app):
    """The emails written by the file mail backend, oldest first, parsed."""

    def read():
        folder = Path(app.config["MAIL_URL"].removeprefix("file://"))
        files = sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns) if folder.exists() else []
        return [message_from_bytes(p.read_bytes(), policy=policy.default) for p in files]

    return read


@pytest.fixture
def snapshot(app, _backends, backend, create_user):
    """`snapshot(name, build)`: what `build()` returns, the databases as it leaves them.

    The first test on each backend runs `build` through the services and keeps a copy of the
    databases; the next ones get the copy back (milliseconds instead of a rebuild). `build`
    returns plain values (ids, not ORM objects) and may only stand on other snapshots (`world`):
    when the test wrote anything or changed a setting first, it simply runs again.
    """
    from .backends import Snapshot

    state = _backends(backend)

    def use(name: str, build):
        search = app.extensions["rse_search"].engine
        # The settings, and the backends a test may swap in without a setting.
        config = {**app.config, "storage": id(app.extensions["rse_storage"]),
                  "search": (type(search).__name__, str(getattr(search, "path", "")))}
        restored = state.restore(name, config)
        if restored is not None:
            create_user.skip(restored.users_made)
            return restored.built
        base, users_before = state.position, create_user.made()
        built = build()
        if base is not None and name not in state.snapshots:
            state.save(name, Snapshot(base, config, built, create_user.made() - users_before))
        return built

    return use


@pytest.fixture
def world(snapshot, create_user, create_community):
    """Every kind of actor of the permission matrix around three communities.

    The staff member, the partner member, the deactivated and the expired accounts are
    members of all three communities; the non-members of none.
    """
    from rse.accounts.models import User
    from rse.communities.models import Community

    ids = snapshot("world", lambda: _ids_of(_build_world(create_user, create_community)))
    people = {name: user_id for name, user_id in ids.items() if name != "spaces"}  # (the snapshot keeps `ids`)
    spaces = ids["spaces"]
    users = {user.id: user for user in _db.session.scalars(select(User).where(User.id.in_(people.values())))}
    communities = {c.id: c for c in _db.session.scalars(select(Community).where(Community.id.in_(spaces.values())))}
    return SimpleNamespace(**{name: users[user_id] for name, user_id in people.items()},
                           spaces={visibility: communities[space_id] for visibility, space_id in spaces.items()})


def _ids_of(world: SimpleNamespace) -> dict:
    ids = {name: user.id for name, user in vars(world).items() if name != "spaces"}
    ids["spaces"] = {visibility: space.id for visibility, space in world.spaces.items()}
    return ids


def _build_world(create_user, create_community) -> SimpleNamespace:
    admin = create_user("admin", name="Admin")
    animator = create_user("staff", name="Animatrice")
    member = create_user("staff", name="Membre")
    outsider = create_user("staff", name="Agent extérieur")
    partner = create_user("partner", name="Partenaire membre")
    stranger = create_user("partner", name="Partenaire étranger")
    deactivated = create_user("staff", name="Désactivé")
    expired = create_user("partner", name="Expiré")
    spaces = {}
    for visibility in ("public", "private", "secret"):
        spaces[visibility] = create_community(
            animator, visibility=visibility, name=f"Espace {visibility}",
            members=[(member, "member"), (partner, "member"), (deactivated, "member"), (expired, "member")])
    deactivated.deactivated_at = utcnow()
    expired.expires_at = utcnow() - timedelta(days=1)
    _db.session.commit()
    return SimpleNamespace(admin=admin, animator=animator, member=member, outsider=outsider, partner=partner,
                           stranger=stranger, deactivated=deactivated, expired=expired, spaces=spaces)


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory):
    """An S3 server (SeaweedFS) for the session; tests may stop() and start() it again."""
    from .services import start_seaweedfs

    server = start_seaweedfs(tmp_path_factory.mktemp("seaweedfs"))
    if isinstance(server, str):
        unavailable(server)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def opensearch_node(tmp_path_factory):
    """A real OpenSearch node for the session, one per test process (about 6 s to start, 300 MB);
    the search tests reach it through `opensearch_url` (tests/search/conftest.py)."""
    from .services import start_opensearch

    node = start_opensearch(tmp_path_factory.mktemp("opensearch"))
    if isinstance(node, str):
        unavailable(node)
    yield node
    node.stop()
