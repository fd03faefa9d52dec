"""The API of action plans: a plan built, followed and closed through it, the permission matrix of
every endpoint (no hidden title in any answer), people shown only to who may see them, and bad input
refused with a code and nothing changed."""

from __future__ import annotations

import json
from datetime import date, timedelta
from types import SimpleNamespace

import pytest

from rse.database import db as _db
from rse.plans import service as plans
from rse.plans.models import Action

from ..test_permissions import _api_client
from .matrix import call_rows, fill, uncovered_routes
from .test_feeds_permissions import ACTORS, expect

PLAN_TITLE, ACTION_TITLE = "Plan CPOM confidentiel", "Ouvrir des places confidentielles"
OBJECTIVE_TITLE, INDICATOR_NAME = "Objectif confidentiel", "Indicateur confidentiel"
HIDDEN = (PLAN_TITLE, ACTION_TITLE, OBJECTIVE_TITLE, INDICATOR_NAME)
NOT_READERS = ("outsider", "stranger", "deactivated", "expired", "anonymous")


@pytest.fixture
def cpom(world, snapshot, create_document):
    """The private space's plan: one objective, one action owned by the partner (late: due last year),
    an integer indicator with one value, a link to a document of the space."""
    ids = snapshot("plans_api.cpom", lambda: _build(world, create_document))
    return SimpleNamespace(world=world, ids=ids)


def _build(world, create_document) -> dict:
    space = world.spaces["private"]
    document = create_document(space, world.animator, title="Diagnostic partagé")
    plan = plans.create_plan(world.animator, space, {"title": PLAN_TITLE, "description": "Négocié avec l'ARS"})
    objective = plans.add_objective(world.animator, plan, {"title": OBJECTIVE_TITLE})
    action = plans.create_action(world.animator, objective, {
        "title": ACTION_TITLE, "description": "Hébergement temporaire", "owner_id": world.partner.id,
        "start_date": "2025-01-15", "due_date": "2025-06-30", "status": "in_progress", "progress": 20,
        "priority": "high"})
    indicator = plans.add_indicator(world.animator, action, {"name": INDICATOR_NAME, "unit": "places",
                                                            "value_type": "integer", "baseline": 0, "target": 10})
    plans.record_value(world.animator, indicator, {"measured_on": "2025-03-31", "value": 4, "source": "ARS"})
    link = plans.link(world.animator, action, "document", document.id)
    _db.session.commit()
    return {"private": space.id, "plan": plan.id, "objective": objective.id, "action": action.id,
            "indicator": indicator.id, "link": link.id, "document": document.id, "partner": world.partner.id,
            "member": world.member.id, "animator": world.animator.id}


READS = expect(200, outsider=404, stranger=404)
OWNERS = expect(200, member=403, outsider=404, stranger=404)       # the owner (partner), animators, admins
MANAGERS = expect(200, member=403, partner=403, outsider=404, stranger=404)


def _with(statuses: dict[str, int], status: int) -> dict[str, int]:
    """The same matrix with `status` in place of 200 (201 for a creation)."""
    return {actor: status if code == 200 else code for actor, code in statuses.items()}


