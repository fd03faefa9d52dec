"""Suggestions ("Proposer à…"): to people, to a community, to everyone; refusals write nothing."""

from __future__ import annotations

import functools

import pytest
from sqlalchemy import func, select

from rse.audit.models import AuditEntry
from rse.database import db
from rse.errors import PermissionDenied, ValidationError
from rse.feeds.models import Activity, Delivery, Notification, Suggestion
from rse.feeds.social import suggestions
from rse.feeds.streams import service as streams
from rse.mail.models import OutboundEmail

WRITTEN = (Suggestion, Activity, Delivery, Notification, OutboundEmail, AuditEntry)


def _counts() -> dict[str, int]:
    return {model.__tablename__: db.session.scalar(select(func.count()).select_from(model)) for model in WRITTEN}


@pytest.fixture
def refused(refused):
    """Here a refusal must also leave every table above as it was."""
    return functools.partial(refused, unchanged=_counts)


def _suggest(actor, item, **kwargs):
    suggestion = suggestions.suggest(actor, item, **kwargs)
    db.session.commit()
    return suggestion


def _suggestion_notices(user) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(
        Notification.user_id == user.id, Notification.kind == "suggestion")))


# --- To people ----------------------------------------------------------------------------------

def test_suggest_to_people_notifies_emails_and_delivers_home(world, outbox, publish):
    post = publish(world.animator, world.spaces["public"], body="Nouveau protocole d'hygiène")
    suggestion = _suggest(world.member, post, users=[world.outsider.id], message="À lire avant lundi")
    notices = _suggestion_notices(world.outsider)
    assert [(n.publication_id, n.suggestion_id, n.actor_id) for n in notices] == [
        (post.id, suggestion.id, world.member.id)]
    assert notices[0].email_id is not None
    mails = [m for m in outbox() if m["To"] == world.outsider.email]
    assert len(mails) == 1 and mails[0]["Subject"] == "Membre vous propose : Message dans l'espace Espace public"
    assert "Nouveau protocole" not in mails[0]["Subject"]  # excerpts off: a post's text stays on the site
    assert "À lire avant lundi" in mails[0].get_body(("plain",)).get_content()
    page = streams.home(world.outsider)  # the outsider is a member of no community
    assert [(i.activity.verb, i.item.id, i.suggestion.message) for i in page.items] == [
        ("suggested", post.id, "À lire avant lundi")]


def test_suggest_a_document(world, create_document):
    document = create_document(world.spaces["private"], world.animator, title="Plan blanc")
    _suggest(world.member, document, users=[world.partner.id])
    assert [n.document_id for n in _suggestion_notices(world.partner)] == [document.id]
    page = streams.home(world.partner)
    assert ("suggested", document.id) in [(i.activity.verb, i.item.id) for i in page.items]


def test_suggest_to_a_community_reaches_all_its_members(world, create_user, publish):
    from rse.communities import service as communities

    public = world.spaces["public"]
    colleague = create_user("staff")
    target = communities.create_community(world.outsider, {"name": "Cadres de santé", "visibility": "private"})
    communities.add_member(world.outsider, target, colleague, "member")
    db.session.commit()
    post = publish(world.animator, public, body="Pour les cadres")
    suggestion = _suggest(world.member, post, communities=[target.id], message="Pour vous")
    for person in (world.outsider, colleague):
        assert [n.suggestion_id for n in _suggestion_notices(person)] == [suggestion.id]
    activity = db.session.scalar(select(Activity).where(Activity.suggestion_id == suggestion.id))
    assert activity.community_id == target.id
    assert ("suggested", post.id) in [(i.activity.verb, i.item.id) for i in streams.community(colleague, target).items]


def test_suggest_to_a_community_with_an_expired_member_goes_to_the_active_ones(world, publish):
    # The private space counts a deactivated and an expired member: neither stops the suggestion.
    post = publish(world.animator, world.spaces["public"], body="Pour tous")
    _suggest(world.admin, post, communities=[world.spaces["private"].id])
    told = set(db.session.scalars(select(Notification.user_id).where(Notification.kind == "suggestion")))
    assert told == {world.animator.id, world.member.id, world.partner.id}


def test_the_sender_is_not_told_of_their_own_suggestion(world, publish):
    post = publish(world.animator, world.spaces["public"])
    _suggest(world.member, post, communities=[world.spaces["public"].id])
    assert _suggestion_notices(world.member) == []
    assert {n.user_id for n in db.session.scalars(select(Notification))} == {world.animator.id, world.partner.id}


# --- To everyone --------------------------------------------------------------------------------

def test_an_admin_suggests_a_public_item_to_everyone(world, create_user, publish):
    newcomer = create_user("staff")
    post = publish(world.animator, world.spaces["public"], body="Journée portes ouvertes")
    _suggest(world.admin, post, everyone=True, message="À diffuser")
    for person in (newcomer, world.outsider, world.member):
        assert len(_suggestion_notices(person)) == 1
        assert ("suggested", post.id) in [(i.activity.verb, i.item.id) for i in streams.home(person).items]
    # A partner reads only their own communities: a stranger to the public space hears nothing.
    assert _suggestion_notices(world.stranger) == []
    assert streams.home(world.stranger).items == []


