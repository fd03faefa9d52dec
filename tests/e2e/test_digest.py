"""The digest preview in real Chromium: the email's inline styles apply (the page has a policy of
its own that allows them and nothing else), it reads on a phone, and its links lead to the site."""

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
    with step(tab, "preview"):
        page.goto("/digest/preview")
        expect(page).to_have_title(re.compile("Votre résumé Maillage"))
        link = page.get_by_role("link", name=TITLE)
        expect(link).to_be_visible()
        # Styled as the email is: the frame's background, the title's colour and weight.
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(242, 245, 249)"
        assert link.evaluate("a => getComputedStyle(a).fontWeight") == "700"
        assert tab.problems == []

    with step(tab, "phone"):
        page.set_viewport_size({"width": 390, "height": 844})
        assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0

    with step(tab, "follow-the-link"):
        link.click()
        expect(page).to_have_url(re.compile(r"/publications/\d+$"))
        expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    assert tab.problems == []
