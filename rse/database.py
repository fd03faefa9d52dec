"""The database session and the models' base, created unbound; create_app() binds them.

Services, jobs and models reach the database through `db`; views and API handlers do not (an
import-linter contract keeps it so): they call services, and end the request's unit of work
through rse.transactions.
"""

from typing import TYPE_CHECKING, Any, cast

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import CursorResult, MetaData, Result
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
