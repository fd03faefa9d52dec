"""Feeds through the API: publications, comments, likes, questions, pins, suggestions, streams,
notifications and follows, each with its bad input refused and nothing changed."""

from __future__ import annotations

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from rse.audit.models import AuditEntry
from rse.dbtypes import utcnow
from rse.feeds.models import (
    Activity,
    Attachment,
    Comment,
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
from rse.mail.models import OutboundEmail

TRACKED = (Publication, WikiVersion, Attachment, Tagging, Comment, Like, SameQuestion, Pin, Suggestion, Activity,
           Notification, Follow, NotificationPreference, AuditEntry, OutboundEmail)


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def rows(db) -> dict[str, int]:
    """How many rows each feeds table, the audit log and the outbox hold: what "nothing changed" compares."""
    return {model.__name__: count(db, model) for model in TRACKED}


def counters(db, publication_id: int) -> tuple:
    db.session.expire_all()
    p = db.session.get(Publication, publication_id)
    return (p.title, p.body, p.tags, p.like_count, p.comment_count, p.same_question_count, p.accepted_comment_id,
            p.updated_at, p.deleted_at)


def refused(db, call, status: int, code: str, *, publication_id: int | None = None):
    """Make a request that must be refused with this status and code and change nothing; return the error."""
    before = rows(db), counters(db, publication_id) if publication_id else None
    response = call()
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.json["error"]["code"] == code, response.json
    assert (rows(db), counters(db, publication_id) if publication_id else None) == before
    return response.json["error"]


@pytest.fixture
def space(snapshot, create_user, create_community, db):
    """A community with its animator and two members, and a staff member outside it."""
    from rse.accounts.models import User
    from rse.communities.models import Community

    ids = snapshot("feeds_api.space", lambda: _space(create_user, create_community))
    users = {name: db.session.get(User, user_id) for name, user_id in ids.items() if name != "community"}
    return SimpleNamespace(community=db.session.get(Community, ids["community"]), **users)


def _space(create_user, create_community) -> dict[str, int]:
    animator = create_user("staff", name="Animatrice")
    member = create_user("staff", name="Marie Dupont", email="marie.dupont@ght-exemple.fr")
    other = create_user("staff", name="Paul Martin", email="paul.martin@ght-exemple.fr")
    outsider = create_user("staff", name="Agent extérieur")
    community = create_community(animator, name="Hygiène", members=[(member, "member"), (other, "member")])
    return {"community": community.id, "animator": animator.id, "member": member.id, "other": other.id,
            "outsider": outsider.id}


def publish(client, community_id: int, **data):
    response = client.post(f"/api/v1/communities/{community_id}/publications", json={"kind": "post", **data})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.json


def comment(client, publication_id: int, body: str = "Voir la procédure p. 3"):
    response = client.post(f"/api/v1/publications/{publication_id}/comments", json={"body": body})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.json


# --- Publications ---------------------------------------------------------------------------------

def test_publish_a_post_returns_its_json_and_stores_it(space, api, db):
    body = "Lavage des mains : **friction** hydro-alcoolique <script>alert(1)</script>"
    data = publish(api(space.member), space.community.id, body=body, tags=["Hygiène", "mains"],
                   place="Bâtiment B")
    assert data["kind"] == "post" and data["community_id"] == space.community.id
    assert data["body"] == body
    assert "<strong>friction</strong>" in data["body_html"] and "<script>" not in data["body_html"]
    assert data["tags"] == ["Hygiène", "mains"] and data["place"] == "Bâtiment B"
    assert data["author"] == {"id": space.member.id, "name": "Marie Dupont"}
    assert (data["like_count"], data["comment_count"], data["liked"], data["same_question"]) == (0, 0, False, False)
    assert data["links"]["html"] == f"/publications/{data['id']}"
    assert data["links"]["api"] == f"/api/v1/publications/{data['id']}"
    assert data["attachments"] == [] and data["wiki_number"] is None
    stored = db.session.get(Publication, data["id"])
    assert (stored.author_id, stored.body, stored.place) == (space.member.id, body, "Bâtiment B")
    assert sorted(db.session.scalars(select(Tagging.tag).where(Tagging.publication_id == data["id"]))) == [
        "hygiene", "mains"]
    assert db.session.scalar(select(Activity.verb).where(Activity.publication_id == data["id"])) == "published"


def test_publish_each_other_kind(space, api, db, create_document):
    client = api(space.member)
    document = create_document(space.community, space.member, title="Protocole BHRe")
    announcement = publish(client, space.community.id, kind="announcement", title="Nouvelle cafétéria",
                           body="Ouverture lundi.", attachments=[document.id])
    assert announcement["attachments"] == [{"id": document.id, "title": "Protocole BHRe"}]
    question = publish(client, space.community.id, kind="question", title="Où est le protocole ?")
    assert question["same_question_count"] == 0 and question["accepted_comment_id"] is None
    link = publish(client, space.community.id, kind="link", url="https://www.ght-exemple.fr/protocoles")
    assert link["url"] == "https://www.ght-exemple.fr/protocoles" and link["title"]
    wiki = publish(client, space.community.id, kind="wiki", title="Accueil", body="Étape 1")
    assert wiki["wiki_number"] == 1
    assert count(db, WikiVersion) == 1
    assert count(db, Attachment) == 1


def test_get_edit_and_delete_a_publication(space, api, db):
    client = api(space.member)
    data = publish(client, space.community.id, body="Premier jet", tags=["brouillon"])
    url = f"/api/v1/publications/{data['id']}"
    assert api(space.other).get(url).json["body"] == "Premier jet"
    response = client.patch(url, json={"body": "Version *relue*", "tags": ["Relu"], "place": "Site nord"})
    assert response.status_code == 200
    assert response.json["body"] == "Version *relue*" and "<em>relue</em>" in response.json["body_html"]
    stored = db.session.get(Publication, data["id"])
    assert (stored.body, stored.tags, stored.place) == ("Version *relue*", ["Relu"], "Site nord")
    assert list(db.session.scalars(select(Tagging.tag).where(Tagging.publication_id == data["id"]))) == ["relu"]
    # Someone else's post: readable, not editable.
    refused(db, lambda: api(space.other).patch(url, json={"body": "Pirate"}), 403, "forbidden",
            publication_id=data["id"])
    assert client.delete(url).status_code == 204
    assert db.session.get(Publication, data["id"]).deleted_at is not None
    assert db.session.scalar(select(Activity.hidden).where(Activity.publication_id == data["id"])) is True
    assert client.get(url).status_code == 404


def test_edit_names_unknown_fields_and_changes_nothing(space, api, db):
    client = api(space.member)
    data = publish(client, space.community.id, body="Texte")
    error = refused(db, lambda: client.patch(f"/api/v1/publications/{data['id']}",
                                             json={"body": "Autre", "colour": "rouge", "author_id": 1}),
                    422, "validation_error", publication_id=data["id"])
    assert set(error["fields"]) == {"colour", "author_id"}


def test_editing_a_wiki_page_adds_a_version(space, api, db):
    data = publish(api(space.member), space.community.id, kind="wiki", title="Accueil", body="Étape 1")
    response = api(space.other).patch(f"/api/v1/publications/{data['id']}",
                                      json={"body": "Étape 1\nÉtape 2", "note": "Ajout de l'étape 2"})
    assert response.status_code == 200 and response.json["wiki_number"] == 2
    versions = list(db.session.scalars(select(WikiVersion).where(WikiVersion.publication_id == data["id"])
                                       .order_by(WikiVersion.number)))
    assert [(v.number, v.author_id, v.note) for v in versions] == [
        (1, space.member.id, ""), (2, space.other.id, "Ajout de l'étape 2")]


# --- Bad input on publishing ----------------------------------------------------------------------

@pytest.mark.parametrize(("payload", "status", "code", "field"), [
    ({"kind": "post", "body": ""}, 422, "validation_error", "body"),
    ({"kind": "post", "body": "x" * 100_000}, 422, "validation_error", "body"),
    ({"kind": "announcement", "title": "Titre", "body": "x" * 100_000}, 422, "validation_error", "body"),
    ({"kind": "sondage", "body": "Bonjour"}, 422, "unknown_kind", "kind"),
    ({"body": "Sans type"}, 422, "unknown_kind", "kind"),
    ({"kind": "post", "body": 42}, 422, "validation_error", "body"),
    ({"kind": ["post"], "body": "Bonjour"}, 422, "validation_error", "kind"),
    ({"kind": "post", "body": "Bonjour", "tags": 5}, 422, "validation_error", "tags"),
    ({"kind": "post", "body": "Bonjour", "attachments": "12"}, 422, "validation_error", "attachments"),
    ({"kind": "post", "body": "Bonjour", "attachments": [999999]}, 422, "validation_error", "attachments"),
    ({"kind": "post", "body": "Bonjour", "url": "https://exemple.fr"}, 422, "validation_error", "url"),
    ({"kind": "link", "url": "javascript:alert(1)"}, 422, "validation_error", "url"),
    ({"kind": "post", "body": "Bonjour", "author_id": 1}, 422, "validation_error", "author_id"),
])
def test_bad_publications_are_refused_and_nothing_is_written(space, api, db, payload, status, code, field):
    url = f"/api/v1/communities/{space.community.id}/publications"
    error = refused(db, lambda: api(space.member).post(url, json=payload), status, code)
    assert field in error["fields"]


@pytest.mark.parametrize("raw", [b"{not json", b"", b"[1, 2]", b'"post"'])
def test_malformed_json_is_a_400(space, api, db, raw):
    url = f"/api/v1/communities/{space.community.id}/publications"
    refused(db, lambda: api(space.member).post(url, data=raw, content_type="application/json"),
            400, "malformed_json")


def test_non_members_may_not_publish(space, api, db):
    url = f"/api/v1/communities/{space.community.id}/publications"
    refused(db, lambda: api(space.outsider).post(url, json={"kind": "post", "body": "Bonjour"}), 403, "forbidden")
    refused(db, lambda: api(space.member).post("/api/v1/communities/999999/publications",
                                               json={"kind": "post", "body": "Bonjour"}), 404, "not_found")


# --- Comments -------------------------------------------------------------------------------------

def test_comment_list_edit_and_delete(space, api, db):
    post = publish(api(space.member), space.community.id, body="Qui a la clé ?")
    first = comment(api(space.other), post["id"], "Moi, **bureau 12**")
    assert first["body_html"].count("<strong>") == 1
    assert first["author"] == {"id": space.other.id, "name": "Paul Martin"} and first["accepted"] is False
    second = comment(api(space.animator), post["id"], "Aussi à l'accueil")
    listed = api(space.member).get(f"/api/v1/publications/{post['id']}/comments").json
    assert [c["id"] for c in listed["items"]] == [first["id"], second["id"]] and listed["total"] == 2
    assert db.session.get(Publication, post["id"]).comment_count == 2

    edited = api(space.other).patch(f"/api/v1/comments/{first['id']}", json={"body": "Bureau 14"})
    assert edited.status_code == 200 and edited.json["body"] == "Bureau 14" and edited.json["updated_at"]
    assert db.session.get(Comment, first["id"]).body == "Bureau 14"
    refused(db, lambda: api(space.member).patch(f"/api/v1/comments/{first['id']}", json={"body": "Non"}),
            403, "forbidden", publication_id=post["id"])
    refused(db, lambda: api(space.member).delete(f"/api/v1/comments/{first['id']}"), 403, "forbidden",
            publication_id=post["id"])
    # The animator moderates.
    assert api(space.animator).delete(f"/api/v1/comments/{first['id']}").status_code == 204
    assert db.session.get(Comment, first["id"]).deleted_by_id == space.animator.id
    assert db.session.get(Publication, post["id"]).comment_count == 1
    assert api(space.other).patch(f"/api/v1/comments/{first['id']}", json={"body": "x"}).status_code == 404


@pytest.mark.parametrize(("payload", "code"), [
    ({"body": ""}, "validation_error"),
    ({"body": "   "}, "validation_error"),
    ({"body": "x" * 100_000}, "validation_error"),
    ({"body": 12}, "validation_error"),
    ({}, "validation_error"),
    ({"body": "ok", "extra": 1}, "validation_error"),
])
def test_bad_comments_are_refused(space, api, db, payload, code):
    post = publish(api(space.member), space.community.id, body="Bonjour")
    refused(db, lambda: api(space.other).post(f"/api/v1/publications/{post['id']}/comments", json=payload),
            422, code, publication_id=post["id"])


def test_comments_on_a_document(space, api, db, create_document):
    document = create_document(space.community, space.member, title="Protocole BHRe")
    url = f"/api/v1/documents/{document.id}/comments"
    response = api(space.other).post(url, json={"body": "Merci @marie.dupont"})
    assert response.status_code == 201 and response.json["document_id"] == document.id
    assert "/personnes/" in response.json["body_html"]
    assert [c["body"] for c in api(space.animator).get(url).json["items"]] == ["Merci @marie.dupont"]
    notified = db.session.scalar(select(Notification).where(Notification.user_id == space.member.id))
    assert (notified.kind, notified.document_id) == ("mention", document.id)
    assert api(space.outsider).get(url).status_code == 404


# --- Likes and "same question" --------------------------------------------------------------------

def test_like_unlike_and_who_liked(space, api, db):
    post = publish(api(space.member), space.community.id, body="Bonne nouvelle")
    url = f"/api/v1/publications/{post['id']}/like"
    liked = api(space.other).put(url)
    assert liked.status_code == 200 and (liked.json["liked"], liked.json["like_count"]) == (True, 1)
    refused(db, lambda: api(space.other).put(url), 409, "already_liked", publication_id=post["id"])
    assert api(space.animator).put(url).json["like_count"] == 2
    people = api(space.member).get(f"/api/v1/publications/{post['id']}/likes").json
    assert [p["name"] for p in people["items"]] == ["Paul Martin", "Animatrice"] and people["total"] == 2
    assert api(space.member).get(f"/api/v1/publications/{post['id']}").json["liked"] is False
    unliked = api(space.other).delete(url)
    assert unliked.status_code == 200 and (unliked.json["liked"], unliked.json["like_count"]) == (False, 1)
    refused(db, lambda: api(space.other).delete(url), 409, "not_liked", publication_id=post["id"])
    assert count(db, Like) == 1


def test_same_question(space, api, db):
    question = publish(api(space.member), space.community.id, kind="question", title="Où est le protocole ?")
    url = f"/api/v1/publications/{question['id']}/same-question"
    pressed = api(space.other).put(url)
    assert pressed.status_code == 200
    assert (pressed.json["same_question"], pressed.json["same_question_count"]) == (True, 1)
    refused(db, lambda: api(space.other).put(url), 409, "already_pressed", publication_id=question["id"])
    refused(db, lambda: api(space.member).put(url), 403, "forbidden", publication_id=question["id"])
    post = publish(api(space.member), space.community.id, body="Pas une question")
    refused(db, lambda: api(space.other).put(f"/api/v1/publications/{post['id']}/same-question"), 403, "forbidden",
            publication_id=post["id"])
    released = api(space.other).delete(url)
    assert (released.json["same_question"], released.json["same_question_count"]) == (False, 0)
    refused(db, lambda: api(space.other).delete(url), 409, "not_pressed", publication_id=question["id"])


# --- Good answers ---------------------------------------------------------------------------------

def test_the_asker_accepts_a_good_answer_shown_first(space, api, db):
    question = publish(api(space.member), space.community.id, kind="question", title="Où est le protocole ?")
    api(space.animator).put(f"/api/v1/publications/{question['id']}/same-question")
    first = comment(api(space.other), question["id"], "Dans le classeur")
    good = comment(api(space.animator), question["id"], "Sur l'intranet, rubrique Hygiène")
    response = api(space.member).post(f"/api/v1/comments/{good['id']}/accept", json={"question_id": question["id"]})
    assert response.status_code == 200 and response.json["accepted_comment_id"] == good["id"]
    assert db.session.get(Publication, question["id"]).accepted_comment_id == good["id"]
    listed = api(space.other).get(f"/api/v1/publications/{question['id']}/comments").json["items"]
    assert [(c["id"], c["accepted"]) for c in listed] == [(good["id"], True), (first["id"], False)]
    # The animator may change it (without a body); the same one again is a conflict.
    assert api(space.animator).post(f"/api/v1/comments/{first['id']}/accept").status_code == 200
    refused(db, lambda: api(space.member).post(f"/api/v1/comments/{first['id']}/accept"), 409, "already_accepted",
            publication_id=question["id"])
    # Told of the answer: those who shared the question and the answer's author, never the one who accepted.
    told = db.session.execute(select(Notification.user_id, Notification.comment_id).where(
        Notification.kind == "answer").order_by(Notification.id)).all()
    assert told == [(space.animator.id, good["id"]), (space.member.id, first["id"]),
                    (space.other.id, first["id"])]


def test_accepting_a_comment_of_another_question_or_of_a_post_is_refused(space, api, db):
    asker = api(space.member)
    question = publish(asker, space.community.id, kind="question", title="Question A ?")
    other_question = publish(asker, space.community.id, kind="question", title="Question B ?")
    post = publish(asker, space.community.id, body="Un message")
    of_b = comment(api(space.other), other_question["id"], "Réponse à B")
    of_post = comment(api(space.other), post["id"], "Réponse au message")
    refused(db, lambda: asker.post(f"/api/v1/comments/{of_b['id']}/accept", json={"question_id": question["id"]}),
            422, "not_a_question", publication_id=question["id"])
    assert db.session.get(Publication, other_question["id"]).accepted_comment_id is None
    refused(db, lambda: asker.post(f"/api/v1/comments/{of_post['id']}/accept"), 422, "not_a_question",
            publication_id=post["id"])
    # Neither the asker nor an animator.
    refused(db, lambda: api(space.other).post(f"/api/v1/comments/{of_b['id']}/accept"), 403, "forbidden",
            publication_id=other_question["id"])
    refused(db, lambda: asker.post(f"/api/v1/comments/{of_b['id']}/accept", json={"question_id": "B"}),
            422, "validation_error", publication_id=other_question["id"])


# --- Pins -----------------------------------------------------------------------------------------

def test_animator_pins_to_the_community_and_admin_to_home(space, api, db, create_user):
    admin = create_user("admin")
    post = publish(api(space.member), space.community.id, body="À lire avant lundi")
    url = f"/api/v1/publications/{post['id']}/pin"
    until = (utcnow() + timedelta(days=7)).isoformat()
    response = api(space.animator).put(url, json={"until": until, "position": 3})
    assert response.status_code == 200
    assert (response.json["scope"], response.json["position"]) == ("community", 3) and response.json["until"]
    pin = db.session.scalar(select(Pin))
    assert (pin.scope, pin.position, pin.pinned_by_id) == ("community", 3, space.animator.id)
    feed = api(space.other).get(f"/api/v1/communities/{space.community.id}/feed").json
    assert [p["item"]["id"] for p in feed["pins"]] == [post["id"]] and feed["pins"][0]["pinned"] is True

    refused(db, lambda: api(space.animator).put(url, json={"scope": "home"}), 403, "forbidden")
    home = api(admin).put(url, json={"scope": "home"})
    assert home.status_code == 200 and home.json["scope"] == "home"
    assert [p["item"]["id"] for p in api(space.outsider).get("/api/v1/feed").json["pins"]] == []  # cannot read it
    assert [p["item"]["id"] for p in api(space.other).get("/api/v1/feed").json["pins"]] == [post["id"]]

    assert api(space.animator).delete(url).status_code == 204
    refused(db, lambda: api(space.animator).delete(url), 409, "not_pinned")
    assert api(admin).delete(url, json={"scope": "home"}).status_code == 204
    assert count(db, Pin) == 0


@pytest.mark.parametrize(("who", "payload", "status", "code"), [
    ("member", None, 403, "forbidden"),
    ("other", {"scope": "community"}, 403, "forbidden"),
    ("member", {"scope": "home"}, 403, "forbidden"),
    ("outsider", None, 404, "not_found"),
    ("animator", {"scope": "partout"}, 422, "validation_error"),
    ("animator", {"until": "lundi"}, 422, "validation_error"),
    ("animator", {"until": "2020-01-01T00:00:00+00:00"}, 422, "validation_error"),
    ("animator", {"until": "2099-01-01T00:00:00"}, 422, "validation_error"),
    ("animator", {"position": "1"}, 422, "validation_error"),
    ("animator", {"position": -1}, 422, "validation_error"),
    ("animator", {"colour": "red"}, 422, "validation_error"),
])
def test_refused_pins_change_nothing(space, api, db, who, payload, status, code):
    post = publish(api(space.member), space.community.id, body="Message")
    url = f"/api/v1/publications/{post['id']}/pin"
    refused(db, lambda: api(getattr(space, who)).put(url, json=payload), status, code, publication_id=post["id"])
    refused(db, lambda: api(space.animator).put(url, data=b"{oops", content_type="application/json"),
            400, "malformed_json")


# --- Suggestions ----------------------------------------------------------------------------------

def test_suggest_a_publication_to_a_person(space, api, db, outbox):
    post = publish(api(space.member), space.community.id, body="Nouveau protocole")
    response = api(space.member).post("/api/v1/suggestions", json={
        "item": {"type": "publication", "id": post["id"]}, "users": [space.other.id],
        "message": "Pour ton service"})
    assert response.status_code == 201
    assert response.json["item"] == {"type": "publication", "id": post["id"]}
    assert (response.json["message"], response.json["users"]) == ("Pour ton service", [space.other.id])
    assert count(db, Suggestion) == 1
    notification = db.session.scalar(select(Notification).where(Notification.user_id == space.other.id))
    assert (notification.kind, notification.publication_id) == ("suggestion", post["id"])
    assert any(space.other.email in str(m["To"]) for m in outbox())
    feed = api(space.other).get("/api/v1/feed").json["items"]
    suggested = [i for i in feed if i["verb"] == "suggested"]
    assert len(suggested) == 1 and suggested[0]["item"]["id"] == post["id"]
    assert suggested[0]["suggestion"] == {"sender": {"id": space.member.id, "name": "Marie Dupont"},
                                          "message": "Pour ton service"}


def test_suggest_a_document_to_a_community(space, api, db, create_document, create_community):
    document = create_document(space.community, space.member, title="Protocole BHRe")
    target = create_community(space.animator, visibility="private", name="Cadres", members=[(space.other, "member")])
    response = api(space.animator).post("/api/v1/suggestions", json={
        "item": {"type": "document", "id": document.id}, "communities": [target.id]})
    assert response.status_code == 201 and response.json["item"] == {"type": "document", "id": document.id}
    items = api(space.other).get(f"/api/v1/communities/{target.id}/feed").json["items"]
    assert [(i["verb"], i["item_type"], i["item"]["id"]) for i in items] == [("suggested", "document", document.id)]


@pytest.mark.parametrize(("payload", "status", "code"), [
    (lambda s, p: {"item": {"type": "publication", "id": p}, "users": [s.outsider.id]}, 422, "recipient_cannot_read"),
    (lambda s, p: {"item": {"type": "publication", "id": p}}, 422, "no_recipient"),
    (lambda s, p: {"item": {"type": "publication", "id": p}, "users": []}, 422, "no_recipient"),
    (lambda s, p: {"item": {"type": "publication", "id": p}, "users": [999999]}, 422, "unknown_recipient"),
    (lambda s, p: {"item": {"type": "publication", "id": p}, "communities": [999999]}, 422, "unknown_recipient"),
    (lambda s, p: {"item": {"type": "publication", "id": p}, "everyone": True}, 403, "everyone_admin_only"),
    (lambda s, p: {"item": {"type": "publication", "id": p}, "everyone": "yes"}, 422, "validation_error"),
    (lambda s, p: {"item": {"type": "publication", "id": p}, "users": "12"}, 422, "validation_error"),
    (lambda s, p: {"item": {"type": "publication", "id": p}, "users": [s.other.id], "message": "x" * 600},
     422, "validation_error"),
    (lambda s, p: {"item": {"type": "sondage", "id": p}, "users": [s.other.id]}, 422, "validation_error"),
    (lambda s, p: {"item": {"type": "publication", "id": 999999}, "users": [s.other.id]}, 404, "not_found"),
    (lambda s, p: {"item": p, "users": [s.other.id]}, 422, "validation_error"),
])
def test_refused_suggestions_change_nothing(space, api, db, outbox, payload, status, code):
    post = publish(api(space.member), space.community.id, body="Nouveau protocole")
    emails = len(outbox())
    refused(db, lambda: api(space.member).post("/api/v1/suggestions", json=payload(space, post["id"])), status, code,
            publication_id=post["id"])
    assert len(outbox()) == emails


# --- Streams --------------------------------------------------------------------------------------

def test_cursor_pagination_walks_every_item_exactly_once(space, api, db):
    client = api(space.member)
    made = [publish(client, space.community.id, body=f"Message {i}")["id"] for i in range(13)]
    reader = api(space.other)
    seen, cursor, pages = [], None, 0
    while True:
        query = f"?limit=5&cursor={cursor}" if cursor else "?limit=5"
        page = reader.get(f"/api/v1/feed{query}").json
        pages += 1
        seen.extend(item["item"]["id"] for item in page["items"])
        if pages > 1:
            assert page["pins"] == []
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(made)) and pages == 3


