"""The pages of controlled documents given bad input: each says what is wrong, in words, and
changes nothing (the permission matrix of these pages is in tests/test_leaks.py)."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import func, select

from rse.audit.models import AuditEntry
from rse.database import db as _db
from rse.documents.controlled import service as controlled
from rse.documents.controlled.models import CircuitDecision, ControlledDocument, ReadingCampaign

from .controlled_world import add_draft, bring_into_force, control
from .samples import pdf_bytes


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _count(model, *where) -> int:
    return _db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def space(create_user, create_community):
    people = {name: create_user("staff", name=name.title(), organisation=org) for name, org in (
        ("writer", "CH Nord"), ("checker", "CH Sud"), ("approver", "CH Est"), ("reader", "CH Sud"))}
    community = create_community(people["writer"], name="Hygiène", members=[
        (people[n], "member") for n in ("checker", "approver", "reader")])
    return community, people


@pytest.fixture
def in_force(space, create_document):
    """HYG-PRO-001, version 1 in force, and a version 2 submitted to its checker."""
    community, people = space
    document = create_document(community, people["writer"], title="Hygiène des mains", content=pdf_bytes("v1"),
                               control=control("HYG-PRO-001", [people["writer"]], [people["checker"]],
                                               [people["approver"]]))
    bring_into_force(document)
    return document


def _identity(**fields) -> dict:
    return {"code": "HYG-PRO-002", "doc_type": "protocol", "approval_rule": "all", "review_months": "24",
            "applies_to": "CH Nord", **fields}


def test_identity_form_names_each_bad_field_and_saves_nothing(space, in_force, create_document, login):
    community, people = space
    document = create_document(community, people["writer"], title="Bionettoyage", content=pdf_bytes("b"))
    client = login(people["writer"])
    url = f"/documents/{document.id}/maitrise"
    roles = {"writers": [str(people["writer"].id)], "approvers": [str(people["approver"].id)]}
    cases = [
        (_identity(code="HYG PRO 2!", **roles), "Un code s'écrit en lettres majuscules, chiffres et tirets"),
        (_identity(code="hyg-pro-001", **roles), "Ce code est déjà attribué à un autre document maîtrisé."),
        (_identity(review_months="abc", **roles), "Une durée entre 1 et 120 mois."),
        (_identity(review_months="0", **roles), "Une durée entre 1 et 120 mois."),
        (_identity(doc_type="memo", **roles), "Type de document inconnu."),
        (_identity(approval_rule="most", **roles), "Choisissez « toutes les approbations » ou « une seule »."),
        (_identity(writers=[str(people["writer"].id)]), "Nommez au moins une personne à l'approbation."),
        (_identity(writers=["x"], approvers=roles["approvers"]), "Personne inconnue."),
        (_identity(writers=roles["writers"], approvers=["999999"]),
         "Seules les personnes qui ont accès à l'espace peuvent avoir un rôle dans le circuit."),
    ]
    for data, message in cases:
        response = client.post(url, data=data)
        assert response.status_code == 422, (data, response.status_code)
        page = _text(response)
        assert message in page, (data, message)
        assert 'class="field-error"' in page  # beside its field, not only at the top
        _db.session.expire_all()
        assert _count(ControlledDocument, ControlledDocument.document_id == document.id) == 0
    assert _count(AuditEntry, AuditEntry.action == "document.controlled",
                  AuditEntry.target_id == str(document.id)) == 0

    # The same form, corrected, saves.
    response = client.post(url, data=_identity(**roles))
    assert response.status_code == 302
    _db.session.expire_all()
    assert _db.session.get(ControlledDocument, document.id).code == "HYG-PRO-002"


def test_reading_form_refuses_an_empty_or_unknown_choice_and_asks_no_one(space, in_force, create_document, login):
    community, people = space
    client = login(people["approver"])
    url = f"/documents/{in_force.id}/lecture"
    assert client.get(url).status_code == 200
    cases = [
        ({}, "Choisissez au moins un espace, un établissement ou une personne."),
        ({"people": ["999999"]}, "Personne inconnue."),
        ({"communities": ["abc"]}, "Valeur inconnue."),
        ({"communities": [str(community.id + 1000)]}, "Espace inconnu."),
    ]
    for data, message in cases:
        response = client.post(url, data=data)
        assert response.status_code == 422, (data, response.status_code)
        assert message in _text(response), data
    assert _count(ReadingCampaign, ReadingCampaign.document_id == in_force.id) == 0

    # A draft never in force cannot be required reading: said on the form, nothing asked.
    draft = create_document(community, people["writer"], title="Brouillon", content=pdf_bytes("d"),
                            control=control("HYG-PRO-003", [people["writer"]], [], [people["approver"]]))
    response = client.post(f"/documents/{draft.id}/lecture", data={"people": [str(people["reader"].id)]})
    assert response.status_code == 409
    assert "La lecture ne peut être demandée que pour un document en vigueur." in _text(response)
    assert _count(ReadingCampaign) == 0

    # Someone outside the approval cannot open the form at all.
    assert login(people["reader"]).get(url).status_code == 403


def test_circuit_buttons_refuse_bad_input_and_record_no_decision(space, in_force, login):
    _community, people = space
    add_draft(people["writer"], in_force, "v2")
    writer = login(people["writer"])
    assert writer.post(f"/documents/{in_force.id}/circuit", data={}).status_code == 302
    _db.session.expire_all()
    circuit = controlled.open_circuit(in_force)
    checker = login(people["checker"])
    url = f"/documents/{in_force.id}/circuit/decision"
    before = _count(CircuitDecision)
    cases = [
        ({"verdict": "return", "sha256": circuit.sha256}, "Dites ce qui doit être repris."),
        ({"verdict": "approve", "sha256": "0" * 64},
         "La version soumise a changé depuis que vous l'avez ouverte : relisez-la avant de décider."),
        ({"verdict": "maybe", "sha256": circuit.sha256}, "Approuver ou renvoyer en rédaction."),
        ({"verdict": "approve", "sha256": circuit.sha256, "effective": "31/12/2026"},
         "Date d'effet attendue au format AAAA-MM-JJ."),
    ]
    for data, message in cases:
        page = _text(checker.post(url, data=data, follow_redirects=True))
        assert message in page, data
        assert _count(CircuitDecision) == before, data

    # The lock: only the listed durations, a number or not.
    for hours in ("5", "abc", "-4"):
        page = _text(writer.post(f"/documents/{in_force.id}/reservation", data={"hours": hours},
                                 follow_redirects=True))
        assert "Durée de réservation inconnue." in page, hours
        _db.session.expire_all()
        assert in_force.control.locked_by_id is None, hours

    # Withdrawal needs its reason.
    page = _text(login(people["approver"]).post(f"/documents/{in_force.id}/retrait", data={"comment": " "},
                                                follow_redirects=True))
    _db.session.expire_all()
    assert in_force.control.status == "in_force"
    assert "Ce champ est obligatoire." in page


@pytest.mark.parametrize("query, message", [
    ("etat=bogus", "État inconnu."), ("tri=nope", "Tri inconnu."), ("type=memo", "Type de document inconnu."),
])
def test_register_names_an_unknown_filter(space, in_force, login, query, message):
    community, people = space
    client = login(people["reader"])
    for url in (f"/espaces/{community.id}/registre?{query}", f"/registre?{query}"):
        response = client.get(url)
        assert response.status_code == 422, url
        assert message in _text(response), url
