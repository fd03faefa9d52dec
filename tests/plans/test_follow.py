"""The follow-up of actions: comments on an action and who may write them, the stream's lines
(created, completed, late) shown only to its readers, the owners' notifications and emails (given an
action, a week before, on the day), and `flask plans remind`: once per due date, run twice or killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from rse import signals
from rse.database import db
from rse.errors import ValidationError
from rse.feeds import activity as follow_runs
from rse.feeds.models import Activity, Comment, Notification
from rse.feeds.notifications import service as notifications
from rse.feeds.social import suggestions
from rse.feeds.streams import service as streams
from rse.i18n import local_today
from rse.mail.models import OutboundEmail
from rse.plans import follow
from rse.plans import service as plans
from rse.plans.models import Action


@pytest.fixture
def cpom(world):
    """The private space's plan; an action owned by the partner, co-owned by the member, due in 30 days."""
    space = world.spaces["private"]
    plan = plans.create_plan(world.animator, space, {"title": "Plan d'actions CPOM 2026-2030"})
    objective = plans.add_objective(world.animator, plan, {"title": "Améliorer le parcours"})
    action = plans.create_action(world.animator, objective, {
        "title": "Ouvrir 10 places d'hébergement temporaire", "owner_id": world.partner.id,
        "co_owners": [world.member.id], "due_date": local_today() + timedelta(days=30)})
    db.session.commit()
    return plan, objective, action


def _emails(user, subject_start: str = "") -> list[OutboundEmail]:
    return [e for e in db.session.scalars(select(OutboundEmail).where(OutboundEmail.recipient == user.email)
                                          .order_by(OutboundEmail.id)) if e.subject.startswith(subject_start)]


def _notices(user, action, event: str) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.action_id == action.id, Notification.event == event))


def _activities(action) -> list[str]:
    return list(db.session.scalars(select(Activity.verb).where(Activity.action_id == action.id)
                                   .order_by(Activity.id)))


def _move_due(action, days: int) -> None:
    row = db.session.get(Action, action.id)
    plans.update_action(row.owner, row, {"due_date": (local_today() + timedelta(days=days)).isoformat()},
                        row_version=row.row_version)
    db.session.commit()


# --- Comments ---------------------------------------------------------------------------------------

def test_members_comment_on_an_action_and_its_owners_and_the_mentioned_are_told(world, cpom, login):
    _plan, _objective, action = cpom
    member = login(world.member)
    response = member.post(f"/actions/{action.id}/commentaires",
                           data={"body": "Le bâtiment B est prêt, @" + world.animator.email.split("@")[0]})
    assert response.status_code == 302
    comment = db.session.scalar(select(Comment).where(Comment.action_id == action.id))
    assert response.headers["Location"].endswith(f"/actions/{action.id}#commentaire-{comment.id}")
    page = member.get(f"/actions/{action.id}").get_data(as_text=True)
    assert "Le bâtiment B est prêt" in page and "Publier le commentaire" in page
    # The partner owner hears of the comment, the animator of the mention; the writer of neither.
    partner_lines = notifications.lines(notifications.list_notifications(world.partner)[0])
    assert [line.sentence for line in partner_lines if line.row.kind == "comment"] == [
        "Nouveau commentaire de Membre sur « Ouvrir 10 places d'hébergement temporaire »"]
    animator_lines = notifications.lines(notifications.list_notifications(world.animator)[0])
    assert [line.sentence for line in animator_lines if line.row.kind == "mention"] == [
        "Membre vous a mentionné dans un commentaire sur « Ouvrir 10 places d'hébergement temporaire »"]
    assert notifications.open_notification(world.partner, partner_lines[0].row.id).startswith(
        f"/actions/{action.id}#commentaire-")
    db.session.commit()
    # Those who may read the action read its comments; others get a 404 and learn nothing.
    outsider = login(world.outsider)
    assert outsider.get(f"/actions/{action.id}").status_code == 404
    refused = outsider.post(f"/actions/{action.id}/commentaires", data={"body": "Intrus"})
    assert refused.status_code == 404
    stranger = login(world.stranger)
    assert stranger.post(f"/actions/{action.id}/commentaires", data={"body": "Intrus"}).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Comment).where(Comment.action_id == action.id)) == 1


