"""From a change in the database to the index: capture, sync, full reindex.

*Capture*: after each flush, the watched rows that were added, changed or deleted name
the items to reindex, and a `SearchChange` row per item is written on the same
connection, so it commits or rolls back with the change itself.

*Sync*: the pending changes are read in id order, each item's current state is loaded
from its source, and the engine gets it with the change's id as version (an older
version never overwrites a newer one, so two syncs running at once are harmless). The
rows are marked done only once the engine has them: with the engine down they wait.
In the embedded mode a sync runs right after each commit that wrote changes, and a process
whose sync failed catches up by itself: after a response, at most every CATCH_UP_EVERY
seconds, it asks the engine whether it answers and, if so, syncs (`catch_up_after`). In
production `flask search sync --watch` runs as a worker.

*Reindex*: a new index is built from every source while the old one keeps answering,
the changes made meanwhile are replayed into it, then it is switched in.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from flask import Flask, Response, current_app
from sqlalchemy import delete, event, func, insert, inspect, select, update
from sqlalchemy.orm import Session

from rse import aftercommit, indexing
from rse.database import db, rowcount
from rse.dbtypes import utcnow
from rse.indexing import SearchItem, item_key

from .engine import Engine, SearchUnavailable
from .models import SearchChange

log = logging.getLogger(__name__)

DONE_RETENTION = timedelta(days=2)
# Embedded mode: a process that may be behind tries to catch up at most this often (seconds).
CATCH_UP_EVERY = 10.0
Change = tuple[str, SearchItem | None, int]


# Capture.

def _changed_fields(obj) -> set[str]:
    state = inspect(obj)
    return {attr.key for attr in state.attrs if attr.history.has_changes()}


def _refs(session: Session) -> set[tuple[str, int]]:
    refs = set(indexing.take_pending(session))
    for obj in (*session.new, *session.deleted):
        for entry in indexing.watches(type(obj)):
            refs.update(entry.refs(obj))
    for obj in session.dirty:
        entries = indexing.watches(type(obj))
        if not entries:
            continue
        changed = _changed_fields(obj)
        for entry in entries:
            if changed and (entry.fields is None or changed & entry.fields):
                refs.update(entry.refs(obj))
    return {(source, item_id) for source, item_id in refs if item_id is not None}


def _record(session: Session, refs: Iterable[tuple[str, int]]) -> None:
    """One outbox row per item per transaction: a second flush of the same item adds none."""
    new = sorted(set(refs) - aftercommit.scheduled(session, "search"))
    if new:
        now = utcnow()
        rows = [{"source": source, "item_id": item_id, "created_at": now} for source, item_id in new]
        session.connection().execute(insert(SearchChange), rows)
        aftercommit.schedule(session, "search", new)


def _after_flush(session: Session, _context) -> None:
    _record(session, _refs(session))


def _before_commit(session: Session) -> None:
    # Items named with indexing.changed() in a transaction that has nothing left to flush.
    pending = indexing.take_pending(session)
    if pending:
        _record(session, pending)


def _sync_after_commit(_refs: list[tuple[str, int]]) -> None:
    if not current_app.config["SEARCH_SYNC_INLINE"]:
        return
    state = current_app.extensions["rse_search"]
    try:
        sync()
    except SearchUnavailable as exc:
        state.behind = True
        log.warning("search engine unavailable, changes kept in the outbox: %s", exc)
    else:
        state.behind = False  # a sync drains the outbox: what earlier syncs left is in too


def catch_up_after(response: Response) -> Response:
    """Embedded mode (SEARCH_SYNC_INLINE), after each response: while this process may have left
    changes in the outbox (a sync failed, or it has just started), at most every CATCH_UP_EVERY
    seconds, sync once the response has gone (`_catch_up`), so that what was written during a
    search engine outage becomes searchable without waiting for the next write."""
    state = current_app.extensions["rse_search"]
    if not (current_app.config["SEARCH_SYNC_INLINE"] and state.behind):
        return response
    now = time.monotonic()
    if now < state.next_catch_up:
        return response
    state.next_catch_up = now + CATCH_UP_EVERY
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    response.call_on_close(lambda: _catch_up(app))
    return response


def _catch_up(app: Flask) -> None:
    """Sync if the engine answers its ping (which waits its short timeout at most on a server that
    hangs); the outbox keeps what it cannot take."""
    with app.app_context():
        state = app.extensions["rse_search"]
        try:
            if state.ready and not state.engine.ping():  # not ready: engine() first asks as much
                return
            state.behind = sync().pending > 0
        except SearchUnavailable as exc:
            log.warning("search engine unavailable, changes kept in the outbox: %s", exc)
        except Exception:  # after the response: nobody else would hear of it
            log.exception("search: catching up with the outbox failed")


def _after_rollback(session: Session) -> None:
    indexing.take_pending(session)


def install_session_hooks() -> None:
    """On every SQLAlchemy session, the request's and the background jobs' alike."""
    aftercommit.register("search", _sync_after_commit)
    for name, fn in (("after_flush", _after_flush), ("before_commit", _before_commit),
                     ("after_rollback", _after_rollback)):
        if not event.contains(Session, name, fn):
            event.listen(Session, name, fn)


# Sync.

def engine() -> Engine:
    """The app's engine, its index created on first use (SearchUnavailable if it cannot be)."""
    state = current_app.extensions["rse_search"]
    if not state.ready:
        state.engine.ensure()
        state.ready = True
    return state.engine


