"""The API of controlled documents: the walk from draft to in force and read, the permission matrix of
every endpoint (a partner named checker of one document and not of another), drafts never shown to
anyone outside their circuit, and bad input refused with nothing changed."""

from __future__ import annotations

import io
import json
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from rse.accounts.models import User
from rse.database import db as _db
from rse.documents import service as documents
from rse.documents.controlled import reading
from rse.documents.controlled import service as controlled
from rse.documents.controlled.models import CircuitDecision, ControlledDocument
from rse.documents.models import Document
from rse.uploads import HashingSpool

from ..documents.samples import pdf_bytes
from ..test_permissions import _api_client
from .matrix import call_rows, fill, uncovered_routes
from .test_feeds_permissions import ACTORS, expect

DRAFT_TITLE, DRAFT_CODE = "Antisepsie brouillon confidentiel", "HYG-PRO-777"
V2_FILENAME, V2_NOTE = "antisepsie-projet-v2.pdf", "Projet de révision v2 confidentiel"
OUTSIDE_DRAFT = ("member", "outsider", "stranger", "deactivated", "expired", "anonymous")
OUTSIDE_V2 = ("member", "partner", "outsider", "stranger", "deactivated", "expired", "anonymous")


def _upload(app, content: bytes, name: str) -> documents.Upload:
    spool = HashingSpool(app.config["UPLOAD_TMP"], app.config["MAX_UPLOAD_BYTES"])
    spool.write(content)
    spool.flush()
    return documents.Upload(spool, name)


@pytest.fixture
def hygiene(app, world, snapshot, create_user, create_document):
    """In the private space: a draft in checking whose checker is the partner (D), a protocol in force
    with a draft version 2 whose reading the space must do and whose partner is named nowhere (F), and
    an ordinary document. The animator writes both; a staff member of the space approves them."""
    ids = snapshot("controlled_api.hygiene", lambda: _build(app, world, create_user, create_document))
    return SimpleNamespace(world=world, ids=ids, approver=_db.session.get(User, ids["approver"]))


def _build(app, world, create_user, create_document) -> dict:
    from rse.communities import service as communities

    space = world.spaces["private"]
    approver = create_user("staff", name="Approbatrice", organisation="CH Nord")
    communities.add_member(world.animator, space, approver, "member")
    _db.session.commit()
    draft = create_document(space, world.animator, title=DRAFT_TITLE, content=pdf_bytes("brouillon"), control={
        "code": DRAFT_CODE, "writers": [world.animator.id], "checkers": [world.partner.id],
        "approvers": [approver.id]})
    circuit = controlled.submit(world.animator, draft)
    in_force = create_document(space, world.animator, title="Hygiène des mains", content=pdf_bytes("v1"), control={
        "code": "HYG-PRO-001", "writers": [world.animator.id], "approvers": [approver.id]})
    first = controlled.submit(world.animator, in_force)
    controlled.decide(approver, in_force, verdict="approve", sha256=first.sha256)
    _db.session.commit()
    documents.add_version(world.animator, in_force, _upload(app, pdf_bytes("v2"), V2_FILENAME), V2_NOTE)
    reading.require_reading(approver, in_force, {"communities": [space.id]})
    plain = create_document(space, world.animator, title="Compte rendu")
    _db.session.commit()
    return {"draft": draft.id, "in_force": in_force.id, "plain": plain.id, "private": space.id,
            "public": world.spaces["public"].id, "approver": approver.id, "sha": circuit.sha256,
            "partner": world.partner.id, "animator": world.animator.id, "member": world.member.id}


READERS_ONLY = {"outsider": 404, "stranger": 404}
HIDDEN_DRAFT = {"member": 404, **READERS_ONLY}


