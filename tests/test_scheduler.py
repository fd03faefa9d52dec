"""The production scheduler (`docker/scheduler.py`) with the database down: the job fails, is tried
again later and then succeeds; the scheduler goes on throughout.

The job is the scheduler's own `flask mail send`, a real process, on a PostgreSQL cluster of the
test's own that the test kills and starts again.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from rse.database import db

from .conftest import build_app

pytestmark = pytest.mark.outage

ROOT = Path(__file__).resolve().parent.parent


def load_scheduler():
    spec = importlib.util.spec_from_file_location("maillage_scheduler", ROOT / "docker" / "scheduler.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def wait_for(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not after {timeout:.0f} s")
        time.sleep(0.1)


def test_job_failing_while_the_database_is_down_is_tried_again_and_the_scheduler_goes_on(
        own_postgres, tmp_path, monkeypatch):
    scheduler = load_scheduler()
    url = own_postgres.create_database("rse_scheduler")
    app = build_app("postgresql", tmp_path / "instance", url)  # the schema, as `flask db upgrade` makes it
    with app.app_context():
        db.engine.dispose()
    for name, value in {"FLASK_APP": "rse:create_app", "RSE_DATABASE_URL": url,
                        "RSE_INSTANCE_PATH": str(tmp_path / "instance")}.items():
        monkeypatch.setenv(name, value)  # the jobs' processes inherit the scheduler's environment
    mail = next(job for job in scheduler.JOBS if job.name == "mail")
    job = scheduler.Job(mail.name, [sys.executable, "-m", *mail.command], every=mail.every, timeout=mail.timeout)
    tz = ZoneInfo("Europe/Paris")
    running = scheduler.Scheduler([job], scheduler.State(tmp_path / "state.json"), tz, tick=0.1)
    loop = threading.Thread(target=running.run, daemon=True)

    own_postgres.kill()
    loop.start()
    try:
        wait_for(lambda: job.failures == 1 and job.process is None, 60, "the job fails")
        assert loop.is_alive()
        # Tried again 2 minutes later, not before.
        assert job.not_before - job.last_start >= timedelta(minutes=2)
        assert not running.due(job, job.not_before - timedelta(seconds=1))
        assert running.due(job, job.not_before)

        own_postgres.start()
        # Two minutes pass.
        job.last_start -= timedelta(minutes=2)
        job.not_before -= timedelta(minutes=2)
        first_try = job.last_start
        wait_for(lambda: job.last_start != first_try and job.process is None, 60, "the job runs again")
        assert job.failures == 0 and job.not_before is None
        assert loop.is_alive()
    finally:
        running.stopping.set()
        loop.join(30)
    assert not loop.is_alive()
