"""The directory in real Chromium: a colleague filters by establishment, then by job, and reaches
the person shown by email and phone; the filters fit on a phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def _cards(page):
    return page.locator(".person-card h2")


def test_filter_the_directory_by_establishment_then_by_job(live_server, open_page, step, create_user):
    reader = create_user("staff", email="claire.martin@ght-exemple.fr", name="Claire Martin",
                         organisation="CH de Montbrison", site="Direction", job_title="Directrice adjointe")
    create_user("staff", email="julien.moreau@ght-exemple.fr", name="Julien Moreau", organisation="CHU de Saint-Étienne",
                site="Direction des achats", job_title="Acheteur", phone="04 77 12 71 40")
    create_user("staff", email="karim.benali@ght-exemple.fr", name="Karim Benali", organisation="CHU de Saint-Étienne",
                site="Hôpital Nord", job_title="Praticien hygiéniste", phone="04 77 12 34 56")
    create_user("staff", email="anne.forez@ght-exemple.fr", name="Anne Forez", organisation="CH du Forez",
                site="Cellule achats", job_title="Acheteur")
    tab = open_page("claire")
    page = sign_in(tab, live_server, step, reader, "claire")

    with step(tab, "establishment"):
        page.goto("/annuaire")
        expect(page.get_by_text("4 personnes")).to_be_visible()
        page.get_by_label("Établissement").select_option("CHU de Saint-Étienne")
        page.get_by_role("button", name="Filtrer").click()
        expect(_cards(page)).to_have_text(["Julien Moreau", "Karim Benali"])
        expect(page.get_by_label("Établissement")).to_have_value("CHU de Saint-Étienne")

    with step(tab, "job"):
        page.get_by_label("Fonction").select_option("Acheteur")
        page.get_by_role("button", name="Filtrer").click()
        expect(_cards(page)).to_have_text(["Julien Moreau"])
        expect(page.get_by_text("1 personne", exact=True)).to_be_visible()
        card = page.locator(".person-card")
        expect(card.get_by_role("link", name="julien.moreau@ght-exemple.fr")).to_have_attribute(
            "href", "mailto:julien.moreau@ght-exemple.fr")
        expect(card.get_by_role("link", name="04 77 12 71 40")).to_have_attribute("href", "tel:0477127140")

    with step(tab, "reset"):
        page.get_by_role("link", name="Réinitialiser").click()
        expect(_cards(page)).to_have_count(4)

    with step(tab, "phone"):
        page.set_viewport_size(PHONE)
        page.goto("/annuaire?fonction=Acheteur")
        expect(_cards(page)).to_have_text(["Anne Forez", "Julien Moreau"])
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"the directory scrolls sideways by {overflow}px on a phone"

    assert tab.problems == []
