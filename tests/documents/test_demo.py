"""`flask rse demo` loads real documents through the upload service: spaces, readers, versions,
review dates, extracted text and search; and controlled documents in each state of their life."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from rse import permissions
from rse.accounts.models import User
from rse.communities.models import Community
from rse.documents import service as documents
from rse.documents.blobs import open_blob
from rse.documents.controlled import reading
from rse.documents.controlled import service as controlled
from rse.documents.controlled.models import CircuitRole, Stage, Status
from rse.documents.models import Document, DocumentVersion
from rse.errors import NotFound
from rse.i18n import local_today
from tests.conftest import PASSWORD

# Each test loads the whole demo (people, spaces, conversations, files): about a second apiece.
pytestmark = pytest.mark.slow

PROTOCOL = "Protocole – précautions standard et gestion des excreta"
MINUTES = "Compte rendu – réunion CPOM n° 3"
PURCHASES = "Tableau des marchés groupés 2026"
FRAMING = "Note de cadrage – visite de certification HAS"
HAND_HYGIENE = "Protocole – hygiène des mains"
CONTACT = "Procédure – précautions complémentaires contact"
CLEANING = "Formulaire – traçabilité du bionettoyage des chambres"
CONTROLLED = {HAND_HYGIENE: "HYG-PRO-001", CONTACT: "HYG-PRC-002", CLEANING: "HYG-FOR-003"}

KARIM, SOPHIE, NADIA = "karim.benali@ght-exemple.fr", "sophie.durand@ght-exemple.fr", "nadia.lefevre@ght-exemple.fr"
CLAIRE, JULIEN = "claire.martin@ght-exemple.fr", "julien.moreau@ght-exemple.fr"
MARC, HELENE = "marc.rousseau@ars-exemple.fr", "helene.garnier@ehpad-tilleuls.fr"


@pytest.fixture
def demo(runner, db):
    result = runner.invoke(args=["rse", "demo", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    db.session.rollback()
    return {document.title: document for document in db.session.scalars(select(Document))}


def _user(db, email: str) -> User:
    return db.session.scalars(select(User).where(User.email == email)).one()


def _versions(db, document: Document) -> list[DocumentVersion]:
    return list(db.session.scalars(select(DocumentVersion).where(DocumentVersion.document_id == document.id)
                                   .order_by(DocumentVersion.number)))


def _pdf_pages(version: DocumentVersion) -> int:
    content = b"".join(open_blob(version.blob))
    return len(PdfReader(io.BytesIO(content)).pages)


def test_the_demo_loads_each_document_in_its_space(demo):
    spaces = {title: document.community.name for title, document in demo.items()}
    assert spaces == {
        PROTOCOL: "Hygiène – protocoles GHT",
        MINUTES: "CPOM 2026 – EHPAD Les Tilleuls",
        PURCHASES: "Achats",
        FRAMING: "Qualité et gestion des risques",
        HAND_HYGIENE: "Hygiène – protocoles GHT",
        CONTACT: "Hygiène – protocoles GHT",
        CLEANING: "Hygiène – protocoles GHT",
    }


def test_the_protocol_has_two_versions_and_is_due_for_review(demo, db):
    protocol = demo[PROTOCOL]
    versions = _versions(db, protocol)
    assert [v.number for v in versions] == [1, 2] and protocol.current_number == 2
    assert versions[0].author.email == "karim.benali@ght-exemple.fr"
    assert versions[1].author.email == "sophie.durand@ght-exemple.fr"
    assert "douchette est proscrite" in versions[1].note
    assert "douchette autorisé" in versions[0].extracted_text
    assert "douchette est proscrite" in versions[1].extracted_text
    assert local_today() < protocol.review_by <= local_today() + timedelta(days=30)
    hygiene = protocol.community
    due = documents.due_for_review(_user(db, "sophie.durand@ght-exemple.fr"), hygiene)
    assert [document.title for document in due] == [CLEANING, PROTOCOL]  # the controlled form is past its date


def test_the_pdfs_have_several_pages(demo, db):
    for title in (PROTOCOL, MINUTES):
        for version in _versions(db, demo[title]):
            assert 2 <= _pdf_pages(version) <= 4, title


def test_every_document_is_extracted_and_has_a_thumbnail_where_one_is_made(demo, db):
    texts = {title: documents.current_version(document) for title, document in demo.items()}
    assert {title: version.extraction for title, version in texts.items()} == dict.fromkeys(demo, "done")
    assert "Relevé de décisions" in texts[MINUTES].extracted_text
    assert "Gants d'examen nitrile" in texts[PURCHASES].extracted_text
    assert "MedSupply France" in texts[PURCHASES].extracted_text
    assert "patient traceur" in texts[FRAMING].extracted_text
    assert texts[PROTOCOL].thumbnail_key is not None


def test_a_cpom_partner_reads_the_minutes_but_not_the_protocol(demo, login, db):
    client = login(_user(db, HELENE))  # the ARS partner reads the hygiene space too: he checks a procedure
    minutes = client.get(f"/documents/{demo[MINUTES].id}")
    assert minutes.status_code == 200 and "Compte rendu" in minutes.get_data(as_text=True)
    protocol = client.get(f"/documents/{demo[PROTOCOL].id}")
    assert protocol.status_code == 404 and "excreta" not in protocol.get_data(as_text=True)
    found = client.get("/recherche?q=excreta").get_data(as_text=True)
    assert "Protocole" not in found


def test_a_staff_member_outside_cpom_does_not_read_the_minutes(demo, login, db):
    client = login(_user(db, "julien.moreau@ght-exemple.fr"))
    assert client.get(f"/documents/{demo[MINUTES].id}").status_code == 404
    assert "Tableau des marchés" in client.get(f"/documents/{demo[PURCHASES].id}").get_data(as_text=True)


def test_search_finds_words_inside_the_demo_files(demo, login, db):
    hygienist = login(_user(db, "sophie.durand@ght-exemple.fr"))
    page = hygienist.get("/recherche?q=douchette").get_data(as_text=True)
    assert "précautions standard et gestion des excreta" in page
    partner = login(_user(db, "helene.garnier@ehpad-tilleuls.fr"))
    assert "réunion CPOM n° 3" in partner.get("/recherche?q=avenant").get_data(as_text=True)


def test_the_demo_documents_show_in_the_space_documents_page(demo, login, db):
    hygiene = db.session.scalars(select(Community).where(Community.name == "Hygiène – protocoles GHT")).one()
    page = login(_user(db, "nadia.lefevre@ght-exemple.fr")).get(f"/espaces/{hygiene.id}/documents")
    text = page.get_data(as_text=True)
    assert PROTOCOL in text and "À réviser" in text


# --- Controlled documents ----------------------------------------------------------------------

def _decisions(db, document: Document) -> list[tuple[int, str, str, str]]:
    """(version, stage, who, verdict) of every decision on the document, circuit by circuit."""
    return [(decision.version_number, decision.stage, decision.user.email, decision.verdict)
            for circuit, decisions in reversed(controlled.circuits(_user(db, "admin@ght-exemple.fr"), document))
            for decision in decisions]


def test_the_demo_has_a_protocol_in_force_whose_next_version_is_being_written(demo, db):
    protocol = demo[HAND_HYGIENE]
    control = protocol.control
    assert control.code == "HYG-PRO-001" and control.doc_type == "protocol"
    state = controlled.state(protocol)
    assert (state.status, state.stage, state.overdue) == (Status.IN_FORCE, None, False)
    assert control.in_force_number == 2 and protocol.current_number == 2
    assert [v.number for v in _versions(db, protocol)] == [1, 2, 3]
    # Version 1 was in force before version 2: archived, still among the published ones.
    assert {c.version_number: c.stage for c, _d in controlled.circuits(_user(db, KARIM), protocol)} == {
        1: Stage.APPROVED, 2: Stage.APPROVED}
    assert control.effective_date < local_today() < protocol.review_by
    # Version 3 is being written: « en modification » by its writer, for everyone to see.
    assert control.lock_holder(control.lock_expires_at - timedelta(seconds=1)) == _user(db, SOPHIE).id
    assert control.people(CircuitRole.WRITER) == {_user(db, SOPHIE).id}
    assert [u.email for u in controlled.approvers_of(protocol, 2)] == [KARIM]


def test_the_demo_has_a_procedure_in_approval_checked_by_two_with_a_partner(demo, db):
    procedure = demo[CONTACT]
    state = controlled.state(procedure)
    assert (state.status, state.stage) == (Status.DRAFT, Stage.APPROVAL)
    assert procedure.control.approval_rule == "all"
    assert procedure.control.people(CircuitRole.CHECKER) == {_user(db, NADIA).id, _user(db, MARC).id}
    assert _user(db, MARC).is_partner
    assert _decisions(db, procedure) == [
        (1, "checking", NADIA, "approve"), (1, "checking", MARC, "return"),  # sent back once, kept
        (2, "checking", NADIA, "approve"), (2, "checking", MARC, "approve"),
        (2, "approval", KARIM, "approve")]  # Claire, the second approver, has not decided yet
    assert procedure.control.people(CircuitRole.APPROVER) == {_user(db, KARIM).id, _user(db, CLAIRE).id}


def test_the_demo_has_a_form_past_its_review_date(demo, db):
    form = demo[CLEANING]
    state = controlled.state(form)
    assert (state.status, state.overdue) == (Status.IN_FORCE, True)
    assert form.control.effective_date < form.review_by < local_today()
    assert controlled.state(demo[HAND_HYGIENE]).overdue is False  # the others are not


def test_the_reading_campaign_is_half_done_with_rates_that_differ_per_establishment(demo, db):
    protocol = demo[HAND_HYGIENE]
    report = reading.report(_user(db, SOPHIE), protocol)
    assert (report.overall.done, report.overall.total) == (3, 6)
    rates = {rate.label: (rate.done, rate.total) for rate in report.establishments}
    assert rates == {"ARS Auvergne-Rhône-Alpes": (1, 1), "CH de Montbrison": (0, 1), "CH de Roanne": (1, 1),
                     "CH du Forez": (0, 1), "CHU de Saint-Étienne": (1, 2)}
    assert [(rate.label, rate.done, rate.total) for rate in report.communities] == [
        ("Hygiène – protocoles GHT", 3, 4)]
    assert [document.title for document in reading.pending(_user(db, JULIEN))] == [HAND_HYGIENE]
    assert reading.pending(_user(db, MARC)) == []  # the partner confirmed


def test_each_version_s_pdf_names_its_code_and_version_and_differs(demo, db):
    for title, code in CONTROLLED.items():
        texts = [version.extracted_text for version in _versions(db, demo[title])]
        assert len(set(texts)) == len(texts), title
        for number, text in enumerate(texts, start=1):
            assert code in text and f"version {number}" in text, (title, number)


def test_a_reader_outside_the_circuits_sees_the_versions_in_force_only(demo, login, db):
    julien = _user(db, JULIEN)
    protocol, procedure, form = demo[HAND_HYGIENE], demo[CONTACT], demo[CLEANING]
    for document in (protocol, procedure, form):
        assert julien.id not in document.control.circuit
    # The version in force and the one it replaced; not the draft being written.
    assert [v.number for v in documents.list_versions(julien, protocol)] == [2, 1]
    with pytest.raises(NotFound):
        documents.get_version(julien, protocol, 3)
    assert [v.number for v in documents.list_versions(julien, form)] == [1]
    # A document never in force does not exist for him.
    assert permissions.decide(julien, "read", procedure) is permissions.Decision.HIDDEN
    client = login(julien)
    page = client.get(f"/documents/{procedure.id}")
    assert page.status_code == 404 and "BHRe" not in page.get_data(as_text=True)
    page = client.get(f"/documents/{protocol.id}").get_data(as_text=True)
    assert "hygiène des mains" in page and "suivi annuel de l'observance" not in page
    assert "Procédure – précautions" not in client.get("/recherche?q=pictogramme").get_data(as_text=True)
    # Those in the circuit see the drafts.
    assert [v.number for v in documents.list_versions(_user(db, NADIA), protocol)] == [3, 2, 1]
    assert permissions.can(_user(db, MARC), "read", procedure)
