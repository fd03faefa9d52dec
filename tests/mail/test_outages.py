"""`flask mail send`, a real process, with the database down: it says so, sends nothing, loses
nothing, and the next run sends every waiting email once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from rse.database import db
from rse.mail import queue_email
from tests.conftest import build_app
from tests.services import free_port

pytestmark = pytest.mark.outage

ROOT = Path(__file__).resolve().parent.parent.parent


def test_mail_send_with_the_database_down_says_so_and_the_next_run_sends_each_email_once(
        own_postgres, smtp_server, tmp_path):
    url = own_postgres.create_database("rse_mail_outage")
    instance = tmp_path / "instance"
    app = build_app("postgresql", instance, url, MAIL_URL=f"smtp://127.0.0.1:{free_port()}")  # nobody there
    with app.app_context():
        for n in range(3):
            queue_email(kind="test", to=f"p{n}@ght-exemple.fr", subject=f"n{n}", text="x")
        db.session.commit()  # its attempt right after the commit finds no server: the emails wait
        # The test clusters commit asynchronously (synchronous_commit=off): on disk before the kill.
        with db.engine.connect() as connection:
            connection.execute(text("CHECKPOINT"))
        db.engine.dispose()
    smtp_server.clear()
    env = {**os.environ, "FLASK_APP": "rse:create_app", "RSE_DATABASE_URL": url, "RSE_INSTANCE_PATH": str(instance),
           "RSE_SECRET_KEY": "test-secret-key", "RSE_MAIL_URL": smtp_server.url}

    def mail_send() -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "flask", "mail", "send", "--now"], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=120)

    own_postgres.kill()
    down = mail_send()
    assert down.returncode == 1
    assert "the database is unavailable" in down.stderr and "nothing is lost" in down.stderr
    assert "Traceback" not in down.stderr and smtp_server.received() == []

    own_postgres.start()
    back = mail_send()
    assert back.returncode == 0 and "sent 3, refused 0, to retry 0" in back.stdout
    assert sorted(m["To"] for m in smtp_server.received()) == [f"p{n}@ght-exemple.fr" for n in range(3)]
    again = mail_send()
    assert "sent 0" in again.stdout and len(smtp_server.received()) == 3
