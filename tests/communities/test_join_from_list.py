"""The list of spaces (/espaces) offers what each viewer may do: join an open space, ask to join a
private one, or see that they are already a member — and shows no more spaces than before."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from rse.communities import service
from rse.communities.models import Community, JoinRequest
from rse.dbtypes import utcnow


@dataclass
class World:
    public: Community
    private: Community
    secret: Community
    animator: object


@pytest.fixture
def world(create_user, create_community):
    animator = create_user("staff")
    return World(public=create_community(animator, visibility="public", name="Achats"),
                 private=create_community(animator, visibility="private", name="Qualité"),
                 secret=create_community(animator, visibility="secret", name="Comité de direction"),
                 animator=animator)


def _row(page: str, community: Community) -> str | None:
    """The list item of `community` in the page, or None when the space is not listed."""
    for item in re.findall(r'<li class="community-row">.*?</li>\n', page, re.S):
        if f'href="/espaces/{community.id}"' in item:
            return item
    return None


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("&#39;", "'").split())  # split() takes NBSPs too


def _offers(page: str, community: Community) -> str | None:
    """What the row offers, in words: "join", "request", "pending", "member", "" (nothing) or None."""
    row = _row(page, community)
    if row is None:
        return None
    if f'action="/espaces/{community.id}/rejoindre"' in row:
        assert "Rejoindre l'espace « " in _text(row)
        return "join"
    if f'action="/espaces/{community.id}/demander"' in row:
        assert "Demander à rejoindre" in _text(row)
        return "request"
    if "Demande envoyée" in _text(row):
        return "pending"
    if re.search(r'class="join-state">.*?(Membre|Animateur|Lecteur)', row, re.S):
        return "member"
    return ""


def test_a_staff_outsider_may_join_the_public_space_and_ask_for_the_private_one(world, login, create_user):
    page = login(create_user("staff")).get("/espaces").get_data(as_text=True)
    assert _offers(page, world.public) == "join"
    assert _offers(page, world.private) == "request"
    assert _offers(page, world.secret) is None
    assert "Comité de direction" not in page


def test_a_member_sees_their_role_instead_of_a_button(world, login, create_user):
    member, reader = create_user("staff"), create_user("staff")
    service.add_member(world.animator, world.public, member, "member")
    service.add_member(world.animator, world.private, reader, "reader")
    from rse.database import db

    db.session.commit()
    page = login(member).get("/espaces").get_data(as_text=True)
    assert _offers(page, world.public) == "member"
    assert "Membre" in _text(_row(page, world.public))
    assert _offers(page, world.private) == "request"
    assert _offers(login(reader).get("/espaces").get_data(as_text=True), world.private) == "member"
    animator_page = login(world.animator).get("/espaces").get_data(as_text=True)
    assert "Animateur" in _text(_row(animator_page, world.secret))
    assert {_offers(animator_page, space) for space in (world.public, world.private, world.secret)} == {"member"}


def test_a_pending_request_is_shown_as_sent(world, login, create_user):
    client = login(create_user("staff"))
    client.post(f"/espaces/{world.private.id}/demander")
    page = client.get("/espaces").get_data(as_text=True)
    assert _offers(page, world.private) == "pending"
    assert "Demande envoyée" in _text(_row(page, world.private))


def test_a_partner_sees_only_their_space_and_no_button(world, login, create_user, db):
    partner = create_user("partner")
    service.add_member(world.animator, world.private, partner, "member")
    db.session.commit()
    page = login(partner).get("/espaces").get_data(as_text=True)
    assert _offers(page, world.private) == "member"
    assert _offers(page, world.public) is None and _offers(page, world.secret) is None
    assert "rejoindre\"" not in page and "/demander" not in page
    assert "1 espace" in page


def test_a_partner_outside_every_space_is_offered_nothing(world, login, create_user):
    page = login(create_user("partner")).get("/espaces").get_data(as_text=True)
    assert all(_offers(page, space) is None for space in (world.public, world.private, world.secret))
    assert "0 espace" in page and "Achats" not in page


def test_an_administrator_may_join_any_space_even_a_secret_one(world, login, create_user):
    page = login(create_user("admin")).get("/espaces").get_data(as_text=True)
    assert [_offers(page, space) for space in (world.public, world.private, world.secret)] == ["join"] * 3


def test_anonymous_and_deactivated_people_are_sent_to_the_login_page(world, app, login, create_user, db):
    assert "/connexion" in app.test_client().get("/espaces").headers["Location"]
    user = create_user("staff")
    client = login(user)
    user.deactivated_at = utcnow()
    db.session.commit()
    response = client.get("/espaces")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


def test_the_join_button_makes_a_member_and_lands_on_the_space(world, login, create_user):
    user = create_user("staff")
    client = login(user)
    response = client.post(f"/espaces/{world.public.id}/rejoindre", follow_redirects=True)
    assert response.request.path == f"/espaces/{world.public.id}"
    assert "Bienvenue dans l'espace « Achats »" in response.get_data(as_text=True).replace("&#39;", "'")
    assert service.membership_role(user.id, world.public.id) == "member"
    assert _offers(client.get("/espaces").get_data(as_text=True), world.public) == "member"


def test_the_request_button_sends_a_request_without_a_message(world, login, create_user, db):
    user = create_user("staff")
    response = login(user).post(f"/espaces/{world.private.id}/demander", follow_redirects=True)
    assert "Votre demande est envoyée aux animateurs." in response.get_data(as_text=True)
    request = db.session.scalars(select(JoinRequest)).one()
    assert (request.user_id, request.community_id, request.message) == (user.id, world.private.id, "")
    assert service.membership_role(user.id, world.private.id) is None


def test_joining_a_private_space_from_a_forged_form_changes_nothing(world, login, create_user):
    user = create_user("staff")
    response = login(user).post(f"/espaces/{world.private.id}/rejoindre", follow_redirects=True)
    assert service.membership_role(user.id, world.private.id) is None
    assert "Bienvenue" not in response.get_data(as_text=True)


def test_the_search_partial_keeps_the_buttons(world, login, create_user):
    response = login(create_user("staff")).get("/espaces?q=ach", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert "<html" not in html and _offers(html, world.public) == "join" and _row(html, world.private) is None
