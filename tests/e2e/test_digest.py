"""The digest preview in real Chromium, opened from the email settings: inside the site, under a banner
saying it was not sent, the email in a frame whose policy allows its inline styles and nothing else;
it reads on a phone, and its links open the site in the whole window."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from rse.communities.models import Membership
from rse.dbtypes import utcnow
from rse.feeds.publications import service as publications
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.browser

TITLE = "Nouveau protocole : précautions complémentaires contact"


def test_the_preview_shows_the_email_as_styled_and_its_links_work(
        app, db, live_server, open_page, step, create_user, create_community):
    app.config["BASE_URL"] = live_server.url  # the email's links are absolute
    reader = create_user("staff", email="sophie.durand@ght-exemple.fr", name="Sophie Durand")
    animator = create_user("staff", email="karim.benali@ght-exemple.fr", name="Karim Benali")
    community = create_community(animator, name="Hygiène – protocoles GHT", visibility="private",
                                 members=[(reader, "member")])
    db.session.execute(update(Membership).values(created_at=utcnow() - timedelta(days=30)))
    publications.publish(animator, community, {"kind": "post", "title": TITLE, "body": "Version validée par le CLIN."})
    db.session.commit()

    tab = open_page("reader")
    page = sign_in(tab, live_server, step, reader, "reader")
    with step(tab, "from-the-settings"):
        page.goto("/profil/lettre")
        page.get_by_role("link", name="Voir mon prochain résumé").click()
        expect(page).to_have_url(re.compile(r"/digest/preview$"))

    with step(tab, "preview-inside-the-site"):
        expect(page).to_have_title(re.compile("Aperçu de votre prochaine lettre"))
        expect(page.locator("header.site-header")).to_be_visible()  # the site's own header and menus
        expect(page.get_by_text("Aperçu de votre prochaine lettre — elle n'a pas été envoyée")).to_be_visible()
        expect(page.get_by_role("link", name="Retour à mes préférences de courriel")).to_be_visible()
        frame = page.frame_locator("iframe[title='Votre prochaine lettre']")
        link = frame.get_by_role("link", name=TITLE)
        expect(link).to_be_visible()
        # Styled as the email is, inside the frame: its background, the title's colour and weight.
        assert frame.locator("body").evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(242, 245, 249)"
        assert link.evaluate("a => getComputedStyle(a).fontWeight") == "700"
        # The frame is as tall as the email: the page scrolls, not a frame inside it.
        heights = page.locator("iframe.digest-preview-frame").evaluate(
            "f => [f.getBoundingClientRect().height, f.contentDocument.documentElement.scrollHeight]")
        assert heights[0] >= heights[1]
        assert tab.problems == []

    with step(tab, "phone"):
        page.set_viewport_size({"width": 390, "height": 844})
        assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0

    with step(tab, "follow-the-link"):
        link.click()  # the email's links open in the whole window, not inside the frame
        expect(page).to_have_url(re.compile(r"/publications/\d+$"))
        expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)

    with step(tab, "settings-on-a-phone"):
        page.goto("/profil/lettre")
        expect(page.get_by_role("table")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
        page.get_by_role("radio", name="Nouvelles versions : Jamais").check()
        page.get_by_role("radio", name="Chaque jour").check()
        page.get_by_role("button", name="Enregistrer").click()
        expect(page.get_by_text("Vos préférences de courriel sont enregistrées.")).to_be_visible()
        expect(page.get_by_role("radio", name="Nouvelles versions : Jamais")).to_be_checked()
    assert tab.problems == []
