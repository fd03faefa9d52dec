"""Fragments kept in the cache (rse/fragments.py): the spaces of the home page, in this process and
on Redis. A rename, a new member, a new role and a language show on the next page; a space one
leaves goes at once; the code that draws a fragment is part of its key."""

from __future__ import annotations

import re

from rse import fragments
from rse.communities import service as communities


def _space_cards(client) -> dict[str, str]:
    page = client.get("/").get_data(as_text=True)
    section = page.split('class="home-spaces"', 1)[1].split("</section>", 1)[0]
    return {re.search(r'<h3><a href="[^"]+">([^<]+)</a>', card).group(1): card
            for card in re.findall(r'<article class="community-card">.*?</article>', section, re.S)}


def test_the_spaces_of_the_home_follow_every_change(world, shared_cache, login, create_user, db):
    member, partner = login(world.member), login(world.partner)
    assert set(_space_cards(member)) == {"Espace public", "Espace private", "Espace secret"}
    assert "5 membres" in _space_cards(partner)["Espace private"]

    communities.update_community(world.animator, world.spaces["private"], {"name": "Espace renommé"})
    communities.add_member(world.animator, world.spaces["private"], create_user("staff"), "member")
    communities.change_role(world.animator, world.spaces["public"], world.member.id, "animator")
    db.session.commit()
    cards = _space_cards(member)
    assert "Espace private" not in cards and "6 membres" in cards["Espace renommé"]
    assert "Animat" in cards["Espace public"] and "Animat" not in _space_cards(partner)["Espace public"]

    communities.leave(world.partner, world.spaces["secret"])
    world.member.locale = "en"
    db.session.commit()
    assert set(_space_cards(partner)) == {"Espace public", "Espace renommé"}
    assert "6 members" in _space_cards(member)["Espace renommé"]


def test_a_new_version_of_the_code_draws_every_fragment_again(app, monkeypatch):
    with app.test_request_context("/"):
        before = fragments.key("space", (1,))
        monkeypatch.setattr(fragments, "code_version", lambda: "another")
        assert fragments.key("space", (1,)) != before


def _offers(client) -> dict[str, str]:
    """What the list of spaces offers the viewer, by space name."""
    page = client.get("/espaces").get_data(as_text=True)
    offers = {}
    for row in re.findall(r'<li class="community-row">.*?</li>', page, re.S):
        name = re.search(r'<h2><a href="[^"]+">([^<]+)</a>', row).group(1)
        action = re.search(r'<div class="community-row-action">(.*?)</div>', row, re.S)
        offers[name] = " ".join(re.sub(r"<[^>]+>", " ", action.group(1)).split()) if action else ""
    return offers


def test_the_list_of_spaces_follows_every_change(world, shared_cache, login, db):
    outsider = login(world.outsider)
    offers = _offers(outsider)
    assert offers["Espace public"].startswith("Rejoindre") and offers["Espace private"].startswith("Demander")
    assert "Espace secret" not in offers
    communities.request_to_join(world.outsider, world.spaces["private"])
    communities.join(world.outsider, world.spaces["public"])
    db.session.commit()
    offers = _offers(outsider)
    assert offers["Espace private"].startswith("Demande envoyée") and offers["Espace public"].startswith("Membre")
    assert _offers(login(world.stranger)) == {}


def test_every_reader_sees_the_same_list_of_spaces_warm_as_cold(world, shared_cache, login, db):
    from tests.feeds.test_cards import READERS, _read
    from tests.test_permissions import _web_client

    clients = {name: _web_client(world, name, login, db) for name in READERS}
    for path in ("/espaces", "/espaces?vue=miens", "/espaces?q=priv"):
        _read(clients["admin"], path)
        for name, client in clients.items():
            warm = _read(client, path)
            shared_cache.clear()
            assert warm == _read(client, path), (path, name)
            _read(clients["admin"], path)
