"""Mail: the same contract over each backend (.eml files, a real SMTP server on loopback),
and the outbox that keeps every email until it has left."""

from __future__ import annotations

import multiprocessing
import os
import re
import signal
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import select

from rse.database import db as database
from rse.dbtypes import utcnow
from rse.mail import backends, deliver_pending, queue_email
from rse.mail.backends import FileBackend, SmtpBackend, backend_from_url
from rse.mail.models import OutboundEmail
from tests.services import LineSmtpServer, free_port


@pytest.fixture(params=["file", "smtp"])
def mail_backend(request, app, tmp_path):
    """Point the app at one backend; return a function reading what it delivered."""
    if request.param == "file":
        folder = tmp_path / "outbox"
        app.config["MAIL_URL"] = f"file://{folder}"

        def delivered():
            files = sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns) if folder.exists() else []
            return [message_from_bytes(p.read_bytes(), policy=policy.default) for p in files]
    else:
        sink = request.getfixturevalue("smtp_server")
        sink.clear()
        app.config["MAIL_URL"] = sink.url

        def delivered():
            return sink.received()
    return delivered


def test_email_leaves_after_commit_with_both_parts(mail_backend, db):
    queue_email(kind="test", to="claire.martin@ght-exemple.fr", subject="Réunion CPOM – ordre du jour",
                text="Bonjour,\nLe lien : http://maillage.test/espaces/1\n", html="<p>Bonjour</p>",
                headers={"List-Id": "<test.maillage>"})
    assert mail_backend() == []  # nothing leaves before the commit
    db.session.commit()
    [message] = mail_backend()
    assert message["To"] == "claire.martin@ght-exemple.fr"
    assert message["Subject"] == "Réunion CPOM – ordre du jour"
    assert message["From"].addresses[0].domain == "maillage.localhost"
    assert message["Message-ID"] and message["Date"] and message["List-Id"] == "<test.maillage>"
    assert message.get_body(("plain",)).get_content().replace("\r\n", "\n").startswith("Bonjour,\nLe lien")
    assert message.get_body(("html",)).get_content().strip() == "<p>Bonjour</p>"
    row = db.session.scalars(select(OutboundEmail)).one()
    assert row.sent_at is not None and row.attempts == 1


def test_rollback_sends_nothing(mail_backend, db):
    queue_email(kind="test", to="a@ght-exemple.fr", subject="Jamais", text="x")
    db.session.rollback()
    assert mail_backend() == []
    assert db.session.scalar(select(OutboundEmail.id)) is None


@pytest.mark.outage
def test_smtp_down_keeps_the_email_and_a_later_run_sends_it(app, db, smtp_server):
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{free_port()}"  # nobody listens there
    queue_email(kind="test", to="a@ght-exemple.fr", subject="Gardé", text="x")
    db.session.commit()  # the request itself succeeds
    row = db.session.scalars(select(OutboundEmail)).one()
    db.session.refresh(row)
    assert row.sent_at is None and row.failed_at is None and row.attempts == 1
    assert row.next_attempt_at > utcnow() and row.last_error

    smtp_server.clear()
    app.config["MAIL_URL"] = smtp_server.url
    row.next_attempt_at = utcnow() - timedelta(seconds=1)  # the retry is due
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert result.exit_code == 0 and "sent 1" in result.output
    [message] = smtp_server.wait_for(1)
    assert message["Subject"] == "Gardé"
    db.session.refresh(row)
    assert row.sent_at is not None


def test_refused_address_is_recorded_not_retried(app, db, smtp_server):
    smtp_server.clear()
    smtp_server.refuse.add("inconnu@ars-exemple.fr")
    app.config["MAIL_URL"] = smtp_server.url
    queue_email(kind="test", to="inconnu@ars-exemple.fr", subject="Refusé", text="x")
    db.session.commit()
    row = db.session.scalars(select(OutboundEmail)).one()
    db.session.refresh(row)
    assert row.failed_at is not None and row.sent_at is None
    assert "inconnu@ars-exemple.fr" in row.last_error and "550" in row.last_error
    assert deliver_pending() == {"sent": 0, "failed": 0, "retry": 0, "uncertain": 0}


def test_a_batch_goes_over_one_smtp_connection(app, db, smtp_server):
    smtp_server.clear()
    app.config["MAIL_URL"] = smtp_server.url
    for n in range(5):
        queue_email(kind="test", to=f"p{n}@ght-exemple.fr", subject=f"n{n}", text="x")
    db.session.commit()
    messages = smtp_server.wait_for(5)
    assert sorted(m["Subject"] for m in messages) == [f"n{n}" for n in range(5)]