def _rows() -> list[tuple[str, str, object, dict[str, int]]]:
    return [
        # Reading (nothing changes).
        ("GET", "/communities/{private}/plans", None, expect(200, outsider=403, stranger=404)),
        ("GET", "/communities/999999/plans", None, expect(404)),
        ("GET", "/plans/{plan}", None, READS),
        ("GET", "/plans/999999", None, expect(404)),
        ("GET", "/plans/{plan}/objectives", None, READS),
        ("GET", "/plans/{plan}/actions", None, READS),
        ("GET", "/plans/{plan}/actions?status=late&sort=owner&order=desc&owner={partner}", None, READS),
        ("GET", "/plans/{plan}/summary", None, READS),
        ("GET", "/actions/{action}", None, READS),
        ("GET", "/actions/999999", None, expect(404)),
        ("GET", "/actions/{action}/history", None, READS),
        ("GET", "/actions/{action}/indicators", None, READS),
        ("GET", "/actions/{action}/links", None, READS),
        ("GET", "/indicators/{indicator}", None, READS),
        ("GET", "/me/actions", None, expect(200)),
        # Writing, in an order where each step finds the state the one before left.
        ("PATCH", "/actions/{action}", {"progress": 50, "row_version": 1}, OWNERS),
        ("POST", "/indicators/{indicator}/values", {"measured_on": "2025-05-31", "value": 6}, _with(OWNERS, 201)),
        ("POST", "/actions/{action}/indicators", {"name": "Taux d'occupation", "value_type": "percent",
                                                  "target": 90}, _with(OWNERS, 201)),
        ("POST", "/actions/{action}/links", {"kind": "document", "item_id": "{document}"}, _with(OWNERS, 201)),
        ("DELETE", "/actions/{action}/links/{link}", None, _with(OWNERS, 204)),
        ("POST", "/actions/{action}/close", {"status": "done", "result_note": "Places ouvertes", "row_version": 2},
         OWNERS),
        ("POST", "/actions/{action}/reopen", {"row_version": 3}, OWNERS),
        ("POST", "/objectives/{objective}/actions", {"title": "Recruter", "owner_id": "{partner}"},
         _with(MANAGERS, 201)),
        ("PATCH", "/objectives/{objective}", {"title": "Objectif renommé"}, MANAGERS),
        ("POST", "/plans/{plan}/objectives", {"title": "Deuxième objectif"}, _with(MANAGERS, 201)),
        ("PATCH", "/plans/{plan}", {"description": "Revu en comité"}, MANAGERS),
        ("POST", "/communities/{private}/plans", {"title": "PAQSS 2027"},
         expect(201, member=403, partner=403, outsider=403, stranger=404)),
        ("POST", "/plans/{plan}/archive", None, MANAGERS),
    ]


ROWS = _rows()


@pytest.mark.parametrize("actor_name", ACTORS)
def test_plans_api_matrix(actor_name, cpom, api, db):
    client = _api_client(cpom.world, actor_name, api, db)
    everything = call_rows(client, ROWS, actor_name, cpom.ids)
    if actor_name in NOT_READERS:
        assert not [title for title in HIDDEN if title in everything]
        assert "Partenaire membre" not in everything
    else:  # the check above could fail: readers see every title
        assert all(title in everything for title in HIDDEN)
    if actor_name == "partner":  # their own action, in "my actions"
        mine = json.loads(everything.split("\n")[[r[1] for r in ROWS].index("/me/actions")])
        assert [a["title"] for a in mine["items"]] == [ACTION_TITLE] and mine["items"][0]["late"] is True


def test_every_plans_route_is_in_the_matrix(app):
    """A new endpoint of this module cannot be added without saying who may call it."""
    from rse.api import plans as module

    assert uncovered_routes(app, module, ROWS) == []
    assert len(ROWS) >= 20


# --- Happy paths ----------------------------------------------------------------------------------------