def test_stream_item_json(space, api, db, create_document):
    post = publish(api(space.member), space.community.id, body="Bonjour", tags=["Accueil"])
    api(space.other).put(f"/api/v1/publications/{post['id']}/like")
    document = create_document(space.community, space.animator, title="Plan du site", tags="Accueil")
    items = api(space.other).get(f"/api/v1/communities/{space.community.id}/feed").json["items"]
    assert [i["item_type"] for i in items] == ["document", "publication"]
    uploaded, published = items
    assert (uploaded["verb"], uploaded["kind"], uploaded["item"]["id"]) == ("uploaded", "document", document.id)
    assert uploaded["actor"] == {"id": space.animator.id, "name": "Animatrice"}
    assert published["verb"] == "published" and published["kind"] == "post"
    assert published["community"] == {"id": space.community.id, "name": "Hygiène"}
    assert published["item"]["liked"] is True and published["item"]["like_count"] == 1
    assert published["suggestion"] is None and published["id"] > 0 and published["created_at"]
    tagged = api(space.other).get("/api/v1/tags/ACCUEIL/feed").json
    assert tagged["tag"] == "Accueil" and [i["item_type"] for i in tagged["items"]] == ["document", "publication"]
    mine = api(space.other).get(f"/api/v1/users/{space.member.id}/feed").json["items"]
    assert [i["item"]["id"] for i in mine] == [post["id"]]


