"""Bad input: a clear error naming the field or the code, and nothing changed in the database."""

from __future__ import annotations

import functools

import pytest
from itsdangerous import URLSafeSerializer
from sqlalchemy import func, select

from rse.audit.models import AuditEntry
from rse.database import db
from rse.errors import BadRequest, Conflict, NotFound, PermissionDenied, ValidationError
from rse.feeds.models import (
    Activity,
    Attachment,
    Comment,
    Delivery,
    Follow,
    Like,
    Notification,
    NotificationPreference,
    Pin,
    Publication,
    SameQuestion,
    Suggestion,
    Tagging,
    WikiVersion,
)
from rse.feeds.notifications import service as notifications
from rse.feeds.publications import pins
from rse.feeds.publications import service as publications
from rse.feeds.social import answers, comments, follows, reactions, suggestions
from rse.feeds.streams import service as streams
from rse.mail.models import OutboundEmail

from ..conftest import PUBLICATION_CONTENT

TABLES = (Publication, Activity, Attachment, Comment, Delivery, Follow, Like, Notification, NotificationPreference,
          Pin, SameQuestion, Suggestion, Tagging, WikiVersion, OutboundEmail, AuditEntry)
HUGE = "x" * 100_000
KINDS = PUBLICATION_CONTENT


def _counts() -> dict[str, int]:
    return {t.__tablename__: db.session.scalar(select(func.count()).select_from(t)) for t in TABLES}


@pytest.fixture
def refused(refused):
    """Here a refusal must also leave every table above as it was."""
    return functools.partial(refused, unchanged=_counts)


# --- Publishing ---------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["post", "announcement", "wiki"])
@pytest.mark.parametrize("body", ["", "   \n\t  ", None])
def test_an_empty_body_is_refused(world, kind, body, refused):
    error = refused(ValidationError, publications.publish, world.member, world.spaces["public"],
                     {"kind": kind, **KINDS[kind], "body": body})
    assert "body" in error.fields


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_100000_character_body_is_refused(world, kind, refused):
    error = refused(ValidationError, publications.publish, world.member, world.spaces["public"],
                     {"kind": kind, **KINDS[kind], "body": HUGE})
    assert "body" in error.fields


@pytest.mark.parametrize("field", ["title", "place"])
def test_an_overlong_title_or_place_is_refused(world, field, refused):
    error = refused(ValidationError, publications.publish, world.member, world.spaces["public"],
                     {"kind": "announcement", **KINDS["announcement"], field: "y" * 1_000})
    assert field in error.fields


@pytest.mark.parametrize("kind", ["sondage", "", None, "POST", " post", ["post"], {"post": 1}, 3, True])
def test_an_unknown_kind_is_refused(world, kind, refused):
    error = refused(ValidationError, publications.publish, world.member, world.spaces["public"],
                     {"kind": kind, "body": "Bonjour"})
    assert error.code == "unknown_kind" and "kind" in error.fields


@pytest.mark.parametrize(("field", "value"), [
    ("body", 123), ("body", ["Bonjour"]), ("body", {"text": "Bonjour"}), ("title", ["a"]), ("place", {"x": 1}),
    ("tags", 5), ("tags", [1, 2]), ("tags", {"a": "b"}), ("attachments", 7), ("attachments", [{"id": 1}]),
])
def test_a_field_of_the_wrong_type_is_refused(world, field, value, refused):
    error = refused(ValidationError, publications.publish, world.member, world.spaces["public"],
                     {"kind": "announcement", **KINDS["announcement"], field: value})
    assert field in error.fields


@pytest.mark.parametrize("url", [5, ["https://www.ght-exemple.fr/"], "", "javascript:alert(1)", "h" * 3_000])
def test_a_bad_link_url_is_refused(world, url, refused):
    error = refused(ValidationError, publications.publish, world.member, world.spaces["public"],
                     {"kind": "link", "url": url})
    assert "url" in error.fields


def test_control_characters_in_a_title_are_refused(world, refused):
    error = refused(ValidationError, publications.publish, world.member, world.spaces["public"],
                     {"kind": "question", "title": "Question\x00cachée"})
    assert "title" in error.fields


@pytest.mark.parametrize("tags", [
    [f"mot{i}" for i in range(21)], ["m" * 51], ["bip\x07"], ",".join(f"t{i}" for i in range(25)),
])
def test_too_many_or_too_long_tags_are_refused(world, tags, refused):
    error = refused(ValidationError, publications.publish, world.member, world.spaces["public"],
                     {"kind": "post", "body": "Bonjour", "tags": tags})
    assert "tags" in error.fields


