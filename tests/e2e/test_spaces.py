"""A colleague joins a space from the list of spaces; on a phone, « Mes espaces » comes before the stream."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from rse.communities import service
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.browser


def test_staff_joins_a_space_from_the_list_with_its_button(app, db, live_server, open_page, step, create_user,
                                                         create_community):
    app.config["WTF_CSRF_ENABLED"] = True
    user = create_user("staff", name="Nadia Lefèvre")
    purchasing = create_community(name="Achats", visibility="public")
    quality = create_community(name="Qualité et gestion des risques", visibility="private")

    tab = open_page("staff")
    page = sign_in(tab, live_server, step, user, "staff")
    with step(tab, "list"):
        page.goto("/espaces")
        purchasing_row = page.locator(".community-row").filter(has_text="Achats")
        quality_row = page.locator(".community-row").filter(has_text="Qualité et gestion des risques")
        expect(quality_row.get_by_role("button", name="Demander à rejoindre l'espace « Qualité et gestion des risques »")).to_be_visible()
        purchasing_row.get_by_role("button", name="Rejoindre l'espace « Achats »").click()

    with step(tab, "joined"):
        expect(page).to_have_url(f"{live_server.url}/espaces/{purchasing.id}")
        expect(page.get_by_role("status").filter(has_text="Bienvenue dans l'espace « Achats ».")).to_be_visible()
        expect(page.get_by_text("Vous êtes membre")).to_be_visible()

    with step(tab, "list-again"):
        page.goto("/espaces")
        row = page.locator(".community-row").filter(has_text="Achats")
        expect(row.locator(".join-state")).to_have_text("Membre de l'espace « Achats »")
        expect(row.get_by_role("button")).to_have_count(0)

    assert service.membership_role(user.id, purchasing.id) == "member"
    assert service.membership_role(user.id, quality.id) is None
    assert live_server.errors == [], live_server.errors
    assert tab.problems == [], "\n".join(tab.problems)


def test_on_a_phone_my_spaces_come_before_the_stream(app, db, live_server, open_page, step, create_user,
                                                   create_community, publish):
    user = create_user("staff", name="Karim Benali")
    hygiene = create_community(name="Hygiène – protocoles GHT", visibility="public", members=[(user, "member")])
    for number in range(4):
        publish(user, hygiene, body=f"Point d'étape n° {number} sur les protocoles")

    tab = open_page("staff")
    page = sign_in(tab, live_server, step, user, "staff")
    spaces = page.locator("section.home-spaces")
    stream = page.locator("section.home-stream")
    with step(tab, "phone"):
        page.set_viewport_size({"width": 390, "height": 844})
        page.reload()
        expect(spaces.get_by_role("heading", name="Mes espaces")).to_be_visible()
        expect(stream.get_by_text("Point d'étape n° 3 sur les protocoles", exact=True)).to_be_visible()
        spaces_box, stream_box = spaces.bounding_box(), stream.bounding_box()
        assert spaces_box["y"] + spaces_box["height"] <= stream_box["y"], (spaces_box, stream_box)
        assert spaces_box["y"] < 844, "« Mes espaces » is not on the first screen"
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"the page scrolls sideways by {overflow}px on a phone"

    with step(tab, "desktop"):
        page.set_viewport_size({"width": 1280, "height": 900})
        page.reload()
        spaces_box, stream_box = spaces.bounding_box(), stream.bounding_box()
        assert stream_box["x"] + stream_box["width"] <= spaces_box["x"], (spaces_box, stream_box)
        assert abs(spaces_box["y"] - stream_box["y"]) < 40, (spaces_box, stream_box)

    assert live_server.errors == [], live_server.errors
    assert tab.problems == [], "\n".join(tab.problems)
