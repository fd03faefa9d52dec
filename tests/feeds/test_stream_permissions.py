"""Who sees what in the streams, notifications and suggestions: the permission layer holds everywhere."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from rse.database import db
from rse.errors import DomainError, PermissionDenied, ValidationError
from rse.feeds.models import Notification
from rse.feeds.notifications import service as notifications
from rse.feeds.publications import pins
from rse.feeds.publications import service as publications
from rse.feeds.social import comments, suggestions
from rse.feeds.streams import service as streams


def _ids(page):
    return [item.item.id for item in page.items]


def _seen(actor, page_call, *args, **kwargs) -> list[int]:
    """What a stream shows the actor; nothing when they are refused outright."""
    try:
        return _ids(page_call(actor, *args, **kwargs))
    except DomainError:
        db.session.rollback()
        return []


@pytest.fixture
def outside(world, create_community, publish):
    """A public community with no partner in it, and a post tagged and mentioning the partner."""
    handle = world.partner.email.split("@")[0]
    community = create_community(world.outsider, visibility="public", name="Espace du personnel",
                                 members=[(world.member, "member")])
    post = publish(world.outsider, community, body=f"Note interne pour @{handle}", tags=["Hygiène"])
    return community, post


# --- Partners -----------------------------------------------------------------------------------

def test_a_partner_never_sees_an_item_of_a_community_they_are_not_in(world, outside):
    _community, post = outside
    partner = world.partner
    assert post.id not in _seen(partner, streams.home)
    assert post.id not in _seen(partner, streams.tag, "hygiene")
    assert post.id not in _seen(partner, streams.person, world.outsider)
    assert post.id not in _seen(partner, streams.person, world.member)
    assert post.mentions == {}  # the partner may not read it: no mention
    assert notifications.list_notifications(partner)[0] == []
    assert post.id in _seen(world.member, streams.tag, "hygiene")
    assert post.id in _seen(world.member, streams.person, world.outsider)


def test_a_partner_is_not_mentioned_in_a_comment_they_may_not_read(world, outside):
    _community, post = outside
    handle = world.partner.email.split("@")[0]
    comment = comments.add_comment(world.member, post, f"@{handle} regardez")
    db.session.commit()
    assert comment.mentions == {}
    assert db.session.scalars(select(Notification).where(Notification.user_id == world.partner.id)).all() == []


def test_suggesting_to_a_partner_who_may_not_read_is_refused(world, outside):
    _community, post = outside
    with pytest.raises(ValidationError) as error:
        suggestions.suggest(world.member, post, users=[world.partner.id])
    db.session.rollback()
    assert error.value.code == "recipient_cannot_read"
    assert _seen(world.partner, streams.home) == []


def test_a_partner_does_not_reach_the_community_stream_or_the_item(world, outside):
    community, post = outside
    with pytest.raises(PermissionDenied) as error:
        streams.community(world.partner, community)
    assert error.value.hidden
    with pytest.raises(PermissionDenied) as error:
        publications.get_publication(world.partner, post.id)
    assert error.value.hidden


def test_a_partner_sees_what_is_in_their_communities(world, publish):
    posts = [publish(world.animator, world.spaces[v], body=f"Pour {v}", tags=["Commun"])
             for v in ("public", "private", "secret")]
    expected = [p.id for p in reversed(posts)]
    assert _seen(world.partner, streams.home) == expected
    assert _seen(world.partner, streams.tag, "commun") == expected
    assert _seen(world.partner, streams.person, world.animator) == expected
    assert _seen(world.stranger, streams.tag, "commun") == []
    assert _seen(world.stranger, streams.person, world.animator) == []


# --- Staff who are not members ------------------------------------------------------------------

def test_a_staff_non_member_sees_public_items_in_tag_and_person_streams_only(world, publish):
    public, private, secret = (publish(world.animator, world.spaces[v], body=f"Pour {v}", tags=["Qualité"])
                               for v in ("public", "private", "secret"))
    assert _seen(world.outsider, streams.tag, "qualite") == [public.id]
    assert _seen(world.outsider, streams.person, world.animator) == [public.id]
    assert _seen(world.outsider, streams.home) == []  # home is for one's own communities
    assert _seen(world.outsider, streams.community, world.spaces["public"]) == [public.id]
    assert _seen(world.outsider, streams.community, world.spaces["private"]) == []
    assert _seen(world.outsider, streams.community, world.spaces["secret"]) == []
    assert {private.id, secret.id}.isdisjoint(_seen(world.outsider, streams.tag, "Qualité"))


def test_an_admin_sees_every_community_in_tag_streams(world, publish):
    posts = [publish(world.animator, world.spaces[v], body=f"Pour {v}", tags=["Qualité"])
             for v in ("public", "private", "secret")]
    assert _seen(world.admin, streams.tag, "qualite") == [p.id for p in reversed(posts)]


# --- Accounts that act as nobody ----------------------------------------------------------------

@pytest.mark.parametrize("who", ["deactivated", "expired"])
def test_deactivated_and_expired_accounts_see_nothing(world, who, publish):
    actor = getattr(world, who)
    post = publish(world.animator, world.spaces["public"], body="Pour tous", tags=["Qualité"])
    pins.pin(world.admin, post, home=True)
    db.session.commit()
    home = None
    try:
        home = streams.home(actor)
    except DomainError:
        db.session.rollback()
    assert home is None or (home.items == [] and home.pins == [])
    assert _seen(actor, streams.community, world.spaces["public"]) == []
    assert _seen(actor, streams.tag, "qualite") == []
    assert _seen(actor, streams.person, world.animator) == []
    assert notifications.unread_count(actor) == 0


# --- Leaving, deleting, trashing ----------------------------------------------------------------

def test_leaving_a_community_removes_its_items_from_home_and_tag_streams_at_once(world, publish):
    from rse.communities import service as communities

    post = publish(world.animator, world.spaces["private"], body="Réservé", tags=["Bloc"])
    assert post.id in _seen(world.partner, streams.home)
    communities.leave(world.partner, world.spaces["private"])
    db.session.commit()
    assert post.id not in _seen(world.partner, streams.home)
    assert post.id not in _seen(world.partner, streams.tag, "bloc")
    assert post.id not in _seen(world.partner, streams.person, world.animator)


def test_a_trashed_document_leaves_the_streams_and_comes_back_when_restored(world, create_document):
    from rse.documents import service as documents

    public = world.spaces["public"]
    document = create_document(public, world.animator, title="Plan blanc", tags=["Crise"])
    views = (lambda: _seen(world.member, streams.home), lambda: _seen(world.member, streams.community, public),
             lambda: _seen(world.member, streams.tag, "crise"),
             lambda: _seen(world.member, streams.person, world.animator))
    assert all(document.id in view() for view in views)
    documents.trash_document(world.animator, document)
    db.session.commit()
    assert all(document.id not in view() for view in views)
    documents.restore_document(world.animator, document)
    db.session.commit()
    assert all(document.id in view() for view in views)


def test_a_suggestion_of_an_item_one_can_no_longer_read_leaves_the_home(world, publish):
    from rse.communities import service as communities

    post = publish(world.animator, world.spaces["private"], body="Réservé")
    suggestions.suggest(world.member, post, users=[world.partner.id], message="Regarde")
    db.session.commit()
    suggested = [i for i in streams.home(world.partner).items if i.activity.verb == "suggested"]
    assert [i.item.id for i in suggested] == [post.id]
    communities.leave(world.partner, world.spaces["private"])
    db.session.commit()
    assert post.id not in _seen(world.partner, streams.home)
    assert notifications.unread_count(world.partner) == 0


def test_a_suggestion_of_a_deleted_item_leaves_the_home(world, publish):
    post = publish(world.animator, world.spaces["public"], body="Bientôt supprimé")
    suggestions.suggest(world.member, post, users=[world.outsider.id])
    db.session.commit()
    assert _seen(world.outsider, streams.home) == [post.id]
    publications.delete_publication(world.animator, post)
    db.session.commit()
    assert _seen(world.outsider, streams.home) == []
    assert notifications.list_notifications(world.outsider)[0] == []


def test_a_suggestion_to_a_community_reaches_a_partner_only_when_they_may_read_it(world, create_community, publish):
    target = create_community(world.animator, visibility="private", name="Cellule qualité",
                              members=[(world.partner, "member")])
    readable = publish(world.animator, world.spaces["public"], body="Lisible par le partenaire")
    suggestions.suggest(world.animator, readable, communities=[target.id])
    db.session.commit()
    assert readable.id in _seen(world.partner, streams.community, target)
    assert readable.id in _seen(world.partner, streams.home)
