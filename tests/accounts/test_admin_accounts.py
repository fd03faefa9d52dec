"""Administrators open accounts, send password-reset links and see the spaces a person belongs to."""

import re

import pytest
from sqlalchemy import func, select

from rse.accounts.models import PasswordReset, User
from rse.audit.models import AuditEntry

NEW = {"name": "Léa Nouvelle", "email": "Lea.Nouvelle@ght-exemple.fr", "role": "", "organisation": "CH de Roanne",
       "job_title": "Cadre de santé", "site": "Hôpital Nord", "phone": "04 77 00 11 22"}


def _users(db) -> int:
    return db.session.scalar(select(func.count(User.id)))


def _link(message) -> str:
    body = message.get_body(("plain",)).get_content()
    return re.search(r"http://maillage\.test(/mot-de-passe/reinitialiser/\S+)", body).group(1)


def test_admin_creates_an_account_and_its_owner_chooses_a_password(world, login, app, db, outbox):
    admin = login(world.admin)
    page = admin.get("/admin/utilisateurs").get_data(as_text=True)
    assert "Créer un compte" in page and 'href="/admin/utilisateurs/nouveau"' in page
    assert "Nom et prénom" in admin.get("/admin/utilisateurs/nouveau").get_data(as_text=True)
    response = admin.post("/admin/utilisateurs/nouveau", data=NEW)
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "lea.nouvelle@ght-exemple.fr"))
    assert (user.name, user.role, user.organisation, user.job_title, user.site, user.phone) == (
        "Léa Nouvelle", "staff", "CH de Roanne", "Cadre de santé", "Hôpital Nord", "04 77 00 11 22")
    assert user.password_hash is None
    assert response.headers["Location"] == f"/admin/utilisateurs/{user.id}"
    assert "a reçu un lien pour choisir son mot de passe" in admin.get(response.headers["Location"]).get_data(
        as_text=True)
    [message] = outbox()
    assert message["To"] == user.email and message["Subject"] == "Votre compte Maillage est ouvert"
    assert "Admin a ouvert pour vous un compte sur Maillage" in message.get_body(("plain",)).get_content()
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.created",
                                                       AuditEntry.target_id == str(user.id)))
    assert entry.actor_id == world.admin.id
    visitor = app.test_client()
    chosen = visitor.post(_link(message), data={"password": "une-phrase-bien-longue", "confirm": "une-phrase-bien-longue"})
    assert chosen.status_code == 302
    assert visitor.get("/").status_code == 200


def test_an_address_of_another_domain_makes_a_partner_unless_told(world, login, db, outbox):
    admin = login(world.admin)
    admin.post("/admin/utilisateurs/nouveau", data={**NEW, "email": "ext@ehpad.fr"})
    admin.post("/admin/utilisateurs/nouveau", data={**NEW, "email": "ext2@ehpad.fr", "role": "staff"})
    roles = dict(db.session.execute(select(User.email, User.role).where(User.email.like("ext%"))).all())
    assert roles == {"ext@ehpad.fr": "partner", "ext2@ehpad.fr": "staff"}


def test_a_duplicate_address_is_a_form_error_and_creates_nothing(world, login, db, outbox):
    before = _users(db)
    response = login(world.admin).post("/admin/utilisateurs/nouveau", data={**NEW, "email": world.member.email})
    assert response.status_code == 409
    assert "Un compte existe déjà avec cette adresse." in response.get_data(as_text=True)
    assert _users(db) == before and outbox() == []


@pytest.mark.parametrize("data", [{"email": "pas-une-adresse"}, {"name": ""}, {"role": "superadmin"},
                                  {"phone": "0" * 41}])
def test_bad_input_creates_nothing(world, login, db, outbox, data):
    before = _users(db)
    response = login(world.admin).post("/admin/utilisateurs/nouveau", data={**NEW, **data})
    assert response.status_code in {409, 422}
    assert "Vérifiez les champs signalés ci-dessous." in response.get_data(as_text=True)
    assert _users(db) == before and outbox() == []


@pytest.mark.parametrize("viewer", ["member", "outsider", "partner"])
def test_only_administrators_create_accounts(world, login, db, viewer):
    before = _users(db)
    client = login(getattr(world, viewer))
    assert client.get("/admin/utilisateurs/nouveau").status_code == 403
    assert client.post("/admin/utilisateurs/nouveau", data=NEW).status_code == 403
    assert _users(db) == before


def test_anonymous_is_sent_to_the_login_form(world, client, db):
    before = _users(db)
    assert client.post("/admin/utilisateurs/nouveau", data=NEW).status_code == 302
    assert _users(db) == before


def test_admin_sends_a_reset_link_exactly_once(world, login, client, db, outbox):
    admin = login(world.admin)
    response = admin.post(f"/admin/utilisateurs/{world.member.id}/lien-mot-de-passe")
    assert response.status_code == 302
    assert f"Lien de réinitialisation envoyé à {world.member.email}." in admin.get(
        response.headers["Location"]).get_data(as_text=True)
    [message] = outbox()
    assert message["To"] == world.member.email
    assert message["Subject"] == "Réinitialiser votre mot de passe Maillage"
    assert client.get(_link(message)).status_code == 200
    assert db.session.scalar(select(func.count(PasswordReset.id)).where(
        PasswordReset.user_id == world.member.id)) == 1
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "password.reset_requested",
                                                       AuditEntry.target_id == str(world.member.id)))
    assert entry.actor_id == world.admin.id


def test_no_reset_link_for_a_deactivated_account(world, login, db, outbox):
    admin = login(world.admin)
    response = admin.post(f"/admin/utilisateurs/{world.deactivated.id}/lien-mot-de-passe")
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "réactivez-le avant d" in page
    assert outbox() == []


@pytest.mark.parametrize("viewer", ["member", "partner"])
def test_others_cannot_send_reset_links(world, login, outbox, viewer):
    assert login(getattr(world, viewer)).post(
        f"/admin/utilisateurs/{world.outsider.id}/lien-mot-de-passe").status_code == 403
    assert outbox() == []


def test_user_page_lists_the_spaces_with_role_and_date(world, login):
    page = login(world.admin).get(f"/admin/utilisateurs/{world.animator.id}").get_data(as_text=True)
    for visibility, space in world.spaces.items():
        assert f'<a href="/espaces/{space.id}">Espace {visibility}</a>' in page
    assert page.count("Animateur") >= 3 and "Membre depuis le" in page
    partner_page = login(world.admin).get(f"/admin/utilisateurs/{world.partner.id}").get_data(as_text=True)
    assert "Espace secret" in partner_page and "Animateur" not in partner_page.split('id="spaces-title"')[1]
    alone = login(world.admin).get(f"/admin/utilisateurs/{world.stranger.id}").get_data(as_text=True)
    assert "Partenaire étranger n'est membre d'aucun espace." in alone
