"""`flask digest send` against a real SMTP server on loopback: content, links, headers, isolation,
ranking, and at most one digest per person and period through double runs, crashes and SMTP failures."""

from __future__ import annotations

import multiprocessing
import os
import re
import signal
import smtplib
import sys
from datetime import UTC, datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select, update

from rse.accounts.models import User
from rse.database import db
from rse.dbtypes import utcnow
from rse.digest import periods, sender, sending, service
from rse.digest.models import DigestDelivery, DigestSubscription
from rse.errors import PermissionDenied
from rse.feeds.social import comments, reactions

from ..services import LineSmtpServer
from .conftest import BASE, parts, publish

_real_transmit = sender.transmit


class Calls:
    """The recipients a patched `transmit` saw, kept in a file: the sender is a process of its own."""

    def __init__(self, path):
        self.path = path
        path.write_text("")

    def add(self, recipient: str) -> int:
        with self.path.open("a") as handle:
            handle.write(recipient + "\n")
        return len(self.all())

    def all(self) -> list[str]:
        return self.path.read_text().splitlines()


def _statuses(period: str) -> dict[int, str]:
    return dict(list(db.session.execute(select(DigestDelivery.user_id, DigestDelivery.status).where(
        DigestDelivery.period == period)).tuples()))


def test_a_member_gets_one_digest_with_both_parts_headers_and_absolute_links(create_user, space, sink, send, week):
    member = create_user("staff", name="Camille Membre")
    community, animator = space(member, name="Hygiène")
    post = publish(animator, community, "Nouveau protocole mains")
    result = send()
    assert result.exit_code == 0, result.output
    assert "sent 2" not in result.output  # the animator wrote the only item: nothing new for them
    [message] = sink.wait_for(1)
    assert sink.envelopes[-1][1] == [member.email]
    assert message["To"] == member.email
    assert message["Subject"] == "Votre résumé Maillage : 1 nouveauté"
    unsubscribe = re.fullmatch(r"<(.+)>", message["List-Unsubscribe"].strip())[1]
    assert unsubscribe.startswith(f"{BASE}/digest/desabonnement/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = parts(message)
    link = f"{BASE}/publications/{post.id}"
    for part in (text, html):
        assert "Nouveau protocole mains" in part and link in part and "Hygiène" in part
        assert unsubscribe in part and f"{BASE}/profil/lettre" in part
    hrefs = re.findall(r'href="([^"]+)"', html)
    assert hrefs and all(h.startswith(BASE + "/") for h in hrefs)
    assert "<script" not in html.lower()
    assert _statuses(week) == {member.id: "sent", animator.id: "empty"}
    assert "sent 1, empty 1, failed 0, uncertain 0, skipped 0" in result.output


def test_partner_digest_holds_nothing_from_a_community_they_are_not_in(create_user, space, sink, send):
    partner = create_user("partner", name="Partenaire ARS")
    staff = create_user("staff")
    mine, animator_a = space(partner, staff, name="CPOM Tilleuls")
    other, animator_b = space(staff, name="Comité de direction")
    publish(animator_a, mine, "Diagnostic partagé")
    publish(animator_b, other, "Budget confidentiel")
    assert send().exit_code == 0
    messages = {m["To"]: m for m in sink.wait_for(2)}
    text, html = parts(messages[partner.email])
    assert "Diagnostic partagé" in text
    for part in (text, html):
        assert "Budget confidentiel" not in part and "Comité de direction" not in part
    staff_text, _html = parts(messages[staff.email])
    assert "Budget confidentiel" in staff_text and "Diagnostic partagé" in staff_text


def test_new_items_are_ranked_by_score_and_capped_with_a_more_link(create_user, space, sink, send, monkeypatch):
    from rse.digest import ranking

    reader, fans = create_user("staff"), [create_user("staff") for _ in range(3)]
    community, animator = space(reader, *fans, name="Qualité")
    publish(animator, community, "Calme plat")
    liked = publish(animator, community, "Très aimé")
    discussed = publish(animator, community, "Un commentaire")
    for fan in fans:
        reactions.like(fan, liked)
    comments.add_comment(fans[0], discussed, "D'accord")
    db.session.commit()
    monkeypatch.setattr(ranking, "PER_COMMUNITY", 2)
    assert send("--user", reader.email).exit_code == 0
    [message] = sink.wait_for(1)
    text, html = parts(message)
    # 3 likes (6 points) before 1 comment (3 points); the one with neither is over the cap.
    assert text.index("Très aimé") < text.index("Un commentaire")
    assert html.index("Très aimé") < html.index("Un commentaire")
    assert "Calme plat" not in text
    assert "et 1 de plus dans cet espace" in text and f"{BASE}/espaces/{community.id}" in html


def test_ranking_order_follows_the_score(app):
    from rse.digest.entries import Entry
    from rse.digest.ranking import score

    entry = lambda **kw: Entry(key=("publication", 1), title="", url="", community=None, kind="post", **kw)  # noqa: E731
    liked, commented, fresh = entry(likes=4), entry(comments=1), entry()
    assert score(liked, followed_version=False, freshness=0) == 8
    assert score(commented, followed_version=False, freshness=0) == 3
    assert score(fresh, followed_version=False, freshness=1) == 6
    assert score(fresh, followed_version=True, freshness=0) == 8


def test_a_second_run_sends_nothing_again(create_user, space, sink, send, week):
    members = [create_user("staff") for _ in range(3)]
    community, animator = space(*members)
    publish(animator, community, "Une seule fois")
    assert send().exit_code == 0
    assert len(sink.wait_for(3)) == 3
    again = send()
    assert again.exit_code == 0 and "sent 0" in again.output and "skipped 4" in again.output
    assert len(sink.received()) == 3


def test_two_shards_cover_everybody_once(create_user, space, sink, send):
    members = [create_user("staff") for _ in range(5)]
    community, animator = space(*members)
    publish(animator, community, "Partagé")
    assert send("--shard", "0/2").exit_code == 0
    assert send("--shard", "1/2").exit_code == 0
    assert send("--shard", "1/2").exit_code == 0
    received = [m["To"] for m in sink.wait_for(5)]
    assert sorted(received) == sorted(m.email for m in members)


def test_a_digest_another_run_took_meanwhile_is_abandoned_before_its_last_line_and_the_rest_goes(
        create_user, space, sink, send, week, monkeypatch, tmp_path):
    members = [create_user("staff") for _ in range(4)]
    community, animator = space(*members)
    publish(animator, community, "Deux envois en même temps")
    calls = Calls(tmp_path / "calls")
    real = sender.transmit

    def another_run_first(connection, message, before_end):
        if calls.add(message.recipients[0]) == 2:  # another run records this person's digest first
            user_id = db.session.scalar(select(User.id).where(User.email == message.recipients[0]))
            with db.engine.begin() as other:
                other.execute(insert(DigestDelivery).values(user_id=user_id, period=week, status="sent"))
        real(connection, message, before_end)

    monkeypatch.setattr(sender, "transmit", another_run_first)
    result = send()
    assert result.exit_code == 0 and "sent 3" in result.output and "skipped 1" in result.output
    taken = calls.all()[1]
    received = [m["To"] for m in sink.wait_for(3)]
    assert sorted(received) == sorted(m.email for m in members if m.email != taken)  # the rest, each once
    assert len(sink.envelopes) == 3  # the abandoned copy never reached the server as a message


def _killed_at_the_third(monkeypatch, calls: Calls, *, after_the_end: bool) -> None:
    """The sender process killed (SIGKILL) while sending the third digest: with the whole message but
    its last line at the server, before its row is written; or once the server accepted it, before
    that is recorded."""
    real = sender.transmit

    def transmit(connection, message, before_end):
        third = calls.add(message.recipients[0]) == 3

        def record_then_end(end) -> bool:
            if third and not after_the_end:
                os.kill(os.getpid(), signal.SIGKILL)
            return before_end(end)

        real(connection, message, record_then_end)
        if third and after_the_end:
            os.kill(os.getpid(), signal.SIGKILL)

    monkeypatch.setattr(sender, "transmit", transmit)


@pytest.mark.outage
def test_a_sender_killed_before_the_last_line_leaves_no_row_and_the_next_run_sends_that_digest_once(
        create_user, space, sink, send, week, monkeypatch, tmp_path):
    members = [create_user("staff") for _ in range(4)]
    community, animator = space(*members)
    publish(animator, community, "Reprise après incident")
    calls = Calls(tmp_path / "calls")
    _killed_at_the_third(monkeypatch, calls, after_the_end=False)
    crashed = send()
    assert isinstance(crashed.exception, RuntimeError) and "exited (-9)" in str(crashed.exception)
    in_flight = next(m for m in members if m.email == calls.all()[2])
    assert len(sink.wait_for(2)) == 2 and in_flight.id not in _statuses(week)  # the server dropped it

    monkeypatch.setattr(sender, "transmit", _real_transmit)
    resumed = send()
    assert resumed.exit_code == 0 and "sent 2" in resumed.output
    received = [m["To"] for m in sink.wait_for(4)]
    assert sorted(received) == sorted(m.email for m in members)  # each once; the animator's own post is no news
    # The second one's answer was to be recorded with the third's row: it counts as sent as it stands.
    assert sorted(_statuses(week).values()) == ["claimed", "empty", "sent", "sent", "sent"]


@pytest.mark.outage
def test_a_sender_killed_after_the_last_line_counts_that_digest_sent_and_never_sends_it_again(
        create_user, space, sink, send, week, monkeypatch, tmp_path):
    members = [create_user("staff") for _ in range(4)]
    community, animator = space(*members)
    publish(animator, community, "Reprise après incident")
    calls = Calls(tmp_path / "calls")
    _killed_at_the_third(monkeypatch, calls, after_the_end=True)
    crashed = send()
    assert isinstance(crashed.exception, RuntimeError)
    in_flight = next(m for m in members if m.email == calls.all()[2])
    assert len(sink.wait_for(3)) == 3 and _statuses(week)[in_flight.id] == "claimed"

    monkeypatch.setattr(sender, "transmit", _real_transmit)
    resumed = send()  # at once: nothing to wait for
    assert resumed.exit_code == 0 and "sent 1" in resumed.output
    received = [m["To"] for m in sink.wait_for(4)]
    assert sorted(received) == sorted(m.email for m in members)  # each once
    # Ten minutes on, nobody answered for it: administrators see it as uncertain, still never resent.
    db.session.execute(update(DigestDelivery).values(claimed_at=utcnow() - timedelta(minutes=11)).where(
        DigestDelivery.status == "claimed"))
    db.session.commit()
    late = send()
    assert late.exit_code == 0 and "sent 0" in late.output and "uncertain 1" in late.output
    assert _statuses(week)[in_flight.id] == "uncertain" and len(sink.received()) == 4


@pytest.mark.outage
def test_no_answer_to_the_last_line_is_uncertain_and_never_resent(app, create_user, space, send, week):
    member = create_user("staff")
    community, animator = space(member)
    publish(animator, community, "Serveur muet")
    with LineSmtpServer(answer_end=False) as server:
        app.config["MAIL_URL"] = f"{server.url}?timeout=1"
        silent = send()
        assert "sent 0, empty 1, failed 0, uncertain 1" in silent.output
        assert server.ended == 1  # the whole message went, last line included
    assert _statuses(week) == {member.id: "uncertain", animator.id: "empty"}


@pytest.mark.outage
def test_smtp_failure_is_retried_later_with_backoff(create_user, space, sink, send, week, monkeypatch):
    member = create_user("staff")
    community, animator = space(member)
    publish(animator, community, "Malgré la panne")

    def down(connection, message, before_end):
        raise smtplib.SMTPServerDisconnected("connection lost")

    real = sender.transmit
    monkeypatch.setattr(sender, "transmit", down)
    failed = send()
    assert failed.exit_code == 1 and "failed 1" in failed.output and "to retry 1" in failed.output
    row = db.session.scalars(select(DigestDelivery).where(DigestDelivery.user_id == member.id)).one()
    assert row.status == "failed" and row.attempts == 1 and row.next_attempt_at > utcnow() + timedelta(minutes=10)
    monkeypatch.setattr(sender, "transmit", real)
    assert "sent 0" in send().output  # not due yet
    row.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    retried = send()
    assert retried.exit_code == 0 and "sent 1" in retried.output
    [message] = sink.wait_for(1)
    assert message["To"] == member.email
    assert _statuses(week)[member.id] == "sent"


def test_a_refused_address_is_recorded_not_retried_and_shown_to_administrators(
        create_user, space, sink, send, week, login):
    refused, fine = create_user("partner", email="inconnu@ars-exemple.fr"), create_user("staff")
    community, animator = space(refused, fine)
    publish(animator, community, "Pour tous")
    sink.refuse.add(refused.email)
    result = send()
    assert result.exit_code == 0 and "sent 1" in result.output and "failed 1" in result.output
    assert [m["To"] for m in sink.wait_for(1)] == [fine.email]
    row = db.session.scalars(select(DigestDelivery).where(DigestDelivery.user_id == refused.id)).one()
    assert row.status == "failed" and row.next_attempt_at is None and "550" in row.error
    assert "sent 0" in send().output
    admin = create_user("admin")
    page = login(admin).get("/admin/lettre").get_data(as_text=True)
    assert refused.email in page and "Adresse refusée" in page and week in page
    assert login(fine).get("/admin/lettre").status_code == 403


def test_administrators_see_each_recent_periods_counts(app, create_user, space, sink, send, week, login):
    refused, fine, idle = (create_user("staff", email="parti@ght-exemple.fr"), create_user("staff"),
                           create_user("staff"))
    community, animator = space(refused, fine)
    space(idle)
    publish(animator, community, "Pour deux")
    sink.refuse.add(refused.email)
    assert send().exit_code == 0
    tz = ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])
    last_year = periods.current("weekly", utcnow() - timedelta(days=365), tz).key
    db.session.add(DigestDelivery(user_id=fine.id, period=last_year, status="sent"))  # too old to list
    db.session.commit()

    admin = create_user("admin")
    [run] = service.summary(admin, utcnow(), tz)
    assert run.period.key == week
    # fine: sent; refused: refused for good; idle and the two animators: nothing new
    assert run.counts == {"sent": 1, "failed": 1, "empty": 3} and run.refused == 1 and run.to_retry == 0
    page = login(admin).get("/admin/lettre").get_data(as_text=True)
    row = re.search(rf"<tr>\s*<th scope=\"row\">.*?\({week}\).*?</tr>", page, re.S)[0]
    assert [int(n) for n in re.findall(r"<td class=\"num\"[^>]*>(\d+)</td>", row)] == [1, 3, 0, 0, 1, 0]
    assert last_year not in page
    with pytest.raises(PermissionDenied):
        service.summary(fine, utcnow(), tz)


