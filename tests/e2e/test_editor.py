"""The writing editor in real Chromium: an "@" suggestion picked from the list, a colleague outside the
space shown as such and warned about, a file dropped into the text, the preview, then the published
post with its mention link and its attached document."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.documents.samples import pdf_bytes
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.browser

NOT_TOLD = "Julien Moreau n'a pas accès à cet espace : aucune notification ne lui sera envoyée."


def test_a_post_written_with_the_editor_mentions_a_member_warns_about_an_outsider_and_attaches_a_dropped_file(
        app, db, live_server, open_page, step, create_user, create_community):
    app.config["WTF_CSRF_ENABLED"] = True
    claire = create_user("staff", email="claire.martin@ght-exemple.fr", name="Claire Martin")
    marc = create_user("partner", email="marc.rousseau@ars-exemple.fr", name="Marc Rousseau",
                       job_title="Chargé de mission")
    create_user("staff", email="julien.moreau@ght-exemple.fr", name="Julien Moreau", job_title="Acheteur")
    community = create_community(claire, name="CPOM 2026", visibility="private", members=[(marc, "member")])

    tab = open_page("writer")
    page = sign_in(tab, live_server, step, claire, "writer")
    body = page.locator("textarea[name=body]")

    with step(tab, "toolbar"):
        page.goto(f"/espaces/{community.id}/publier")
        toolbar = page.get_by_role("toolbar", name="Mise en forme du texte")
        for label in ("Gras", "Italique", "Titre", "Liste à puces", "Liste numérotée", "Lien", "Citation"):
            expect(toolbar.get_by_role("button", name=label, exact=True)).to_be_visible()
        body.fill("ordre du jour")
        body.select_text()
        toolbar.get_by_role("button", name="Gras").click()
        expect(body).to_have_value("**ordre du jour**")
        body.fill("")

    with step(tab, "pick-a-suggestion"):
        body.press_sequentially("Bonjour @mar", delay=20)
        menu = page.get_by_role("listbox", name="Personnes à mentionner")
        option = menu.get_by_role("option", name=re.compile("Marc Rousseau"))
        expect(option).to_be_visible()
        expect(option).not_to_contain_text("n'a pas accès")
        option.click()
        expect(body).to_have_value("Bonjour @marc.rousseau ")
        expect(menu).to_have_count(0)

    with step(tab, "a-non-reader-is-marked-and-warned-about"):
        body.press_sequentially("et @jul", delay=20)
        option = page.get_by_role("option", name=re.compile("Julien Moreau"))
        expect(option).to_contain_text("n'a pas accès à cet espace")
        body.press("Enter")  # the first option is chosen with the keyboard
        expect(body).to_have_value("Bonjour @marc.rousseau et @julien.moreau ")
        expect(page.locator("[data-editor-warnings]")).to_have_text(NOT_TOLD)

    with step(tab, "drop-a-file"):
        transfer = page.evaluate_handle("""(bytes) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([new Uint8Array(bytes)], "ordre-du-jour.pdf", {type: "application/pdf"}));
            return transfer;
        }""", list(pdf_bytes()))
        body.dispatch_event("drop", {"dataTransfer": transfer})
        expect(page.locator("[data-editor-status]")).to_have_text(
            "« ordre-du-jour » est déposé dans les documents de l'espace.")
        expect(body).to_have_value(re.compile(r"@julien\.moreau \[ordre-du-jour\]\(/documents/\d+\) $"))
        expect(page.get_by_label("Documents joints (facultatif)")).to_have_values([re.compile(r"\d+")])

    with step(tab, "preview"):
        page.get_by_role("tab", name="Aperçu").click()
        preview = page.get_by_role("tabpanel", name="Aperçu")
        expect(preview.get_by_role("link", name="@Marc Rousseau")).to_be_visible()
        expect(preview.get_by_role("link", name="ordre-du-jour")).to_be_visible()
        expect(preview).to_contain_text("@julien.moreau")  # not a reader: plain text, no profile link
        expect(body).to_be_hidden()
        page.get_by_role("tab", name="Écrire").click()
        expect(body).to_be_visible()

    with step(tab, "publish"):
        page.get_by_role("button", name="Publier", exact=True).click()
        expect(page).to_have_url(re.compile(r"/publications/\d+$"))
        expect(page.get_by_role("status").filter(has_text="Publication enregistrée.")).to_be_visible()
        expect(page.locator(".flashes .alert-warning")).to_contain_text(NOT_TOLD)
        post = page.locator(".prose").first
        expect(post.get_by_role("link", name="@Marc Rousseau")).to_be_visible()
        expect(post.get_by_role("link", name="ordre-du-jour")).to_be_visible()
        attachments = page.get_by_role("region", name="Documents joints")
        expect(attachments.get_by_role("link", name=re.compile("ordre-du-jour")).first).to_be_visible()
    assert tab.problems == []
    assert live_server.errors == []
