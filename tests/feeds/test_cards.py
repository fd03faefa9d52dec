"""Stream cards kept in the cache (rse/feeds/cards.py), in this process and on Redis.

A page says exactly what it says without the cache, to every actor of the matrix, after another
reader filled the cache; an edit, a deletion, a like, a rename, a change of membership and of
language show on the very next page; nothing of one reader is stored.
"""

from __future__ import annotations

import difflib
import re

import pytest

from rse.communities import service as communities
from rse.feeds.publications import pins
from rse.feeds.publications import service as publications
from rse.feeds.social import reactions, suggestions
from rse.fragments import CSRF_MARK, NEXT_MARK, row_state
from tests.conftest import PASSWORD
from tests.test_permissions import ACTORS, _web_client

READERS = ("animator", *ACTORS)


@pytest.fixture
def content(world, create_document, db):
    """In each space, a post, a question and a document; a home pin; a suggestion to everyone."""
    made = {}
    for visibility, space in world.spaces.items():
        made[visibility] = {
            "post": publications.publish(world.animator, space, {"kind": "post", "title": f"Note {visibility}",
                                                                 "body": f"Corps {visibility}", "tags": ["Partagé"]}),
            "question": publications.publish(world.member, space, {"kind": "question",
                                                                   "title": f"Question {visibility}"}),
            "document": create_document(space, world.animator, title=f"Protocole {visibility}"),
        }
    db.session.commit()
    pins.pin(world.admin, made["public"]["question"], home=True)
    suggestions.suggest(world.admin, made["public"]["post"], everyone=True, message="À lire")
    db.session.commit()
    return made


def _pages(world) -> list[str]:
    return ["/", *(f"/espaces/{space.id}" for space in world.spaces.values()),
            f"/personnes/{world.animator.id}", "/mots-cles/partage"]


TOKEN = re.compile(r'(name="csrf_token" (?:type="hidden" )?value=")[^"]+"')


def _read(client, path: str) -> tuple[int | None, str]:
    """The status and the page, its CSRF tokens left out (they carry the second they were made)."""
    answer = client.get(path) if client is not None else None
    if answer is None:
        return None, ""
    return answer.status_code, TOKEN.sub(r'\1"', answer.get_data(as_text=True))


def _difference(warm: str, cold: str) -> str:
    return "\n".join(difflib.unified_diff(warm.splitlines(), cold.splitlines(), "warm", "cold", lineterm="", n=1))


def test_every_reader_sees_the_same_page_warm_as_cold(world, content, shared_cache, login, db):
    clients = {name: _web_client(world, name, login, db) for name in READERS}
    for path in _pages(world):
        _read(clients["admin"], path)  # the administrator, who reads the most, fills the cache first
        for name, client in clients.items():
            warm = _read(client, path)
            shared_cache.clear()
            cold = _read(client, path)
            assert warm == cold, (path, name, _difference(warm[1], cold[1]))
            _read(clients["admin"], path)


def test_a_reader_never_gets_a_card_they_may_not_read_from_the_cache(world, content, shared_cache, login, db):
    animator, partner, stranger = (_web_client(world, name, login, db) for name in ("animator", "partner", "stranger"))
    for path in ("/", f"/personnes/{world.animator.id}", "/mots-cles/partage"):
        assert "Note secret" in _read(animator, path)[1]  # the animator reads everything: the cache is full
    _status, home = _read(stranger, "/")
    assert "Note secret" not in home and "Note private" not in home and "Note public" not in home
    _status, page = _read(partner, f"/personnes/{world.animator.id}")
    assert "Note secret" in page  # the partner is a member of the three spaces
    communities.remove_member(world.animator, world.spaces["secret"], world.partner.id)
    db.session.commit()
    for path in ("/", f"/personnes/{world.animator.id}", "/mots-cles/partage"):
        status, page = _read(partner, path)
        assert status == 200 and "Note secret" not in page and "Protocole secret" not in page, path