def test_a_partner_member_comments_and_an_empty_comment_is_refused_with_a_message(world, cpom, login):
    _plan, _objective, action = cpom
    partner = login(world.partner)
    empty = partner.post(f"/actions/{action.id}/commentaires", data={"body": "  "})
    assert empty.status_code == 422
    page = empty.get_data(as_text=True)
    assert "Ce champ est obligatoire" in page and "Ouvrir 10 places d&#39;hébergement temporaire" in page
    assert partner.post(f"/actions/{action.id}/commentaires", data={"body": "Fait"}).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Comment).where(Comment.action_id == action.id)) == 1


def test_an_action_cannot_be_suggested_or_reached_through_document_routes(world, cpom, login, api):
    _plan, _objective, action = cpom
    with pytest.raises(ValidationError) as refused:
        suggestions.get_item(world.member, "action", action.id)
    assert refused.value.fields == {"item": "Élément inconnu : publication ou document."}
    member = login(world.member)
    assert member.get(f"/proposer?action={action.id}").status_code == 404
    api_refused = api(world.member).post("/api/v1/suggestions", json={"item": {"type": "action", "id": action.id},
                                                                      "users": [world.animator.id]})
    assert api_refused.status_code == 422, api_refused.json
    assert api_refused.json["error"]["fields"] == {"item": "Élément inconnu : publication ou document."}


# --- Streams ----------------------------------------------------------------------------------------

def _stream_lines(actor, space) -> list[tuple[str, str]]:
    page = streams.community(actor, space)
    return [(item.activity.verb, item.subject_title) for item in page.items if item.subject is not None]


def test_the_stream_says_created_completed_and_late_once_and_only_to_readers(world, cpom, login, api):
    _plan, _objective, action = cpom
    space = world.spaces["private"]
    plans.close_action(world.partner, action, status="done", result_note="10 places ouvertes", row_version=1)
    db.session.commit()
    title = "Ouvrir 10 places d'hébergement temporaire"
    assert _stream_lines(world.member, space) == [("completed", title), ("created", title)]
    home = streams.home(world.partner)
    assert [(i.activity.verb, i.subject_title) for i in home.items if i.subject is not None] == [
        ("completed", title), ("created", title)]
    page = login(world.member).get(f"/espaces/{space.id}").get_data(as_text=True)
    assert "Partenaire membre</a> a réalisé l'action" in page and "Animatrice</a> a créé l'action" in page
    assert f'href="/actions/{action.id}"' in page
    # Someone who cannot read the space sees none of it, by page, stream or API.
    assert "Ouvrir 10 places" not in login(world.outsider).get(f"/espaces/{space.id}").get_data(as_text=True)
    assert all(i.subject is None for i in streams.home(world.outsider).items)
    assert all(i.subject is None for i in streams.person(world.outsider, world.animator).items)
    feed = api(world.member).get(f"/api/v1/communities/{space.id}/feed")
    actions = [i for i in feed.json["items"] if i["item_type"] == "action"]
    assert [(i["verb"], i["item"]["title"], i["item"]["url"]) for i in actions] == [
        ("completed", title, f"/actions/{action.id}"), ("created", title, f"/actions/{action.id}")]
    assert api(world.outsider).get(f"/api/v1/communities/{space.id}/feed").status_code == 403