def test_kind_filter(space, api):
    client = api(space.member)
    publish(client, space.community.id, body="Message")
    question = publish(client, space.community.id, kind="question", title="Question ?")
    items = client.get("/api/v1/feed?kind=question").json["items"]
    assert [i["item"]["id"] for i in items] == [question["id"]]
    assert client.get(f"/api/v1/communities/{space.community.id}/feed?kind=post").json["items"][0]["kind"] == "post"


@pytest.mark.parametrize(("query", "status", "code"), [
    ("?kind=sondage", 422, "unknown_kind"),
    ("?limit=0", 400, "bad_pagination"),
    ("?limit=51", 400, "bad_pagination"),
    ("?limit=abc", 400, "bad_pagination"),
    ("?cursor=1", 400, "invalid_cursor"),
    ("?cursor=eyJiIjoxfQ", 400, "invalid_cursor"),
])
def test_bad_stream_parameters(space, api, db, query, status, code):
    client = api(space.member)
    publish(client, space.community.id, body="Message")
    for path in ("/api/v1/feed", f"/api/v1/communities/{space.community.id}/feed",
                 f"/api/v1/users/{space.member.id}/feed", "/api/v1/tags/hygiene/feed"):
        refused(db, lambda path=path: client.get(path + query), status, code)


def test_tampered_cursor_is_refused(space, api, db):
    client = api(space.member)
    for i in range(3):
        publish(client, space.community.id, body=f"Message {i}")
    cursor = client.get("/api/v1/feed?limit=1").json["next_cursor"]
    assert cursor and client.get(f"/api/v1/feed?limit=1&cursor={cursor}").status_code == 200
    for forged in (cursor[:-2] + "xx", cursor + "a", cursor.replace(cursor[0], "A" if cursor[0] != "A" else "B", 1)):
        refused(db, lambda forged=forged: client.get(f"/api/v1/feed?cursor={forged}"), 400, "invalid_cursor")


