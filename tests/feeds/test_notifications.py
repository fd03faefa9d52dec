"""Notifications: @mentions, unread count, marking read, what the list hides, email preferences."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from rse.database import db
from rse.dbtypes import utcnow
from rse.errors import NotFound, ValidationError
from rse.feeds.models import Notification
from rse.feeds.notifications import service as notifications
from rse.feeds.publications import service as publications
from rse.feeds.social import comments, suggestions


def _rows(user, kind=None) -> list[Notification]:
    query = select(Notification).where(Notification.user_id == user.id)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    return list(db.session.scalars(query.order_by(Notification.id)))


def _listed(user) -> list[int]:
    rows, _more = notifications.list_notifications(user)
    return [row.id for row in rows]


@pytest.fixture
def marie(world, create_user):
    """A member of the private space with a handle: @marie.dupont."""
    from rse.communities import service as communities

    user = create_user("staff", email="marie.dupont@ght-exemple.fr", name="Marie Dupont")
    communities.add_member(world.animator, world.spaces["private"], user, "member")
    db.session.commit()
    return user


# --- Mentions -----------------------------------------------------------------------------------

def test_a_mention_notifies_and_links_the_person(world, marie, outbox, publish):
    post = publish(world.member, world.spaces["private"], body="Bonjour @marie.dupont, merci !")
    assert post.mentions == {"marie.dupont": marie.id}
    assert f'href="/personnes/{marie.id}"' in post.body_html and "@Marie Dupont" in post.body_html
    rows = _rows(marie, "mention")
    assert [(r.publication_id, r.actor_id) for r in rows] == [(post.id, world.member.id)]
    assert [m["To"] for m in outbox()] == [marie.email]


def test_a_mention_is_case_insensitive(world, marie, publish):
    post = publish(world.member, world.spaces["private"], body="Merci @Marie.Dupont")
    assert post.mentions == {"marie.dupont": marie.id}


def test_who_may_not_read_is_not_mentioned(world, marie, publish):
    handle = world.outsider.email.split("@")[0]
    post = publish(world.member, world.spaces["private"], body=f"Voir @{handle} et @inconnu.total")
    assert post.mentions == {}
    assert f"@{handle}" in post.body_html and "href" not in post.body_html
    assert _rows(world.outsider) == []


def test_a_deactivated_person_is_not_mentioned(world, publish):
    handle = world.deactivated.email.split("@")[0]
    post = publish(world.member, world.spaces["private"], body=f"Voir @{handle}")
    assert post.mentions == {}
    assert db.session.scalars(select(Notification)).all() == []


def test_an_underscore_in_a_handle_is_not_a_wildcard(world, marie, create_user, publish):
    from rse.communities import service as communities

    underscore = create_user("staff", email="marie_dupont@ght-exemple.fr", name="Marie Dupont-Bis")
    communities.add_member(world.animator, world.spaces["private"], underscore, "member")
    db.session.commit()
    post = publish(world.member, world.spaces["private"], body="Pour @marie_dupont et @marie.dupont")
    assert post.mentions == {"marie_dupont": underscore.id, "marie.dupont": marie.id}


def test_a_mention_in_a_comment(world, marie, publish):
    post = publish(world.animator, world.spaces["private"], body="Question d'organisation")
    comment = comments.add_comment(world.member, post, "Je pense que @marie.dupont sait")
    db.session.commit()
    assert [(r.comment_id, r.publication_id) for r in _rows(marie, "mention")] == [(comment.id, post.id)]
    # The author hears of the comment; the mentioned person only once, of the mention.
    assert [r.comment_id for r in _rows(world.animator, "comment")] == [comment.id]
    assert _rows(marie, "comment") == []


def test_an_edit_notifies_only_new_mentions(world, marie, create_user, publish):
    post = publish(world.member, world.spaces["private"], body="Pour @marie.dupont")
    handle = world.partner.email.split("@")[0]
    publications.update_publication(world.member, post, {"body": f"Pour @marie.dupont et @{handle}"})
    db.session.commit()
    assert len(_rows(marie, "mention")) == 1
    assert len(_rows(world.partner, "mention")) == 1


# --- Unread count and marking read --------------------------------------------------------------

def test_unread_count_and_mark_read(world, marie, publish):
    first = publish(world.member, world.spaces["private"], body="Un @marie.dupont")
    second = publish(world.member, world.spaces["private"], body="Deux @marie.dupont")
    publish(world.member, world.spaces["private"], body="Trois @marie.dupont")
    assert notifications.unread_count(marie) == 3
    rows = _rows(marie)
    assert _listed(marie) == [r.id for r in reversed(rows)]
    assert notifications.mark_read(marie, [rows[0].id]) == 1
    db.session.commit()
    assert notifications.unread_count(marie) == 2
    assert [r.publication_id for r in notifications.list_notifications(marie, unread_only=True)[0]] == [
        rows[2].publication_id, second.id]
    assert notifications.mark_read(marie, [rows[0].id]) == 0  # already read
    assert notifications.mark_read(world.member, [rows[1].id]) == 0  # not theirs
    assert notifications.mark_read(marie) == 2
    db.session.commit()
    assert notifications.unread_count(marie) == 0
    assert len(_listed(marie)) == 3 and first.id == rows[0].publication_id


def test_listing_pages_by_id(world, marie, publish):
    for i in range(5):
        publish(world.member, world.spaces["private"], body=f"Message {i} @marie.dupont")
    page, more = notifications.list_notifications(marie, limit=3)
    assert len(page) == 3 and more
    rest, more = notifications.list_notifications(marie, before=page[-1].id, limit=3)
    assert len(rest) == 2 and not more
    assert [r.id for r in page + rest] == [r.id for r in reversed(_rows(marie))]


def test_get_notification_only_ones_own(world, marie, publish):
    publish(world.member, world.spaces["private"], body="Pour @marie.dupont")
    row = _rows(marie)[0]
    assert notifications.get_notification(marie, row.id).id == row.id
    with pytest.raises(NotFound):
        notifications.get_notification(world.member, row.id)


# --- What the list hides ------------------------------------------------------------------------

def test_leaving_the_community_hides_its_notifications(world, marie, publish):
    from rse.communities import service as communities

    publish(world.member, world.spaces["private"], body="Pour @marie.dupont")
    public = publish(world.member, world.spaces["public"], body="Aussi @marie.dupont")  # public: staff reads it
    assert notifications.unread_count(marie) == 2
    communities.leave(marie, world.spaces["private"])
    db.session.commit()
    assert notifications.unread_count(marie) == 1
    assert [r.publication_id for r in notifications.list_notifications(marie)[0]] == [public.id]
    hidden = _rows(marie)[0]
    with pytest.raises(NotFound):
        notifications.get_notification(marie, hidden.id)


def test_a_deleted_item_hides_its_notifications(world, marie, publish):
    post = publish(world.member, world.spaces["private"], body="Pour @marie.dupont")
    assert notifications.unread_count(marie) == 1
    publications.delete_publication(world.member, post)
    db.session.commit()
    assert notifications.unread_count(marie) == 0 and _listed(marie) == []


def test_a_deleted_comment_hides_its_notification(world, marie, publish):
    post = publish(world.animator, world.spaces["private"], body="Sujet")
    comment = comments.add_comment(world.member, post, "Avis de @marie.dupont ?")
    db.session.commit()
    assert notifications.unread_count(marie) == 1
    comments.delete_comment(world.member, comment)
    db.session.commit()
    assert notifications.unread_count(marie) == 0


def test_a_trashed_document_hides_its_notifications(world, create_document):
    from rse.documents import service as documents

    document = create_document(world.spaces["private"], world.animator)
    comments.add_comment(world.member, document, "Relu")
    db.session.commit()
    assert notifications.unread_count(world.animator) == 1
    documents.trash_document(world.animator, document)
    db.session.commit()
    assert notifications.unread_count(world.animator) == 0


def test_a_deactivated_account_lists_nothing(world, marie, publish):
    publish(world.member, world.spaces["private"], body="Pour @marie.dupont")
    assert notifications.unread_count(marie) == 1
    marie.deactivated_at = utcnow()
    db.session.commit()
    assert notifications.unread_count(marie) == 0
    assert _listed(marie) == []


# --- Email preferences --------------------------------------------------------------------------

def test_default_preferences(world):
    assert notifications.preferences(world.member) == {
        "mention": "immediate", "suggestion": "immediate", "comment": "digest", "answer": "immediate",
        "followed": "digest", "version": "digest", "circuit": "immediate", "reading": "immediate", "action": "immediate"}


@pytest.mark.parametrize(("mode", "emailed"), [("immediate", True), ("digest", False), ("never", False)])
def test_email_preference_is_respected(world, marie, outbox, mode, emailed, publish):
    notifications.set_preferences(marie, {"mention": mode})
    db.session.commit()
    publish(world.member, world.spaces["private"], body="Pour @marie.dupont")
    rows = _rows(marie, "mention")
    assert len(rows) == 1  # the in-app notification is always written
    assert (rows[0].email_id is not None) is emailed
    assert len([m for m in outbox() if m["To"] == marie.email]) == (1 if emailed else 0)


def test_a_comment_is_emailed_at_once_only_when_asked(world, outbox, publish):
    post = publish(world.animator, world.spaces["private"], body="Sujet")
    comments.add_comment(world.member, post, "Premier avis")
    db.session.commit()
    assert outbox() == []  # comments go to the digest by default
    notifications.set_preferences(world.animator, {"comment": "immediate"})
    comments.add_comment(world.member, post, "Second avis")
    db.session.commit()
    assert [m["To"] for m in outbox()] == [world.animator.email]


def test_the_email_of_a_sensitive_community_carries_no_content(app, world, create_community, outbox, publish):
    app.config["MAIL_EXCERPTS"] = True
    sensitive = create_community(world.animator, visibility="private", name="Dossiers patients", sensitive=True,
                                 members=[(world.member, "member")])
    post = publish(world.animator, sensitive, body="Contenu confidentiel du dossier")
    suggestions.suggest(world.animator, post, users=[world.member.id], message="Message confidentiel")
    db.session.commit()
    [mail] = outbox()
    everything = mail["Subject"] + mail.get_body(("plain",)).get_content() + mail.get_body(("html",)).get_content()
    assert "confidentiel" not in everything
    assert f"/publications/{post.id}" in everything


def test_the_email_of_an_ordinary_community_carries_the_message(app, world, outbox, publish):
    post = publish(world.animator, world.spaces["private"], body="Menu de la semaine")
    suggestions.suggest(world.animator, post, users=[world.member.id], message="Regarde le jeudi")
    db.session.commit()
    [mail] = outbox()
    assert "Menu de la semaine" not in mail["Subject"]  # excerpts off: a post's text stays on the site
    assert mail["Subject"] == "Animatrice vous propose : Message dans l'espace Espace private"
    assert "Regarde le jeudi" in mail.get_body(("plain",)).get_content()


def test_with_excerpts_on_an_untitled_post_is_named_by_its_text(app, world, outbox, publish):
    app.config["MAIL_EXCERPTS"] = True
    post = publish(world.animator, world.spaces["private"], body="Menu de la semaine")
    suggestions.suggest(world.animator, post, users=[world.member.id], message="Regarde le jeudi")
    db.session.commit()
    [mail] = outbox()
    assert "Menu de la semaine" in mail["Subject"]


def test_setting_preferences(world):
    modes = notifications.set_preferences(world.member, {"comment": "never", "mention": "digest"})
    db.session.commit()
    assert modes["comment"] == "never" and modes["mention"] == "digest"
    notifications.set_preferences(world.member, {"comment": "immediate"})
    db.session.commit()
    assert notifications.preferences(world.member)["comment"] == "immediate"


@pytest.mark.parametrize("changes", [{"like": "never"}, {"comment": "weekly"}, {"comment": ["never"]},
                                     {"comment": None}])
def test_unknown_preferences_are_refused(world, changes):
    with pytest.raises(ValidationError) as error:
        notifications.set_preferences(world.member, changes)
    db.session.rollback()
    assert set(error.value.fields) == set(changes)
    assert notifications.preferences(world.member)["comment"] == "digest"
