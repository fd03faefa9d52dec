"""Pinning is an action of the publication (beside « Modifier »), not a card at the top of the sidebar."""

from __future__ import annotations

import re


def _aside(page: str) -> str:
    return re.search(r"<aside.*?</aside>", page, re.S).group(0)


def _actions(page: str) -> str:
    return re.search(r'<footer class="publication-actions">.*?</footer>', page, re.S).group(0)


def test_the_animator_pins_from_the_publication_actions(world, login, publish, db):
    from rse.feeds.models import Pin

    publication = publish(world.member, world.spaces["public"], body="Réunion de service jeudi")
    client = login(world.animator)
    page = client.get(f"/publications/{publication.id}").get_data(as_text=True)
    assert "Épingler" not in _aside(page)
    actions = _actions(page)
    assert '<details class="pin-menu">' in actions and "Épingler en tête de l'espace" in actions.replace("&#39;", "'")
    assert client.post(f"/publications/{publication.id}/epingler", data={"portee": "espace"}).status_code == 302
    assert db.session.query(Pin).count() == 1
    pinned = _actions(client.get(f"/publications/{publication.id}").get_data(as_text=True))
    assert "Épinglé" in pinned and "Désépingler" in pinned


def test_a_member_who_may_not_pin_sees_no_pin_action(world, login, publish):
    publication = publish(world.animator, world.spaces["public"], body="Réunion de service jeudi")
    for person in (world.member, world.outsider):
        page = login(person).get(f"/publications/{publication.id}").get_data(as_text=True)
        assert "pin-menu" not in page and "Épingler" not in page