def _rows() -> list[tuple[str, str, object, dict[str, int]]]:
    control_body = {"code": "HYG-PRO-778", "doc_type": "protocol", "writers": ["{animator}"],
                    "checkers": ["{partner}"], "approvers": ["{approver}"], "review_months": 12}
    return [
        # Reading (nothing changes).
        ("GET", "/documents/{draft}/control", None, expect(200, **HIDDEN_DRAFT)),
        ("GET", "/documents/{in_force}/control", None, expect(200, **READERS_ONLY)),
        ("GET", "/documents/{plain}/control", None, expect(404)),
        ("GET", "/documents/999999/control", None, expect(404)),
        ("GET", "/documents/{draft}/circuits", None, expect(200, **HIDDEN_DRAFT)),
        ("GET", "/documents/{in_force}/circuits", None, expect(200, member=403, partner=403, **READERS_ONLY)),
        ("GET", "/documents/{in_force}/readings", None, expect(200, member=403, partner=403, **READERS_ONLY)),
        ("GET", "/documents/{in_force}", None, expect(200, **READERS_ONLY)),
        ("GET", "/documents/{draft}", None, expect(200, **HIDDEN_DRAFT)),
        ("GET", "/documents/{in_force}/versions/2/content", None, expect(404, admin=200, animator=200)),
        ("GET", "/documents/{in_force}/versions/1/content", None, expect(200, **READERS_ONLY)),
        ("GET", "/communities/{private}/control/next-code?type=procedure", None,
         expect(200, outsider=403, stranger=404)),
        ("GET", "/communities/{private}/register", None, expect(200, outsider=403, stranger=404)),
        ("GET", "/communities/{public}/register", None, expect(200, stranger=404)),
        ("GET", "/register", None, expect(200, partner=403, stranger=403)),
        ("GET", "/me/readings", None, expect(200)),
        # Writing, in an order where each step finds the state the one before left.
        ("POST", "/documents/{in_force}/readings/confirm", None,
         expect(200, admin=409, **READERS_ONLY)),
        ("POST", "/documents/{in_force}/readings/remind", None, expect(200, member=403, partner=403, **READERS_ONLY)),
        ("POST", "/documents/{in_force}/lock", {"hours": 4}, expect(403, animator=200, **READERS_ONLY)),
        ("DELETE", "/documents/{in_force}/lock", None, expect(409, animator=204, **READERS_ONLY)),
        ("POST", "/documents/{draft}/circuit", {}, expect(403, animator=409, **HIDDEN_DRAFT)),
        ("POST", "/documents/{draft}/circuit/decisions", {"verdict": "approve", "sha256": "{sha}"},
         expect(403, partner=201, **HIDDEN_DRAFT)),
        ("PUT", "/documents/{draft}/control", control_body, expect(200, partner=403, **HIDDEN_DRAFT)),
        ("POST", "/documents/{in_force}/readings", {"communities": ["{private}"]},
         expect(201, member=403, partner=403, **READERS_ONLY)),
        ("POST", "/documents/{in_force}/withdraw", {"comment": "Remplacé par HYG-PRO-002"},
         expect(200, member=403, partner=403, **READERS_ONLY)),
    ]


ROWS = _rows()


@pytest.mark.parametrize("actor_name", ACTORS)
def test_controlled_api_matrix(actor_name, hygiene, api, db):
    client = _api_client(hygiene.world, actor_name, api, db)
    everything = call_rows(client, ROWS, actor_name, hygiene.ids, not_found_codes=("not_found", "not_controlled"))
    if actor_name in OUTSIDE_DRAFT:
        assert DRAFT_TITLE not in everything and DRAFT_CODE not in everything
    if actor_name in OUTSIDE_V2:
        assert V2_FILENAME not in everything and V2_NOTE not in everything
    if actor_name in OUTSIDE_DRAFT:
        assert '"latest_number"' not in everything
    if actor_name == "animator":  # the checks above could fail
        assert DRAFT_TITLE in everything and DRAFT_CODE in everything and V2_NOTE in everything


def test_every_controlled_route_is_in_the_matrix(app):
    """A new endpoint of this module cannot be added without saying who may call it."""
    from rse.api import controlled as module

    assert uncovered_routes(app, module, ROWS) == []


def test_a_hidden_draft_is_answered_as_a_missing_document(hygiene, api):
    member = api(hygiene.world.member)
    for suffix in ("control", "circuits", "readings"):
        hidden = member.get(f"/api/v1/documents/{hygiene.ids['draft']}/{suffix}")
        missing = member.get(f"/api/v1/documents/987654/{suffix}")
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json["error"]["message"] == missing.json["error"]["message"]
    register = member.get(f"/api/v1/communities/{hygiene.ids['private']}/register").json
    assert [row["code"] for row in register["items"]] == ["HYG-PRO-001"]
    partner_register = api(hygiene.world.partner).get(f"/api/v1/communities/{hygiene.ids['private']}/register").json
    assert [row["code"] for row in partner_register["items"]] == ["HYG-PRO-001", DRAFT_CODE]