def test_recent_periods_are_weeks_and_days_newest_first():
    tz = ZoneInfo("Europe/Paris")
    found = periods.recent(datetime(2026, 12, 5, 12, tzinfo=UTC), tz, weeks=2, days=3)
    assert [p.key for p in found] == ["2026-12-05", "2026-12-04", "2026-12-03", "2026-W49", "2026-W48"]
    assert periods.recent(datetime(2026, 12, 5, 12, tzinfo=UTC), tz)[-1].key == "2026-W42"


def test_nothing_new_means_no_email(create_user, space, sink, send, week):
    member = create_user("staff")
    space(member)
    result = send()
    assert result.exit_code == 0 and "sent 0, empty 2" in result.output
    assert sink.received() == []
    assert set(_statuses(week).values()) == {"empty"}


def test_dry_run_renders_and_counts_but_sends_and_records_nothing(create_user, space, sink, send, week):
    member = create_user("staff")
    community, animator = space(member)
    publish(animator, community, "Essai à blanc")
    result = send("--dry-run")
    assert result.exit_code == 0 and "would send 1, empty 1" in result.output
    assert sink.received() == []
    assert _statuses(week) == {}


def test_unsubscribed_and_daily_people_get_no_weekly_digest(create_user, space, sink, send):
    weekly, never, daily = create_user("staff"), create_user("staff"), create_user("staff")
    community, animator = space(weekly, never, daily)
    db.session.add_all([DigestSubscription(user_id=never.id, frequency="never"),
                        DigestSubscription(user_id=daily.id, frequency="daily")])
    db.session.commit()
    publish(animator, community, "Hebdomadaire")
    assert send().exit_code == 0
    assert [m["To"] for m in sink.received()] == [weekly.email]