# --- Notifications --------------------------------------------------------------------------------

def test_notifications_list_read_and_unread_count(space, api, db):
    post = publish(api(space.member), space.community.id, body="Bonjour")
    first = comment(api(space.other), post["id"], "Première réponse")
    comment(api(space.animator), post["id"], "Merci @marie.dupont")
    client = api(space.member)
    listed = client.get("/api/v1/notifications").json
    assert listed["unread_count"] == 2 and listed["next_before"] is None
    assert [(n["kind"], n["actor"]["name"], n["read"]) for n in listed["items"]] == [
        ("mention", "Animatrice", False), ("comment", "Paul Martin", False)]
    # The line the notifications page shows, in the same words.
    assert [n["text"] for n in listed["items"]] == [
        "Animatrice vous a mentionné dans un commentaire sur « Bonjour »", "Nouveau commentaire de Paul Martin sur « Bonjour »"]
    item = listed["items"][1]["item"]
    assert item == {"type": "publication", "id": post["id"], "title": "Bonjour",
                    "url": f"/publications/{post['id']}#commentaire-{first['id']}"}
    older = client.get(f"/api/v1/notifications?limit=1&before={listed['items'][0]['id']}").json
    assert [n["kind"] for n in older["items"]] == ["comment"]
    assert client.get("/api/v1/notifications?limit=1").json["next_before"] == listed["items"][0]["id"]

    marked = client.post("/api/v1/notifications/read", json={"ids": [listed["items"][1]["id"]]})
    assert marked.status_code == 200 and marked.json == {"marked": 1, "unread_count": 1}
    assert [n["kind"] for n in client.get("/api/v1/notifications?unread=1").json["items"]] == ["mention"]
    assert client.post("/api/v1/notifications/read", json={}).json == {"marked": 1, "unread_count": 0}
    assert count(db, Notification) == 2
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.read_at.is_(None))) == 0