def test_readers_outside_the_circuit_see_the_version_in_force_only(hygiene, api):
    document = hygiene.ids["in_force"]
    member = api(hygiene.world.member).get(f"/api/v1/documents/{document}").json
    assert member["current_version"] == 1 and [v["number"] for v in member["versions"]] == [1]
    assert V2_NOTE not in json.dumps(member, ensure_ascii=False)
    writer = api(hygiene.world.animator).get(f"/api/v1/documents/{document}").json
    assert [v["number"] for v in writer["versions"]] == [2, 1]
    control = api(hygiene.world.member).get(f"/api/v1/documents/{document}/control").json
    assert control["status"] == "in_force" and control["in_force_number"] == 1 and "latest_number" not in control
    assert control["approved_by"] == [{"id": hygiene.approver.id, "name": "Approbatrice"}]
    assert api(hygiene.world.animator).get(f"/api/v1/documents/{document}/control").json["latest_number"] == 2


def test_people_the_caller_may_not_see_are_left_out(hygiene, api):
    """An administrator (who reads every space without being a member) named writer shares no space
    with the partner: the partner is not shown them."""
    world = hygiene.world
    hidden = world.admin
    document = _db.session.get(Document, hygiene.ids["in_force"])
    controlled.set_control(world.animator, document, {
        "code": "HYG-PRO-001", "writers": [world.animator.id, hidden.id], "approvers": [hygiene.approver.id]})
    _db.session.commit()
    partner_view = api(world.partner).get(f"/api/v1/documents/{document.id}/control").json
    assert [p["name"] for p in partner_view["writers"]] == ["Animatrice"]
    staff_view = api(world.member).get(f"/api/v1/documents/{document.id}/control").json
    assert sorted(p["name"] for p in staff_view["writers"]) == ["Admin", "Animatrice"]


# --- The walk -------------------------------------------------------------------------------------------

def test_a_protocol_walks_from_draft_to_in_force_and_is_read(hygiene, api):
    world, ids = hygiene.world, hygiene.ids
    writer, partner, approver = api(world.animator), api(world.partner), api(hygiene.approver)
    member = api(world.member)
    uploaded = writer.post(f"/api/v1/communities/{ids['private']}/documents", data={
        "title": "Bionettoyage des chambres", "file": (io.BytesIO(pdf_bytes("bionettoyage v1")), "bio.pdf")})
    assert uploaded.status_code == 201
    document = uploaded.json["id"]
    suggested = writer.get(f"/api/v1/communities/{ids['private']}/control/next-code?type=protocol").json["code"]
    assert suggested == "HYG-PRO-778"  # the space's prefix, after the highest number of the type
    body = {"code": "HYG-PRO-002", "doc_type": "protocol", "applies_to": ["CH Nord"], "writers": [ids["animator"]],
            "checkers": [ids["partner"]], "approvers": [ids["approver"]], "approval_rule": "any"}
    made = writer.put(f"/api/v1/documents/{document}/control", json=body)
    assert made.status_code == 201 and made.json["status"] == "draft" and made.json["state"] == "En rédaction"
    assert writer.put(f"/api/v1/documents/{document}/control", json=body).status_code == 200
    assert member.get(f"/api/v1/documents/{document}").status_code == 404  # a draft: not for readers

    first = writer.post(f"/api/v1/documents/{document}/circuit", json={"note": "Première rédaction"})
    assert first.status_code == 201 and first.json["stage"] == "checking" and first.json["version_number"] == 1
    told = partner.get("/api/v1/notifications").json["items"][0]
    assert (told["kind"], told["event"], told["version_number"]) == ("circuit", "to_check", 1)
    back = partner.post(f"/api/v1/documents/{document}/circuit/decisions",
                        json={"verdict": "return", "sha256": first.json["sha256"], "comment": "Préciser l'étape 3"})
    assert back.status_code == 201 and back.json["stage"] == "returned"
    assert back.json["decisions"][0]["comment"] == "Préciser l'étape 3"
    assert back.json["decisions"][0]["user"]["name"] == "Partenaire membre"

    assert writer.post(f"/api/v1/documents/{document}/versions", data={
        "file": (io.BytesIO(pdf_bytes("bionettoyage v2")), "bio.pdf")}).status_code == 201
    second = writer.post(f"/api/v1/documents/{document}/circuit", json={}).json
    assert second["version_number"] == 2 and second["sha256"] != first.json["sha256"]
    checked = partner.post(f"/api/v1/documents/{document}/circuit/decisions",
                           json={"verdict": "approve", "sha256": second["sha256"]}).json
    assert checked["stage"] == "approval"
    approved = approver.post(f"/api/v1/documents/{document}/circuit/decisions",
                             json={"verdict": "approve", "sha256": second["sha256"]})
    assert approved.status_code == 201 and approved.json["stage"] == "approved"
    control = member.get(f"/api/v1/documents/{document}/control").json
    assert (control["status"], control["state"], control["in_force_number"]) == ("in_force", "En vigueur", 2)
    assert control["effective_date"] and control["review_by"] and control["overdue"] is False
    history = writer.get(f"/api/v1/documents/{document}/circuits").json
    assert [c["stage"] for c in history["items"]] == ["approved", "returned"]  # the send-back is kept

    required = approver.post(f"/api/v1/documents/{document}/readings", json={"communities": [ids["private"]]})
    assert required.status_code == 201 and required.json["version_number"] == 2
    assert document in [d["id"] for d in member.get("/api/v1/me/readings").json["items"]]
    for reader in (partner, member):
        confirmed = reader.post(f"/api/v1/documents/{document}/readings/confirm")
        assert confirmed.status_code == 200 and confirmed.json == {"confirmed": True, "version_number": 2}
    assert document not in [d["id"] for d in member.get("/api/v1/me/readings").json["items"]]
    report = writer.get(f"/api/v1/documents/{document}/readings").json
    # The space's active readers: the animator, the approver, the member and the partner.
    assert (report["overall"]["done"], report["overall"]["total"], report["overall"]["percent"]) == (2, 4, 50)
    assert {r["label"]: (r["done"], r["total"]) for r in report["communities"]} == {"Espace private": (2, 4)}
    assert sorted(p["name"] for p in report["pending"]) == ["Animatrice", "Approbatrice"]
    assert writer.post(f"/api/v1/documents/{document}/readings/remind").json == {"sent": 2, "skipped": 0}
    assert writer.post(f"/api/v1/documents/{document}/readings/remind").json == {"sent": 0, "skipped": 2}
    rows = {r["code"]: r for r in member.get("/api/v1/register?sort=code").json["items"]}
    assert rows["HYG-PRO-002"]["reading"] == {"done": 2, "total": 4, "percent": 50}
    assert rows["HYG-PRO-002"]["state"] == "En vigueur" and DRAFT_CODE not in rows
    only = member.get("/api/v1/register?state=in_force&q=bionett").json["items"]
    assert [r["code"] for r in only] == ["HYG-PRO-002"]


