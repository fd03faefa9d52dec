"""Administrators deactivate, reactivate, set expiry dates and roles; content stays."""


import pytest
from sqlalchemy import select

from rse.audit.models import AuditEntry
from rse.communities.models import Membership
from tests.conftest import PASSWORD


@pytest.mark.slow
def test_deactivate_and_reactivate(login, create_user, create_community, client, db):
    admin, user = create_user("admin"), create_user("staff")
    create_community(user)
    admin_client = login(admin)
    assert admin_client.post(f"/admin/utilisateurs/{user.id}/desactiver").status_code == 302
    db.session.refresh(user)
    assert user.deactivated_at is not None
    assert client.post("/connexion", data={"email": user.email, "password": PASSWORD}).status_code == 401
    assert db.session.scalar(select(Membership.id).where(Membership.user_id == user.id)) is not None
    admin_client.post(f"/admin/utilisateurs/{user.id}/reactiver")
    assert client.post("/connexion", data={"email": user.email, "password": PASSWORD}).status_code == 302
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.target_id == str(user.id))).all()
    assert "user.deactivated" in actions and "user.reactivated" in actions


def test_admin_cannot_deactivate_themselves(login, create_user, db):
    admin = create_user("admin")
    assert login(admin).post(f"/admin/utilisateurs/{admin.id}/desactiver").status_code == 403
    db.session.refresh(admin)
    assert admin.deactivated_at is None


def test_staff_cannot_use_admin_actions(login, create_user, db):
    staff, other = create_user("staff"), create_user("staff")
    assert login(staff).post(f"/admin/utilisateurs/{other.id}/desactiver").status_code == 403
    db.session.refresh(other)
    assert other.deactivated_at is None


def test_partner_expiry_date(login, create_user, client, db):
    admin, partner = create_user("admin"), create_user("partner")
    admin_client = login(admin)
    admin_client.post(f"/admin/utilisateurs/{partner.id}/expiration", data={"expiry-expires_on": "2020-01-31"})
    db.session.refresh(partner)
    assert partner.expires_at is not None and partner.is_expired
    assert client.post("/connexion", data={"email": partner.email, "password": PASSWORD}).status_code == 401
    admin_client.post(f"/admin/utilisateurs/{partner.id}/expiration", data={"expiry-expires_on": ""})
    db.session.refresh(partner)
    assert partner.expires_at is None


def test_bad_expiry_date_changes_nothing(login, create_user, db):
    admin, partner = create_user("admin"), create_user("partner")
    login(admin).post(f"/admin/utilisateurs/{partner.id}/expiration", data={"expiry-expires_on": "31/02/2026"})
    db.session.refresh(partner)
    assert partner.expires_at is None


def test_role_change(login, create_user, db):
    admin, user = create_user("admin"), create_user("staff")
    login(admin).post(f"/admin/utilisateurs/{user.id}/role", data={"role-role": "admin"})
    db.session.refresh(user)
    assert user.role == "admin"
    login(admin).post(f"/admin/utilisateurs/{user.id}/role", data={"role-role": "emperor"})
    db.session.refresh(user)
    assert user.role == "admin"


def test_user_list_filters(login, create_user):
    admin = create_user("admin")
    create_user("partner", name="Marc Rousseau")
    create_user("staff", name="Claire Martin", deactivated=True)
    client = login(admin)
    assert "Marc Rousseau" in client.get("/admin/utilisateurs?statut=partner").get_data(as_text=True)
    assert "Claire Martin" not in client.get("/admin/utilisateurs?statut=partner").get_data(as_text=True)
    assert "Claire Martin" in client.get("/admin/utilisateurs?statut=deactivated").get_data(as_text=True)
    assert "Marc Rousseau" in client.get("/admin/utilisateurs?q=rousseau").get_data(as_text=True)
