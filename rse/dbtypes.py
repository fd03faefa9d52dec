"""Column types and helpers shared by every model."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, event
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator

MAX_ID = 2**31 - 1  # the largest value an integer id column holds


def is_id(value) -> bool:
    """An int that can be a row id: an int (not a bool) from 1 to MAX_ID. PostgreSQL refuses to
    compare a larger number with an integer column, so such a value must never reach a query."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def id_from_text(raw: str) -> int | None:
    """The id written in `raw` ("42"), or None: ASCII digits only (isdigit() takes "²", which int()
    refuses) and few of them (int() refuses thousands of digits, and no id has more than ten)."""
    if not raw.isascii() or not raw.isdecimal() or len(raw) > len(str(MAX_ID)):
        return None
    value = int(raw)
    return value if is_id(value) else None


def get_by_id(model, value):
    """The row of `model` with this id, or None for a missing row or a value that cannot be an id."""
    from rse.database import db

    return db.session.get(model, value) if is_id(value) else None


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every backend (SQLite stores it naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """WAL, enforced foreign keys and a busy timeout for every SQLite connection."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def render_alembic_item(kind: str, obj, autogen_context):
    """Migrations name plain SQLAlchemy types, never the app's own (they must outlive the code)."""
    if kind == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False