def test_nobody_marks_another_persons_notifications(space, api, db):
    post = publish(api(space.member), space.community.id, body="Bonjour")
    comment(api(space.other), post["id"])
    mine = db.session.scalar(select(Notification.id).where(Notification.user_id == space.member.id))
    assert api(space.other).post("/api/v1/notifications/read", json={"ids": [mine]}).json["marked"] == 0
    assert db.session.get(Notification, mine).read_at is None


@pytest.mark.parametrize(("call", "status", "code"), [
    (lambda c: c.get("/api/v1/notifications?before=abc"), 400, "bad_pagination"),
    (lambda c: c.get("/api/v1/notifications?before=0"), 400, "bad_pagination"),
    (lambda c: c.get("/api/v1/notifications?limit=101"), 400, "bad_pagination"),
    (lambda c: c.post("/api/v1/notifications/read", json={"ids": "all"}), 422, "validation_error"),
    (lambda c: c.post("/api/v1/notifications/read", json={"ids": [True]}), 422, "validation_error"),
    (lambda c: c.post("/api/v1/notifications/read", json={"everything": True}), 422, "validation_error"),
    (lambda c: c.post("/api/v1/notifications/read", data=b"[", content_type="application/json"),
     400, "malformed_json"),
    (lambda c: c.put("/api/v1/notifications/preferences", json={"comment": "sometimes"}), 422, "validation_error"),
    (lambda c: c.put("/api/v1/notifications/preferences", json={"poke": "never"}), 422, "validation_error"),
    (lambda c: c.put("/api/v1/notifications/preferences", json={"comment": ["never"]}), 422, "validation_error"),
    (lambda c: c.put("/api/v1/notifications/preferences", json=["never"]), 400, "malformed_json"),
])
def test_bad_notification_requests_change_nothing(space, api, db, call, status, code):
    post = publish(api(space.member), space.community.id, body="Bonjour")
    comment(api(space.other), post["id"])
    refused(db, lambda: call(api(space.member)), status, code)
    assert db.session.scalar(select(Notification.read_at)) is None


