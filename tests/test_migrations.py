"""The schema built by the migrations is the one the models describe, on every backend."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
import pytest
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
