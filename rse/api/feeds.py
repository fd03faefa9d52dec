"""API: publications, comments, likes, questions, pins, suggestions, follows, streams and notifications."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _

from rse.accounts import service as accounts
from rse.communities import service as communities
from rse.dbtypes import MAX_ID, is_id
from rse.documents import service as documents
from rse.errors import ValidationError
from rse.feeds.notifications import service as notifications
from rse.feeds.publications import pins
from rse.feeds.publications import service as publications
from rse.feeds.social import answers, comments, follows, reactions, suggestions
from rse.feeds.streams import service as streams

from . import actor, bp, created, field, id_field, iso_datetime, json_body, query_bool, query_int
from .serializers import (
    comment_json,
    follow_json,
    notification_json,
    page_json,
    pin_json,
    publication_json,
    suggestion_json,
    user_json,
)

PUBLICATION_FIELDS = {"kind", "title", "body", "tags", "url", "place", "attachments"}
EDIT_FIELDS = {"title", "body", "url", "place", "tags", "attachments", "note"}
NOTIFICATIONS_PAGE = 30


# --- Input shape ----------------------------------------------------------------------------------

def _optional_body() -> dict:
    """The JSON object of a request whose body may be left out."""
    return json_body() if request.get_data() else {}


def _only(data: dict, allowed: set[str]) -> dict:
    unknown = set(data) - allowed
    if unknown:
        raise ValidationError(fields={name: _("Champ inconnu.") for name in sorted(unknown)})
    return data


def _publication_fields(data: dict, allowed: set[str]) -> dict:
    """The body of a create or an edit, with each field of the type it must have (values: the service)."""
    _only(data, allowed)
    for name in ("kind", "title", "body", "url", "place", "note"):
        field(data, name, str, required=False)
    field(data, "tags", (list, str), required=False)
    field(data, "attachments", list, required=False)
    return data


def _ids(data: dict, name: str) -> list[int] | None:
    values = field(data, name, list, required=False)
    if values is not None and not all(is_id(v) for v in values):
        raise ValidationError(fields={name: _("Une liste d'identifiants est attendue.")})
    return values


# --- Publications ---------------------------------------------------------------------------------

def _publication(publication) -> dict:
    liked, same = reactions.user_state(actor(), [publication.id])
    return publication_json(publication, liked=publication.id in liked, same_question=publication.id in same,
                            attachments=publications.attachments(publication))


@bp.post("/communities/<int:community_id>/publications")
def create_publication(community_id: int):
    community = communities.get_community(actor(), community_id, "view")
    data = _publication_fields(json_body(), PUBLICATION_FIELDS)
    publication = publications.publish(actor(), community, data)
    return created(_publication(publication))


@bp.get("/publications/<int:publication_id>")
def get_publication(publication_id: int):
    return jsonify(_publication(publications.get_publication(actor(), publication_id)))


@bp.patch("/publications/<int:publication_id>")
def update_publication(publication_id: int):
    publication = publications.get_publication(actor(), publication_id, "edit")
    data = _publication_fields(json_body(), EDIT_FIELDS)
    publications.update_publication(actor(), publication, data)
    return jsonify(_publication(publication))


@bp.delete("/publications/<int:publication_id>")
def delete_publication(publication_id: int):
    publication = publications.get_publication(actor(), publication_id, "delete")
    publications.delete_publication(actor(), publication)
    return "", 204


# --- Comments -------------------------------------------------------------------------------------

def _comments(target):
    accepted = getattr(target, "accepted_comment_id", None)
    rows = comments.list_comments(actor(), target)
    return jsonify({"items": [comment_json(c, accepted_id=accepted) for c in rows], "total": len(rows)})


def _add_comment(target):
    data = _only(json_body(), {"body"})
    comment = comments.add_comment(actor(), target, field(data, "body", str))
    return created(comment_json(comment))


@bp.get("/publications/<int:publication_id>/comments")
def publication_comments(publication_id: int):
    return _comments(publications.get_publication(actor(), publication_id))


@bp.post("/publications/<int:publication_id>/comments")
def comment_publication(publication_id: int):
    return _add_comment(publications.get_publication(actor(), publication_id))


@bp.get("/documents/<int:document_id>/comments")
def document_comments(document_id: int):
    return _comments(documents.get_document(actor(), document_id))


@bp.post("/documents/<int:document_id>/comments")
def comment_document(document_id: int):
    return _add_comment(documents.get_document(actor(), document_id))


@bp.patch("/comments/<int:comment_id>")
def edit_comment(comment_id: int):
    comment = comments.get_comment(actor(), comment_id, "edit")
    data = _only(json_body(), {"body"})
    comments.edit_comment(actor(), comment, field(data, "body", str))
    target = comments.comment_target(comment)
    return jsonify(comment_json(comment, accepted_id=getattr(target, "accepted_comment_id", None)))


@bp.delete("/comments/<int:comment_id>")
def delete_comment(comment_id: int):
    comment = comments.get_comment(actor(), comment_id, "delete")
    comments.delete_comment(actor(), comment)
    return "", 204


@bp.post("/comments/<int:comment_id>/accept")
def accept_comment(comment_id: int):
    comment = comments.get_comment(actor(), comment_id)
    data = _only(_optional_body(), {"question_id"})
    question_id = id_field(data, "question_id", required=False)
    if question_id is not None and question_id != comment.publication_id:
        # The client meant another question: accepting this comment would answer the wrong one.
        raise ValidationError(_("Ce commentaire ne répond pas à cette question."), code="not_a_question")
    question = answers.accept_answer(actor(), comment)
    return jsonify(_publication(question))


# --- Likes and "same question" --------------------------------------------------------------------

@bp.put("/publications/<int:publication_id>/like")
def like_publication(publication_id: int):
    publication = publications.get_publication(actor(), publication_id)
    reactions.like(actor(), publication)
    return jsonify(_publication(publication))


@bp.delete("/publications/<int:publication_id>/like")
def unlike_publication(publication_id: int):
    publication = publications.get_publication(actor(), publication_id)
    reactions.unlike(actor(), publication)
    return jsonify(_publication(publication))


@bp.get("/publications/<int:publication_id>/likes")
def publication_likers(publication_id: int):
    people = reactions.likers(actor(), publications.get_publication(actor(), publication_id))
    return jsonify({"items": [user_json(p) for p in people], "total": len(people)})


@bp.put("/publications/<int:publication_id>/same-question")
def press_same_question(publication_id: int):
    publication = publications.get_publication(actor(), publication_id)
    reactions.press_same_question(actor(), publication)
    return jsonify(_publication(publication))


@bp.delete("/publications/<int:publication_id>/same-question")
def release_same_question(publication_id: int):
    publication = publications.get_publication(actor(), publication_id)
    reactions.release_same_question(actor(), publication)
    return jsonify(_publication(publication))


# --- Pins -----------------------------------------------------------------------------------------

def _pin_scope(data: dict) -> bool:
    """True for everyone's home, False for the publication's community."""
    scope = field(data, "scope", str, required=False, default="community")
    if scope not in {"community", "home"}:
        raise ValidationError(fields={"scope": _("Choisissez community ou home.")})
    return scope == "home"


@bp.put("/publications/<int:publication_id>/pin")
def pin_publication(publication_id: int):
    publication = publications.get_publication(actor(), publication_id)
    data = _only(_optional_body(), {"scope", "until", "position"})
    home = _pin_scope(data)
    until = iso_datetime(field(data, "until", str, required=False), "until")
    row = pins.pin(actor(), publication, home=home, until=until,
                      position=field(data, "position", int, required=False))
    return jsonify(pin_json(row))


@bp.delete("/publications/<int:publication_id>/pin")
def unpin_publication(publication_id: int):
    publication = publications.get_publication(actor(), publication_id)
    home = _pin_scope(_only(_optional_body(), {"scope"}))
    pins.unpin(actor(), publication, home=home)
    return "", 204


# --- Suggestions ----------------------------------------------------------------------------------

@bp.post("/suggestions")
def create_suggestion():
    data = _only(json_body(), {"item", "users", "communities", "everyone", "message"})
    reference = field(data, "item", dict)
    item = suggestions.get_item(actor(), reference.get("type"), reference.get("id"))
    suggestion = suggestions.suggest(actor(), item, users=_ids(data, "users"), communities=_ids(data, "communities"),
                                 everyone=field(data, "everyone", bool, required=False, default=False),
                                 message=field(data, "message", str, required=False, default=""))
    return created(suggestion_json(suggestion))


# --- Streams --------------------------------------------------------------------------------------

def _stream_args() -> dict:
    return {"cursor": request.args.get("cursor"), "kind": request.args.get("kind"),
            "limit": streams.clean_limit(request.args.get("limit"))}


@bp.get("/feed")
def home_feed():
    return jsonify(page_json(streams.home(actor(), **_stream_args())))


@bp.get("/communities/<int:community_id>/feed")
def community_feed(community_id: int):
    community = communities.get_community(actor(), community_id, "view")
    return jsonify(page_json(streams.community(actor(), community, **_stream_args())))


@bp.get("/users/<int:user_id>/feed")
def person_feed(user_id: int):
    person = accounts.get_user(actor(), user_id)
    return jsonify(page_json(streams.person(actor(), person, **_stream_args())))


@bp.get("/tags/<tag>/feed")
def tag_feed(tag: str):
    page = streams.tag(actor(), tag, **_stream_args())
    return jsonify({"tag": streams.tag_label(actor(), tag), **page_json(page)})


# --- Notifications --------------------------------------------------------------------------------

@bp.get("/notifications")
def list_notifications():
    before = query_int("before", None, 1, MAX_ID)
    limit = query_int("limit", NOTIFICATIONS_PAGE, 1, 100)
    rows, more = notifications.list_notifications(actor(), before=before, limit=limit,
                                                  unread_only=query_bool("unread"))
    return jsonify({"items": [notification_json(line) for line in notifications.lines(rows)],
                    "unread_count": notifications.unread_count(actor()), "next_before": rows[-1].id if more else None})


@bp.post("/notifications/read")
def read_notifications():
    data = _only(_optional_body(), {"ids"})
    marked = notifications.mark_read(actor(), _ids(data, "ids"))
    return jsonify({"marked": marked, "unread_count": notifications.unread_count(actor())})


@bp.get("/notifications/preferences")
def notification_preferences():
    return jsonify(notifications.preferences(actor()))


@bp.put("/notifications/preferences")
def set_notification_preferences():
    data = json_body()
    for kind in data:
        field(data, kind, str)
    modes = notifications.set_preferences(actor(), data)
    return jsonify(modes)


# --- Follows --------------------------------------------------------------------------------------

def _follow_target() -> tuple[str, object]:
    data = _only(json_body(), {"target", "key"})
    target = field(data, "target", str)
    # A person's or document's id that cannot exist is a missing one (404 from the service), as elsewhere.
    return target, field(data, "key", int if target in {"person", "document"} else str)


@bp.get("/follows")
def list_follows():
    return jsonify({"items": [follow_json(f) for f in follows.following(actor())]})


@bp.put("/follows")
def follow():
    target, key = _follow_target()
    row = follows.follow(actor(), target, key)
    return jsonify(follow_json(row))


@bp.delete("/follows")
def unfollow():
    target, key = _follow_target()
    follows.unfollow(actor(), target, key)
    return "", 204
