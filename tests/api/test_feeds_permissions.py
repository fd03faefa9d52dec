"""The permission matrix of the feeds API, and the leak checks: a partner never gets an item of
a community they are not in, through a stream, a notification or a suggestion."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from rse.accounts.models import User
from rse.communities import service as communities
from rse.database import db as _db
from rse.feeds.models import Notification, Suggestion
from rse.feeds.publications import service as publications
from rse.feeds.social import comments

from ..test_permissions import _api_client
from ..test_permissions import expect as _expect

ACTORS = ("admin", "animator", "member", "outsider", "partner", "stranger", "deactivated", "expired", "anonymous")
VISIBILITIES = ("public", "private", "secret")


def expect(default: int, gone: int = 401, **overrides: int) -> dict[str, int]:
    """The foundation's `expect`, with the community's animator (the author of what the matrix reads)."""
    return {"animator": default, **_expect(default, gone, **overrides)}


def reads(visibility: str, status: int, **overrides: int) -> dict[str, int]:
    """What those who may read a community's content get; the others may not know it exists."""
    hidden = {"stranger": 404} if visibility == "public" else {"stranger": 404, "outsider": 404}
    return expect(status, **{**hidden, **overrides})


def acts(visibility: str, status: int, *, allowed: tuple[str, ...], **overrides: int) -> dict[str, int]:
    """`allowed` get `status`; other readers 403; those who may not read 404."""
    statuses = reads(visibility, status)
    for name in ("admin", "animator", "member", "outsider", "partner"):
        if name not in allowed and statuses[name] == status:
            statuses[name] = 403
    return {**statuses, **overrides}


def _matrix() -> list[tuple[str, str, object, dict[str, int]]]:
    rows: list[tuple[str, str, object, dict[str, int]]] = [
        ("GET", "/api/v1/feed", None, expect(200)),
        ("GET", "/api/v1/feed?kind=question", None, expect(200)),
        ("GET", "/api/v1/tags/hygiene/feed", None, expect(200)),
        ("GET", "/api/v1/users/{member}/feed", None, expect(200, stranger=404)),
        ("GET", "/api/v1/users/{outsider}/feed", None, expect(200, partner=404, stranger=404)),
        ("GET", "/api/v1/users/{deactivated_user}/feed", None, expect(404, admin=200)),
        ("GET", "/api/v1/publications/999999", None, expect(404)),
        ("GET", "/api/v1/communities/999999/feed", None, expect(404)),
        ("GET", "/api/v1/notifications", None, expect(200)),
        ("POST", "/api/v1/notifications/read", {}, expect(200)),
        ("GET", "/api/v1/notifications/preferences", None, expect(200)),
        ("PUT", "/api/v1/notifications/preferences", {"comment": "never"}, expect(200)),
        ("GET", "/api/v1/follows", None, expect(200)),
        ("PUT", "/api/v1/follows", {"target": "tag", "key": "Hygiène"}, expect(200)),
        ("DELETE", "/api/v1/follows", {"target": "tag", "key": "Hygiène"}, expect(204)),
        ("PUT", "/api/v1/follows", lambda ids: {"target": "person", "key": ids["member"]},
         expect(200, member=422, stranger=404)),
        ("PUT", "/api/v1/follows", lambda ids: {"target": "document", "key": ids["document_private"]},
         reads("private", 200)),
        ("POST", "/api/v1/suggestions", lambda ids: {"item": {"type": "publication", "id": ids["post_public"]},
                                                     "everyone": True},
         reads("public", 403, admin=201)),
        ("POST", "/api/v1/suggestions", lambda ids: {"item": {"type": "publication", "id": ids["post_private"]},
                                                     "everyone": True},
         reads("private", 403, admin=422)),
    ]
    for v in VISIBILITIES:
        post, question, answer = f"{{post_{v}}}", f"{{question_{v}}}", f"{{answer_{v}}}"
        outsider_writes = 403 if v == "public" else 404
        rows += [
            ("GET", f"/api/v1/publications/{post}", None, reads(v, 200)),
            ("GET", f"/api/v1/publications/{post}/comments", None, reads(v, 200)),
            ("GET", f"/api/v1/publications/{post}/likes", None, reads(v, 200)),
            ("GET", f"/api/v1/communities/{{{v}}}/feed", None,
             reads(v, 200, outsider={"public": 200, "private": 403, "secret": 404}[v])),
            ("GET", f"/api/v1/documents/{{document_{v}}}/comments", None, reads(v, 200)),
            ("POST", f"/api/v1/communities/{{{v}}}/publications", {"kind": "post", "body": "Bonjour"},
             reads(v, 201, outsider=403 if v != "secret" else 404)),
            ("POST", f"/api/v1/publications/{post}/comments", {"body": "Merci"},
             reads(v, 201, outsider=outsider_writes)),
            ("POST", f"/api/v1/documents/{{document_{v}}}/comments", {"body": "Merci"},
             reads(v, 201, outsider=outsider_writes)),
            ("PUT", f"/api/v1/publications/{post}/like", None, reads(v, 200)),
            ("DELETE", f"/api/v1/publications/{post}/like", None, reads(v, 200)),
            ("PUT", f"/api/v1/publications/{question}/same-question", None, reads(v, 200, member=403)),
            ("DELETE", f"/api/v1/publications/{question}/same-question", None, reads(v, 200, member=403)),
            ("PUT", f"/api/v1/publications/{post}/same-question", None, reads(v, 403)),
            ("PATCH", f"/api/v1/publications/{post}", {"body": "Modifié"}, acts(v, 200, allowed=("animator",))),
            ("PUT", f"/api/v1/publications/{post}/pin", None, acts(v, 200, allowed=("admin", "animator"))),
            ("PUT", f"/api/v1/publications/{post}/pin", {"scope": "home"}, acts(v, 200, allowed=("admin",))),
            ("DELETE", f"/api/v1/publications/{post}/pin", {"scope": "home"}, acts(v, 204, allowed=("admin",))),
            ("DELETE", f"/api/v1/publications/{post}/pin", None, acts(v, 204, allowed=("admin", "animator"))),
            ("POST", f"/api/v1/comments/{answer}/accept", None, acts(v, 200, allowed=("admin", "animator", "member"))),
            ("PATCH", f"/api/v1/comments/{answer}", {"body": "Réponse précisée"}, acts(v, 200, allowed=("animator",))),
            ("POST", "/api/v1/suggestions",
             lambda ids, v=v: {"item": {"type": "publication", "id": ids[f"post_{v}"]}, "users": [ids["reader"]]},
             reads(v, 201)),
            ("POST", "/api/v1/suggestions",
             lambda ids, v=v: {"item": {"type": "document", "id": ids[f"document_{v}"]}, "communities": [ids[v]]},
             reads(v, 201)),
            ("DELETE", f"/api/v1/comments/{answer}", None, acts(v, 204, allowed=("admin", "animator"))),
            ("DELETE", f"/api/v1/publications/{{victim_{v}}}", None, acts(v, 204, allowed=("admin", "animator"))),
        ]
    return rows


