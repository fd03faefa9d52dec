"""A question asked in a shared community, in real Chromium: the partner it mentions is told,
has the same question, answers, and the asker marks the good answer; htmx does the toggles."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from rse.feeds.models import Comment, Notification, Publication, SameQuestion
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.browser

TITLE = "Faut-il joindre l'ERRD 2025 au diagnostic partagé ?"


def test_a_question_reaches_the_partner_it_mentions_and_gets_its_good_answer(
        app, db, live_server, open_page, step, create_user, create_community):
    app.config["WTF_CSRF_ENABLED"] = True
    asker = create_user("staff", email="claire.martin@ght-exemple.fr", name="Claire Martin")
    partner = create_user("partner", email="marc.rousseau@ars-exemple.fr", name="Marc Rousseau")
    community = create_community(asker, name="CPOM 2026 – EHPAD Les Tilleuls", visibility="private",
                                 members=[(partner, "member")])

    claire = open_page("asker")
    page = sign_in(claire, live_server, step, asker, "asker")
    with step(claire, "ask"):
        page.goto(f"/espaces/{community.id}/publier?type=question")
        page.locator("[name=title]").fill("Faut-il joindre l'ERRD 2025 au diagnostic partagé ?")
        page.locator("[name=body]").fill("Question pour @marc.rousseau : l'ARS l'attend-elle dès janvier ?")
        page.locator("[name=tags]").fill("CPOM, ERRD")
        page.get_by_role("button", name="Publier").click()
        expect(page).to_have_url(re.compile(r"/publications/\d+$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Faut-il joindre l'ERRD 2025 au diagnostic partagé ?")
        expect(page.get_by_role("link", name="@Marc Rousseau")).to_be_visible()
    question_url = page.url

    marc = open_page("partner")
    page = sign_in(marc, live_server, step, partner, "partner")
    with step(marc, "home-stream-and-bell"):
        expect(page.locator(".stream").get_by_role("link", name=TITLE, exact=True)).to_be_visible()
        bell = page.locator("a.header-bell")
        expect(bell).to_contain_text("1 notification non lue")
        bell.click()
        expect(page).to_have_url(f"{live_server.url}/notifications")
        page.get_by_role("link", name=re.compile("Faut-il joindre")).first.click()
        expect(page).to_have_url(question_url)
        expect(page.locator("a.header-bell")).to_contain_text("aucune non lue")

    with step(marc, "same-question-by-htmx"):
        same = page.get_by_role("button", name="J'ai la même question")
        expect(same).to_have_attribute("aria-pressed", "false")
        same.click()
        expect(page.get_by_role("button", name="J'ai la même question")).to_have_attribute("aria-pressed", "true")
        expect(page).to_have_url(question_url)  # swapped in place, no navigation

    with step(marc, "answer"):
        page.locator("form[action$='/commentaires'] [name=body]").fill(
            "Oui : l'ERRD 2025 et le dernier rapport d'activité suffisent.")
        page.get_by_role("button", name="Publier le commentaire").click()
        expect(page.get_by_text("le dernier rapport d'activité suffisent")).to_be_visible()

    page = claire.page
    with step(claire, "accept"):
        page.goto(question_url)
        page.get_by_role("button", name="Marquer comme bonne réponse").click()
        expect(page.locator("#commentaire-1 .badge-answered")).to_contain_text("Bonne réponse")
        expect(page.locator(".badge-answered", has_text="Résolue")).to_be_visible()
        page.goto(f"/espaces/{community.id}/faq")
        expect(page.get_by_text("Faut-il joindre l'ERRD 2025")).to_be_visible()

    with step(claire, "phone"):
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto("/")
        expect(page.locator(".stream").get_by_role("link", name=TITLE, exact=True)).to_be_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"the home page scrolls sideways by {overflow}px on a phone"

    db.session.rollback()
    question = db.session.scalars(select(Publication)).one()
    answer = db.session.scalars(select(Comment)).one()
    assert question.kind == "question" and question.tags == ["CPOM", "ERRD"]
    assert question.accepted_comment_id == answer.id and answer.author_id == partner.id
    assert db.session.scalars(select(SameQuestion.user_id)).all() == [partner.id]
    kinds = {(n.user_id, n.kind) for n in db.session.scalars(select(Notification))}
    assert (partner.id, "mention") in kinds and (asker.id, "comment") in kinds and (partner.id, "answer") in kinds
    assert live_server.errors == [], live_server.errors
    assert claire.problems == [], "\n".join(claire.problems)
    assert marc.problems == [], "\n".join(marc.problems)