def test_like_lines_one_after_another_fold_into_one_card_of_their_plan(world, cpom, app):
    plan, objective, _first = cpom
    space = world.spaces["private"]

    def add(title, who=world.animator, into=objective):
        action = plans.create_action(who, into, {"title": title})
        db.session.commit()
        return action

    def cards():
        return [(i.activity.verb, i.activity.run_size or 1, i.subject_title, i.subject_group and i.subject_group.title)
                for i in streams.community(world.member, space).items if i.subject is not None]

    add("Deuxième")
    add("Troisième")
    assert cards() == [("created", 3, "Troisième", plan.title)]
    # Another plan, then a line of another person, then a pause of more than RUN_GAP: each starts a card.
    other = plans.add_objective(world.animator, plans.create_plan(world.animator, space, {"title": "PAQSS 2027"}),
                                {"title": "Sécuriser le circuit du médicament"})
    add("Dans un autre plan", into=other)
    add("Quatrième")
    add("Celle du membre animateur", who=world.admin)
    add("Cinquième")
    sixth = db.session.scalar(select(Activity).where(Activity.action_id == add("Sixième").id))
    sixth.created_at -= follow_runs.RUN_GAP + timedelta(minutes=1)
    db.session.commit()
    add("Septième")
    assert cards() == [("created", 1, "Septième", None), ("created", 2, "Sixième", plan.title),
                       ("created", 1, "Celle du membre animateur", None), ("created", 1, "Quatrième", None),
                       ("created", 1, "Dans un autre plan", None), ("created", 3, "Troisième", plan.title)]
    # Nothing is lost: every line is kept, the folded ones out of the streams.
    assert db.session.scalar(select(func.count()).select_from(Activity).where(Activity.kind == "action")) == 9
    # The morning's run folds the late ones it finds the same way, with no actor.
    for action in db.session.scalars(select(Action).where(Action.plan_id == plan.id)):
        db.session.execute(update(Action).where(Action.id == action.id).values(due_date=local_today() - timedelta(days=1)))
    db.session.commit()
    assert follow.remind(local_today())["late"] == 8
    (late,) = [i for i in streams.community(world.member, space).items if i.activity.verb == "late"]
    assert (late.activity.run_size, late.actor) == (8, None)
    html = app.jinja_env.from_string('{% import "feeds/macros.html" as f with context %}'
                                     '{{ f.stream_item(item, "x", {}, None) }}')
    with app.test_request_context():
        assert f'8 actions du plan <a href="/plans/{plan.id}">Plan d&#39;actions CPOM 2026-2030</a> sont en retard' \
            in html.render(item=late)


def test_a_late_action_is_announced_once_per_due_date_with_no_actor(world, cpom, app):
    _plan, _objective, action = cpom
    _move_due(action, -1)
    assert follow.remind(local_today())["late"] == 1
    assert follow.remind(local_today())["late"] == 0
    assert _activities(action) == ["created", "late"]
    (late,) = [i for i in streams.community(world.member, world.spaces["private"]).items
               if i.activity.verb == "late"]
    assert late.actor is None
    html = app.jinja_env.from_string('{% import "feeds/macros.html" as f with context %}'
                                     '{{ f.stream_item(item, "x", {}, None) }}')
    with app.test_request_context():
        assert f'L\'action <a href="/actions/{action.id}">Ouvrir 10 places' in html.render(item=late)
        assert "est en retard" in html.render(item=late)


# --- Notifications and reminders --------------------------------------------------------------------

def test_owners_are_notified_and_emailed_when_given_an_action_per_their_settings(world, cpom):
    _plan, _objective, action = cpom
    for person in (world.partner, world.member):
        assert _notices(person, action, "assigned") == 1
        (email,) = _emails(person, "Action confiée")
        assert email.subject == "Action confiée : Ouvrir 10 places d'hébergement temporaire"
        assert ("Animatrice vous a confié l'action « Ouvrir 10 places d'hébergement temporaire », "
                "dans l'espace Espace private") in email.text_body
        assert f"/actions/{action.id}" in email.text_body
    assert _notices(world.animator, action, "assigned") == 0  # the one who gave it is not told
    # Someone who chose « jamais » for actions gets the notification, not the email.
    notifications.set_preferences(world.member, {"action": "never"})
    objective = action.objective
    other = plans.create_action(world.animator, objective, {"title": "Former les équipes",
                                                            "owner_id": world.member.id})
    db.session.commit()
    assert _notices(world.member, other, "assigned") == 1 and _emails(world.member, "Action confiée : Former") == []
    lines = notifications.lines(notifications.list_notifications(world.member)[0])
    assert "Animatrice vous a confié l'action « Former les équipes »" in [line.sentence for line in lines]


