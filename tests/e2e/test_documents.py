"""A member uploads a PDF through the page and reads it inside the page, on a desktop and a phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from rse.documents.models import DocumentVersion
from tests.conftest import PASSWORD
from tests.documents.samples import pdf_bytes

pytestmark = pytest.mark.browser


def test_pdf_uploaded_by_form_is_read_in_the_page(app, db, live_server, open_page, step, create_user,
                                                   create_community, tmp_path):
    app.config["WTF_CSRF_ENABLED"] = True
    member = create_user("staff", email="sophie.durand@ght-exemple.fr", name="Sophie Durand")
    community = create_community(name="Hygiène – protocoles GHT", visibility="public", members=[(member, "member")])
    pdf = tmp_path / "Précautions standard.pdf"
    pdf.write_bytes(pdf_bytes("Precautions standard", pages=3))

    tab = open_page("member")
    page = tab.page
    with step(tab, "login"):
        page.goto("/connexion")
        page.get_by_label("Adresse électronique").fill(member.email)
        page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        expect(page).to_have_url(f"{live_server.url}/")

    with step(tab, "upload"):
        page.goto(f"/espaces/{community.id}/documents")
        page.locator("input[type=file][name=file]").set_input_files(str(pdf))
        page.get_by_role("button", name="Déposer").click()
        expect(page).to_have_url(f"{live_server.url}/documents/1")
        expect(page.get_by_role("heading", level=1)).to_have_text("Précautions standard")

    with step(tab, "read-in-page"):
        viewer = page.locator("[data-pdf-url]")
        expect(viewer.locator(".pdf-page")).to_have_count(3)
        expect(viewer.locator(".pdf-page.is-rendered canvas").first).to_be_visible()
        width = viewer.locator(".pdf-page.is-rendered canvas").first.evaluate("c => c.width")
        assert width > 300, width

    with step(tab, "phone"):
        page.set_viewport_size({"width": 390, "height": 844})
        page.reload()
        expect(page.locator("[data-pdf-url] .pdf-page.is-rendered canvas").first).to_be_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"the page scrolls sideways by {overflow}px on a phone"

    db.session.rollback()
    version = db.session.scalars(select(DocumentVersion)).one()
    assert version.filename == "Précautions standard.pdf" and version.extraction == "done"
    assert live_server.errors == [], live_server.errors
    assert tab.problems == [], "\n".join(tab.problems)