MATRIX = _matrix()


@pytest.fixture
def feeds_world(world, snapshot, create_user, create_document):
    """The foundation's world, with in each community a post, a question answered by the animator,
    a post to delete and a document, all tagged "Hygiène"; and a reader who may read everything."""
    ids = snapshot("feeds_api.feeds_world", lambda: _feeds_world(world, create_user, create_document))
    return SimpleNamespace(world=world, reader=_db.session.get(User, ids["reader"]), ids=ids)


def _feeds_world(world, create_user, create_document) -> dict[str, int]:
    reader = create_user("staff", name="Lectrice")
    made: dict[str, int] = {}
    for v in VISIBILITIES:
        space = world.spaces[v]
        communities.add_member(world.animator, space, reader, "reader")
        post = publications.publish(world.animator, space, {"kind": "post", "body": f"Note {v}", "tags": ["Hygiène"]})
        question = publications.publish(world.member, space, {"kind": "question", "title": f"Question {v} ?"})
        answer = comments.add_comment(world.animator, question, "Dans le classeur rouge")
        victim = publications.publish(world.animator, space, {"kind": "post", "body": "À supprimer"})
        _db.session.commit()
        document = create_document(space, world.animator, title=f"Protocole {v}", tags="Hygiène")
        made.update({f"post_{v}": post.id, f"question_{v}": question.id, f"answer_{v}": answer.id,
                     f"victim_{v}": victim.id, f"document_{v}": document.id, v: space.id})
    _db.session.commit()
    return {**made, "member": world.member.id, "outsider": world.outsider.id,
            "deactivated_user": world.deactivated.id, "reader": reader.id}


