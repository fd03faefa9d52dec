"""An administrator invites an outside partner into a private community, in a real browser.

The whole path a person takes, with CSRF protection on and the email going through a real
SMTP server: log in, create the community, invite by the form, follow the link from the
email in another browser (the partner is not logged in), create the account, land in the
community, and see only that community in the list.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import select

from rse.accounts.models import User
from rse.communities import service
from rse.communities.models import Community, Invitation
from tests.conftest import PASSWORD

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture then skips, or fails under RSE_REQUIRE_SERVICES=1
    expect = None

pytestmark = pytest.mark.browser

PARTNER_EMAIL = "marc.rousseau@ars-exemple.fr"
PARTNER_NAME = "Marc Rousseau"
PARTNER_PASSWORD = "trois pommes vertes sur la table"
COMMUNITY = "Négociation CPOM 2026"
INVITATION_LINK = re.compile(r"https?://[^\s<>\"]+/invitations/[^\s<>\"]+")


def _on_live_server(link: str, live_url: str) -> str:
    """The link from the email, on the test server's origin instead of RSE_BASE_URL's."""
    parts, live = urlsplit(link), urlsplit(live_url)
    return urlunsplit((live.scheme, live.netloc, parts.path, parts.query, parts.fragment))


def test_partner_invited_by_email_joins_the_private_community_and_sees_only_it(
        app, db, live_server, open_page, step, smtp_server, create_user, create_community):
    app.config["WTF_CSRF_ENABLED"] = True
    smtp_server.clear()
    app.config["MAIL_URL"] = smtp_server.url
    admin = create_user("admin", email="camille.martin@ght-exemple.fr", name="Camille Martin")
    # Communities the partner must never see: public (open to every agent), private, secret.
    others = [create_community(name="Achats du groupement", visibility="public"),
              create_community(name="Qualité et gestion des risques", visibility="private"),
              create_community(name="Direction – dossiers réservés", visibility="secret")]

    # 1. The administrator logs in through the form.
    admin_tab = open_page("admin")
    page = admin_tab.page
    with step(admin_tab, "login"):
        page.goto("/connexion")
        page.get_by_label("Adresse électronique").fill(admin.email)
        page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        expect(page).to_have_url(f"{live_server.url}/")
        account_menu = page.get_by_role("banner").locator("summary.user-summary")
        account_menu.click()  # signed in, as an administrator: the account menu has the administration
        expect(page.get_by_role("list", name="Administration").get_by_role("link", name="Utilisateurs")).to_be_visible()
        account_menu.click()

    # CSRF protection is really on: the same session posting without the form's token is refused.
    with step(admin_tab, "csrf-on"):
        forged = page.request.post("/espaces/nouveau", form={"name": "Sans jeton", "visibility": "public"},
                                   max_redirects=0)
        assert forged.status == 400, forged.status
        assert db.session.scalars(select(Community).where(Community.name == "Sans jeton")).first() is None

    # 2. … creates a private community through the "new community" form.
    with step(admin_tab, "create-community"):
        page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Espaces").click()
        expect(page).to_have_url(f"{live_server.url}/espaces")
        page.get_by_role("link", name="Créer un espace").click()
        expect(page.get_by_role("heading", level=1, name="Créer un espace")).to_be_visible()
        page.get_by_label("Nom de l'espace").fill(COMMUNITY)
        page.get_by_label("Description").fill("Préparation du contrat pluriannuel avec l'ARS.")
        page.get_by_role("radio", name="Privé").check()
        page.get_by_role("button", name="Créer l'espace").click()
        expect(page).to_have_url(re.compile(rf"^{re.escape(live_server.url)}/espaces/\d+/membres$"))
        expect(page.get_by_text("Espace créé. Invitez maintenant ses membres.")).to_be_visible()
    community_id = int(re.search(r"/espaces/(\d+)/membres$", page.url).group(1))
    community = db.session.get(Community, community_id)
    assert community is not None and community.name == COMMUNITY and community.visibility == "private"

    # 3. On the members page, invites the partner by the form.
    with step(admin_tab, "invite"):
        invite = page.get_by_role("region", name="Inviter une personne")
        invite.get_by_label("Adresse électronique").fill(PARTNER_EMAIL)
        invite.get_by_label("Rôle", exact=True).select_option(label="Membre")
        invite.get_by_role("button", name="Inviter").click()
        expect(page).to_have_url(f"{live_server.url}/espaces/{community_id}/membres")
        expect(page.get_by_text(f"Invitation envoyée à {PARTNER_EMAIL}.")).to_be_visible()
        expect(page.get_by_role("region", name="Invitations en attente")
               .get_by_text(PARTNER_EMAIL, exact=True)).to_be_visible()

    # 4. The email arrives through SMTP; its text part carries the absolute link.
    messages = smtp_server.wait_for(1, timeout=5)
    assert len(messages) == 1, [m["To"] for m in messages]
    [message] = messages
    assert message["To"] == PARTNER_EMAIL
    assert COMMUNITY in message["Subject"]
    text = message.get_body(preferencelist=("plain",)).get_content()
    links = INVITATION_LINK.findall(text)
    assert len(links) == 1, text
    assert links[0].startswith("http://maillage.test/invitations/"), links[0]  # built from RSE_BASE_URL
    html = message.get_body(preferencelist=("html",)).get_content()
    assert links[0] in html.replace("&amp;", "&"), "the HTML part links elsewhere than the text part"
    link = _on_live_server(links[0], live_server.url)

    # 5. The partner, in another browser context (not logged in), opens it and creates the account.
    partner_tab = open_page("partner")
    partner = partner_tab.page
    with step(partner_tab, "accept-invitation"):
        partner.goto(link)
        expect(partner.get_by_role("heading", level=1, name=f"Rejoindre « {COMMUNITY} »")).to_be_visible()
        expect(partner.get_by_text("Camille Martin vous invite à rejoindre cet espace en tant que membre.")).to_be_visible()
        expect(partner.get_by_label("Adresse électronique")).to_have_value(PARTNER_EMAIL)
        partner.get_by_label("Nom et prénom").fill(PARTNER_NAME)
        partner.get_by_label("Mot de passe (12 caractères au moins)").fill(PARTNER_PASSWORD)
        partner.get_by_label("Confirmez le mot de passe").fill(PARTNER_PASSWORD)
        partner.get_by_role("button", name="Créer mon compte et rejoindre").click()

    # 6. … and lands on the community's page, welcomed.
    with step(partner_tab, "community-page"):
        expect(partner).to_have_url(f"{live_server.url}/espaces/{community_id}")
        expect(partner.get_by_role("heading", level=1, name=COMMUNITY)).to_be_visible()
        expect(partner.get_by_role("status").filter(has_text=f"Bienvenue sur Maillage, {PARTNER_NAME}.")).to_be_visible()
        expect(partner.get_by_text("Vous êtes membre")).to_be_visible()
        header = partner.get_by_role("banner")
        expect(header.get_by_text(PARTNER_NAME, exact=True).first).to_be_visible()  # signed in, as the partner
        expect(header.get_by_text("Administration", exact=True)).to_have_count(0)

    # 7. The list of communities shows that one only, though others exist (even a public one).
    with step(partner_tab, "communities-list"):
        partner.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Espaces").click()
        expect(partner).to_have_url(f"{live_server.url}/espaces")
        expect(partner.get_by_text("1 espace", exact=True)).to_be_visible()
        listed = partner.get_by_role("main").get_by_role("heading", level=2)
        expect(listed).to_have_count(1)
        expect(listed).to_have_text(COMMUNITY)
        expect(listed.get_by_role("link")).to_have_attribute("href", f"/espaces/{community_id}")
        content = partner.content()
        for other in others:
            assert other.name not in content, f"the partner sees {other.name!r}"
        expect(partner.get_by_role("link", name="Créer un espace")).to_have_count(0)

    # The account is a partner's, a member of that community only; the invitation is used.
    db.session.rollback()  # see what the server's requests committed
    user = db.session.scalars(select(User).where(User.email == PARTNER_EMAIL)).one()
    assert user.role == "partner"
    assert user.name == PARTNER_NAME
    assert service.membership_role(user.id, community_id) == "member"
    assert all(service.membership_role(user.id, other.id) is None for other in others)
    invitation = db.session.scalars(select(Invitation).where(Invitation.email == PARTNER_EMAIL)).one()
    assert invitation.accepted_at is not None and invitation.accepted_by_id == user.id
    assert len(smtp_server.messages) == 1, "no other email was sent"

    # Nothing went wrong behind the scenes: no console error (CSP included), no failed request,
    # no server exception.
    assert live_server.errors == [], live_server.errors
    for tab in (admin_tab, partner_tab):
        assert tab.problems == [], f"{tab.label}: " + "\n".join(tab.problems)
