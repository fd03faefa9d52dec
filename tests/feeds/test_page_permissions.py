"""The permission matrix of the feed pages and their form posts: every actor of `world`, on the
public, private and secret communities. What an actor may not know exists answers 404.

A partner never meets an item of a community they are not in: not on the home, a tag page or
a person's page; and leaving a community takes its items out of these pages at once.
"""

from __future__ import annotations

import re
from html import unescape

import pytest

from rse.feeds.publications import pins
from rse.feeds.publications import service as publications
from rse.feeds.social import comments, suggestions
from tests.test_permissions import ACTORS, LOGIN, _ids, _web_client, expect

FEED_ACTORS = ("animator", *ACTORS)
HX = {"HX-Request": "true"}


def statuses(default: int, gone: int, **overrides: int) -> dict[str, int]:
    """`expect` of the foundation matrix, with the communities' animator (default unless given)."""
    found = expect(default, gone, **overrides)
    found.setdefault("animator", default)
    return found


READ_PUBLIC = statuses(200, LOGIN, stranger=404)
READ_PRIVATE = statuses(200, LOGIN, outsider=404, stranger=404)  # a publication of a private space: hidden
SPACE_PRIVATE = statuses(200, LOGIN, outsider=403, stranger=404)  # the space itself is known to staff
SPACE_SECRET = statuses(200, LOGIN, outsider=404, stranger=404)


@pytest.fixture
def items(world, snapshot, create_document, db):
    """In each community: a post, a question, a wiki page (two versions) by the animator, a comment
    by the member on the post and on the question, a post to delete and a document."""
    return snapshot("page_permissions.items", lambda: _items(world, create_document, db))


def _items(world, create_document, db) -> dict:
    made = {}
    for visibility, community in world.spaces.items():
        post = publications.publish(world.animator, community, {"kind": "post", "body": f"Message {visibility}",
                                                           "tags": ["Partagé"]})
        question = publications.publish(world.animator, community, {"kind": "question", "title": f"Question {visibility}"})
        wiki = publications.publish(world.animator, community, {"kind": "wiki", "title": "Fiche", "body": "v1"})
        publications.update_publication(world.animator, wiki, {"body": "v2"})
        doomed = publications.publish(world.animator, community, {"kind": "post", "body": "À supprimer"})
        made[f"post_{visibility}"] = post.id
        made[f"question_{visibility}"] = question.id
        made[f"wiki_{visibility}"] = wiki.id
        made[f"doomed_{visibility}"] = doomed.id
        made[f"comment_{visibility}"] = comments.add_comment(world.member, post, "Vu").id
        made[f"answer_{visibility}"] = comments.add_comment(world.member, question, "Réponse").id
    db.session.commit()
    for visibility, community in world.spaces.items():
        made[f"doc_{visibility}"] = create_document(community, world.animator, title=f"Doc {visibility}").id
    return made


def _paths(world, items, actor_name) -> dict:
    return {**_ids(world, actor_name), **items}


PAGES = [
    ("/publications/{post_public}", READ_PUBLIC),
    ("/publications/{post_private}", READ_PRIVATE),
    ("/publications/{post_secret}", READ_PRIVATE),
    ("/publications/999999", statuses(404, LOGIN)),
    ("/publications/{post_private}/jaime", READ_PRIVATE),
    ("/publications/{post_secret}/jaime", READ_PRIVATE),
    ("/publications/{wiki_private}/historique", READ_PRIVATE),
    ("/publications/{wiki_secret}/diff?de=1&a=2", READ_PRIVATE),
    ("/publications/{wiki_private}/versions/1", READ_PRIVATE),
    ("/publications/{post_private}/historique", statuses(404, LOGIN)),  # not a wiki page
    # Only its author edits a post; every contributor (and an administrator) edits a wiki page.
    ("/publications/{post_private}/modifier", statuses(403, LOGIN, animator=200, outsider=404, stranger=404)),
    ("/publications/{wiki_public}/modifier", statuses(200, LOGIN, outsider=403, stranger=404)),
    ("/publications/{wiki_secret}/modifier", READ_PRIVATE),
    ("/commentaires/{comment_private}/modifier", statuses(200, LOGIN, animator=403, admin=403, partner=403,
                                                          outsider=404, stranger=404)),
    ("/espaces/{public}/publier", statuses(200, LOGIN, outsider=403, stranger=404)),
    ("/espaces/{private}/publier", SPACE_PRIVATE),
    ("/espaces/{secret}/publier", SPACE_SECRET),
    ("/espaces/{public}/faq", READ_PUBLIC),
    ("/espaces/{private}/faq", SPACE_PRIVATE),
    ("/espaces/{secret}/faq", SPACE_SECRET),
    ("/espaces/{private}/fil", SPACE_PRIVATE),
    ("/espaces/{secret}/fil", SPACE_SECRET),
    ("/fil", statuses(200, LOGIN)),
    ("/personnes/{member}/fil", statuses(200, LOGIN, stranger=404)),
    ("/personnes/{outsider}/fil", statuses(200, LOGIN, partner=404, stranger=404)),
    ("/mots-cles/partage", statuses(200, LOGIN)),
    ("/mots-cles/partage/fil", statuses(200, LOGIN)),
]