def test_the_lock_is_shown_to_readers_and_released(hygiene, api):
    ids = hygiene.ids
    writer, member = api(hygiene.world.animator), api(hygiene.world.member)
    taken = writer.post(f"/api/v1/documents/{ids['in_force']}/lock", json={"hours": 24})
    assert taken.status_code == 200 and taken.json["lock"]["user"]["name"] == "Animatrice"
    seen = member.get(f"/api/v1/documents/{ids['in_force']}/control").json["lock"]
    assert seen["user"]["name"] == "Animatrice" and seen["since"] and seen["expires"]
    refused = member.delete(f"/api/v1/documents/{ids['in_force']}/lock")
    assert refused.status_code == 403
    assert writer.delete(f"/api/v1/documents/{ids['in_force']}/lock").status_code == 204
    assert member.get(f"/api/v1/documents/{ids['in_force']}/control").json["lock"] is None


# --- Bad input ------------------------------------------------------------------------------------------

def _decisions() -> int:
    return _db.session.scalar(select(func.count(CircuitDecision.id)))


def _controls() -> list:
    return [tuple(r) for r in _db.session.execute(select(ControlledDocument.document_id, ControlledDocument.code))]


@pytest.mark.parametrize(("body", "status", "field", "says"), [
    ({"verdict": "maybe", "sha256": "{sha}"}, 422, "verdict", "Approuver ou renvoyer"),
    ({"verdict": "return", "sha256": "{sha}"}, 422, "comment", "repris"),
    ({"verdict": "approve"}, 422, "sha256", "obligatoire"),
    ({"verdict": ["approve"], "sha256": "{sha}"}, 422, "verdict", "texte"),
    ({"verdict": "approve", "sha256": "{sha}", "effective": "31/12/2030"}, 422, "effective", "Date"),
    ({"verdict": "approve", "sha256": "{sha}", "extra": 1}, 422, "extra", "inconnu"),
])
def test_bad_decisions_are_refused_and_change_nothing(hygiene, api, body, status, field, says):
    before = _decisions()
    response = api(hygiene.world.partner).post(f"/api/v1/documents/{hygiene.ids['draft']}/circuit/decisions",
                                               json=fill(body, hygiene.ids))
    assert response.status_code == status
    assert says in response.json["error"]["fields"][field]
    assert _decisions() == before


