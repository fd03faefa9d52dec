"""Side routes of communities say nothing of what the reader may not see: the name of a secret
community (creating or renaming a community), the quick links of a private one (issue 13,
findings 3 and 6)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from rse.communities import service
from rse.communities.models import Community, QuickLink
from rse.errors import Conflict
from tests.leaks import steady

SECRET_NAME = "Comité de direction – préparation"


@pytest.fixture
def secret(create_user, create_community):
    return create_community(create_user("staff"), visibility="secret", name=SECRET_NAME)


def test_creating_a_community_with_a_secret_ones_name_is_not_refused(secret, login, api, create_user, db):
    page = login(create_user("staff")).post("/espaces/nouveau", data={"name": SECRET_NAME, "visibility": "secret"})
    assert page.status_code == 302
    answer = api(create_user("staff")).post("/api/v1/communities", json={"name": SECRET_NAME.upper(),
                                                                         "visibility": "private"})
    assert answer.status_code == 201, answer.json
    assert db.session.scalar(select(func.count()).select_from(Community)) == 3


def test_renaming_to_a_secret_ones_name_is_not_refused(secret, api, create_user, create_community, db):
    owner = create_user("staff")
    mine = create_community(owner, visibility="private", name="Direction")
    answer = api(owner).patch(f"/api/v1/communities/{mine.id}", json={"name": SECRET_NAME})
    assert answer.status_code == 200, answer.json


def test_a_name_the_actor_can_see_is_still_refused(secret, create_user, create_community, db):
    member = create_user("staff")
    service.add_member(create_user("admin"), secret, member, "member")
    create_community(create_user("staff"), visibility="private", name="Achats")
    for actor, name in ((create_user("staff"), "ACHATS"), (member, SECRET_NAME)):
        with pytest.raises(Conflict) as refused:
            service.create_community(actor, {"name": name, "visibility": "public"})
        assert refused.value.code == "name_taken"


@pytest.mark.parametrize("action", ["supprimer", "monter", "descendre"])
def test_a_private_communitys_link_answers_a_non_member_as_a_missing_one(
        world, login, action, create_user, db):
    link = service.add_link(world.animator, "Tableau de bord ARS", "https://ars.example/", community=world.spaces["private"])
    db.session.commit()
    for who in ("outsider", "stranger"):
        client = login(getattr(world, who))
        hidden = client.post(f"/liens/{link.id}/{action}")
        missing = client.post(f"/liens/999999/{action}")
        assert hidden.status_code == missing.status_code == 404
        assert steady(hidden.get_data(as_text=True)) == steady(missing.get_data(as_text=True))
    member = login(world.member).post(f"/liens/{link.id}/{action}")
    assert member.status_code == 403  # a member sees the link: refusing to let them change it says nothing new
    assert db.session.get(QuickLink, link.id) is not None