def test_remind_sends_once_per_due_date_and_again_when_the_date_moves(world, cpom, app):
    _plan, _objective, action = cpom
    _move_due(action, 7)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["plans", "remind"])
    assert first.exit_code == 0, first.output
    assert first.output.strip() == "reminded 1 action(s) due within a week, 0 due today; announced 0 late"
    again = runner.invoke(args=["plans", "remind"])
    assert again.output.strip() == "reminded 0 action(s) due within a week, 0 due today; announced 0 late"
    db.session.rollback()
    for person in (world.partner, world.member):
        assert _notices(person, action, "reminder_week") == 1
        (email,) = _emails(person, "Échéance le")
        assert "Ouvrir 10 places d'hébergement temporaire" in email.subject
    row = db.session.get(Action, action.id)
    assert row.reminded_week_for == row.due_date and row.row_version == 2  # a reminder is no edit
    # The date moves: reminded again a week before the new one; on the day, the day's reminder.
    _move_due(action, 5)
    assert follow.remind(local_today())["reminder_week"] == 1
    _move_due(action, 0)
    assert follow.remind(local_today()) == {"reminder_week": 0, "reminder_due": 1, "late": 0}
    assert follow.remind(local_today()) == {"reminder_week": 0, "reminder_due": 0, "late": 0}
    assert _notices(world.partner, action, "reminder_week") == 2
    assert [e.subject for e in _emails(world.partner, "Échéance aujourd'hui")] == [
        "Échéance aujourd'hui : Ouvrir 10 places d'hébergement temporaire"]
    # Closed actions are never reminded.
    _move_due(action, 3)
    row = db.session.get(Action, action.id)
    plans.close_action(world.partner, row, status="abandoned", result_note="Reporté", row_version=row.row_version)
    db.session.commit()
    assert follow.remind(local_today()) == {"reminder_week": 0, "reminder_due": 0, "late": 0}


def test_a_run_that_dies_after_the_mark_leaves_nothing_and_the_next_sends_once(world, cpom):
    _plan, _objective, action = cpom
    _move_due(action, 0)

    def crash(_sender, **extra):
        if extra["event"] == "reminder_due":
            raise RuntimeError("killed")

    signals.plan_action_event.connect(crash)
    try:
        with pytest.raises(RuntimeError):
            follow.remind(local_today())
    finally:
        signals.plan_action_event.disconnect(crash)
    db.session.rollback()
    assert db.session.get(Action, action.id).reminded_due_for is None
    assert _emails(world.partner, "Échéance") == [] and _notices(world.partner, action, "reminder_due") == 0
    assert follow.remind(local_today())["reminder_due"] == 1
    assert follow.remind(local_today())["reminder_due"] == 0
    assert len(_emails(world.partner, "Échéance aujourd'hui")) == 1
    assert _notices(world.partner, action, "reminder_due") == 1


@pytest.mark.parametrize("app", ["postgresql"], indirect=True)  # a second process needs a database server
def test_a_killed_command_loses_and_duplicates_no_reminder(world, cpom, app, tmp_path):
    """SIGKILL a real `flask plans remind` in the middle of its actions: what it committed is sent once,
    the rest by the next run, never twice."""
    _plan, objective, _action = cpom
    made = [plans.create_action(world.animator, objective, {
        "title": f"Action {n}", "owner_id": world.member.id, "due_date": local_today()}) for n in range(30)]
    db.session.commit()
    env = {**os.environ, "RSE_DATABASE_URL": str(db.engine.url.render_as_string(hide_password=False)),
           "FLASK_APP": "rse:create_app"}
    process = subprocess.Popen([sys.executable, "-m", "flask", "plans", "remind"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.5)
    process.send_signal(signal.SIGKILL)
    process.wait()
    follow.remind(local_today())
    db.session.rollback()
    for item in made:
        assert _notices(world.member, item, "reminder_due") == 1
    subjects = [e.subject for e in _emails(world.member, "Échéance aujourd'hui")]
    assert sorted(subjects) == sorted(f"Échéance aujourd'hui : Action {n}" for n in range(30))
