"""The schema built by the migrations is the one the models describe, on every backend."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from rse.audit.models import AuditEntry

# Every migration up and down, on a database of its own: seconds each.
pytestmark = pytest.mark.slow


def test_models_and_migrations_agree(app, db):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_downgrade_then_upgrade_round_trips(app, db):
    downgrade(revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade()
    assert "users" in inspect(db.engine).get_table_names()


# Rows a downgrade removes by design, as their meaning came with a later revision (0010: the
# notifications of circuits and readings, the « in force » activities; 0011: what points at an
# action of a plan, its activities and notifications): not counted.
LATER_ROWS = {
    "notifications": "kind NOT IN ('circuit', 'reading', 'action') AND action_id IS NULL",
    "activities": "verb NOT IN ('in_force', 'created', 'completed', 'late') AND action_id IS NULL",
    "comments": "action_id IS NULL",
}


def _row_counts(db) -> dict[str, int]:
    with db.engine.connect() as connection:
        return {table: connection.execute(text(
                    f'SELECT count(*) FROM "{table}"' + (f" WHERE {LATER_ROWS[table]}" if table in LATER_ROWS else "")
                )).scalar_one()
                for table in inspect(connection).get_table_names() if table != "alembic_version"}


def test_migrating_down_and_up_keeps_every_row(app, db, runner):
    """A migration that rebuilds a table (SQLite alters tables so) must not take the rows that point
    at it along: with foreign keys enforced, dropping the old table deleted them in cascade."""
    assert runner.invoke(args=["rse", "demo", "--password", "demo-mot-de-passe"]).exit_code == 0
    db.session.remove()
    before = _row_counts(db)
    assert before["memberships"] and before["publications"] and before["comments"] and before["follows"]
    downgrade(revision="0006")  # through every migration that alters a table the others point at
    kept = set(inspect(db.engine).get_table_names())  # a later revision's tables go with it
    upgrade()
    after = _row_counts(db)
    changed = {table: (count, after.get(table)) for table, count in before.items()
               if table in kept and table not in {"user_sessions"} and after.get(table) != count}
    assert changed == {}


@pytest.mark.parametrize("app", ["sqlite"], indirect=True)  # SQLite's own statistics table
def test_the_planner_statistics_survive_the_tables_sqlite_rebuilds(app, db, runner):
    """SQLite alters a table by building a new one: its sqlite_stat1 rows (from ANALYZE) must be
    gathered again, or the planner loses them for the tables the last migration rebuilt."""
    assert runner.invoke(args=["rse", "demo", "--password", "demo-mot-de-passe"]).exit_code == 0
    db.session.remove()
    downgrade(revision="0007")
    with db.engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    upgrade()
    with db.engine.connect() as connection:
        analysed = set(connection.execute(text("SELECT tbl FROM sqlite_stat1")).scalars())
    assert {"follows", "publications"} <= analysed


def test_audit_log_refuses_update_and_delete(app, db):
    db.session.add(AuditEntry(action="login.success", actor_label="a@b.fr"))
    db.session.commit()
    for statement in ("UPDATE audit_entries SET action = 'x'", "DELETE FROM audit_entries"):
        try:
            with db.engine.begin() as connection:
                connection.execute(text(statement))
        except Exception as exc:  # the driver's own error type differs by backend
            assert "append-only" in str(exc)
        else:
            raise AssertionError(f"{statement} was allowed")
    assert db.session.query(AuditEntry).count() == 1