# (path, form, htmx?, expected status per actor). Toggles are posted as htmx does, so that a refusal
# shows as its status (without htmx it comes back as a message on the page). CSRF is off here.
POSTS = [
    ("/espaces/{public}/publier", {"kind": "post", "body": "Bonjour"}, False,
     statuses(302, LOGIN, outsider=403, stranger=404)),
    ("/espaces/{private}/publier", {"kind": "post", "body": "Bonjour"}, False, statuses(302, LOGIN, outsider=403,
                                                                                         stranger=404)),
    ("/espaces/{secret}/publier", {"kind": "post", "body": "Bonjour"}, False, statuses(302, LOGIN, outsider=404,
                                                                                        stranger=404)),
    ("/publications/{post_public}/jaime", {}, True, statuses(200, LOGIN, stranger=404)),
    ("/publications/{post_private}/jaime", {}, True, statuses(200, LOGIN, outsider=404, stranger=404)),
    ("/publications/{question_public}/meme-question", {}, True, statuses(200, LOGIN, animator=403, stranger=404)),
    ("/publications/{post_public}/commentaires", {"body": "Vu"}, False,
     statuses(302, LOGIN, outsider=403, stranger=404)),
    ("/publications/{post_secret}/commentaires", {"body": "Vu"}, False,
     statuses(302, LOGIN, outsider=404, stranger=404)),
    ("/documents/{doc_private}/commentaires", {"body": "Vu"}, False,
     statuses(302, LOGIN, outsider=404, stranger=404)),
    ("/commentaires/{comment_private}/modifier", {"body": "Vu et relu"}, False,
     statuses(302, LOGIN, animator=403, admin=403, partner=403, outsider=404, stranger=404)),
    ("/publications/{post_private}/modifier", {"body": "Modifié"}, False,
     statuses(403, LOGIN, animator=302, outsider=404, stranger=404)),
    ("/publications/{wiki_private}/modifier", {"title": "Fiche", "body": "v3"}, False,
     statuses(302, LOGIN, outsider=404, stranger=404)),
    ("/publications/{wiki_private}/versions/1/restaurer", {}, False, statuses(302, LOGIN, outsider=404,
                                                                               stranger=404)),
    ("/publications/{wiki_public}/versions/1/restaurer", {}, False, statuses(302, LOGIN, outsider=403,
                                                                              stranger=404)),
    ("/commentaires/{answer_private}/bonne-reponse", {}, False,
     statuses(403, LOGIN, animator=302, admin=302, outsider=404, stranger=404)),
    ("/publications/{post_private}/epingler", {"portee": "espace"}, False,
     statuses(403, LOGIN, animator=302, admin=302, outsider=404, stranger=404)),
    ("/publications/{post_public}/epingler", {"portee": "accueil"}, False,
     statuses(403, LOGIN, admin=302, stranger=404)),
    ("/suivre", {"target": "person", "key": "{member}", "action": "follow"}, True,
     statuses(200, LOGIN, member=422, stranger=404)),
    ("/suivre", {"target": "person", "key": "{outsider}", "action": "follow"}, True,
     statuses(200, LOGIN, outsider=422, partner=404, stranger=404)),
    ("/suivre", {"target": "document", "key": "{doc_secret}", "action": "follow"}, True,
     statuses(200, LOGIN, outsider=404, stranger=404)),
    ("/suivre", {"target": "tag", "key": "Hygiène", "action": "follow"}, True, statuses(200, LOGIN)),
    ("/commentaires/{comment_private}/supprimer", {}, False,
     statuses(403, LOGIN, member=302, animator=302, admin=302, outsider=404, stranger=404)),
    ("/publications/{doomed_private}/supprimer", {}, False,
     statuses(403, LOGIN, animator=302, admin=302, outsider=404, stranger=404)),
]