def test_an_email_is_sent_once_even_if_drained_twice(app, db, smtp_server):
    smtp_server.clear()
    app.config["MAIL_URL"] = smtp_server.url
    queue_email(kind="test", to="once@ght-exemple.fr", subject="Une fois", text="x")
    db.session.commit()
    deliver_pending()
    deliver_pending()
    assert len(smtp_server.received()) == 1


def test_backend_urls():
    assert isinstance(backend_from_url("file:///tmp/outbox"), FileBackend)
    smtp = backend_from_url("smtp://user:p%40ss@relay.ght-exemple.fr:587?starttls=1")
    assert isinstance(smtp, SmtpBackend)
    assert (smtp.host, smtp.port, smtp.username, smtp.password, smtp.starttls) == \
        ("relay.ght-exemple.fr", 587, "user", "p@ss", True)
    assert backend_from_url("smtps://relay:465").implicit_tls is True
    assert backend_from_url("smtp://relay:25").timeout == 15
    assert backend_from_url("smtp://relay:25?timeout=2.5").timeout == 2.5
    for bad in ("abc", "0", "-1", "601"):
        with pytest.raises(ValueError, match=f"timeout={bad!r} is not a number of seconds between 0 and 600"):
            backend_from_url(f"smtp://relay:25?timeout={bad}")
    with pytest.raises(ValueError):
        backend_from_url("http://example")


def test_file_backend_writes_whole_files_only(tmp_path):
    backend = FileBackend(tmp_path)
    from email.message import EmailMessage

    message = EmailMessage()
    message["Message-ID"] = "<abc/def@x>"
    message.set_content("x")
    with backend.connection() as connection:
        connection.send(message)
    assert [p.name for p in Path(tmp_path).iterdir()] == ["abc_def@x.eml"]


def test_direction_controls_never_reach_a_subject(mail_backend, db):
    """A title written before direction controls were refused ("‮fdp.exe") leaves without them."""
    queue_email(kind="test", to="claire.martin@ght-exemple.fr", subject="Nouveau : \u202efdp.exe\u202c \u200fok",
                text="Bonjour", html="<p>Bonjour</p>")
    db.session.commit()
    [message] = mail_backend()
    assert message["Subject"] == "Nouveau : fdp.exe ok"


# Subjects that lost a space when the `email` package refolded them ("long d'été" came back as
# "longd'été"), and others with accents, quotes, dashes and text long enough to fold.
SUBJECTS = [
    "Karim Benali vous a mentionné : Fin janvier, fiches objectifs : mars. Signature…",
    "Nouveau commentaire de Élodie Lefèvre : Protocole d’hygiène des mains – version 3 révisée pour les cinq sites",
    "Œuvre xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx l’ARS », d'été Réunion protocole – de » – Œuvre hygiène Œuvre – ÉÉÉ » "
    "protocole long d'été ÉÉÉ é titre », protocole long é l’ARS – titre",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx protocole titre protocole « « titre », xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx » très –",
    "de l’ARS d'été – long long long : de l’ARS xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx », « » », d'été Œuvre protocole",
    "Élodie Lefèvre vous propose : « Compte rendu » de la réunion du comité de pilotage CPOM du 12 décembre 2026",
    "Une bonne réponse à la question : Où trouver le formulaire d’accès au dossier ?",
    "Nouvelle version : " + "Procédure " * 17 + "finale",
    "Réunion " + "é" * 120,
    "Le format =?utf-8?q?abc?= reste tel quel",
    "Plain ASCII subject, long enough to be folded by a careless generator somewhere past column 78",
]


def test_every_subject_reads_back_exactly_as_written(mail_backend, db):
    for number, subject in enumerate(SUBJECTS):
        queue_email(kind="test", to=f"p{number}@ght-exemple.fr", subject=subject, text="x", html="<p>x</p>")
    queue_email(kind="test", to="texte@ght-exemple.fr", subject=SUBJECTS[2], text="Texte seul")
    db.session.commit()
    received = {m["To"]: m for m in mail_backend()}
    assert {to: m["Subject"] for to, m in received.items() if to != "texte@ght-exemple.fr"} == {
        f"p{number}@ght-exemple.fr": subject for number, subject in enumerate(SUBJECTS)}
    text_only = received["texte@ght-exemple.fr"]
    assert text_only["Subject"] == SUBJECTS[2] and text_only.get_content_type() == "text/plain"
    assert text_only.get_content().replace("\r\n", "\n") == "Texte seul" and text_only.defects == []


# --- Faults: the mail server down, the sender killed ----------------------------------------------

