"""`flask search sync|reindex|status`: the index's upkeep, for operators and the scheduler."""

from __future__ import annotations

import time

import click

from . import indexer
from .engine import SearchUnavailable


@click.group("search", help="The search index.")
def search_cli() -> None:
    pass


@search_cli.command("sync", help="Index the changes waiting in the outbox.")
@click.option("--watch", is_flag=True, help="Keep running: a worker that indexes changes as they come.")
@click.option("--interval", default=2.0, show_default=True, help="Seconds between looks at the outbox (--watch).")
@click.option("--batch", default=500, show_default=True, help="Changes per batch.")
def sync_command(watch: bool, interval: float, batch: int) -> None:
    backoff = interval
    last_purge = 0.0
    checked_empty = False
    while True:
        try:
            if not checked_empty:
                _rebuild_if_empty()
                checked_empty = True
            report = indexer.sync(limit=batch)
        except SearchUnavailable as exc:
            if not watch:
                raise click.ClickException(f"search engine unavailable, changes kept: {exc}") from exc
            click.echo(f"search engine unavailable, retrying in {backoff:.0f} s: {exc}", err=True)
            time.sleep(backoff)
            backoff = min(backoff * 2, 60)
            continue
        backoff = interval
        if report.done or not watch:
            click.echo(f"indexed {report.done} change(s), {report.pending} pending")
        if time.monotonic() - last_purge > 3600:
            indexer.purge_done()
            last_purge = time.monotonic()
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