def test_a_plan_is_built_followed_and_closed_through_the_api(world, api):
    space = world.spaces["private"]
    animator, partner = api(world.animator), api(world.partner)
    made = animator.post(f"/api/v1/communities/{space.id}/plans", json={"title": "PAQSS 2027", "description": "Qualité"})
    assert made.status_code == 201 and made.json["title"] == "PAQSS 2027" and made.json["can_manage"] is True
    plan_id = made.json["id"]
    objective = animator.post(f"/api/v1/plans/{plan_id}/objectives", json={"title": "Sécuriser le médicament"})
    assert objective.status_code == 201 and objective.json["position"] == 1
    due = (date.today() + timedelta(days=10)).isoformat()
    action = animator.post(f"/api/v1/objectives/{objective.json['id']}/actions", json={
        "title": "Audit des armoires", "description": "Toutes les unités", "owner_id": world.partner.id,
        "co_owners": [world.member.id], "start_date": "2026-01-05", "due_date": due, "priority": "high"})
    assert action.status_code == 201, action.json
    body = action.json
    assert body["owner"] == {"id": world.partner.id, "name": "Partenaire membre"}
    assert body["co_owners"] == [{"id": world.member.id, "name": "Membre"}]
    assert body["objective"] == {"id": objective.json["id"], "title": "Sécuriser le médicament"}
    assert (body["status"], body["late"], body["progress"], body["row_version"]) == ("not_started", False, 0, 1)
    action_id = body["id"]

    # The partner owner follows it up.
    seen = partner.get(f"/api/v1/plans/{plan_id}").json
    assert seen["can_manage"] is False and [o["title"] for o in seen["objectives"]] == ["Sécuriser le médicament"]
    changed = partner.patch(f"/api/v1/actions/{action_id}", json={"progress": 40, "status": "in_progress",
                                                                   "row_version": 1})
    assert changed.status_code == 200 and changed.json["progress"] == 40 and changed.json["row_version"] == 2
    indicator = partner.post(f"/api/v1/actions/{action_id}/indicators", json={
        "name": "Armoires auditées", "unit": "armoires", "value_type": "integer", "baseline": 0, "target": 12})
    assert indicator.status_code == 201 and indicator.json["values"] == []
    value = partner.post(f"/api/v1/indicators/{indicator.json['id']}/values", json={
        "measured_on": "2026-02-01", "value": 5, "source": "Pharmacie"})
    assert value.status_code == 201 and value.json["value"] == 5.0
    assert partner.get(f"/api/v1/indicators/{indicator.json['id']}").json["latest"] == 5.0

    filtered = partner.get(f"/api/v1/plans/{plan_id}/actions?due_within=30&owner={world.partner.id}").json
    assert [a["id"] for a in filtered["items"]] == [action_id] and filtered["total"] == 1
    assert partner.get(f"/api/v1/plans/{plan_id}/actions?status=late").json["items"] == []
    assert [a["id"] for a in partner.get("/api/v1/me/actions").json["items"]] == [action_id]
    summary = partner.get(f"/api/v1/plans/{plan_id}/summary").json
    assert summary["total"] == 1 and summary["by_status"]["in_progress"] == 1
    assert [s["id"] for s in summary["due_soon"]] == [action_id]
    assert summary["indicators"][0]["ratio"] == pytest.approx(5 / 12, abs=1e-4)

    closed = partner.post(f"/api/v1/actions/{action_id}/close", json={
        "status": "done", "result_note": "12 armoires auditées", "row_version": 2})
    assert closed.status_code == 200
    assert (closed.json["status"], closed.json["progress"], closed.json["result_note"]) == (
        "done", 100, "12 armoires auditées")
    assert closed.json["closed_at"] is not None
    assert partner.get("/api/v1/me/actions").json["items"] == []  # open actions only
    history = partner.get(f"/api/v1/actions/{action_id}/history").json["items"]
    assert [h["event"] for h in history] == ["closed", "value", "indicator", "updated", "created"]
    assert history[0]["user"] == {"id": world.partner.id, "name": "Partenaire membre"}
    assert history[3]["changes"]["progress"] == [0, 40]
    reopened = partner.post(f"/api/v1/actions/{action_id}/reopen", json={"row_version": closed.json["row_version"]})
    assert reopened.status_code == 200 and reopened.json["status"] == "in_progress"

    archived = animator.post(f"/api/v1/plans/{plan_id}/archive")
    assert archived.status_code == 200 and archived.json["archived_at"] is not None
    assert animator.get(f"/api/v1/communities/{space.id}/plans").json["items"] == []


def test_links_point_at_the_space_documents_and_are_removed(cpom, api, create_document):
    partner, ids = api(cpom.world.partner), cpom.ids
    listed = partner.get(f"/api/v1/actions/{ids['action']}/links").json
    assert [(link["kind"], link["item_id"], link["title"]) for link in listed["items"]] == [
        ("document", ids["document"], "Diagnostic partagé")]
    assert partner.get(f"/api/v1/actions/{ids['action']}").json["links"] == listed["items"]
    assert partner.delete(f"/api/v1/actions/{ids['action']}/links/{ids['link']}").status_code == 204
    assert partner.get(f"/api/v1/actions/{ids['action']}/links").json["items"] == []
    again = partner.delete(f"/api/v1/actions/{ids['action']}/links/{ids['link']}")
    assert again.status_code == 404 and again.json["error"]["code"] == "not_found"
    other = create_document(cpom.world.spaces["public"], cpom.world.animator, title="Ailleurs")
    for item_id in (other.id, 999999):  # another space's, a missing one: refused alike
        outside = partner.post(f"/api/v1/actions/{ids['action']}/links", json={"kind": "document", "item_id": item_id})
        assert outside.status_code == 422 and "item_id" in outside.json["error"]["fields"]
    assert partner.get(f"/api/v1/actions/{ids['action']}/links").json["items"] == []