def test_sensitive_community_sends_titles_only(app, create_user, space, sink, send):
    app.config["MAIL_EXCERPTS"] = True
    member = create_user("staff")
    open_space, animator = space(member, name="Achats")
    secret_space, keeper = space(member, name="Direction", sensitive=True)
    publish(animator, open_space, "Appel d'offres", body="Le cahier des charges est prêt")
    publish(keeper, secret_space, "Réorganisation", body="Les détails confidentiels du projet")
    assert send("--user", member.email).exit_code == 0
    [message] = sink.wait_for(1)
    for part in parts(message):
        assert "Le cahier des charges est prêt" in part
        assert "Réorganisation" in part and "confidentiels" not in part


def test_items_opened_on_the_site_are_left_out(create_user, space, sink, send, login):
    member = create_user("staff")
    community, animator = space(member)
    opened = publish(animator, community, "Déjà lu")
    publish(animator, community, "Pas encore lu")
    assert login(member).get(f"/publications/{opened.id}").status_code == 200
    assert send().exit_code == 0
    [message] = sink.wait_for(1)
    text, _html = parts(message)
    assert "Pas encore lu" in text and "Déjà lu" not in text


def test_unread_mentions_come_first_once_and_immediate_ones_are_not_repeated(create_user, space, sink, send):
    from rse.feeds.notifications import service as notifications

    member, other = create_user("staff"), create_user("staff")
    notifications.set_preferences(member, {"mention": "digest"})
    db.session.commit()
    community, animator = space(member, other)
    handle, other_handle = member.email.split("@")[0], other.email.split("@")[0]
    publish(animator, community, "Avec mention", body=f"Merci @{handle} et @{other_handle}")
    publish(animator, community, "Sans mention")
    sink.clear()  # `other` had the immediate email for the mention
    assert send().exit_code == 0
    messages = {m["To"]: m for m in sink.wait_for(2)}
    text, _html = parts(messages[member.email])
    assert "vous a mentionné" in text and text.count("Avec mention") == 1
    other_text, _html = parts(messages[other.email])
    assert "Sans mention" in other_text
    assert "vous a mentionné" not in other_text and "Avec mention" not in other_text