@pytest.mark.parametrize("actor_name", FEED_ACTORS)
def test_feed_pages(actor_name, world, items, login, app, db):
    client = _web_client(world, actor_name, login, db) or app.test_client()
    ids = _paths(world, items, actor_name)
    wrong = []
    for path, expected in PAGES:
        response = client.get(path.format(**ids))
        if response.status_code != expected[actor_name]:
            wrong.append(f"GET {path}: {response.status_code}, expected {expected[actor_name]}")
        if expected[actor_name] == LOGIN:
            assert "/connexion" in response.headers.get("Location", ""), path
    assert wrong == []


@pytest.mark.parametrize("actor_name", FEED_ACTORS)
def test_feed_form_posts(actor_name, world, items, login, app, db):
    client = _web_client(world, actor_name, login, db) or app.test_client()
    ids = _paths(world, items, actor_name)
    wrong = []
    for path, form, htmx, expected in POSTS:
        data = {name: str(value).format(**ids) for name, value in form.items()}
        response = client.post(path.format(**ids), data=data, headers=HX if htmx else {})
        if response.status_code != expected[actor_name]:
            wrong.append(f"POST {path} {form}: {response.status_code}, expected {expected[actor_name]}")
    assert wrong == []


def _plain(response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


def test_partner_never_sees_an_item_of_a_community_they_are_not_in(world, login, create_community, db):
    other = create_community(world.outsider, visibility="public", name="Public sans partenaire",
                             members=[(world.member, "member")])
    hidden = publications.publish(world.member, other, {"kind": "post", "body": "Interne au GHT", "tags": ["Partagé"]})
    publications.publish(world.member, world.spaces["private"], {"kind": "post", "body": "Visible du partenaire",
                                                            "tags": ["Partagé"]})
    pins.pin(world.admin, hidden, home=True)
    suggestions.suggest(world.admin, hidden, everyone=True, message="Pour tous")
    db.session.commit()

    client = login(world.partner)
    pages = {"/": True, "/fil": True, "/mots-cles/partage": True, "/mots-cles/PARTAGÉ/fil": True,
             f"/personnes/{world.member.id}": True, f"/personnes/{world.member.id}/fil": True}
    for path, shows_shared in pages.items():
        response = client.get(path, headers=HX if path.endswith("/fil") else {})
        text = _plain(response)
        assert response.status_code == 200, path
        assert "Interne au GHT" not in text and "Pour tous" not in text, path
        assert ("Visible du partenaire" in text) == shows_shared, path
    for path in (f"/publications/{hidden.id}", f"/publications/{hidden.id}/jaime", f"/espaces/{other.id}/fil"):
        assert client.get(path).status_code == 404, path
    # A member of both sees both, the pin and the suggestion included.
    member_home = _plain(login(world.member).get("/"))
    assert "Interne au GHT" in member_home and "Pour tous" in member_home


def test_leaving_a_community_removes_its_items_from_my_pages_at_once(world, login, db):
    private = world.spaces["private"]
    post = publications.publish(world.animator, private, {"kind": "post", "body": "Réservé aux membres",
                                                     "tags": ["Confidentiel"]})
    db.session.commit()
    client = login(world.partner)
    pages = ["/", "/mots-cles/confidentiel", f"/personnes/{world.animator.id}"]
    for path in pages:
        assert "Réservé aux membres" in _plain(client.get(path)), path
    assert client.post(f"/espaces/{private.id}/quitter").status_code == 302
    for path in pages:
        assert "Réservé aux membres" not in _plain(client.get(path)), path
    assert "Réservé aux membres" not in _plain(client.get("/fil", headers=HX))
    assert client.get(f"/publications/{post.id}").status_code == 404
