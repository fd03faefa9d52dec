"""The header in real Chromium: the search box is a field for everyone, administrators and long
names included, at every desktop width; administration is in the administrator's account menu."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.browser

DESKTOPS = (1280, 1024, 900)  # 900 px: the narrowest width with the whole menu in the header
FIELD_MIN = 160  # below 10rem, the box folds to a round button (static/css/app.css)


def _search_box(page):
    return page.get_by_role("combobox", name=re.compile("Rechercher dans les publications"))


def test_the_search_box_keeps_its_room_for_an_administrator_with_a_long_name(live_server, open_page, step,
                                                                             create_user):
    admin = create_user("admin", email="marie-christine.delacroix@ght-exemple.fr",
                        name="Marie-Christine Delacroix-Fontaine")
    tab = open_page("admin")
    page = sign_in(tab, live_server, step, admin, "admin")
    for width in DESKTOPS:
        with step(tab, f"header-{width}"):
            page.set_viewport_size({"width": width, "height": 900})
            box = _search_box(page)
            expect(box).to_be_visible()
            assert box.bounding_box()["width"] >= FIELD_MIN, f"the search box is folded at {width} px"
            expect(box).to_have_attribute("placeholder", re.compile("^Rechercher"))
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"the header scrolls sideways by {overflow}px at {width} px"
    page.set_viewport_size({"width": 1280, "height": 900})

    with step(tab, "administration-in-the-account-menu"):
        header = page.get_by_role("banner")
        expect(header.get_by_role("navigation", name="Navigation principale")).not_to_contain_text("Administration")
        header.locator("summary.user-summary").click()
        administration = header.get_by_role("list", name="Administration")
        expect(administration.get_by_role("link")).to_have_text(["Utilisateurs", "Journal d'audit",
                                                                 "Résumés par courriel"])
        expect(header.get_by_role("link", name="Jetons d'API")).to_have_count(0)
        administration.get_by_role("link", name="Journal d'audit").click()
        expect(page).to_have_url(f"{live_server.url}/admin/journal")

    with step(tab, "phone-menu"):
        page.set_viewport_size({"width": 390, "height": 844})
        page.get_by_role("button", name="Menu").click()
        page.get_by_role("banner").locator("summary.user-summary").click()
        expect(page.get_by_role("list", name="Administration").get_by_role("link", name="Journal d'audit")
               ).to_have_attribute("aria-current", "page")
    assert tab.problems == [], "\n".join(tab.problems)
