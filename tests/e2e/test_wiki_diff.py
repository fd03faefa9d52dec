"""A wiki page edited, then compared in real Chromium: the new version as the page reads, its
heading rendered, the word removed struck out and the word added underlined; the raw text on demand."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.browser

BODY = "## Hygiène des mains\n\nFriction **avant** chaque soin.\n\n- Retirer les bijoux\n- Ongles courts"


def test_the_comparison_shows_the_rendered_page_with_the_changed_words_marked(
        app, db, live_server, open_page, step, create_user, create_community):
    app.config["WTF_CSRF_ENABLED"] = True
    author = create_user("staff", email="claire.martin@ght-exemple.fr", name="Claire Martin")
    community = create_community(author, name="Hygiène hospitalière", visibility="private")

    tab = open_page("author")
    page = sign_in(tab, live_server, step, author, "author")
    with step(tab, "create"):
        page.goto(f"/espaces/{community.id}/publier?type=wiki")
        page.locator("[name=title]").fill("Fiche réflexe : hygiène des mains")
        page.locator("[name=body]").fill(BODY)
        page.get_by_role("button", name="Publier").click()
        expect(page).to_have_url(re.compile(r"/publications/\d+$"))
    page_url = page.url

    with step(tab, "edit"):
        page.goto(f"{page_url}/modifier")
        page.locator("[name=body]").fill(BODY.replace("**avant**", "**après**"))
        page.locator("[name=note]").fill("Après le soin aussi")
        page.get_by_role("button", name="Enregistrer").click()
        expect(page).to_have_url(page_url)

    with step(tab, "compare"):
        page.goto(f"{page_url}/diff")
        comparison = page.locator(".diff-prose")
        expect(comparison.get_by_role("heading", level=2, name="Hygiène des mains")).to_be_visible()
        expect(comparison).not_to_contain_text("##")
        expect(comparison).not_to_contain_text("**")
        removed, added = comparison.locator("del"), comparison.locator("ins")
        expect(removed).to_have_count(1)
        expect(removed).to_contain_text("avant")
        expect(added).to_have_count(1)
        expect(added).to_contain_text("après")
        # Marked by more than a colour: struck out and underlined.
        assert "line-through" in removed.evaluate("e => getComputedStyle(e).textDecorationLine")
        assert "underline" in added.evaluate("e => getComputedStyle(e).textDecorationLine")
        expect(page.locator(".diff-legend")).to_contain_text("texte ajouté")
        expect(page.get_by_text("1 passage modifié")).to_be_visible()

    with step(tab, "raw"):
        page.get_by_role("link", name="Voir le texte brut").click()
        expect(page.locator(".diff-line.diff-del")).to_contain_text("Friction **avant** chaque soin.")
        expect(page.locator(".diff-line.diff-add")).to_contain_text("Friction **après** chaque soin.")
        page.get_by_role("link", name="Texte mis en forme").click()
        expect(page.locator(".diff-prose del")).to_contain_text("avant")

    with step(tab, "phone"):
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{page_url}/diff")
        expect(page.locator(".diff-prose ins")).to_be_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"the comparison scrolls sideways by {overflow}px on a phone"
    assert tab.problems == [], "\n".join(tab.problems)