def test_only_admins_suggest_to_everyone(world, publish, refused):
    post = publish(world.animator, world.spaces["public"])
    error = refused(PermissionDenied, suggestions.suggest, world.animator, post, everyone=True)
    assert error.code == "everyone_admin_only"


@pytest.mark.parametrize("visibility", ["private", "secret"])
def test_only_a_public_item_goes_to_everyone(world, visibility, publish, refused):
    post = publish(world.animator, world.spaces[visibility])
    error = refused(ValidationError, suggestions.suggest, world.admin, post, everyone=True)
    assert error.code == "recipient_cannot_read" and "everyone" in error.fields


# --- Refusals -----------------------------------------------------------------------------------

def test_a_partner_outside_the_community_cannot_receive_it(world, publish, refused):
    post = publish(world.animator, world.spaces["private"])
    error = refused(ValidationError, suggestions.suggest, world.member, post, users=[world.outsider.id, world.stranger.id])
    assert error.code == "recipient_cannot_read"
    assert world.outsider.name in error.fields["users"] and world.stranger.name in error.fields["users"]


def test_a_community_with_members_who_cannot_read_is_refused(world, create_community, publish, refused):
    mixed = create_community(world.member, visibility="private", name="Avec un partenaire extérieur",
                             members=[(world.stranger, "member")])
    post = publish(world.animator, world.spaces["private"])
    error = refused(ValidationError, suggestions.suggest, world.member, post, communities=[mixed.id])
    assert error.code == "recipient_cannot_read" and "communities" in error.fields


def test_a_deactivated_person_cannot_receive_it(world, publish, refused):
    post = publish(world.animator, world.spaces["public"])
    error = refused(ValidationError, suggestions.suggest, world.admin, post, users=[world.deactivated.id])
    assert error.code == "recipient_cannot_read"  # an administrator sees the account, and that it is off


def test_a_partner_suggests_only_to_people_they_share_a_community_with(world, publish, refused):
    post = publish(world.animator, world.spaces["public"])
    error = refused(ValidationError, suggestions.suggest, world.partner, post, users=[world.outsider.id])
    assert error.code == "unknown_recipient"
    _suggest(world.partner, post, users=[world.member.id])
    assert len(_suggestion_notices(world.member)) == 1


def test_a_partner_suggests_only_to_their_communities(world, create_community, publish, refused):
    other = create_community(world.outsider, visibility="public", name="Espace sans partenaire")
    post = publish(world.animator, world.spaces["public"])
    error = refused(ValidationError, suggestions.suggest, world.partner, post, communities=[other.id])
    assert error.code == "unknown_recipient"
    _suggest(world.partner, post, communities=[world.spaces["private"].id])


def test_a_secret_community_one_is_not_in_is_unknown(world, create_community, publish, refused):
    hidden = create_community(world.outsider, visibility="secret", name="Cellule de crise")
    post = publish(world.animator, world.spaces["public"])
    assert refused(ValidationError, suggestions.suggest, world.member, post, communities=[hidden.id]).code == "unknown_recipient"
    assert refused(ValidationError, suggestions.suggest, world.member, post, communities=[999_999]).code == "unknown_recipient"
    assert refused(ValidationError, suggestions.suggest, world.member, post, users=[999_999]).code == "unknown_recipient"


def test_no_recipient_is_refused(world, publish, refused):
    post = publish(world.animator, world.spaces["public"])
    for empty in ({}, {"users": [], "communities": []}, {"users": None, "everyone": False}):
        assert refused(ValidationError, suggestions.suggest, world.member, post, **empty).code == "no_recipient"


def test_a_message_over_500_characters_is_refused(world, publish, refused):
    post = publish(world.animator, world.spaces["public"])
    error = refused(ValidationError, suggestions.suggest, world.member, post, users=[world.outsider.id], message="x" * 501)
    assert "message" in error.fields
    _suggest(world.member, post, users=[world.outsider.id], message="x" * 500)


@pytest.mark.parametrize("users", ["3", [True], [1.5], ["3"], {"id": 3}])
def test_recipients_must_be_lists_of_ids(world, users, publish, refused):
    post = publish(world.animator, world.spaces["public"])
    assert "users" in refused(ValidationError, suggestions.suggest, world.member, post, users=users).fields


def test_who_may_not_read_the_item_may_not_suggest_it(world, publish, refused):
    post = publish(world.animator, world.spaces["secret"])
    error = refused(PermissionDenied, suggestions.suggest, world.outsider, post, users=[world.member.id])
    assert error.hidden


def test_too_many_recipients(world, create_user, publish, refused):
    post = publish(world.animator, world.spaces["public"])
    ids = [world.outsider.id] + list(range(10_000, 10_050))
    assert "users" in refused(ValidationError, suggestions.suggest, world.member, post, users=ids).fields
