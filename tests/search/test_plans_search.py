"""Actions in search, on every engine: found by their title, description, owners' names and
objective by whoever reads their space and by no one else, kept up to date as they change, and
shown on the search page with their status, due date, plan and space."""

from __future__ import annotations

from datetime import date

import pytest

from rse.communities import service as communities
from rse.database import db
from rse.plans import service as plans
from rse.plans.models import Action, Objective

from ..test_permissions import ACTORS, _api_client

# One word per field of the action; the owner's surname is one of the words.
WORDS = {"title": "zinnia", "description": "glycine", "objective": "pivoine", "owner": "Quenouille"}
READERS = {"admin", "member", "partner"}  # who reads the private space; the outsider and the stranger do not
GONE = {"deactivated", "expired", "anonymous"}


@pytest.fixture
def action(world, snapshot, create_user):
    ids = snapshot("search.plans", lambda: _build(world, create_user))
    return db.session.get(Action, ids["action"])


def _build(world, create_user) -> dict:
    space = world.spaces["private"]
    owner = create_user("partner", name="Ophélie Quenouille")
    communities.add_member(world.animator, space, owner, "member")
    plan = plans.create_plan(world.animator, space, {"title": "Plan d'actions CPOM 2026-2030"})
    objective = plans.add_objective(world.animator, plan, {"title": "Objectif pivoine"})
    action = plans.create_action(world.animator, objective, {
        "title": "Ouvrir des places zinnia", "description": "Hébergement temporaire glycine",
        "owner_id": owner.id, "due_date": "2025-06-30", "status": "in_progress"})
    db.session.commit()
    return {"action": action.id}


def _found(client, word: str) -> list[tuple[str, int]]:
    response = client.get("/api/v1/search", query_string={"q": word, "kind": "action"})
    assert response.status_code == 200, response.get_json()
    return [(item["kind"], item["id"]) for item in response.get_json()["items"]]


@pytest.mark.parametrize("actor_name", ACTORS)
def test_an_action_is_found_by_who_reads_its_space_only(actor_name, world, action, api, app_engine):
    client = _api_client(world, actor_name, api, db)
    for field, word in WORDS.items():
        response = client.get("/api/v1/search", query_string={"q": word})
        if actor_name in GONE:
            assert response.status_code == 401
            continue
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        actions = [item["id"] for item in body["items"] if item["kind"] == "action"]
        if actor_name in READERS:
            assert actions == [action.id], (app_engine, actor_name, field)
            assert body["counts"]["action"] == 1
        else:  # a partner outside the space, a staff member outside it: nothing, not even a count
            assert actions == [] and body["counts"]["action"] == 0, (app_engine, actor_name, field)
            assert "zinnia" not in str(body).lower()


def test_the_owner_s_name_finds_the_action(world, action, api, app_engine):
    client = api(world.member)
    assert _found(client, "Quenouille") == [("action", action.id)]
    assert _found(client, "Ophélie Quenouille zinnia") == [("action", action.id)]
    item = client.get("/api/v1/search", query_string={"q": "zinnia"}).get_json()["items"][0]
    assert item["title"] == "Ouvrir des places zinnia" and item["community"]["name"] == "Espace private"


def test_the_index_follows_the_action_as_it_changes(world, action, api, create_user, app_engine):
    client = api(world.member)
    plans.update_action(world.animator, action, {"title": "Ouvrir des places dahlia"}, row_version=1)
    db.session.commit()
    assert _found(client, "zinnia") == [] and _found(client, "dahlia") == [("action", action.id)]

    plans.update_action(world.animator, action, {"description": "Accueil de jour"}, row_version=2)
    db.session.commit()
    assert _found(client, "glycine") == [] and _found(client, "accueil") == [("action", action.id)]

    newcomer = create_user("staff", name="Basile Tournesol")
    communities.add_member(world.animator, world.spaces["private"], newcomer, "member")
    plans.update_action(world.animator, action, {"owner_id": newcomer.id, "co_owners": [world.member.id]},
                        row_version=3)
    db.session.commit()
    assert _found(client, "Quenouille") == []
    assert _found(client, "Tournesol") == [("action", action.id)]
    assert _found(client, "Membre") == [("action", action.id)]  # a co-owner's name finds it too

    objective = db.session.get(Objective, action.objective_id)
    plans.update_objective(world.animator, objective, {"title": "Objectif capucine"})
    db.session.commit()
    assert _found(client, "pivoine") == [] and _found(client, "capucine") == [("action", action.id)]

    newcomer.name = "Basile Lavande"  # a renamed owner: their actions follow
    db.session.commit()
    assert _found(client, "Tournesol") == [] and _found(client, "Lavande") == [("action", action.id)]


def test_an_owner_who_leaves_is_no_longer_searchable_by_name(world, action, api, app_engine):
    """A deactivated owner's name is no longer indexed with their actions."""
    owner = action.owner
    owner.deactivated_at = world.deactivated.deactivated_at
    db.session.commit()
    assert _found(api(world.member), "Quenouille") == []
    assert _found(api(world.member), "zinnia") == [("action", action.id)]


def test_a_partner_who_leaves_the_space_no_longer_finds_its_actions(world, action, api, app_engine):
    partner = api(world.partner)
    assert _found(partner, "zinnia") == [("action", action.id)]
    communities.remove_member(world.animator, world.spaces["private"], world.partner.id)
    db.session.commit()
    assert _found(partner, "zinnia") == []


def test_the_search_page_shows_the_action_s_status_due_date_plan_and_space(world, action, login):
    browser = login(world.member)
    html = browser.get("/recherche?q=zinnia").get_data(as_text=True)
    assert "Ouvrir des places <mark>zinnia</mark>" in html
    assert "En cours" in html and "en retard" in html  # due on 30 June 2025: late
    assert f"Échéance : {date(2025, 6, 30).day} juin 2025" in html
    assert "Plan : Plan d&#39;actions CPOM 2026-2030" in html
    assert "Espace private" in html
    assert "Ophélie Quenouille" in html
    page = browser.get("/recherche?q=zinnia&kind=action").get_data(as_text=True)
    assert 'aria-current="page"' in page and "Actions" in page
    plans.close_action(world.animator, action, status="done", result_note="Ouvertes", row_version=1)
    db.session.commit()
    html = browser.get("/recherche?q=zinnia").get_data(as_text=True)
    assert "Terminée" in html and "en retard" not in html
    stranger = login(world.stranger).get("/recherche?q=zinnia").get_data(as_text=True)
    assert "Ouvrir des places" not in stranger and "CPOM" not in stranger and "Quenouille" not in stranger