def test_people_the_caller_may_not_see_are_left_out(cpom, api):
    """A co-owner deactivated since is named to administrators only."""
    world, ids = cpom.world, cpom.ids
    action = _db.session.get(Action, ids["action"])
    plans.update_action(world.animator, action, {"co_owners": [world.member.id]}, row_version=action.row_version)
    _db.session.commit()
    assert api(world.partner).get(f"/api/v1/actions/{ids['action']}").json["co_owners"] == [
        {"id": world.member.id, "name": "Membre"}]
    world.member.deactivated_at = world.deactivated.deactivated_at
    _db.session.commit()
    assert api(world.partner).get(f"/api/v1/actions/{ids['action']}").json["co_owners"] == []
    assert api(world.animator).get(f"/api/v1/actions/{ids['action']}").json["co_owners"] == []
    assert [p["name"] for p in api(world.admin).get(f"/api/v1/actions/{ids['action']}").json["co_owners"]] == [
        "Membre"]


# --- Bad input ------------------------------------------------------------------------------------------

def _state(client, ids) -> tuple:
    action = client.get(f"/api/v1/actions/{ids['action']}").json
    history = client.get(f"/api/v1/actions/{ids['action']}/history").json["total"]
    indicator = client.get(f"/api/v1/indicators/{ids['indicator']}").json
    return action, history, indicator


@pytest.mark.parametrize(("method", "path", "body", "status", "code", "field"), [
    ("PATCH", "/actions/{action}", {"start_date": "2025-08-01", "due_date": "2025-07-01", "row_version": 1},
     422, "validation_error", "due_date"),
    ("PATCH", "/actions/{action}", {"due_date": "2024-12-31", "row_version": 1}, 422, "validation_error", "due_date"),
    ("PATCH", "/actions/{action}", {"progress": 101, "row_version": 1}, 422, "validation_error", "progress"),
    ("PATCH", "/actions/{action}", {"progress": -1, "row_version": 1}, 422, "validation_error", "progress"),
    ("PATCH", "/actions/{action}", {"progress": "50", "row_version": 1}, 422, "validation_error", "progress"),
    ("PATCH", "/actions/{action}", {"owner_id": 999999, "row_version": 1}, 422, "validation_error", "owner_id"),
    ("PATCH", "/actions/{action}", {"owner_id": "{outsider}", "row_version": 1}, 422, "validation_error", "owner_id"),
    ("PATCH", "/actions/{action}", {"co_owners": ["{stranger}"], "row_version": 1}, 422, "validation_error",
     "co_owners"),
    ("PATCH", "/actions/{action}", {"status": "late", "row_version": 1}, 422, "validation_error", "status"),
    ("PATCH", "/actions/{action}", {"status": "done", "row_version": 1}, 422, "result_note_required", "status"),
    ("PATCH", "/actions/{action}", {"objective_id": 999999, "row_version": 1}, 422, "validation_error",
     "objective_id"),
    ("PATCH", "/actions/{action}", {"progress": 30}, 422, "validation_error", "row_version"),
    ("PATCH", "/actions/{action}", {"progress": 30, "row_version": 7}, 409, "stale_action", None),
    ("PATCH", "/actions/{action}", {"progress": 30, "row_version": 1, "color": "red"}, 422, "validation_error",
     "color"),
    ("PATCH", "/actions/{action}", {"title": "   ", "row_version": 1}, 422, "validation_error", "title"),
    ("POST", "/actions/{action}/close", {"status": "done", "result_note": " ", "row_version": 1}, 422,
     "validation_error", "result_note"),
    ("POST", "/actions/{action}/close", {"status": "in_progress", "result_note": "Fini", "row_version": 1}, 422,
     "validation_error", "status"),
    ("POST", "/actions/{action}/close", {"status": "done", "result_note": "Fini", "row_version": 9}, 409,
     "stale_action", None),
    ("POST", "/actions/{action}/reopen", {"row_version": 1}, 409, "not_closed", None),
    ("POST", "/indicators/{indicator}/values", {"measured_on": "2025-04-30", "value": 2.5}, 422,
     "validation_error", "value"),
    ("POST", "/indicators/{indicator}/values", {"measured_on": "2025-04-30", "value": "beaucoup"}, 422,
     "validation_error", "value"),
    ("POST", "/indicators/{indicator}/values", {"measured_on": "30/04/2025", "value": 3}, 422,
     "validation_error", "measured_on"),
    ("POST", "/indicators/{indicator}/values", {"value": 3}, 422, "validation_error", "measured_on"),
    ("POST", "/actions/{action}/indicators", {"name": "Taux", "value_type": "percent", "target": 120}, 422,
     "validation_error", "target"),
    ("POST", "/actions/{action}/indicators", {"name": "Taux", "value_type": "ratio"}, 422, "validation_error",
     "value_type"),
    ("POST", "/objectives/{objective}/actions", {"title": "Déjà faite", "status": "done"}, 422,
     "validation_error", "status"),
    ("POST", "/objectives/{objective}/actions", {"title": "Sans ordre", "start_date": "2026-05-01",
                                                 "due_date": "2026-04-01"}, 422, "validation_error", "due_date"),
    ("POST", "/objectives/{objective}/actions", {"title": "Inconnu", "owner_id": 999999}, 422, "validation_error",
     "owner_id"),
    ("POST", "/actions/{action}/links", {"kind": "community", "item_id": 1}, 422, "validation_error", "kind"),
    ("GET", "/plans/{plan}/actions?status=bientot", None, 422, "validation_error", "status"),
    ("GET", "/plans/{plan}/actions?due_within=400", None, 422, "validation_error", "due_within"),
    ("GET", "/plans/{plan}/actions?sort=couleur", None, 422, "validation_error", "sort"),
    ("GET", "/plans/{plan}/actions?order=up", None, 422, "validation_error", "order"),
    ("GET", "/plans/{plan}/actions?limit=0", None, 400, "bad_pagination", None),
])
def test_bad_input_is_refused_with_a_code_and_changes_nothing(cpom, api, method, path, body, status, code, field):
    world, ids = cpom.world, cpom.ids
    ids = {**ids, "outsider": world.outsider.id, "stranger": world.stranger.id}
    animator = api(world.animator)
    before = _state(animator, ids)
    response = animator.open("/api/v1" + path.format(**ids), method=method, json=fill(body, ids))
    assert response.status_code == status, response.json
    error = response.json["error"]
    assert error["code"] == code and error["message"]
    if field is not None:
        assert field in error["fields"] and error["fields"][field]
    assert _state(animator, ids) == before