@pytest.mark.parametrize("actor_name", ACTORS)
def test_feeds_api_matrix(actor_name, feeds_world, api, db):
    client = _api_client(feeds_world.world, actor_name, api, db)
    ids = feeds_world.ids
    wrong = []
    for method, path, body, statuses in MATRIX:
        payload = body(ids) if callable(body) else body
        response = client.open(path.format(**ids), method=method, json=payload)
        if response.status_code != statuses[actor_name]:
            wrong.append(f"{method} {path} {payload}: {response.status_code}, expected {statuses[actor_name]} "
                         f"{response.get_data(as_text=True)[:200]}")
        if response.status_code >= 400:
            error = response.json["error"]
            assert error["code"] and error["message"], path
    assert wrong == []


def test_every_feeds_route_is_in_the_matrix(app):
    """A new feeds endpoint cannot be added without saying who may call it."""
    import re

    from rse.api import feeds

    covered = {(method, re.sub(r"\?.*", "", re.sub(r"{[^}]+}", "X", path))) for method, path, _b, _s in MATRIX}
    missing, routes = [], 0
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if getattr(view, "__module__", "") != feeds.__name__:
            continue
        path = re.sub(r"<[^>]+>", "X", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes += 1
            if (method, path) not in covered and (method, path.replace("/tags/X/", "/tags/hygiene/")) not in covered:
                missing.append(f"{method} {rule.rule}")
    assert missing == [] and routes == 30


# --- Leak checks ----------------------------------------------------------------------------------

@pytest.fixture
def elsewhere(feeds_world, create_community):
    """A public community the partner is not in, where the member publishes tagged items."""
    world = feeds_world.world
    achats = create_community(world.outsider, visibility="public", name="Achats", members=[(world.member, "member")])
    post = publications.publish(world.member, achats, {"kind": "post", "body": "Appel d'offres", "tags": ["Hygiène"]})
    question = publications.publish(world.member, achats, {"kind": "question", "title": "Gants nitrile ?",
                                                      "tags": ["hygiène"]})
    _db.session.commit()
    return SimpleNamespace(community=achats, post=post, question=question)


def _stream_ids(client, path: str) -> tuple[set[int], set[int]]:
    """The publications and the communities a stream shows (every page, and the pins)."""
    publications, spaces, cursor = set(), set(), None
    while True:
        page = client.get(path + (f"&cursor={cursor}" if cursor else "")).json
        for item in page["items"] + page["pins"]:
            if item["item_type"] == "publication":
                publications.add(item["item"]["id"])
            spaces.add(item["item"]["community_id"])
            if item["community"]:
                spaces.add(item["community"]["id"])
        cursor = page["next_cursor"]
        if cursor is None:
            return publications, spaces


def test_partner_streams_never_show_another_community(feeds_world, elsewhere, api, create_user):
    world, admin = feeds_world.world, api(feeds_world.world.admin)
    assert admin.post("/api/v1/suggestions", json={"item": {"type": "publication", "id": elsewhere.post.id},
                                                   "everyone": True}).status_code == 201
    assert admin.put(f"/api/v1/publications/{elsewhere.post.id}/pin", json={"scope": "home"}).status_code == 200
    theirs = {elsewhere.post.id, elsewhere.question.id}
    paths = ("/api/v1/feed?limit=5", "/api/v1/tags/HYGIENE/feed?limit=5",
             f"/api/v1/users/{world.member.id}/feed?limit=5")
    for path in paths:
        publications, spaces = _stream_ids(api(world.partner), path)
        assert publications and not publications & theirs, path
        assert elsewhere.community.id not in spaces, path
        # Staff of the same group do see them: the check above could fail.
        seen, _spaces = _stream_ids(api(world.outsider), path)
        if "users" not in path:
            assert elsewhere.post.id in seen, path
    for name in ("stranger",):
        for path in paths[:2]:
            assert _stream_ids(api(getattr(world, name)), path) == (set(), set())
    assert api(world.partner).get(f"/api/v1/users/{world.member.id}/feed?kind=question").json["items"] != []
    assert api(world.partner).get(f"/api/v1/publications/{elsewhere.post.id}").status_code == 404
    assert api(world.partner).get(f"/api/v1/publications/{elsewhere.post.id}/comments").status_code == 404
    assert api(world.partner).get(f"/api/v1/communities/{elsewhere.community.id}/feed").status_code == 404


def _notified(client) -> list[tuple[str, int]]:
    body = client.get("/api/v1/notifications").json
    return [(n["kind"], n["item"]["id"]) for n in body["items"]]


def test_partner_notifications_never_show_another_community(feeds_world, elsewhere, api, db):
    world = feeds_world.world
    partner = api(world.partner)
    handle = world.partner.email.split("@")[0]
    assert partner.put("/api/v1/follows", json={"target": "tag", "key": "Hygiène"}).status_code == 200
    assert partner.put("/api/v1/follows", json={"target": "person", "key": world.member.id}).status_code == 200
    member = api(world.member)
    # Elsewhere: a mention, a new tagged post by a followed person, a suggestion to everyone.
    member.post(f"/api/v1/publications/{elsewhere.post.id}/comments", json={"body": f"Vu avec @{handle} ?"})
    outside = member.post(f"/api/v1/communities/{elsewhere.community.id}/publications",
                          json={"kind": "post", "body": "Nouveau marché", "tags": ["Hygiène"]}).json
    api(world.admin).post("/api/v1/suggestions", json={"item": {"type": "publication", "id": elsewhere.post.id},
                                                       "everyone": True})
    # At home: the same, in the private community the partner shares.
    private = world.spaces["private"].id
    inside = member.post(f"/api/v1/communities/{private}/publications",
                         json={"kind": "post", "body": f"Bonjour @{handle}", "tags": ["Hygiène"]}).json
    notified = _notified(partner)
    assert notified == [("mention", inside["id"])]
    assert not {item for _kind, item in notified} & {elsewhere.post.id, outside["id"]}
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == world.partner.id, Notification.community_id == elsewhere.community.id)) == 0
    outsider_kinds = {kind for kind, item in _notified(api(world.outsider)) if item == elsewhere.post.id}
    assert outsider_kinds == {"suggestion"}  # the check above could fail
    # Leaving the community takes its notifications away at once.
    assert partner.get("/api/v1/notifications").json["unread_count"] == 1
    assert partner.delete(f"/api/v1/communities/{private}/members/{world.partner.id}").status_code == 204
    assert partner.get("/api/v1/notifications").json == {"items": [], "unread_count": 0, "next_before": None}