def test_email_preferences(space, api, db):
    client = api(space.member)
    defaults = client.get("/api/v1/notifications/preferences").json
    assert defaults["mention"] == "immediate" and defaults["comment"] == "digest" and len(defaults) == 9
    response = client.put("/api/v1/notifications/preferences", json={"comment": "never", "mention": "digest"})
    assert response.status_code == 200
    assert (response.json["comment"], response.json["mention"], response.json["answer"]) == (
        "never", "digest", "immediate")
    stored = dict(db.session.execute(select(NotificationPreference.kind, NotificationPreference.mode).where(
        NotificationPreference.user_id == space.member.id)).all())
    assert stored == {"comment": "never", "mention": "digest"}
    assert client.get("/api/v1/notifications/preferences").json == response.json


# --- Follows --------------------------------------------------------------------------------------

def test_follow_a_tag_a_person_and_a_document(space, api, db, create_document):
    client = api(space.other)
    document = create_document(space.community, space.member, title="Protocole BHRe")
    tag = client.put("/api/v1/follows", json={"target": "tag", "key": "Hygiène"})
    assert tag.status_code == 200 and (tag.json["key"], tag.json["label"]) == ("hygiene", "Hygiène")
    assert client.put("/api/v1/follows", json={"target": "tag", "key": "HYGIENE"}).status_code == 200
    assert count(db, Follow) == 1
    assert client.put("/api/v1/follows", json={"target": "person", "key": space.member.id}).json["key"] == \
        space.member.id
    assert client.put("/api/v1/follows", json={"target": "document", "key": document.id}).status_code == 200
    listed = client.get("/api/v1/follows").json["items"]
    assert [(f["target"], f["key"]) for f in listed] == [
        ("tag", "hygiene"), ("person", space.member.id), ("document", document.id)]
    publish(api(space.member), space.community.id, body="Nouveau")
    assert db.session.scalar(select(Notification.kind).where(Notification.user_id == space.other.id)) == "followed"
    assert client.delete("/api/v1/follows", json={"target": "tag", "key": "hygiène"}).status_code == 204
    assert count(db, Follow) == 2


