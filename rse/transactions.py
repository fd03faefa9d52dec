"""The end of a unit of work: commit or roll back what the services flushed, retrying a clash.

Views, API handlers and commands end their work here; none of them touches the session itself.
Pages go through rse.forms.run_work (which shows a refusal on the page); every API handler is a
`unit_of_work` (its blueprint wraps them all); commands call `commit`.
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError, OperationalError

from rse.database import db

log = logging.getLogger(__name__)
T = TypeVar("T")

# SQLite: another writer committed since this transaction's snapshot; PostgreSQL: serialization
# failure or deadlock. Unique clashes (two uploads numbering the same version) are retried too.
_RETRYABLE_STATES = {"40001", "40P01"}


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, IntegrityError):
        return True
    orig = getattr(exc, "orig", None)
    return "database is locked" in str(orig) or getattr(orig, "sqlstate", None) in _RETRYABLE_STATES


def commit_with_retry(work: Callable[[], T], attempts: int = 6) -> T:
    """Run `work` (service calls that flush) and commit; on a clash roll back and run it again."""
    for attempt in range(1, attempts + 1):
        try:
            result = work()
            db.session.commit()
            return result
        except (IntegrityError, OperationalError) as exc:
            db.session.rollback()
            if attempt == attempts or not _retryable(exc):
                raise
            log.info("concurrent change, retrying (%d/%d): %s", attempt, attempts, exc.orig)
            time.sleep(random.uniform(0.01, 0.05) * attempt)
    raise AssertionError("unreachable")


def end_refused(error: Exception) -> None:
    """End a unit of work refused by `error`: roll it back, or commit it if the error keeps its work."""
    if getattr(error, "keeps_work", False):
        db.session.commit()
    else:
        db.session.rollback()


def unit_of_work(handler: Callable[..., T]) -> Callable[..., T]:
    """`handler` (an API request's) run as one unit of work: committed once it returns, run again
    on a clash with a concurrent request. A refusal it raises reaches the error handler, which
    ends the unit of work with `end_refused`."""
    @functools.wraps(handler)
    def run(*args, **kwargs) -> T:
        return commit_with_retry(lambda: handler(*args, **kwargs))

    return run


def commit() -> None:
    """Write what the services flushed during this request or command."""
    db.session.commit()


def rollback() -> None:
    """Drop what the services flushed (a refused change), so that what follows reads the database as it is."""
    db.session.rollback()
