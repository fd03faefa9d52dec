"""Mandatory reading and review in real Chromium: « À lire et confirmer » on a reader's home page
and in their digest preview, « Révision dépassée » in the space's documents; gone once confirmed."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from rse.documents.controlled import reading
from rse.i18n import local_today
from tests.documents.controlled_world import bring_into_force, control
from tests.documents.samples import pdf_bytes
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.browser

TITLE = "Hygiène des mains : friction hydro-alcoolique avant et après chaque soin"


def test_a_reader_sees_what_to_read_on_the_home_page_and_in_the_digest_until_confirmed(
        app, db, live_server, open_page, step, create_user, create_community, create_document):
    app.config["BASE_URL"] = live_server.url
    writer = create_user("staff", name="Karim Benali")
    approver = create_user("staff", name="Claire Moreau-Lefebvre")
    reader = create_user("staff", name="Sophie Durand")
    space = create_community(writer, name="Hygiène – protocoles GHT", members=[(approver, "member"),
                                                                               (reader, "member")])
    document = create_document(space, writer, title=TITLE, content=pdf_bytes("Friction"),
                               control=control("HYG-PRO-012", [writer], [], [approver]))
    bring_into_force(document)
    document.review_by = local_today()
    reading.require_reading(approver, document, {"people": [reader.id]})
    db.session.commit()

    tab = open_page("reader")
    page = sign_in(tab, live_server, step, reader, "reader")
    block = page.get_by_role("region", name="À lire et confirmer")
    with step(tab, "home-reading-to-confirm"):
        expect(block).to_be_visible()
        expect(block.get_by_role("link", name=TITLE)).to_be_visible()
        expect(block).to_contain_text("HYG-PRO-012 · version 1 · demandée par Claire Moreau-Lefebvre le")
    with step(tab, "home-phone"):
        page.set_viewport_size({"width": 390, "height": 844})
        expect(block.get_by_role("link", name=TITLE)).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.set_viewport_size({"width": 1280, "height": 900})
    with step(tab, "digest-preview"):
        page.goto("/digest/preview")
        frame = page.frame_locator("iframe[title='Votre prochaine lettre']")
        expect(frame.get_by_role("heading", name="À lire et confirmer")).to_be_visible()
        expect(frame.get_by_role("link", name=TITLE)).to_be_visible()
    with step(tab, "documents-review-passed"):
        page.goto(f"/espaces/{space.id}/documents")
        row = page.locator("li.doc-row", has=page.get_by_role("link", name=TITLE))
        expect(row).to_contain_text("Révision dépassée")
    with step(tab, "home-after-confirming"):
        reading.confirm(reader, document)
        db.session.commit()
        page.goto("/")
        expect(page.get_by_role("heading", name=re.compile("Bonjour"))).to_be_visible()
        expect(block).to_have_count(0)
