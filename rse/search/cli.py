"""`flask search sync|reindex|status`: the index's upkeep, for operators and the scheduler."""

from __future__ import annotations

import time

import click
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from rse.database import db

from . import indexer
from .engine import SearchUnavailable

# What a database that stopped, restarts or cannot be reached raises (a connection refused or cut,
# a pool that waited too long); other database errors are faults in the code and end the worker.
DATABASE_DOWN = (OperationalError, InterfaceError, PoolTimeout)
# The worker's waits between attempts while a server is down: doubled from the first to the last.
RETRY_FIRST, RETRY_MOST = 1.0, 30.0


class Outage:
    """The worker's view of a server that does not answer: one warning when it starts, waits
    doubled from RETRY_FIRST to RETRY_MOST seconds while it lasts, one line when it ends."""

    def __init__(self) -> None:
        self.server: str | None = None
        self.since = 0.0
        self.wait = RETRY_FIRST

    def failed(self, server: str, exc: BaseException) -> float:
        """Seconds to wait before the next attempt."""
        if server != self.server:
            self.server, self.since, self.wait = server, time.monotonic(), RETRY_FIRST
            click.echo(f"{server} unavailable, changes kept in the outbox; retrying every {RETRY_MOST:.0f} s "
                       f"at most: {_first_line(exc)}", err=True)
        else:
            self.wait = min(self.wait * 2, RETRY_MOST)
        return self.wait

    def ended(self) -> None:
        if self.server is not None:
            click.echo(f"{self.server} back after {time.monotonic() - self.since:.0f} s", err=True)
            self.server = None


def _first_line(exc: BaseException) -> str:
    """The driver's own message (SQLAlchemy's adds the statement and a link), on one line."""
    message = str(getattr(exc, "orig", None) or exc).strip()
    return message.splitlines()[0] if message else type(exc).__name__


def _forget_connections() -> None:
    """After a database error: the session rolled back, the pool's connections (dead with the server)
    closed, so that the next attempt connects afresh."""
    try:
        db.session.remove()
    finally:
        db.engine.dispose()


@click.group("search", help="The search index.")
def search_cli() -> None:
    pass


@search_cli.command("sync", help="Index the changes waiting in the outbox.")
@click.option("--watch", is_flag=True, help="Keep running: a worker that indexes changes as they come, and "
              "waits out a database or search engine outage.")
@click.option("--interval", default=2.0, show_default=True, help="Seconds between looks at the outbox (--watch).")
@click.option("--batch", default=500, show_default=True, help="Changes per batch.")
def sync_command(watch: bool, interval: float, batch: int) -> None:
    outage = Outage()
    last_purge = 0.0
    checked_empty = False
    with indexer.batch_engine():
        while True:
            try:
                if not checked_empty:
                    _rebuild_if_empty()
                    checked_empty = True
                report = indexer.sync(limit=batch)
                if time.monotonic() - last_purge > 3600:
                    indexer.purge_done()
                    last_purge = time.monotonic()
            except SearchUnavailable as exc:
                if not watch:
                    raise click.ClickException(f"search engine unavailable, changes kept: {exc}") from exc
                time.sleep(outage.failed("search engine", exc))
                continue
            except DATABASE_DOWN as exc:
                _forget_connections()
                if not watch:
                    raise click.ClickException(f"database unavailable: {_first_line(exc)}") from exc
                time.sleep(outage.failed("database", exc))
                continue
            outage.ended()
            if report.done or not watch:
                click.echo(f"indexed {report.done} change(s), {report.pending} pending")
            if not watch:
                return
            time.sleep(interval)


def _rebuild_if_empty() -> None:
    """A new (or lost) index with a database that has content: build it whole first."""
    if indexer.engine().count() == 0 and indexer.has_items():
        click.echo("the search index is empty: rebuilding it from the database")
        indexer.reindex(echo=click.echo)


@search_cli.command("reindex", help="Rebuild the whole index from the database, then switch to it (no outage).")
@click.option("--batch", default=500, show_default=True, help="Items loaded per batch.")
def reindex_command(batch: int) -> None:
    started = time.perf_counter()
    try:
        with indexer.batch_engine():
            total = indexer.reindex(batch=batch, echo=click.echo)
    except SearchUnavailable as exc:
        raise click.ClickException(f"search engine unavailable, the current index is unchanged: {exc}") from exc
    click.echo(f"reindexed {total} item(s) in {time.perf_counter() - started:.1f} s")


@search_cli.command("status", help="The engine, whether it answers, its size and the changes waiting.")
def status_command() -> None:
    engine = indexer.engine()
    pending = indexer.pending_count()
    try:
        engine.ensure()
        click.echo(f"engine: {engine.name}, reachable, {engine.count()} item(s), {pending} change(s) pending")
    except SearchUnavailable as exc:
        click.echo(f"engine: {engine.name}, UNAVAILABLE ({exc}), {pending} change(s) pending")
        raise SystemExit(1) from exc