@pytest.mark.parametrize("raw", [b"{", b"[1, 2]", b'"titre"', b"", b"\xff\xfe"])
def test_malformed_json_is_refused_and_changes_nothing(cpom, api, raw):
    ids = cpom.ids
    animator = api(cpom.world.animator)
    before = _state(animator, ids)
    for path in (f"/api/v1/actions/{ids['action']}", f"/api/v1/plans/{ids['plan']}"):
        response = animator.patch(path, data=raw, content_type="application/json")
        assert response.status_code == 400 and response.json["error"]["code"] == "malformed_json"
    response = animator.post(f"/api/v1/indicators/{ids['indicator']}/values", data=raw,
                             content_type="application/json")
    assert response.status_code == 400 and response.json["error"]["code"] == "malformed_json"
    assert _state(animator, ids) == before


def test_the_second_writer_is_told_and_nothing_is_overwritten(cpom, api):
    """Two people read version 1; the first writes; the second's write is refused, the first's kept."""
    ids = cpom.ids
    partner, animator = api(cpom.world.partner), api(cpom.world.animator)
    first = partner.patch(f"/api/v1/actions/{ids['action']}", json={"progress": 70, "row_version": 1})
    assert first.status_code == 200
    second = animator.patch(f"/api/v1/actions/{ids['action']}", json={"progress": 10, "row_version": 1})
    assert second.status_code == 409 and second.json["error"]["code"] == "stale_action"
    assert "modifiée par quelqu'un d'autre" in second.json["error"]["message"]
    assert animator.get(f"/api/v1/actions/{ids['action']}").json["progress"] == 70


def test_an_owner_may_not_change_the_owners(cpom, api):
    ids = cpom.ids
    refused = api(cpom.world.partner).patch(f"/api/v1/actions/{ids['action']}", json={
        "owner_id": cpom.world.member.id, "row_version": 1})
    assert refused.status_code == 422 and refused.json["error"]["code"] == "managers_only"
    assert api(cpom.world.partner).get(f"/api/v1/actions/{ids['action']}").json["owner"]["name"] == "Partenaire membre"
