"""The accessibility check that every browser test runs (tests/e2e/conftest.py) finds what it
should, says it readably, and the search page passes it in every theme."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from rse.accounts.models import BACKGROUNDS, THEMES, User
from rse.feeds.publications import service as publications
from tests.e2e.conftest import AXE_VIEWPORTS, sign_in

pytestmark = pytest.mark.browser

BROKEN = """<!doctype html><html lang="fr"><head><title>Page cassée</title></head><body>
<main><h1>Page cassée</h1><img src="/static/img/icon.svg" class="logo-sans-alt">
<nav></nav><nav></nav></main></body></html>"""
FRAMED = """<!doctype html><html lang="fr"><head><title>Page avec un cadre</title></head><body>
<main><h1>Aperçu</h1><iframe title="Aperçu" srcdoc="<html lang=fr><title>Cadre</title><img src=x.png>"></iframe>
</main></body></html>"""
FINE = """<!doctype html><html lang="fr"><head><title>Page correcte</title></head><body>
<main><h1>Page correcte</h1><img src="/static/img/icon.svg" alt="Maillage"></main></body></html>"""


def _serve(page, live_server, path: str, html: str):
    page.route(f"{live_server.url}{path}", lambda route: route.fulfill(body=html, content_type="text/html"))


def test_the_check_reports_each_broken_rule_with_its_element_page_and_width(live_server, open_page, step,
                                                                            accessibility):
    tab = open_page("visitor")
    page = tab.page
    _serve(page, live_server, "/cassee", BROKEN)
    _serve(page, live_server, "/cadre", FRAMED)
    _serve(page, live_server, "/correcte", FINE)
    page.goto("/correcte")
    assert accessibility.violations(page) == []

    page.goto("/cassee")
    assert {v["id"] for v in accessibility.violations(page)} == {"image-alt", "landmark-unique"}
    page.goto("/cadre")  # what a frame holds is checked too
    failures = accessibility.check(tab, "framed-page")
    assert len(failures) == len(AXE_VIEWPORTS)
    assert "- image-alt (critical)" in failures[0] and "    at iframe >>> img\n" in failures[0]

    with pytest.raises(AssertionError) as failed, step(tab, "broken-page"):
        page.goto("/cassee")
    message = str(failed.value)
    for width in AXE_VIEWPORTS:
        assert (f"[visitor: broken-page] axe-core: 2 accessibility rule(s) broken by 2 element(s) (WCAG 2.1 A/AA) "
                f"at {live_server.url}/cassee, {width} px wide:") in message
    assert "- image-alt (critical): Images must have alternative text — 1 element(s)" in message
    assert '<img src="/static/img/icon.svg" class="logo-sans-alt">' in message  # the element itself
    assert "- landmark-unique (moderate)" in message
    assert "test-artifacts/" in message and "broken-page-axe-390px.png" in message
    assert page.viewport_size == {"width": 1280, "height": 900}  # put back as the test had it


def test_pages_left_without_a_step_are_checked_when_the_test_ends(live_server, open_page, step, accessibility):
    tab = open_page("visitor")
    page = tab.page
    _serve(page, live_server, "/cassee", BROKEN)
    _serve(page, live_server, "/correcte", FINE)
    with step(tab, "through-a-broken-page"):
        page.goto("/cassee")  # not where the step ends: only the page it ends on is checked now
        page.goto("/correcte")
    # What the fixture does when the test ends: the broken page is loaded again and checked.
    failures = accessibility.revisit(tab)
    assert len(failures) == len(AXE_VIEWPORTS)
    assert "[visitor: revisit /cassee] axe-core: 2 accessibility rule(s)" in failures[0]
    assert accessibility.revisit(tab) == []  # once


@pytest.mark.parametrize("theme", THEMES)
def test_search_counts_are_readable_in_every_theme(app, db, live_server, open_page, step, create_user,
                                                   create_community, theme):
    """The kinds without results (« Personnes (0) ») are muted, not faded below 4.5:1."""
    background = BACKGROUNDS[THEMES.index(theme) % len(BACKGROUNDS)]
    reader = create_user("staff", email="sophie.durand@ght-exemple.fr", name="Sophie Durand")
    space = create_community(reader, name="Hygiène – protocoles GHT", visibility="private")
    publications.publish(reader, space, {"kind": "post", "title": "Bionettoyage des chambres",
                                         "body": "Le protocole de bionettoyage change au 1er janvier."})
    db.session.execute(update(User).where(User.id == reader.id).values(theme=theme, background=background))
    db.session.commit()

    tab = open_page(theme)
    page = sign_in(tab, live_server, step, reader, theme)
    with step(tab, f"search-{theme}-{background}"):  # the step's check runs axe at both widths
        page.goto("/recherche?q=bionettoyage")
        expect(page.locator("body")).to_have_class(re.compile(rf"\btheme-{theme} bg-{background}\b"))
        kinds = page.get_by_role("navigation", name="Types de résultats")
        expect(kinds.locator(".is-empty", has_text="Personnes")).to_contain_text("(0)")
        expect(kinds.get_by_role("link", name="Publications (1)")).to_be_visible()
    assert tab.problems == [], "\n".join(tab.problems)