@pytest.mark.outage
def test_mail_server_down_records_nothing_and_the_next_run_sends(app, create_user, space, sink, send, week):
    from tests.services import free_port

    member = create_user("staff")
    community, animator = space(member)
    publish(animator, community, "Après la panne")
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{free_port()}"  # nobody listens there
    down = send()
    assert down.exit_code == 1 and "to retry 1" in down.output
    assert member.id not in _statuses(week)
    app.config["MAIL_URL"] = sink.url
    assert "sent 1" in send().output
    assert [m["To"] for m in sink.wait_for(1)] == [member.email]


def test_documents_opened_on_the_site_are_left_out(create_user, space, create_document, sink, send, login):
    member = create_user("staff")
    community, animator = space(member)
    opened = create_document(community, animator, title="Protocole déjà consulté")
    create_document(community, animator, title="Protocole jamais ouvert", filename="autre.pdf")
    assert login(member).get(f"/documents/{opened.id}").status_code == 200
    assert send().exit_code == 0
    [message] = sink.wait_for(1)
    text, _html = parts(message)
    assert "Protocole jamais ouvert" in text and "Protocole déjà consulté" not in text


def test_each_person_gets_the_digest_in_their_language_and_the_site_keeps_its_own(
        app, create_user, space, sink, send, login):
    reader_fr, reader_en = create_user("staff", name="Claire Lecteur"), create_user("staff", name="Jane Reader")
    reader_en.locale = "en"
    community, animator = space(reader_fr, reader_en, name="Hygiène")
    publish(animator, community, "Protocole mains")
    assert send().exit_code == 0
    messages = {m["To"]: m for m in sink.wait_for(2)}
    assert messages[reader_en.email]["Subject"] == "Your Maillage digest: 1 new item"
    assert messages[reader_fr.email]["Subject"] == "Votre résumé Maillage : 1 nouveauté"
    text_en, html_en = parts(messages[reader_en.email])
    assert "Hello Jane Reader," in text_en and 'lang="en"' in html_en
    assert "Bonjour Claire Lecteur," in parts(messages[reader_fr.email])[0]
    # The emails' catalogue is bound to their own templates: the French pages stay French.
    browser = login(reader_fr)
    page = browser.get("/digest/preview").get_data(as_text=True)
    assert "Votre prochaine lettre" in page or "Rien de nouveau" in page
    page += browser.get("/digest/preview/courriel", follow_redirects=True).get_data(as_text=True)
    assert "Your Maillage digest" not in page and "Hello " not in page


