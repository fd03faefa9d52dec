"""Who finds what: the permission matrix of search and autocomplete, through the API and the pages.

Each space of the `world` (public, private, secret) holds a publication, a comment, a wiki page
and a document carrying one word of its own; the matrix checks who finds each, and that a
partner finds nothing outside their communities: no document, comment, person or community name.
The API's matrix runs on every engine (`app_engine`): the filter is the engine's as well as ours.
"""

from __future__ import annotations

import pytest

from rse.communities import service as communities
from rse.database import db
from rse.feeds.publications import service as publications
from rse.feeds.social import comments

from ..test_permissions import ACTORS, _api_client

WORDS = {"public": "aubepine", "private": "bergamote", "secret": "camomille"}
READS = {  # who reads each space's content
    "public": {"admin", "member", "outsider", "partner"},
    "private": {"admin", "member", "partner"},
    "secret": {"admin", "member", "partner"},
}
SEES = {  # who may know each space exists
    "public": {"admin", "member", "outsider", "partner"},
    "private": {"admin", "member", "outsider", "partner"},
    "secret": {"admin", "member", "partner"},
}
GONE = {"deactivated": 401, "expired": 401, "anonymous": 401}


@pytest.fixture
def content(world, snapshot, create_document):
    return snapshot("search.content", lambda: _content(world, create_document))


def _content(world, create_document) -> dict[str, set[str]]:
    made = {}
    for visibility, space in world.spaces.items():
        word = WORDS[visibility]
        post = publications.publish(world.animator, space, {"kind": "question", "title": f"Question {word}",
                                                     "body": "Qui sait ?", "tags": f"tag-{word}"})
        wiki = publications.publish(world.animator, space, {"kind": "wiki", "title": f"Page {word}", "body": "Contenu."})
        db.session.commit()
        comment = comments.add_comment(world.member, post, f"Réponse {word} détaillée.")
        db.session.commit()
        document = create_document(space, world.animator, title=f"Fiche {word}", description="Une fiche.")
        made[visibility] = {f"publication:{post.id}", f"publication:{wiki.id}", f"comment:{comment.id}",
                            f"document:{document.id}"}
    return made


def _keys(response) -> set[str]:
    items = response.get_json()["items"]
    source = {"publication": "publication", "wiki": "publication"}
    return {f"{source.get(i['kind'], i['kind'])}:{i['id']}" for i in items}


@pytest.mark.parametrize("actor_name", ACTORS)
def test_content_is_found_only_by_those_who_may_read_it(actor_name, world, content, api, app_engine):
    client = _api_client(world, actor_name, api, db)
    for visibility, word in WORDS.items():
        response = client.get("/api/v1/search", query_string={"q": word})
        if actor_name in GONE:
            assert response.status_code == GONE[actor_name]
            continue
        assert response.status_code == 200, response.get_json()
        expected = content[visibility] if actor_name in READS[visibility] else set()
        assert _keys(response) == expected, (actor_name, visibility)
        counts = response.get_json()["counts"]
        assert sum(counts.values()) == len(expected)


@pytest.mark.parametrize("actor_name", ACTORS)
def test_community_names_and_people_follow_the_directory(actor_name, world, content, api, app_engine):
    client = _api_client(world, actor_name, api, db)
    response = client.get("/api/v1/search", query_string={"q": "espace", "kind": "community"})
    if actor_name in GONE:
        assert response.status_code == 401
        return
    names = {i["title"] for i in response.get_json()["items"]}
    assert names == {f"Espace {v}" for v, who in SEES.items() if actor_name in who}
    people = client.get("/api/v1/search", query_string={"q": "agent exterieur", "kind": "person"}).get_json()
    assert bool(people["items"]) == (actor_name in {"admin", "member", "outsider"})
    animator = client.get("/api/v1/search", query_string={"q": "animatrice"}).get_json()
    assert bool(animator["items"]) == (actor_name != "stranger")


@pytest.mark.parametrize("actor_name", ACTORS)
def test_autocomplete_offers_only_what_the_actor_may_see(actor_name, world, content, api, app_engine):
    client = _api_client(world, actor_name, api, db)
    response = client.get("/api/v1/autocomplete", query_string={"q": "esp"})
    if actor_name in GONE:
        assert response.status_code == 401
        return
    assert {c["name"] for c in response.get_json()["communities"]} == {
        f"Espace {v}" for v, who in SEES.items() if actor_name in who}
    tags = {t["tag"] for t in client.get("/api/v1/autocomplete", query_string={"q": "tag"}).get_json()["tags"]}
    assert tags == {f"tag-{WORDS[v]}" for v, who in READS.items() if actor_name in who}
    people = {p["name"] for p in client.get("/api/v1/autocomplete", query_string={"q": "agent"}).get_json()["people"]}
    assert people == ({"Agent extérieur"} if actor_name in {"admin", "member", "outsider"} else set())


def test_a_partner_finds_nothing_of_a_community_they_left(world, content, api, app_engine):
    client = api(world.partner)
    assert _keys(client.get("/api/v1/search", query_string={"q": "bergamote"})) == content["private"]
    communities.remove_member(world.animator, world.spaces["private"], world.partner.id)
    db.session.commit()
    assert _keys(client.get("/api/v1/search", query_string={"q": "bergamote"})) == set()
    completions = client.get("/api/v1/autocomplete", query_string={"q": "esp"}).get_json()
    assert "Espace private" not in {c["name"] for c in completions["communities"]}


@pytest.mark.parametrize("actor_name", ACTORS)
def test_search_pages(actor_name, world, content, login, client):
    if actor_name in {"anonymous", "deactivated", "expired"}:
        for path in ("/recherche?q=bergamote", "/recherche/suggestions?q=esp"):
            response = client.get(path)
            assert response.status_code == 302 and "/connexion" in response.headers["Location"]
        return
    browser = login(getattr(world, actor_name))
    page = browser.get("/recherche?q=bergamote")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert ("Fiche <mark>bergamote</mark>" in html) == (actor_name in READS["private"])
    suggestions = browser.get("/recherche/suggestions?q=esp").get_data(as_text=True)
    assert ("Espace secret" in suggestions) == (actor_name in SEES["secret"])


@pytest.mark.parametrize("actor_name", ACTORS)
def test_the_search_box_suggests_only_contents_the_actor_may_read(actor_name, world, content, login, client):
    if actor_name in GONE:
        response = client.get("/recherche/suggestions?q=camomille")
        assert response.status_code == 302 and "/connexion" in response.headers["Location"]
        return
    suggestions = login(getattr(world, actor_name)).get("/recherche/suggestions?q=camomil").get_data(as_text=True)
    reads = actor_name in READS["secret"]
    for title in ("Question <mark>camomille</mark>", "Page <mark>camomille</mark>", "Fiche <mark>camomille</mark>"):
        assert (title in suggestions) == reads, (actor_name, title)
    assert ("Espace secret" in suggestions) == reads  # the space of each content, named to its readers only
    assert "Réponse" not in suggestions  # comments are found by the search page, not suggested
    if not reads:
        assert "camomille" not in suggestions.replace("« camomil »", "")
        assert "Aucun espace, aucune personne, aucun mot-clé ni aucun contenu pour « camomil »." in suggestions


def test_an_author_filter_never_names_a_person_the_reader_may_not_see(world, content, login):
    browser = login(world.stranger)
    html = browser.get(f"/recherche?q=aubepine&author={world.outsider.id}").get_data(as_text=True)
    assert "Agent extérieur" not in html