@pytest.mark.parametrize(("payload", "status", "code"), [
    (lambda s: {"target": "person", "key": s.other.id}, 422, "follow_self"),
    (lambda s: {"target": "person", "key": str(s.member.id)}, 422, "validation_error"),
    (lambda s: {"target": "person", "key": 999999}, 404, "not_found"),
    (lambda s: {"target": "community", "key": 1}, 422, "validation_error"),
    (lambda s: {"target": "tag", "key": ""}, 422, "validation_error"),
    (lambda s: {"target": "tag", "key": "x" * 80}, 422, "validation_error"),
    (lambda s: {"target": "tag"}, 422, "validation_error"),
    (lambda s: {"target": "tag", "key": "a", "user_id": 1}, 422, "validation_error"),
])
def test_bad_follows_change_nothing(space, api, db, payload, status, code):
    client = api(space.other)
    refused(db, lambda: client.put("/api/v1/follows", json=payload(space)), status, code)
    if status == 422 and code != "follow_self":
        refused(db, lambda: client.delete("/api/v1/follows", json=payload(space)), status, code)
    else:  # one stops following a person or a document without being asked whether one may see it
        before = rows(db)
        assert client.delete("/api/v1/follows", json=payload(space)).status_code == 204
        assert rows(db) == before


def test_unfollow_a_person_one_can_no_longer_see(space, api, db, create_user):
    client = api(space.other)
    leaving = create_user("staff", name="Départ")
    assert client.put("/api/v1/follows", json={"target": "person", "key": leaving.id}).status_code == 200
    leaving.deactivated_at = utcnow()
    db.session.commit()
    assert client.delete("/api/v1/follows", json={"target": "person", "key": leaving.id}).status_code == 204
    assert count(db, Follow) == 0