@contextmanager
def batch_engine() -> Iterator[Engine]:
    """For a batch command (the worker, a full reindex), the app's engine as `Engine.batch` makes
    it (long timeouts, retries) while the command runs; the pages' engine afterwards."""
    state = current_app.extensions["rse_search"]
    interactive = state.engine
    state.engine = interactive.batch()
    try:
        yield state.engine
    finally:
        if state.engine is not interactive:
            state.engine.close()
        state.engine = interactive


def load_changes(session: Session, versions: dict[tuple[str, int], int]) -> list[Change]:
    """The current state of each item (None: gone), with the version to write it at."""
    sources = indexing.sources()
    by_source: dict[str, list[int]] = defaultdict(list)
    expanded = dict(versions)
    for name, item_id in versions:
        by_source[name].append(item_id)
    for name, ids in list(by_source.items()):
        parent_version = max(versions[(name, i)] for i in ids)
        for dependent in indexing.dependents(session, name, ids):
            if dependent not in expanded:
                by_source[dependent[0]].append(dependent[1])
            expanded[dependent] = max(expanded.get(dependent, 0), parent_version)
    changes: list[Change] = []
    for name, ids in by_source.items():
        source = sources.get(name)
        if source is None:
            log.warning("search changes for unknown source %r ignored", name)
            continue
        ids = sorted(set(ids))
        items = source.load(session, ids)
        changes.extend((item_key(name, i), items.get(i), expanded[(name, i)]) for i in ids)
    return changes


@dataclass
class SyncReport:
    done: int = 0
    pending: int = 0


def sync(limit: int = 500, *, rounds: int | None = None) -> SyncReport:
    """Apply pending changes in batches until none is left (or `rounds` batches)."""
    report = SyncReport()
    target = engine()
    with Session(db.engine) as session:
        while rounds is None or rounds > 0:
            rounds = None if rounds is None else rounds - 1
            rows = session.execute(
                select(SearchChange.id, SearchChange.source, SearchChange.item_id)
                .where(SearchChange.done_at.is_(None)).order_by(SearchChange.id).limit(limit)
            ).all()
            if not rows:
                break
            versions: dict[tuple[str, int], int] = {}
            for row_id, source, item_id in rows:
                versions[(source, item_id)] = max(versions.get((source, item_id), 0), row_id)
            target.write(load_changes(session, versions))  # raises SearchUnavailable: rows stay pending
            session.execute(update(SearchChange).where(SearchChange.id.in_([r[0] for r in rows]))
                            .values(done_at=utcnow()))
            session.commit()
            report.done += len(rows)
        report.pending = session.scalar(select(func.count()).where(SearchChange.done_at.is_(None))) or 0
    return report


def pending_count() -> int:
    return db.session.scalar(select(func.count()).where(SearchChange.done_at.is_(None))) or 0


def purge_done(older_than: timedelta = DONE_RETENTION) -> int:
    with Session(db.engine) as session:
        result = session.execute(delete(SearchChange).where(SearchChange.done_at < utcnow() - older_than))
        session.commit()
        return rowcount(result)


# Full reindex.

def has_items() -> bool:
    """Whether any source has something to index."""
    with Session(db.engine) as session:
        return any(next(iter(source.batches(session, 1)), None) for source in indexing.sources().values())


def _replay_since(session: Session, watermark: int) -> list[Change]:
    rows = session.execute(
        select(SearchChange.id, SearchChange.source, SearchChange.item_id).where(SearchChange.id > watermark)
    ).all()
    versions: dict[tuple[str, int], int] = {}
    for row_id, source, item_id in rows:
        versions[(source, item_id)] = max(versions.get((source, item_id), 0), row_id)
    return load_changes(session, versions) if versions else []


def reindex(batch: int = 500, echo=lambda message: None) -> int:
    """Build a new index from the database, replay what changed meanwhile, switch to it."""
    target = engine()
    target.ensure()
    total = 0
    with Session(db.engine) as session:
        watermark = session.scalar(select(func.max(SearchChange.id))) or 0
        with target.rebuilding() as builder:
            for name, source in sorted(indexing.sources().items()):
                count = 0
                for ids in source.batches(session, batch):
                    items = source.load(session, ids)
                    builder.add((item, watermark) for item in items.values())
                    count += len(items)
                    session.expunge_all()
                echo(f"{name}: {count}")
                total += count
            builder.apply(_replay_since(session, watermark))
            builder.switch()
        # Changes synced into the old index between the replay and the switch.
        target.write(_replay_since(session, watermark))
    return total