def _card(page: str, title: str) -> str:
    """The card of the stream whose title is `title` (the first one)."""
    for card in re.findall(r'<article class="feed-card.*?</article>', page, re.S):
        if f">{title}<" in card:
            return card
    raise AssertionError(f"no card {title!r}")


def test_changes_show_on_the_next_page(world, content, shared_cache, login, db):
    member, partner = login(world.member), login(world.partner)
    post = content["private"]["post"]
    assert "Note private" in _read(member, "/")[1]
    _read(partner, "/")

    publications.update_publication(world.animator, post, {"title": "Note revue"})
    db.session.commit()
    page = _read(member, "/")[1]
    assert "Note revue" in page and "Note private" not in page

    reactions.like(world.member, post)
    db.session.commit()
    mine = _card(_read(member, "/")[1], "Note revue")
    assert 'aria-pressed="true"' in mine and "1 personne aime" in mine
    theirs = _card(_read(partner, "/")[1], "Note revue")
    assert 'aria-pressed="false"' in theirs and "1 personne aime" in theirs

    world.animator.name = "Animatrice Renommée"
    db.session.commit()
    assert "Animatrice Renommée" in _card(_read(partner, "/")[1], "Note revue")

    world.member.locale = "en"
    db.session.commit()
    english = _card(_read(member, "/")[1], "Note revue")
    assert ">Like<" in english and "J'aime" not in english
    assert "J'aime" in _card(_read(partner, "/")[1], "Note revue")

    publications.delete_publication(world.animator, post)
    db.session.commit()
    assert "Note revue" not in _read(member, "/")[1]
    assert "Note revue" not in _read(partner, "/")[1]


def test_nothing_of_one_reader_is_stored(world, content, shared_cache, login, db, app, monkeypatch):
    stored: dict[str, str] = {}
    keep = shared_cache.set_many
    monkeypatch.setattr(shared_cache, "set_many", lambda values, *a, **k: (stored.update(values), keep(values, *a, **k)))
    app.config["WTF_CSRF_ENABLED"] = True
    member = app.test_client()
    form = member.get("/connexion").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    assert member.post("/connexion", data={"email": world.member.email, "password": PASSWORD,
                                           "csrf_token": token}).status_code == 302
    page = member.get("/?kind=post").get_data(as_text=True)
    assert stored, "the cards were kept"
    card_token = re.search(r'<article class="feed-card.*?name="csrf_token" type="hidden" value="([^"]+)"', page, re.S)
    assert card_token is not None
    for html in stored.values():  # the cards, and the home's other fragments
        assert card_token.group(1) not in html and "kind=post" not in html
    cards = [html for html in stored.values() if 'class="feed-card' in html]
    assert cards and all(CSRF_MARK in html and NEXT_MARK in html for html in cards)
    assert CSRF_MARK not in page and NEXT_MARK not in page
    assert 'name="next" value="/?kind=post"' in page
    # The page drawn from the cache carries this request's token, and the like goes through with it.
    page = member.get("/?kind=post").get_data(as_text=True)
    like = re.search(r'<form class="inline-form toggle-form" method="post" action="([^"]+)".*?'
                     r'name="csrf_token" type="hidden" value="([^"]+)"', page, re.S)
    answer = member.post(like.group(1), data={"csrf_token": like.group(2), "next": "/"})
    assert answer.status_code == 302


def test_an_author_signing_in_keeps_their_cards_and_no_secret_is_in_a_key(world, content, shared_cache, login,
                                                                          monkeypatch):
    member = login(world.member)
    member.get("/")
    kept: list[str] = []
    keep = shared_cache.set_many
    monkeypatch.setattr(shared_cache, "set_many", lambda values, *a, **k: (kept.extend(values), keep(values, *a, **k)))
    login(world.animator)  # the author of most cards: their last sign-in changes
    member.get("/")
    assert kept == []
    assert world.animator.password_hash not in repr(row_state(world.animator))