def _queue_while_the_server_is_down(app, db, count: int) -> list[OutboundEmail]:
    """Emails whose first attempt (right after the commit) found no server: they wait."""
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{free_port()}"  # nobody listens there
    for n in range(count):
        queue_email(kind="test", to=f"p{n}@ght-exemple.fr", subject=f"n{n}", text="x")
    db.session.commit()
    return list(db.session.scalars(select(OutboundEmail).order_by(OutboundEmail.id)))


@pytest.mark.outage
def test_a_connection_that_fails_is_an_attempt_and_mail_send_says_what_waits_and_when(app, db, runner, smtp_server):
    rows = _queue_while_the_server_is_down(app, db, 2)
    assert [(r.attempts, r.sent_at) for r in rows] == [(1, None), (1, None)]
    assert all(r.next_attempt_at > utcnow() + timedelta(seconds=90) for r in rows)  # 2 minutes on

    early = runner.invoke(args=["mail", "send"])  # nothing due yet: it says so, and when
    assert early.exit_code == 0 and "sent 0, refused 0, to retry 0" in early.output
    assert re.search(r"waiting 2: the next attempt at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(in 1 min \d+ s\); "
                     r"`flask mail send --now` sends them now", early.output)

    still_down = runner.invoke(args=["mail", "send", "--now"])
    assert "to retry 2" in still_down.output
    db.session.expire_all()
    assert [r.attempts for r in db.session.scalars(select(OutboundEmail))] == [2, 2]

    smtp_server.clear()
    app.config["MAIL_URL"] = smtp_server.url
    forced = runner.invoke(args=["mail", "send", "--now"])
    assert forced.exit_code == 0 and "sent 2, refused 0, to retry 0" in forced.output
    assert "waiting" not in forced.output
    assert sorted(m["To"] for m in smtp_server.received()) == ["p0@ght-exemple.fr", "p1@ght-exemple.fr"]


def _drain_in_a_process_killed_at_the_third(app, *, after_the_end: bool) -> int:
    """`deliver_pending` in a process of its own, killed (SIGKILL) while sending the third email: with
    the whole message but its last line at the server, before its row is marked; or once the server
    accepted it, before anything more. Returns the process's exit code."""

    def drain() -> None:
        database.engine.dispose(close=False)  # the pooled connections are the test's
        real, sent = backends._SmtpConnection.send, []

        def send(connection, message, before_end=None):
            sent.append(message)

            def record_then_end(end) -> bool:
                if len(sent) == 3 and not after_the_end:
                    os.kill(os.getpid(), signal.SIGKILL)
                return before_end(end)

            real(connection, message, record_then_end)
            if len(sent) == 3 and after_the_end:
                os.kill(os.getpid(), signal.SIGKILL)

        backends._SmtpConnection.send = send  # type: ignore[method-assign]  # in the child only
        with app.app_context():
            deliver_pending(now=True)

    child = multiprocessing.get_context("fork").Process(target=drain)
    child.start()
    child.join(30)
    return child.exitcode


@pytest.mark.outage
@pytest.mark.parametrize("after_the_end", [False, True], ids=["before-the-last-line", "after-the-answer"])
def test_a_sender_killed_mid_batch_loses_nothing_and_sends_nothing_twice(app, db, smtp_server, after_the_end):
    _queue_while_the_server_is_down(app, db, 5)
    smtp_server.clear()
    app.config["MAIL_URL"] = smtp_server.url
    assert _drain_in_a_process_killed_at_the_third(app, after_the_end=after_the_end) == -signal.SIGKILL
    delivered_first = 3 if after_the_end else 2
    assert len(smtp_server.wait_for(delivered_first)) == delivered_first
    db.session.expire_all()
    assert [r.sent_at is not None for r in db.session.scalars(select(OutboundEmail).order_by(OutboundEmail.id))] \
        == [True] * delivered_first + [False] * (5 - delivered_first)

    assert deliver_pending(now=True)["sent"] == 5 - delivered_first  # at once: no lease to wait out
    assert sorted(m["To"] for m in smtp_server.received()) == [f"p{n}@ght-exemple.fr" for n in range(5)]


@pytest.mark.outage
def test_no_answer_to_the_last_line_counts_the_email_sent_and_never_sends_it_again(app, db):
    [row] = _queue_while_the_server_is_down(app, db, 1)
    with LineSmtpServer(answer_end=False) as server:
        app.config["MAIL_URL"] = f"{server.url}?timeout=1"
        counts = deliver_pending(now=True)
        assert server.ended == 1 and counts["uncertain"] == 1 and counts["retry"] == 0
    db.session.refresh(row)
    assert row.sent_at is not None and "no answer" in row.last_error
    assert deliver_pending(now=True) == {"sent": 0, "failed": 0, "retry": 0, "uncertain": 0}