def test_every_feeds_route_needs_a_token(space, api, app):
    from rse.api import feeds

    client, checked = api(None), 0
    for rule in app.url_map.iter_rules():
        if getattr(app.view_functions[rule.endpoint], "__module__", "") != feeds.__name__:
            continue
        path = rule.rule
        for name in rule.arguments:
            path = re.sub(rf"<(?:[^:>]+:)?{name}>", "hygiene" if name == "tag" else "1", path)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(path, method=method, json={})
            assert response.status_code == 401, (method, path)
            assert response.json["error"]["code"] == "unauthorized"
            checked += 1
    assert checked == 30


def test_ids_too_large_for_the_database_are_refused_not_a_server_error(space, api, db):
    """JSON ids beyond an integer column's range: a clear 404 or 422 on both databases, nothing written."""
    client = api(space.member)
    big = 2**40
    cid = space.community.id
    refused(db, lambda: client.post("/api/v1/suggestions", json={
        "item": {"type": "publication", "id": big}, "users": [space.other.id]}), 404, "not_found")
    refused(db, lambda: client.put("/api/v1/follows", json={"target": "person", "key": big}), 404, "not_found")
    refused(db, lambda: client.put("/api/v1/follows", json={"target": "document", "key": big}), 404, "not_found")
    refused(db, lambda: client.post(f"/api/v1/communities/{cid}/publications", json={
        "kind": "post", "body": "Bonjour", "attachments": [big]}), 422, "validation_error")
    post = publish(api(space.animator), cid, body="À épingler")
    refused(db, lambda: api(space.animator).put(f"/api/v1/publications/{post['id']}/pin", json={
        "position": big}), 422, "validation_error", publication_id=post["id"])
