"""What a request does, seen from the database: for tests that two paths do the same work."""

from contextlib import contextmanager

from flask import has_request_context
from sqlalchemy import event


@contextmanager
def statements_in_the_request(db):
    """The SQL statements run while the request is handled (not after its response has gone)."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, _parameters, _context, _executemany):
        if has_request_context():
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
