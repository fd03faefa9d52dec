"""Search in real Chromium: the header's box suggests a space, a person, a tag and contents and is
driven by the keyboard; the results page shows the marked words, the counts per kind, the kind tabs and
"Voir plus"; a partner finds nothing of a space they are not in, not even its name."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from rse.database import db
from rse.feeds.publications import service as publications
from tests.documents.samples import pdf_bytes
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.browser

DOCUMENTS = 22  # more than a page of results (20)
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def _type_in_header_box(page, text: str):
    box = page.get_by_role("combobox", name=re.compile("Rechercher dans les publications"))
    box.click()
    box.fill("")
    box.press_sequentially(text, delay=40)
    return box


@pytest.fixture
def hygiene(create_user, create_community, create_document):
    """A staff-only space about hygiene, a publication, enough documents for two pages, and a partner
    who shares another space with its animator."""
    staff = create_user("staff", email="claire.martin@ght-exemple.fr", name="Claire Martin")
    create_user("staff", email="paul.hygonnet@ght-exemple.fr", name="Paul Hygonnet")
    partner = create_user("partner", email="marc.rousseau@ars-exemple.fr", name="Marc Rousseau")
    space = create_community(staff, name="Hygiène hospitalière", visibility="private",
                             description="Les protocoles de l'équipe opérationnelle d'hygiène.")
    create_community(staff, name="CPOM 2026 – EHPAD Les Tilleuls", visibility="private",
                     members=[(partner, "member")])
    publication = publications.publish(staff, space, {
        "kind": "announcement", "title": "Protocole de bionettoyage des chambres",
        "body": "Le nouveau protocole de bionettoyage remplace les protocoles de chaque site.",
        "tags": "hygiène, protocole",
    })
    db.session.commit()
    for number in range(1, DOCUMENTS + 1):
        create_document(space, staff, content=pdf_bytes(f"Fiche reflexe {number}"), filename=f"fiche-{number}.pdf",
                        title=f"Fiche réflexe n°{number}",
                        description=f"Annexe {number} des protocoles du service.")
    return staff, partner, space, publication


def test_search_from_the_header_box_to_the_second_page_of_documents(
        app, live_server, open_page, step, hygiene, tmp_path):
    app.config["WTF_CSRF_ENABLED"] = True
    staff, partner, space, publication = hygiene

    claire = open_page("staff")
    page = sign_in(claire, live_server, step, staff, "staff")
    with step(claire, "suggestions"):
        box = _type_in_header_box(page, "hyg")
        expect(box).to_have_attribute("aria-expanded", "true")
        listbox = page.get_by_role("listbox", name="Suggestions")
        expect(listbox.get_by_role("option", name="Hygiène hospitalière", exact=True)).to_be_visible()
        expect(listbox.get_by_role("option", name="Paul Hygonnet")).to_be_visible()
        expect(listbox.get_by_role("option", name=re.compile(r"^hygiène"))).to_be_visible()
        page.screenshot(path=str(tmp_path / "suggestions-1280.png"))

    with step(claire, "keyboard-opens-the-space"):
        box.press("ArrowDown")
        first = listbox.get_by_role("option").first
        expect(first).to_have_attribute("aria-selected", "true")
        expect(box).to_have_attribute("aria-activedescendant", first.get_attribute("id"))
        expect(first).to_have_accessible_name("Hygiène hospitalière")
        box.press("ArrowUp")  # back to the field, then down again
        expect(box).not_to_have_attribute("aria-activedescendant", re.compile(".+"))
        box.press("ArrowDown")
        box.press("Enter")
        expect(page).to_have_url(f"{live_server.url}/espaces/{space.id}")

    with step(claire, "escape-closes-the-list"):
        box = _type_in_header_box(page, "hyg")
        expect(box).to_have_attribute("aria-expanded", "true")
        box.press("Escape")
        expect(box).to_have_attribute("aria-expanded", "false")
        expect(page.locator("#header-search-popup")).to_be_hidden()
        expect(box).to_have_value("hyg")

    with step(claire, "keyboard-opens-a-content"):
        box = _type_in_header_box(page, "bionet")
        contents = listbox.get_by_role("group", name="Contenus")
        option = contents.get_by_role("option", name=re.compile("^Protocole de bionettoyage des chambres"))
        expect(option).to_be_visible()
        expect(option).to_contain_text("Annonce")
        expect(option).to_contain_text("Hygiène hospitalière")
        box.press("ArrowDown")
        expect(box).to_have_attribute("aria-activedescendant", option.get_attribute("id"))
        box.press("Enter")
        expect(page).to_have_url(f"{live_server.url}/publications/{publication.id}")

    with step(claire, "results"):
        box = _type_in_header_box(page, "protocoles")
        box.press("Enter")
        expect(page).to_have_url(re.compile(r"/recherche\?q=protocoles$"))
        results = page.locator("ol.search-results")
        title = results.get_by_role("link", name="Protocole de bionettoyage des chambres")
        expect(title).to_be_visible()
        expect(title.locator("mark")).to_have_text("Protocole")
        kinds = page.get_by_role("navigation", name="Types de résultats")
        expect(kinds.get_by_role("link", name=f"Tout ({DOCUMENTS + 2})")).to_have_attribute("aria-current", "page")
        expect(kinds.get_by_role("link", name="Publications (1)")).to_be_visible()
        expect(kinds.get_by_role("link", name="Espaces (1)")).to_be_visible()
        expect(kinds.locator(".is-empty", has_text="Personnes")).to_contain_text("(0)")  # shown, not a link
        expect(kinds.get_by_role("link", name=re.compile("^Personnes"))).to_have_count(0)
        page.screenshot(path=str(tmp_path / "results-1280.png"), full_page=True)

    with step(claire, "documents-tab"):
        kinds.get_by_role("link", name=f"Documents ({DOCUMENTS})").click()
        expect(page).to_have_url(re.compile(r"kind=document"))
        expect(page.locator(".search-total")).to_contain_text(f"{DOCUMENTS} résultats")
        hits = results.locator("article.search-hit")
        expect(hits).to_have_count(20)
        expect(results.locator("article.search-hit:not(.search-hit-document)")).to_have_count(0)

    with step(claire, "voir-plus"):
        url = page.url
        page.get_by_role("link", name="Voir plus").click()
        expect(hits).to_have_count(DOCUMENTS)
        expect(page.get_by_role("link", name="Voir plus")).to_have_count(0)
        expect(page).to_have_url(url)  # appended in place
        titles = hits.locator("h3").all_inner_texts()
        assert len(set(titles)) == DOCUMENTS, titles  # no overlap, no gap
        expect(results.locator("li").nth(20)).to_be_focused()

    with step(claire, "phone"):
        page.set_viewport_size(PHONE)
        page.reload()
        expect(hits).to_have_count(20)
        assert _overflow(page) <= 0, f"the results scroll sideways by {_overflow(page)}px on a phone"
        page.screenshot(path=str(tmp_path / "results-390.png"), full_page=True)
        page.goto(f"/espaces/{space.id}")
        box = _type_in_header_box(page, "hyg")
        expect(page.get_by_role("option", name="Hygiène hospitalière", exact=True)).to_be_visible()
        assert _overflow(page) <= 0, f"the header scrolls sideways by {_overflow(page)}px on a phone"
        expect(page.locator("button[data-menu-toggle]")).to_be_visible()
        expect(page.locator("a.header-bell")).to_be_visible()
        page.screenshot(path=str(tmp_path / "suggestions-390.png"))

    marc = open_page("partner")
    page = sign_in(marc, live_server, step, partner, "partner")
    with step(marc, "partner-suggestions"):
        box = _type_in_header_box(page, "hyg")
        expect(box).to_have_attribute("aria-expanded", "true")
        popup = page.locator("#header-search-popup")
        expect(popup).to_contain_text("Rechercher « hyg » partout")
        expect(popup).not_to_contain_text("Hygiène hospitalière")
        expect(page.get_by_role("option")).to_have_count(0)
        box = _type_in_header_box(page, "bionet")  # a title that matches, in a space the partner is not in
        expect(popup).to_contain_text("Rechercher « bionet » partout")
        expect(popup).not_to_contain_text("Protocole")
        expect(page.get_by_role("option")).to_have_count(0)

    with step(marc, "partner-results"):
        box = _type_in_header_box(page, "bionettoyage")
        box.press("Enter")
        expect(page).to_have_url(re.compile(r"/recherche\?q=bionettoyage$"))
        expect(page.get_by_role("heading", name="Aucun résultat pour « bionettoyage »")).to_be_visible()
        expect(page.locator("ol.search-results")).to_have_count(0)
        page.set_viewport_size(PHONE)
        page.reload()
        assert _overflow(page) <= 0, f"the empty results scroll sideways by {_overflow(page)}px on a phone"
        page.set_viewport_size(DESKTOP)

    assert live_server.errors == [], live_server.errors
    assert claire.problems == [], "\n".join(claire.problems)
    assert marc.problems == [], "\n".join(marc.problems)
    assert {p.name for p in tmp_path.glob("*.png")} == {
        "suggestions-1280.png", "results-1280.png", "results-390.png", "suggestions-390.png"}
