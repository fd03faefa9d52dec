"""A protocol's life in the browser: draft, sent back once by a checker, approved, in force; a
reading confirmed by a partner and a staff member; the register exported as XLSX and PDF."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from pypdf import PdfReader

from rse.documents.controlled.models import ReadingRequirement
from tests.documents.samples import pdf_bytes

from .conftest import sign_in

pytestmark = pytest.mark.browser


def test_a_protocol_from_draft_to_in_force_then_read(app, db, live_server, open_page, step, create_user,
                                                     create_community, create_document, tmp_path):
    app.config["WTF_CSRF_ENABLED"] = True
    writer = create_user("staff", name="Claire Martin", organisation="CH Nord")
    checker = create_user("staff", name="Paul Bernard", organisation="CH Sud")
    partner = create_user("partner", name="Inès Roux", organisation="ARS")
    approver = create_user("staff", name="Dr Hélène Petit", organisation="CH Nord")
    nurse = create_user("staff", name="Julie Moreau", organisation="CH Sud")
    space = create_community(writer, name="Hygiène – protocoles GHT", members=[
        (checker, "member"), (partner, "member"), (approver, "member"), (nurse, "reader")])
    document = create_document(space, writer, title="Hygiène des mains", content=pdf_bytes("Hygiene des mains v1"),
                               control={"code": "HYG-PRO-012", "doc_type": "protocol", "writers": [writer.id],
                                        "checkers": [checker.id, partner.id], "approvers": [approver.id]})
    url = f"/documents/{document.id}"
    second = tmp_path / "hygiene-des-mains-v2.pdf"
    second.write_bytes(pdf_bytes("Hygiene des mains v2"))

    tab = open_page("writer")
    page = sign_in(tab, live_server, step, writer, "writer")
    with step(tab, "submit-v1"):
        page.goto(url)
        expect(page.locator(".control-banner")).to_contain_text("HYG-PRO-012")
        page.get_by_role("button", name="Soumettre la version 1").click()
        expect(page.locator(".control-open")).to_contain_text(re.compile("en vérification", re.I))

    checker_tab = open_page("checker")
    checker_page = sign_in(checker_tab, live_server, step, checker, "checker")
    with step(checker_tab, "send-back"):
        checker_page.goto(url)
        checker_page.get_by_label("Commentaire sur cette version").fill("L'étape 3 doit citer la friction de 30 secondes.")
        checker_page.get_by_role("button", name="Renvoyer en rédaction").click()
        expect(checker_page.locator(".control-history")).to_contain_text("renvoyée en rédaction")

    with step(tab, "new-version-and-submit"):
        page.goto(url)
        page.locator("input[type=file][name=file]").set_input_files(str(second))
        page.get_by_role("button", name="Déposer la version").click()
        page.get_by_role("button", name="Soumettre la version 2").click()
        expect(page.locator(".control-open")).to_contain_text("Version 2")

    with step(checker_tab, "check-v2"):
        checker_page.goto(url)
        checker_page.get_by_role("button", name="Valider la vérification").click()
        expect(checker_page.locator(".control-open")).to_contain_text("le circuit attend")

    partner_tab = open_page("partner")
    partner_page = sign_in(partner_tab, live_server, step, partner, "partner")
    with step(partner_tab, "partner-checks"):
        partner_page.goto(url)
        partner_page.get_by_role("button", name="Valider la vérification").click()
        expect(partner_page.locator(".control-open")).to_contain_text(re.compile("en approbation", re.I))

    approver_tab = open_page("approver")
    approver_page = sign_in(approver_tab, live_server, step, approver, "approver")
    with step(approver_tab, "approve"):
        approver_page.goto(url)
        approver_page.get_by_role("button", name="Approuver").click()
        expect(approver_page.locator(".control-banner")).to_contain_text("Version 2 en vigueur")
        expect(approver_page.locator(".control-banner")).to_contain_text("approuvée par Dr Hélène Petit")
    with step(approver_tab, "require-reading"):
        approver_page.get_by_role("link", name="Exiger la lecture").click()
        approver_page.get_by_label("Inès Roux").check()
        approver_page.get_by_label("Julie Moreau").check()
        approver_page.get_by_role("button", name="Demander la lecture").click()
        expect(approver_page.locator(".control-reading-report")).to_contain_text("0 lecture(s) confirmée(s) sur 2")

    nurse_tab = open_page("nurse")
    nurse_page = sign_in(nurse_tab, live_server, step, nurse, "nurse")
    for who_tab, who_page in ((partner_tab, partner_page), (nurse_tab, nurse_page)):
        with step(who_tab, "confirm-reading"):
            who_page.goto(url)
            expect(who_page.locator(".control-banner")).to_contain_text("Version 2 en vigueur")
            who_page.get_by_role("button", name="J'ai lu et compris").click()
            expect(who_page.locator(".alert, .flash").first).to_contain_text("votre lecture est enregistrée")

    with step(nurse_tab, "reader-sees-in-force-only"):
        nurse_page.goto(url)
        expect(nurse_page.locator(".versions-table")).to_contain_text("Version 2")
        expect(nurse_page.locator(".versions-table")).not_to_contain_text("Version 1")  # never in force
        response = nurse_page.request.get(f"{live_server.url}{url}/versions/2/contenu")
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)
        assert "HYG-PRO-012" in text and "Document non maîtrisé une fois imprimé" in text

    with step(tab, "register-export"):
        page.goto(f"/espaces/{space.id}/registre")
        expect(page.locator(".register-table")).to_contain_text("HYG-PRO-012")
        expect(page.locator(".register-table")).to_contain_text("100 %")
        with page.expect_download() as download:
            page.get_by_role("link", name="Exporter (XLSX)").click()
        assert download.value.suggested_filename.endswith(".xlsx")
        sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
        values = [cell for row in sheet.iter_rows(values_only=True) for cell in row]
        assert "HYG-PRO-012" in values and "Hygiène des mains" in values
        with page.expect_download() as download:
            page.get_by_role("link", name="Exporter (PDF)").click()
        pdf_text = "".join(p.extract_text() for p in PdfReader(download.value.path()).pages)
        assert "HYG-PRO-012" in pdf_text and "Hygiène des mains" in pdf_text

    db.session.rollback()
    confirmed = db.session.query(ReadingRequirement).filter(ReadingRequirement.confirmed_at.is_not(None)).all()
    assert sorted(r.user_id for r in confirmed) == sorted([partner.id, nurse.id])
    assert {r.confirmed_version for r in confirmed} == {2}
    assert live_server.errors == [], live_server.errors
    for t in (tab, checker_tab, partner_tab, approver_tab, nurse_tab):
        assert t.problems == [], "\n".join(t.problems)
