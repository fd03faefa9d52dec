"""Work that follows a commit: sending the mail outbox, processing new document versions, indexing.

A service names the work in its transaction (`schedule(session, task, items)`); once that
transaction has committed, one listener runs each task registered here with the items named for
it, in the order the packages registered their tasks (mail, documents, search). A rollback drops
them. The work is derived from committed rows (an outbox row, a version waiting for processing,
a search change), so a task that fails or never runs (a crash) loses nothing: its worker command
picks the rows up. A task never fails the request that committed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from flask import has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

Task = Callable[[list[Any]], None]

_tasks: dict[str, Task] = {}
_KEY = "rse_after_commit"


def register(name: str, run: Task) -> None:
    """`run(items)` runs after each commit whose transaction scheduled `name` (items in order, once each)."""
    _tasks[name] = run


def schedule(session: Session, name: str, items: Iterable[Any]) -> None:
    if name not in _tasks:
        raise LookupError(f"no after-commit task named {name!r}")
    pending = session.info.setdefault(_KEY, {}).setdefault(name, {})
    pending.update(dict.fromkeys(items))


def scheduled(session: Session, name: str) -> set[Any]:
    """What this transaction has scheduled for `name` so far."""
    return set(session.info.get(_KEY, {}).get(name, ()))


def _after_commit(session: Session) -> None:
    pending = session.info.pop(_KEY, None)
    if not pending or not has_app_context():
        return
    for name, run in _tasks.items():
        items = pending.get(name)
        if not items:
            continue
        try:
            run(list(items))
        except Exception:  # the change has committed: derived work never fails the request
            log.exception("after-commit task %s failed on %s; its worker will pick it up", name, list(items))


def _after_rollback(session: Session) -> None:
    session.info.pop(_KEY, None)


def install() -> None:
    """On every SQLAlchemy session: the requests' and the commands' alike."""
    for name, fn in (("after_commit", _after_commit), ("after_rollback", _after_rollback)):
        if not event.contains(Session, name, fn):
            event.listen(Session, name, fn)