def test_a_long_list_of_newcomers_shows_ten_names_and_counts_the_others(create_user, space, sink, send):
    from rse.communities import service as communities

    member = create_user("staff")
    community, animator = space(member, name="Accueil des internes")
    publish(animator, community, "Bienvenue aux internes")
    for n in range(12):
        communities.add_member(animator, community, create_user("staff", name=f"Interne {n:02d}"), "member")
    assert send().exit_code == 0
    message = next(m for m in sink.wait_for(13) if m["To"] == member.email)
    for part in parts(message):
        assert "Interne 09" in part and "Interne 10" not in part and "et 2 autres" in part


# --- Batches sent by a thread of their own while the next is selected ----------------------------


def _this_week(app):
    from zoneinfo import ZoneInfo

    from rse.digest import periods

    return periods.current("weekly", utcnow(), ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"]))


def _render_failing_at(monkeypatch, number: int, error: BaseException):
    """Make the run's `number`th rendering raise `error` (the selection side failing mid-run);
    returns the real `render`, to put back."""
    real, rendered = sending.render, []

    def render(digest, *args):
        rendered.append(digest.user.id)
        if len(rendered) == number:
            raise error
        return real(digest, *args)

    monkeypatch.setattr(sending, "render", render)
    return real


@pytest.mark.outage
def test_a_failure_while_selecting_stops_the_sending_and_the_next_run_sends_the_rest_once(
        app, create_user, space, sink, week, monkeypatch):
    members = [create_user("staff") for _ in range(7)]
    community, animator = space(*members)
    publish(animator, community, "Envoi par lots")
    real = _render_failing_at(monkeypatch, 5, RuntimeError("selection failed"))
    period = _this_week(app)
    try:
        sending.send_digests([period], batch_size=2)
    except RuntimeError as exc:
        assert str(exc) == "selection failed"
    else:
        raise AssertionError("the run should have failed")
    db.session.rollback()
    first = [m["To"] for m in sink.received()]
    assert len(first) == len(set(first)) <= 4
    assert "claimed" not in _statuses(week).values()  # the thread finished what it had begun

    monkeypatch.setattr(sending, "render", real)
    report = sending.send_digests([period], batch_size=2)
    received = [m["To"] for m in sink.wait_for(7)]
    assert sorted(received) == sorted(m.email for m in members)  # each once, over both runs
    assert report.sent == 7 - len(first)


@pytest.mark.outage
def test_the_server_going_down_with_batches_queued_leaves_every_unsent_digest_for_later(
        app, create_user, space, sink, week, monkeypatch, tmp_path):
    members = [create_user("staff") for _ in range(6)]
    community, animator = space(*members)
    publish(animator, community, "Panne au milieu")
    real, calls = sender.transmit, Calls(tmp_path / "calls")

    def down_from_the_third(connection, message, before_end):
        if calls.add(message.recipients[0]) >= 3:
            raise smtplib.SMTPServerDisconnected("connection lost")
        real(connection, message, before_end)

    monkeypatch.setattr(sender, "transmit", down_from_the_third)
    period = _this_week(app)
    report = sending.send_digests([period], batch_size=2)
    db.session.rollback()
    assert (report.sent, report.failed) == (2, 1)
    assert 2 <= report.retry_later <= 4  # the failed batch, and the one handed over meanwhile if any
    assert len(sink.wait_for(2)) == 2 and len(calls.all()) == 3  # nothing tried after the failure

    monkeypatch.setattr(sender, "transmit", real)
    later = sending.send_digests([period], now=utcnow() + timedelta(hours=1), batch_size=2)
    db.session.rollback()
    assert later.sent == 4 and later.failed == 0
    assert sorted(m["To"] for m in sink.wait_for(6)) == sorted(m.email for m in members)
    assert list(_statuses(week).values()).count("sent") == 6


def test_an_entry_rendered_once_for_a_run_keeps_each_readers_own_note(create_user, space, sink, send):
    from rse.feeds.notifications import service as notifications

    mentioned, other = create_user("staff"), create_user("staff")
    notifications.set_preferences(mentioned, {"mention": "digest"})
    community, animator = space(mentioned, other)
    publish(animator, community, "Compte rendu du CLIN", body=f"Relu par @{mentioned.email.split('@')[0]}")
    assert send().exit_code == 0
    messages = {m["To"]: m for m in sink.wait_for(2)}
    for part in parts(messages[mentioned.email]):
        assert "vous a mentionné" in part and part.count("Compte rendu du CLIN") == 1
    for part in parts(messages[other.email]):
        assert "vous a mentionné" not in part and "Compte rendu du CLIN" in part


def test_the_line_under_each_title_has_no_empty_parts(create_user, space, sink, send):
    member, colleague = create_user("staff"), create_user("staff")
    community, animator = space(member, colleague, name="Pharmacie")
    post = publish(animator, community, "Rupture d'amoxicilline")
    reactions.like(colleague, post)
    db.session.commit()
    assert send().exit_code == 0
    message = next(m for m in sink.wait_for(2) if m["To"] == member.email)
    text, html = parts(message)
    meta = [line.strip() for line in text.splitlines() if animator.name in line]
    assert meta == [animator.name]  # a community's own section: the author alone, no dangling "·"
    assert re.search(r">\s*" + re.escape(animator.name) + r" · 1 j'aime\s*</div>", html)


def test_readers_own_item_leaves_out_their_name_and_others_still_see_it(create_user, space, sink, send):
    asker = create_user("staff", name="Sophie Durand")
    answerer, reader = create_user("staff", name="Karim Benali"), create_user("staff", name="Léa Roux")
    community, _animator = space(asker, answerer, reader)
    question = publish(asker, community, "Combien de temps garder les feuilles ?", kind="question")
    comments.add_comment(answerer, question, "Cinq ans, selon le protocole régional.")
    db.session.commit()
    assert send().exit_code == 0
    messages = {m["To"]: m for m in sink.wait_for(2)}
    for part in parts(messages[asker.email]):  # in "Pour vous", from the comment's notification
        assert "Nouveau commentaire de Karim Benali" in part
        assert part.count("Sophie Durand") == 1 and "Bonjour Sophie Durand" in part  # the greeting alone
    for part in parts(messages[reader.email]):  # the same entry, rendered in the same run
        assert "Combien de temps garder les feuilles ?" in part and "Sophie Durand" in part


@pytest.mark.parametrize("excerpts", [True, False])
def test_an_untitled_post_is_named_by_its_first_words_where_its_text_may_leave(app, create_user, space, sink, send,
                                                                               excerpts):
    app.config["MAIL_EXCERPTS"] = excerpts
    member = create_user("staff")
    community, animator = space(member, name="CPOM Tilleuls")
    publish(animator, community, "", body="Fin janvier, **fiches objectifs** : mars. Signature : juin, bilan ensuite")
    assert send().exit_code == 0
    [message] = sink.wait_for(1)
    for part in map(unescape, parts(message)):
        assert "« «" not in part and "Message dans «" not in part
        if excerpts:
            assert "Fin janvier, fiches objectifs : mars. Signature…" in part
        else:  # excerpts off: a post's text stays on the site
            assert "Fin janvier" not in part and "Message dans l'espace CPOM Tilleuls" in part


def test_an_untitled_post_of_a_sensitive_space_is_named_by_its_space_only(app, create_user, space, sink, send):
    app.config["MAIL_EXCERPTS"] = True
    member = create_user("staff")
    community, keeper = space(member, name="Direction", sensitive=True)
    publish(keeper, community, "", body="Réorganisation confidentielle du pôle")
    assert send().exit_code == 0
    [message] = sink.wait_for(1)
    for part in map(unescape, parts(message)):
        assert "confidentielle" not in part and "Message dans l'espace Direction" in part


def test_a_document_names_who_deposited_its_current_version(create_user, space, create_document, sink, send):
    from rse.documents import service as documents
    from rse.uploads import HashingSpool
    from tests.documents.samples import pdf_bytes

    reader = create_user("staff", name="Léa Roux")
    author, reviser = create_user("staff", name="Sophie Durand"), create_user("staff", name="Karim Benali")
    community, _animator = space(reader, author, reviser, name="Hygiène")
    create_document(community, author, title="Protocole mains")
    revised = create_document(community, author, title="Protocole bloc", filename="bloc.pdf")
    spool = HashingSpool(app_config("UPLOAD_TMP"), app_config("MAX_UPLOAD_BYTES"))
    try:
        spool.write(pdf_bytes("Version 2"))
        spool.flush()
        documents.add_version(reviser, revised, documents.Upload(spool, "bloc-v2.pdf"))
        db.session.commit()
    finally:
        spool.close()
    assert send("--user", reader.email).exit_code == 0
    [message] = sink.wait_for(1)
    text, html = parts(message)
    lines = text.splitlines()
    assert lines[lines.index("- Protocole mains") + 1].strip() == "Sophie Durand"
    assert lines[lines.index("- Protocole bloc") + 1].strip() == "Nouvelle version · Karim Benali"
    assert re.search(r">\s*Nouvelle version · Karim Benali\s*</div>", html)
    assert re.search(r">\s*Sophie Durand\s*</div>", html)


def app_config(name: str):
    from flask import current_app

    return current_app.config[name]


# --- No process-wide side effects; Ctrl+C ----------------------------------------------------------


def test_a_send_leaves_the_interpreters_switch_interval_alone(app, create_user, space, sink, monkeypatch):
    members = [create_user("staff") for _ in range(3)]
    community, animator = space(*members)
    publish(animator, community, "Sans effet de bord")
    before, during = sys.getswitchinterval(), []
    real = sending.render

    def watching(digest, *args):
        during.append(sys.getswitchinterval())
        return real(digest, *args)

    monkeypatch.setattr(sending, "render", watching)
    report = sending.send_digests([_this_week(app)], batch_size=2)
    db.session.rollback()
    assert report.sent == 3 and len(sink.wait_for(3)) == 3
    assert during and set(during) == {before}
    assert sys.getswitchinterval() == before
    assert multiprocessing.active_children() == []  # the sender process is gone with its run


@pytest.mark.outage
def test_ctrl_c_during_a_send_propagates_and_the_next_run_sends_the_rest_once(
        app, create_user, space, sink, week, monkeypatch):
    members = [create_user("staff") for _ in range(7)]
    community, animator = space(*members)
    publish(animator, community, "Interrompu au clavier")
    real = _render_failing_at(monkeypatch, 5, KeyboardInterrupt())
    period = _this_week(app)
    with pytest.raises(KeyboardInterrupt):
        sending.send_digests([period], batch_size=2)
    db.session.rollback()
    first = [m["To"] for m in sink.received()]
    assert len(first) == len(set(first)) <= 4
    # The message in flight finished; nothing is left claimed (it would become `uncertain`), and
    # whoever was handed over but not sent has no row: the next run sends theirs.
    assert "claimed" not in _statuses(week).values()
    assert multiprocessing.active_children() == []

    monkeypatch.setattr(sending, "render", real)
    report = sending.send_digests([period], batch_size=2)
    received = [m["To"] for m in sink.wait_for(7)]
    assert sorted(received) == sorted(m.email for m in members)  # each once, over both runs
    assert report.sent == 7 - len(first) and report.uncertain == 0
