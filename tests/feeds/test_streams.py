"""Streams: what each one shows, in which order, page after page, and to whom."""

from __future__ import annotations

import pytest

from rse.database import db
from rse.errors import BadRequest, ValidationError
from rse.feeds.publications import pins
from rse.feeds.publications import service as publications
from rse.feeds.social import suggestions
from rse.feeds.streams import service as streams


def _ids(page):
    return [item.item.id for item in page.items]


def test_home_shows_my_communities_newest_first(world, create_community, publish):
    public, private = world.spaces["public"], world.spaces["private"]
    elsewhere = create_community(world.outsider, visibility="public", name="Ailleurs")
    first = publish(world.animator, public, body="Premier")
    second = publish(world.animator, private, body="Deuxième")
    publish(world.outsider, elsewhere, body="Pas chez moi")
    page = streams.home(world.member)
    assert _ids(page) == [second.id, first.id]
    assert page.next_cursor is None


def test_cursor_walks_every_item_once(world, publish):
    public = world.spaces["public"]
    made = [publish(world.animator, public, body=f"Message {i}").id for i in range(25)]
    seen, cursor = [], None
    while True:
        page = streams.home(world.member, cursor=cursor, limit=7)
        seen.extend(_ids(page))
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == list(reversed(made))


def test_a_home_of_more_communities_than_one_statement_holds_walks_them_all(world, create_community, publish):
    """Past 100 communities the scans go by several statements (SQLite caps a compound SELECT):
    the home still merges them newest first, page after page, with the kind filter too."""
    spaces = [create_community(world.animator, visibility="private", name=f"Service {i}",
                               members=[(world.member, "member")]) for i in range(105)]
    made = [publish(world.animator, space, kind="question" if i % 2 else "post", body=f"Message {i}").id
            for i, space in enumerate(reversed(spaces))]
    for kind, expected in ((None, made), ("question", made[1::2])):
        seen, cursor = [], None
        while True:
            page = streams.home(world.member, cursor=cursor, kind=kind, limit=30)
            seen.extend(_ids(page))
            cursor = page.next_cursor
            if cursor is None:
                break
        assert seen == list(reversed(expected)), kind


def test_filter_by_kind(world, publish):
    public = world.spaces["public"]
    publish(world.animator, public, body="Un message")
    question = publish(world.animator, public, kind="question", title="Où est le protocole ?", body="")
    assert _ids(streams.home(world.member, kind="question")) == [question.id]
    with pytest.raises(ValidationError) as error:
        streams.home(world.member, kind="sondage")
    assert error.value.code == "unknown_kind"


def test_tampered_cursor_is_refused(world, publish):
    public = world.spaces["public"]
    for i in range(3):
        publish(world.animator, public, body=f"Message {i}")
    cursor = streams.home(world.member, limit=1).next_cursor
    assert cursor
    for forged in (cursor[:-2] + "xx", "eyJiIjoxfQ", "1", cursor + "a"):
        with pytest.raises(BadRequest) as error:
            streams.home(world.member, cursor=forged)
        assert error.value.code == "invalid_cursor"


def test_leaving_a_community_removes_its_items_at_once(world, publish):
    from rse.communities import service as communities

    private = world.spaces["private"]
    post = publish(world.animator, private, body="Réservé")
    assert post.id in _ids(streams.home(world.member))
    communities.leave(world.member, private)
    db.session.commit()
    assert post.id not in _ids(streams.home(world.member))


def test_document_upload_and_new_version_appear(world, create_document):
    public = world.spaces["public"]
    document = create_document(public, world.animator, title="Protocole hygiène")
    page = streams.community(world.member, public)
    assert [(i.activity.verb, i.document.id) for i in page.items] == [("uploaded", document.id)]


def test_partner_sees_nothing_outside_their_communities(world, create_community, publish):
    other = create_community(world.outsider, visibility="public", name="Public sans partenaire")
    post = publish(world.outsider, other, body="Interne", tags=["Hygiène"])
    assert post.id not in _ids(streams.tag(world.partner, "hygiene"))
    assert post.id not in _ids(streams.person(world.partner, world.member))
    assert post.id in _ids(streams.tag(world.member, "HYGIÈNE"))


def _many_suggestions_to(publish, world, person, count, **data):
    from rse.feeds.notifications import service as notifications

    notifications.set_preferences(person, {"suggestion": "never"})
    made = []
    for i in range(count):
        post = publish(world.animator, world.spaces["public"], body=f"Suggestion {i}", **data)
        suggestions.suggest(world.member, post, users=[person.id])
        made.append(post)
    db.session.commit()
    return made


@pytest.mark.slow
def test_an_old_suggestion_of_a_kind_is_found_past_many_newer_ones(world, publish):
    question = publish(world.animator, world.spaces["public"], kind="question", title="Ancienne question", body="")
    suggestions.suggest(world.member, question, users=[world.outsider.id])
    db.session.commit()
    _many_suggestions_to(publish, world, world.outsider, 45)
    assert _ids(streams.home(world.outsider, kind="question")) == [question.id]


@pytest.mark.slow
def test_a_suggestion_is_found_past_many_deleted_ones(world, publish):
    kept = _many_suggestions_to(publish, world, world.outsider, 1)[0]
    for post in _many_suggestions_to(publish, world, world.outsider, 45):
        publications.delete_publication(world.animator, post)
    db.session.commit()
    assert _ids(streams.home(world.outsider)) == [kept.id]


def test_a_pinned_publication_stands_above_the_stream_not_also_in_it(world, publish):
    public = world.spaces["public"]
    pinned = publish(world.animator, public, body="Épinglé")
    other = publish(world.animator, public, body="Ordinaire")
    pins.pin(world.animator, pinned)
    db.session.commit()
    page = streams.community(world.member, public)
    assert [i.publication.id for i in page.pins] == [pinned.id]
    assert _ids(page) == [other.id]
    # Filtered by kind, the pins are not shown: the pinned item is back in its place.
    assert _ids(streams.community(world.member, public, kind="post")) == [other.id, pinned.id]