def test_a_decision_on_other_bytes_is_a_conflict(hygiene, api):
    before = _decisions()
    response = api(hygiene.world.partner).post(f"/api/v1/documents/{hygiene.ids['draft']}/circuit/decisions",
                                               json={"verdict": "approve", "sha256": "0" * 64})
    assert response.status_code == 409
    assert response.json["error"]["code"] == "changed_since_submission"
    assert "a changé" in response.json["error"]["message"]
    assert _decisions() == before


@pytest.mark.parametrize(("change", "field", "says"), [
    ({"code": "hyg-pro-001"}, "code", "déjà attribué"),
    ({"code": "HYG PRO"}, "code", "majuscules"),
    ({"writers": []}, "writers", "au moins une personne"),
    ({"approvers": []}, "approvers", "au moins une personne"),
    ({"writers": "{animator}"}, "writers", "Liste d'identifiants"),
    ({"checkers": "12"}, "checkers", "Liste d'identifiants"),
    ({"approvers": [2 ** 40]}, "approvers", "Liste d'identifiants"),
    ({"approvers": [True]}, "approvers", "Liste d'identifiants"),
    ({"approvers": [999999]}, "approvers", "accès à l'espace"),
    ({"applies_to": "CH Nord"}, "applies_to", "Liste de textes"),
    ({"review_months": 0}, "review_months", "entre 1 et 120"),
    ({"doc_type": "memo"}, "doc_type", "inconnu"),
    ({"approval_rule": "most"}, "approval_rule", "une seule"),
])
def test_bad_identity_is_refused_and_changes_nothing(hygiene, api, change, field, says):
    ids = hygiene.ids
    body = fill({"code": "HYG-PRO-900", "writers": ["{animator}"], "approvers": ["{approver}"], **change}, ids)
    before = _controls()
    response = api(hygiene.world.animator).put(f"/api/v1/documents/{ids['plain']}/control", json=body)
    assert response.status_code == 422, response.json
    assert says.casefold() in response.json["error"]["fields"][field].casefold()
    assert _controls() == before


def test_other_bad_input(hygiene, api):
    ids = hygiene.ids
    writer, approver = api(hygiene.world.animator), api(hygiene.approver)
    assert writer.get("/api/v1/documents/99999999999/control").status_code == 404
    assert writer.get(f"/api/v1/communities/{ids['private']}/control/next-code?type=memo").status_code == 400
    lock = writer.post(f"/api/v1/documents/{ids['in_force']}/lock", json={"hours": 5})
    assert lock.status_code == 422 and "Durée" in lock.json["error"]["fields"]["hours"]
    empty = approver.post(f"/api/v1/documents/{ids['in_force']}/readings",
                          json={"communities": [], "people": [], "establishments": []})
    assert empty.status_code == 422 and "au moins un espace" in empty.json["error"]["fields"]["communities"]
    wrong = approver.post(f"/api/v1/documents/{ids['in_force']}/readings", json={"people": "12"})
    assert wrong.status_code == 422 and "people" in wrong.json["error"]["fields"]
    stranger_space = approver.post(f"/api/v1/documents/{ids['in_force']}/readings", json={"communities": [999999]})
    assert stranger_space.status_code == 422 and stranger_space.json["error"]["fields"]["communities"] == "Espace inconnu."
    withdraw = approver.post(f"/api/v1/documents/{ids['in_force']}/withdraw", json={"comment": ""})
    assert withdraw.status_code == 422
    submit = writer.post(f"/api/v1/documents/{ids['draft']}/circuit", json={"renewal": "yes"})
    assert submit.status_code == 422 and "true ou false" in submit.json["error"]["fields"]["renewal"]
    register = api(hygiene.world.member).get("/api/v1/register?state=lost&sort=size")
    assert register.status_code == 422 and set(register.json["error"]["fields"]) == {"state", "sort"}
    empty = api(hygiene.world.member).get("/api/v1/register?type=&state=&sort=")  # empty is not "all" here
    assert empty.status_code == 422 and set(empty.json["error"]["fields"]) == {"type", "state", "sort"}
    staff_only = api(hygiene.world.partner).get("/api/v1/register")
    assert staff_only.status_code == 403 and staff_only.json["error"]["code"] == "staff_only"
