"""The test app's state between tests, per database backend: the reset to empty, and snapshots.

Each test starts from empty databases (the app's and the embedded search index), an empty mail
outbox, storage and rate limits. A world that many tests share (the `world` fixture) is built
through the services once per backend and saved as a snapshot; the next test that asks for it
gets the databases copied back, which costs a few milliseconds instead of the hundreds that
building it again does.
"""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import event, text

from rse import cache
from rse.database import db
from rse.extensions import limiter

WRITES = ("INSERT", "UPDATE", "DELETE", "TRUNCATE", "ALTER", "CREATE", "DROP")
SNAPSHOT_SCHEMA = "test_snapshot_{name}"
FOLDERS = ("outbox", "storage", "tmp")  # the instance's files: mail written, documents' blobs


class BackendState:
    """The session's app on one backend, brought back to a known state before each test."""

    def __init__(self, app, backend: str, instance: Path):
        self.app, self.backend, self.instance = app, backend, instance
        self.template = instance / "template.db"
        self.snapshots: dict[str, Snapshot] = {}
        # Which snapshot the databases hold ("" when empty), None once anything was written since.
        self.position: str | None = None
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", self._watch)
        if backend == "sqlite":
            shutil.copy(instance / "rse.db", self.template)

    def _watch(self, conn, cursor, statement: str, parameters, context, executemany) -> None:
        if self.position is not None and statement.lstrip().split(None, 1)[0].upper() in WRITES:
            self.position = None

    # --- Back to empty -----------------------------------------------------------------------------

    def reset(self) -> None:
        """Bring the databases, outbox, storage, rate limits and cache back to an empty state."""
        with self.app.app_context():
            db.session.remove()
            if self.backend == "postgresql":
                self._empty_postgresql()
            else:
                # The audit log refuses DELETE (by design): start again from a fresh copy.
                db.engine.dispose()
                self._replace("rse.db", self.template)
            limiter.reset()
            cache.cache().clear()
        for folder in FOLDERS:
            shutil.rmtree(self.instance / folder, ignore_errors=True)
        self.reset_search()
        self.position = ""

    def _empty_postgresql(self) -> None:
        with db.engine.begin() as conn:
            self._empty_postgresql_tables(conn)

    def _empty_postgresql_tables(self, conn) -> None:
        """Delete the rows of the tables that have any, and restart the sequences that moved.

        A TRUNCATE of every table creates new files for each table and index; most tests fill a
        handful of tables with a few rows, which DELETE empties for less.
        """
        tables = db.metadata.sorted_tables
        probe = " UNION ALL ".join(f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM \"{t.name}\")" for t in tables)
        filled = {row[0] for row in conn.execute(text(probe))}
        for table in reversed(tables):  # children before their parents
            if table.name not in filled:
                continue
            if table.name == "audit_entries":  # append-only: its triggers refuse DELETE, not TRUNCATE
                conn.execute(text(f'TRUNCATE "{table.name}" CASCADE'))
            else:
                conn.execute(text(f'DELETE FROM "{table.name}"'))
        # setval, not ALTER SEQUENCE ... RESTART: no new file for the sequence.
        conn.execute(text("SELECT setval(format('%I.%I', schemaname, sequencename), start_value, false) "
                          "FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL"))

    def reset_search(self) -> None:
        """An empty embedded index (a test may have swapped the engine: it gets the configured one back)."""
        from rse.search import engine_from_url

        search = self.app.extensions["rse_search"]
        search.engine.close()
        template = self.instance / "search-template.db"
        if not template.exists():  # an empty index, made once: creating its tables costs each test ~10 ms
            self._remove("search.db")
            empty = engine_from_url(f"sqlite:///{self.instance / 'search.db'}")
            empty.ensure()
            empty.close()
            self._backup("search.db", template)
        self._replace("search.db", template)
        search.engine = CatchingUp(engine_from_url(f"sqlite:///{self.instance / 'search.db'}"))
        search.ready = True

    def _remove(self, database: str) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.instance / database}{suffix}").unlink(missing_ok=True)

    def _replace(self, database: str, copy: Path) -> None:
        self._remove(database)
        shutil.copy(copy, self.instance / database)

    # --- Snapshots ---------------------------------------------------------------------------------

    def restore(self, name: str, config: dict) -> Snapshot | None:
        """Snapshot `name` with the databases back as its builder left them; None when there is no
        such snapshot, or the databases are not in the state it was built from, or `config` differs."""
        snapshot = self.snapshots.get(name)
        if snapshot is None or snapshot.base != self.position or snapshot.config != config:
            return None
        db.session.rollback()  # the test's objects stay in the session, expired: they reload from the copy
        if self.backend == "postgresql":
            with db.engine.begin() as conn:
                self._empty_postgresql_tables(conn)
                self._copy_rows(conn, SNAPSHOT_SCHEMA.format(name=name), "public", restore=True)
        else:
            db.engine.dispose()
            self._replace("rse.db", self._snapshot_file(name, "rse.db"))
        self.app.extensions["rse_search"].engine.close()
        self._replace("search.db", self._snapshot_file(name, "search.db"))
        for folder in FOLDERS:
            shutil.rmtree(self.instance / folder, ignore_errors=True)
            if (kept := self._snapshot_file(name, folder)).exists():
                shutil.copytree(kept, self.instance / folder)
        self.position = name
        return snapshot

    def save(self, name: str, snapshot: Snapshot) -> None:
        """Keep the databases as `snapshot`'s builder left them."""
        db.session.commit()
        if self.backend == "postgresql":
            with db.engine.begin() as conn:
                self._copy_rows(conn, "public", SNAPSHOT_SCHEMA.format(name=name), restore=False)
        else:
            db.engine.dispose()
            self._backup("rse.db", self._snapshot_file(name, "rse.db"))
        self.app.extensions["rse_search"].engine.close()
        self._backup("search.db", self._snapshot_file(name, "search.db"))
        for folder in FOLDERS:
            if (self.instance / folder).exists():
                shutil.copytree(self.instance / folder, self._snapshot_file(name, folder))
        self.snapshots[name] = snapshot
        self.position = name

    def _snapshot_file(self, name: str, database: str) -> Path:
        return self.instance / f"snapshot-{name}-{database}"

    def _backup(self, database: str, target_path: Path) -> None:
        """A consistent copy of a SQLite database, whatever its write-ahead log holds."""
        source, target = sqlite3.connect(self.instance / database), sqlite3.connect(target_path)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()

    def _copy_rows(self, conn, source: str, target: str, *, restore: bool) -> None:
        """PostgreSQL: copy every table from schema `source` to `target`, with the sequences.

        Saving creates the snapshot schema (tables of the same names, no constraints); restoring
        inserts into the emptied public tables, parents first, then sets the sequences back.
        """
        tables = db.metadata.sorted_tables
        if not restore:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{target}" CASCADE'))  # an external server's, from a past run
            conn.execute(text(f'CREATE SCHEMA "{target}"'))
            for table in tables:
                conn.execute(text(f'CREATE TABLE "{target}"."{table.name}" AS SELECT * FROM "{source}"."{table.name}"'))
            conn.execute(text(f'CREATE TABLE "{target}"."_sequences" AS SELECT sequencename, last_value '
                              "FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL"))
            return
        for table in tables:
            conn.execute(text(f'INSERT INTO "{target}"."{table.name}" OVERRIDING SYSTEM VALUE '
                              f'SELECT * FROM "{source}"."{table.name}"'))
        for sequence, value in conn.execute(text(f'SELECT sequencename, last_value FROM "{source}"."_sequences"')):
            conn.execute(text("SELECT setval(:name, :value)"), {"name": f'"public"."{sequence}"', "value": value})


