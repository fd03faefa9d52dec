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
