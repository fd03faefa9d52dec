"""`flask rse demo` loads real documents through the upload service: spaces, readers, versions,
review dates, extracted text and search."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from rse.accounts.models import User
from rse.communities.models import Community
from rse.documents import service as documents
from rse.documents.blobs import open_blob
from rse.documents.models import Document, DocumentVersion
from rse.i18n import local_today
from tests.conftest import PASSWORD

# Each test loads the whole demo (people, spaces, conversations, files): about a second apiece.
pytestmark = pytest.mark.slow

PROTOCOL = "Protocole – précautions standard et gestion des excreta"
MINUTES = "Compte rendu – réunion CPOM n° 3"
PURCHASES = "Tableau des marchés groupés 2026"
FRAMING = "Note de cadrage – visite de certification HAS"


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
    assert [document.title for document in due] == [PROTOCOL]


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
    client = login(_user(db, "marc.rousseau@ars-exemple.fr"))
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
