"""The database session and the models' base, created unbound; create_app() binds them.

Services, jobs and models reach the database through `db`; views and API handlers do not (an
import-linter contract keeps it so): they call services, and end the request's unit of work
through rse.transactions.
"""

import gc
import os
import select as select_module
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

from flask_sqlalchemy import SQLAlchemy
from psycopg import pq
from sqlalchemy import Connection, CursorResult, MetaData, Result
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session

# Named constraints so that Alembic migrations can alter them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

# The models' base class. Flask-SQLAlchemy builds `db.Model` at run time from Base (adding the
# table name and the query property); type checkers see Base itself, whose typed columns they know.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model


def rowcount(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE matched. Session.execute() is typed as returning any
    Result; for these statements it is a CursorResult, which alone knows the count."""
    return cast(CursorResult[Any], result).rowcount


def upsert(session: Session, model: type, values: dict[str, Any], *, key: list[str], update: list[str]) -> None:
    """INSERT a row, or UPDATE the `update` columns of the one with the same `key` (a unique index):
    one statement, so that two requests at the same moment cannot insert the row twice."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(model).values(**values)
    session.execute(statement.on_conflict_do_update(
        index_elements=key, set_={column: statement.excluded[column] for column in update}))


def commit_then(target: Session | Connection, action: Callable[[], None]) -> None:
    """Commit, and run `action` as close to the commit as can be: where a process killed at any
    point should leave both done or neither (a record that a message is leaving, and the write that
    sends it), only a kill within the few microseconds between the two can part them.

    On PostgreSQL, `action` runs as soon as the COMMIT is handed to the server, before its answer
    comes back (the server commits what it received, even from a client killed after sending
    it); on SQLite the commit is in this process, `action` runs right after the driver's. An `action` that
    raises still waits for the commit's answer first. A COMMIT refused by the server raises
    `OperationalError` after `action` ran."""
    if isinstance(target, Session):
        target.flush()
    connection = target.connection() if isinstance(target, Session) else target
    raw = connection.connection.dbapi_connection
    if raw is None:
        target.commit()
        action()
        return
    collecting = gc.isenabled()
    gc.disable()  # no collection of the garbage (milliseconds, at times) between the two
    try:
        _commit_then(target, connection, raw, action)
    finally:
        if collecting:
            gc.enable()


def _commit_then(target: Session | Connection, connection: Connection, raw: Any, action: Callable[[], None]) -> None:
    if connection.dialect.name != "postgresql":
        # The driver's own commit, then `action`, then SQLAlchemy's (which finds nothing left to
        # commit): its bookkeeping after a commit (events, the connection's return to the pool)
        # stays out of the moment between the two.
        # Nor a checkpoint: SQLite runs one within the commit that fills its log, after the commit
        # holds, and copying the log back took tens of milliseconds there.
        (every,) = raw.execute("PRAGMA wal_autocheckpoint").fetchone()
        raw.execute("PRAGMA wal_autocheckpoint=0")
        try:
            raw.commit()
            action()
        finally:
            raw.execute(f"PRAGMA wal_autocheckpoint={int(every)}")
        target.commit()
        return
    pgconn = raw.pgconn  # psycopg 3: COMMIT sent by hand, its answer read after `action`
    error = ""
    with raw.lock:
        try:
            # Corked, the COMMIT waits in this machine's kernel until `action` is done: sending it
            # would wake the server's process, which may take this one's processor for milliseconds
            # before `action` runs. A process killed meanwhile still sends it as its socket closes.
            with _corked(pgconn.socket):
                pgconn.send_query(b"COMMIT")
                while pgconn.flush():
                    select_module.select([], [pgconn.socket], [])
                action()
        finally:
            while (result := pgconn.get_result()) is not None:
                if result.status != pq.ExecStatus.COMMAND_OK:
                    error = (result.error_message or b"").decode(errors="replace") or "COMMIT failed"
    target.commit()  # the transaction is over on the server: the driver sends nothing, SQLAlchemy closes its own
    if error:
        raise OperationalError("COMMIT", None, Exception(error))


@contextmanager
def _corked(fd: int) -> Iterator[None]:
    """TCP_CORK on the socket `fd` for the block (nothing for a Unix socket)."""
    sock = socket.socket(fileno=os.dup(fd))
    corked = sock.family in (socket.AF_INET, socket.AF_INET6)
    try:
        if corked:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
        yield
    finally:
        if corked:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 0)
        sock.close()


# PostgreSQL's answers that mean "not now" rather than "not this statement": a connection
# failure (class 08), the server shutting down or crashed (57P01, 57P02), starting up or
# recovering (57P03), or out of connection slots (53300).
_UNREACHABLE_STATES = ("08", "57P01", "57P02", "57P03", "53300")
# SQLite's: the file cannot be opened (its folder gone or unreadable) or read.
_UNREACHABLE_SQLITE = ("SQLITE_CANTOPEN", "SQLITE_IOERR")


def unreachable(error: BaseException | None) -> bool:
    """`error` says that the database cannot be reached (down, restarting, its file gone), not that
    it refused a statement: nothing is wrong with the request, and the same request will work
    once the database is back."""
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:  # SQLAlchemy saw the connection die under a statement
        return True
    orig = error.orig
    if type(orig).__module__ == "sqlite3":
        return isinstance(error, OperationalError) and \
            str(getattr(orig, "sqlite_errorname", "")).startswith(_UNREACHABLE_SQLITE)
    if isinstance(error, InterfaceError):  # psycopg: the connection is closed or broken
        return True
    # No state at all: the driver lost or never had a connection (refused, reset, timed out).
    state = getattr(orig, "sqlstate", None)
    return isinstance(error, OperationalError) and (state is None or str(state).startswith(_UNREACHABLE_STATES))