class CatchingUp:
    """The app's index, brought up to date before each search when commits do not sync it.

    The tests run with SEARCH_SYNC_INLINE off: indexing after every commit costs each test
    milliseconds that only the tests that search need. Those see what they would in production,
    for the index applies every pending change before it answers; the tests of the sync itself
    turn SEARCH_SYNC_INLINE back on (`tests/search`).

    An engine swapped in during a test (`rebuild=True`) is first filled from the database, with
    everything the test made before it.
    """

    def __init__(self, engine, *, rebuild: bool = False):
        self.engine = engine
        self.rebuild = rebuild

    def __getattr__(self, name: str):
        return getattr(self.engine, name)

    def _catch_up(self) -> None:
        from flask import current_app

        from rse.search import indexer

        if self.rebuild:
            self.rebuild = False
            indexer.reindex()
        if not current_app.config["SEARCH_SYNC_INLINE"]:
            indexer.sync()

    def batch(self):
        """The batch commands' engine: a new one (closed after the command), or this one."""
        batch = self.engine.batch()
        return self if batch is self.engine else batch

    def search(self, query):
        self._catch_up()
        return self.engine.search(query)

    def complete(self, prefix, audience, limit: int = 5):
        self._catch_up()
        return self.engine.complete(prefix, audience, limit=limit)


@dataclass
class Snapshot:
    """What a builder returned (plain values: ids), from which state and settings it started,
    and how many users it made through `create_user` (their numbered e-mail addresses go on)."""

    base: str
    config: dict
    built: object
    users_made: int