def test_twenty_tags_of_fifty_characters_are_accepted(world, publish):
    tags = [f"{i:02d}" + "m" * 48 for i in range(20)]
    post = publish(world.member, world.spaces["public"], tags=tags)
    assert post.tags == tags


def test_too_many_attachments_are_refused(world, create_document, refused):
    documents = [create_document(world.spaces["public"], world.member).id for _ in range(11)]
    error = refused(ValidationError, publications.publish, world.member, world.spaces["public"],
                     {"kind": "post", "body": "Voir", "attachments": documents})
    assert "attachments" in error.fields


# --- Editing ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "data", "field"), [
    ("post", {"body": ""}, "body"),
    ("post", {"body": HUGE}, "body"),
    ("announcement", {"title": ""}, "title"),
    ("wiki", {"body": HUGE}, "body"),
    ("wiki", {"body": "Autre", "note": "n" * 301}, "note"),
    ("wiki", {"body": "Autre", "note": ["note"]}, "note"),
    ("link", {"url": "ftp://ftp.exemple.fr/"}, "url"),
    ("post", {"url": "https://www.ght-exemple.fr/"}, "url"),
    ("post", {"body": "Ok", "tags": ["t" * 60]}, "tags"),
    ("post", {"kind": "wiki"}, "kind"),
])
def test_a_bad_edit_changes_nothing(world, kind, data, field, publish, refused):
    publication = publish(world.member, world.spaces["public"], kind)
    before = (publication.title, publication.body, publication.url, publication.tags, publication.wiki_number)
    error = refused(ValidationError, publications.update_publication, world.member, publication, data)
    assert field in error.fields
    fresh = db.session.get(Publication, publication.id)
    assert (fresh.title, fresh.body, fresh.url, fresh.tags, fresh.wiki_number) == before


def test_a_bad_wiki_note_is_refused_before_anything_is_touched(world, publish):
    page = publish(world.member, world.spaces["public"], "wiki")
    with pytest.raises(ValidationError):
        publications.update_publication(world.member, page, {"body": "Nouveau", "note": "n" * 301})
    assert page.body == "Texte"  # even before the caller rolls back
    db.session.rollback()


# --- Comments -----------------------------------------------------------------------------------

@pytest.mark.parametrize("body", ["", "   ", None, HUGE, 42, ["a"]])
def test_a_bad_comment_is_refused(world, body, publish, refused):
    post = publish(world.member, world.spaces["public"])
    error = refused(ValidationError, comments.add_comment, world.animator, post, body)
    assert "body" in error.fields
    assert db.session.get(Publication, post.id).comment_count == 0


@pytest.mark.parametrize("body", ["", HUGE])
def test_a_bad_comment_edit_is_refused(world, body, publish, refused):
    post = publish(world.member, world.spaces["public"])
    comment = comments.add_comment(world.animator, post, "Premier jet")
    db.session.commit()
    assert "body" in refused(ValidationError, comments.edit_comment, world.animator, comment, body).fields
    assert db.session.get(Comment, comment.id).body == "Premier jet"


@pytest.mark.parametrize("comment_id", ["1", None, 1.0, 999_999])
def test_a_missing_comment_is_not_found(world, comment_id, refused):
    refused(NotFound, comments.get_comment, world.member, comment_id)


@pytest.mark.parametrize("publication_id", ["1", None, 999_999])
def test_a_missing_publication_is_not_found(world, publication_id, publish, refused):
    publish(world.member, world.spaces["public"])
    refused(NotFound, publications.get_publication, world.member, publication_id)


# --- Social refusals ----------------------------------------------------------------------------

def test_liking_twice(world, publish, refused):
    post = publish(world.member, world.spaces["public"])
    reactions.like(world.animator, post)
    db.session.commit()
    assert refused(Conflict, reactions.like, world.animator, post).code == "already_liked"
    assert db.session.get(Publication, post.id).like_count == 1


def test_accepting_a_comment_of_another_question(world, publish, refused):
    mine = publish(world.member, world.spaces["public"], "question", title="Ma question")
    other = publish(world.partner, world.spaces["public"], "question", title="Une autre")
    answer = comments.add_comment(world.animator, other, "Réponse à l'autre")
    db.session.commit()
    refused(PermissionDenied, answers.accept_answer, world.member, answer)
    assert db.session.get(Publication, mine.id).accepted_comment_id is None
    assert db.session.get(Publication, other.id).accepted_comment_id is None