def test_suggestions_never_reach_a_partner_outside(feeds_world, elsewhere, api, db):
    world = feeds_world.world
    member, partner = api(world.member), api(world.partner)
    before = db.session.scalar(select(func.count()).select_from(Suggestion))
    item = {"type": "publication", "id": elsewhere.post.id}
    to_partner = member.post("/api/v1/suggestions", json={"item": item, "users": [world.partner.id]})
    assert to_partner.status_code == 422 and to_partner.json["error"]["code"] == "recipient_cannot_read"
    to_space = member.post("/api/v1/suggestions", json={"item": item, "communities": [world.spaces["public"].id]})
    assert to_space.status_code == 422 and to_space.json["error"]["code"] == "recipient_cannot_read"
    # A partner suggests only to people and communities they share.
    post_public = feeds_world.ids["post_public"]
    mine = {"type": "publication", "id": post_public}
    for payload in ({"item": mine, "users": [world.outsider.id]},
                    {"item": mine, "communities": [elsewhere.community.id]}):
        refused = partner.post("/api/v1/suggestions", json=payload)
        assert refused.status_code == 422 and refused.json["error"]["code"] == "unknown_recipient"
    assert db.session.scalar(select(func.count()).select_from(Suggestion)) == before
    assert _notified(partner) == []
    assert partner.get("/api/v1/feed?limit=50").json["items"][0]["verb"] != "suggested"
    # What may reach them does.
    assert member.post("/api/v1/suggestions", json={"item": mine, "users": [world.partner.id],
                                                    "message": "À lire"}).status_code == 201
    assert _notified(partner) == [("suggestion", post_public)]


def test_who_liked_shows_only_people_the_caller_may_see(feeds_world, api):
    world, post = feeds_world.world, feeds_world.ids["post_public"]
    for person in (world.outsider, world.member):
        assert api(person).put(f"/api/v1/publications/{post}/like").status_code == 200
    seen_by_partner = {p["name"] for p in api(world.partner).get(f"/api/v1/publications/{post}/likes").json["items"]}
    seen_by_member = {p["name"] for p in api(world.member).get(f"/api/v1/publications/{post}/likes").json["items"]}
    assert seen_by_partner == {"Membre"}
    assert seen_by_member == {"Membre", "Agent extérieur"}
