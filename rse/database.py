"""The database session and the models' base, created unbound; create_app() binds them.

Services, jobs and models reach the database through `db`; views and API handlers do not (an
import-linter contract keeps it so): they call services, and end the request's unit of work
through rse.transactions.
"""

from typing import TYPE_CHECKING, Any, cast

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import CursorResult, MetaData, Result
from sqlalchemy.dialects import postgresql, sqlite
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