def test_accepting_a_comment_on_a_post(world, publish, refused):
    post = publish(world.member, world.spaces["public"])
    comment = comments.add_comment(world.animator, post, "Commentaire")
    db.session.commit()
    assert refused(ValidationError, answers.accept_answer, world.member, comment).code == "not_a_question"


@pytest.mark.parametrize("home", [False, True])
def test_pinning_without_the_role(world, home, publish, refused):
    post = publish(world.member, world.spaces["public"])
    refused(PermissionDenied, pins.pin, world.member, post, home=home)


@pytest.mark.parametrize("position", [-1, "2", 1.5, True])
def test_a_bad_pin_position_is_refused(world, position, publish, refused):
    post = publish(world.member, world.spaces["public"])
    assert "position" in refused(ValidationError, pins.pin, world.animator, post, position=position).fields


def test_a_suggestion_message_over_500_characters(world, publish, refused):
    post = publish(world.member, world.spaces["public"])
    error = refused(ValidationError, suggestions.suggest, world.member, post, users=[world.partner.id],
                     message="m" * 501)
    assert "message" in error.fields


@pytest.mark.parametrize(("kind", "item_id"), [("sondage", 1), ("publication", "1"), ("document", None),
                                               (None, 1)])
def test_a_bad_suggestion_item_is_refused(world, kind, item_id, publish, refused):
    publish(world.member, world.spaces["public"])
    refused((ValidationError, NotFound), suggestions.get_item, world.member, kind, item_id)


@pytest.mark.parametrize(("target", "key"), [("tag", ""), ("tag", ["a", "b"]), ("tag", "t" * 60), ("person", "3"),
                                             ("document", 999_999), ("planet", 1)])
def test_a_bad_follow_is_refused(world, target, key, refused):
    refused((ValidationError, NotFound), follows.follow, world.member, target, key)


# --- Streams ------------------------------------------------------------------------------------

def _cursor(app, payload, key=None) -> str:
    return URLSafeSerializer(key or app.secret_key, salt="feeds.cursor").dumps(payload)


@pytest.fixture
def stream_calls(world):
    return {
        "home": lambda **kw: streams.home(world.member, **kw),
        "community": lambda **kw: streams.community(world.member, world.spaces["public"], **kw),
        "person": lambda **kw: streams.person(world.member, world.animator, **kw),
        "tag": lambda **kw: streams.tag(world.member, "hygiene", **kw),
    }


@pytest.mark.parametrize("stream", ["home", "community", "person", "tag"])
def test_a_tampered_cursor_is_refused_by_every_stream(app, world, stream_calls, stream, publish):
    for i in range(3):
        publish(world.animator, world.spaces["public"], body=f"Message {i}", tags=["Hygiène"])
    good = stream_calls[stream](limit=1).next_cursor
    assert good
    forged = [
        good[:-3] + "abc", good + "x", "x" + good, "", "0", "null",
        _cursor(app, {"b": 2}, key="another-secret"),
        _cursor(app, {"b": "2"}), _cursor(app, {"b": 0}), _cursor(app, {"b": -5}), _cursor(app, {"b": True}),
        _cursor(app, {"b": 2.5}), _cursor(app, {"x": 2}), _cursor(app, [2]), _cursor(app, "2"),
    ]
    for cursor in forged:
        if cursor == "":
            continue  # an empty cursor is the first page
        with pytest.raises(BadRequest) as error:
            stream_calls[stream](cursor=cursor)
        assert error.value.code == "invalid_cursor", cursor


@pytest.mark.parametrize("kind", ["sondage", "POST", ["post"]])
def test_an_unknown_stream_kind_is_refused(world, kind):
    with pytest.raises(ValidationError) as error:
        streams.home(world.member, kind=kind)
    assert error.value.code == "unknown_kind"


@pytest.mark.parametrize("limit", [0, -1, 51, "abc", 10**9])
def test_a_bad_page_size_is_refused(limit):
    with pytest.raises(BadRequest) as error:
        streams.clean_limit(limit)
    assert error.value.code == "bad_pagination"


@pytest.mark.parametrize("label", ["", "   ", None])
def test_an_empty_tag_stream_is_refused(world, label):
    with pytest.raises(ValidationError) as error:
        streams.tag(world.member, label)
    assert "tag" in error.value.fields


@pytest.mark.parametrize("changes", [{"mention": "souvent"}, {"mention": ["never"]}, {"inconnu": "never"}])
def test_bad_preferences_change_nothing(world, changes, refused):
    error = refused(ValidationError, notifications.set_preferences, world.member, changes)
    assert set(error.fields) == set(changes)
