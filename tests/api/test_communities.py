"""API: communities, members, invitations — happy paths and bad input."""

import re
from datetime import timedelta

from sqlalchemy import func, select

from rse.accounts.models import User
from rse.communities.models import Community, Invitation, Membership
from rse.dbtypes import utcnow
from tests.conftest import PASSWORD


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_staff_creates_a_community_and_becomes_its_animator(api, create_user):
    user = create_user("staff")
    client = api(user)
    response = client.post("/api/v1/communities", json={"name": "Hygiène – protocoles", "visibility": "public",
                                                         "description": "Protocoles communs"})
    assert response.status_code == 201
    body = response.json
    assert body["my_role"] == "animator" and body["member_count"] == 1 and body["visibility"] == "public"
    members = client.get(f"/api/v1/communities/{body['id']}/members").json
    assert [(m["user"]["id"], m["role"]) for m in members["items"]] == [(user.id, "animator")]


def test_partner_cannot_create_a_community(api, create_user, db):
    response = api(create_user("partner")).post("/api/v1/communities", json={"name": "X"})
    assert response.status_code == 403
    assert count(db, Community) == 0


def test_duplicate_community_name_is_409(api, create_user, create_community, db):
    create_community(name="Achats")
    response = api(create_user("staff")).post("/api/v1/communities", json={"name": "achats"})
    assert response.status_code == 409
    assert response.json["error"]["code"] == "name_taken"
    assert count(db, Community) == 1


def test_bad_community_fields_are_422_and_change_nothing(api, create_user, db):
    client = api(create_user("staff"))
    for payload in ({"name": ""}, {"name": "x" * 121}, {"name": 42}, {"name": "A", "visibility": "open"},
                    {"name": "A", "sensitive": "yes"}, {"name": "A", "owner": 1}, {"name": "A\x00B"}):
        response = client.post("/api/v1/communities", json=payload)
        assert response.status_code == 422, payload
        assert response.json["error"]["code"] == "validation_error"
    assert count(db, Community) == 0


def test_animator_updates_settings_member_cannot(api, create_user, create_community):
    animator, member = create_user("staff"), create_user("staff")
    community = create_community(animator, members=[(member, "member")])
    refused = api(member).patch(f"/api/v1/communities/{community.id}", json={"visibility": "public"})
    assert refused.status_code == 403
    response = api(animator).patch(f"/api/v1/communities/{community.id}",
                                   json={"visibility": "public", "sensitive": True})
    assert response.status_code == 200
    assert response.json["visibility"] == "public" and response.json["sensitive"] is True


def test_unknown_community_is_404(api, create_user):
    client = api(create_user("staff"))
    assert client.get("/api/v1/communities/999999").status_code == 404
    assert client.patch("/api/v1/communities/999999", json={"name": "x"}).status_code == 404
    assert client.get("/api/v1/communities/abc").status_code == 404


def test_staff_joins_a_public_community_but_not_a_private_one(api, create_user, create_community):
    user = create_user("staff")
    public, private = create_community(visibility="public"), create_community(visibility="private")
    client = api(user)
    joined = client.post(f"/api/v1/communities/{public.id}/members", json={"user_id": user.id})
    assert joined.status_code == 201 and joined.json["role"] == "member"
    refused = client.post(f"/api/v1/communities/{private.id}/members", json={"user_id": user.id})
    assert refused.status_code == 403


def test_joining_twice_is_409(api, create_user, create_community):
    user = create_user("staff")
    public = create_community(visibility="public", members=[(user, "member")])
    response = api(user).post(f"/api/v1/communities/{public.id}/members", json={"user_id": user.id})
    assert response.status_code == 409
    assert response.json["error"]["code"] == "already_member"


def test_animator_adds_changes_and_removes_a_member(api, create_user, create_community, db):
    animator, colleague = create_user("staff"), create_user("staff")
    community = create_community(animator)
    client = api(animator)
    added = client.post(f"/api/v1/communities/{community.id}/members", json={"user_id": colleague.id, "role": "reader"})
    assert added.status_code == 201 and added.json["role"] == "reader"
    changed = client.patch(f"/api/v1/communities/{community.id}/members/{colleague.id}", json={"role": "animator"})
    assert changed.status_code == 200 and changed.json["role"] == "animator"
    assert client.delete(f"/api/v1/communities/{community.id}/members/{colleague.id}").status_code == 204
    assert count(db, Membership) == 1


def test_bad_role_is_422(api, create_user, create_community):
    animator, colleague = create_user("staff"), create_user("staff")
    community = create_community(animator, members=[(colleague, "member")])
    response = api(animator).patch(f"/api/v1/communities/{community.id}/members/{colleague.id}", json={"role": "boss"})
    assert response.status_code == 422


def test_removing_a_non_member_is_404(api, create_user, create_community):
    animator = create_user("staff")
    community = create_community(animator)
    assert api(animator).delete(f"/api/v1/communities/{community.id}/members/424242").status_code == 404


def test_the_last_animator_can_neither_leave_nor_be_demoted(api, create_user, create_community, db):
    animator, admin = create_user("staff"), create_user("admin")
    community = create_community(animator)
    left = api(animator).delete(f"/api/v1/communities/{community.id}/members/{animator.id}")
    assert left.status_code == 409 and left.json["error"]["code"] == "last_animator"
    demoted = api(admin).patch(f"/api/v1/communities/{community.id}/members/{animator.id}", json={"role": "member"})
    assert demoted.status_code == 409
    removed = api(admin).delete(f"/api/v1/communities/{community.id}/members/{animator.id}")
    assert removed.status_code == 409
    assert db.session.scalar(select(Membership.role)) == "animator"


def test_member_leaves(api, create_user, create_community, db):
    member = create_user("staff")
    community = create_community(members=[(member, "member")])
    assert api(member).delete(f"/api/v1/communities/{community.id}/members/{member.id}").status_code == 204
    assert count(db, Membership) == 1


def _invitation_token(message) -> str:
    body = message.get_body(("plain",)).get_content()
    return re.search(r"/invitations/(inv_[\w-]+)", body).group(1)


def test_invitation_of_a_new_partner_and_acceptance(api, create_user, create_community, outbox, db):
    animator = create_user("staff")
    community = create_community(animator, name="CPOM 2026 – EHPAD Les Tilleuls")
    response = api(animator).post("/api/v1/invitations", json={
        "email": "Marc.Rousseau@ARS-exemple.fr", "community_id": community.id, "role": "member"})
    assert response.status_code == 201
    assert response.json["status"] == "invited"
    assert response.json["invitation"]["email"] == "marc.rousseau@ars-exemple.fr"
    [message] = outbox()
    assert message["To"] == "marc.rousseau@ars-exemple.fr"
    assert "CPOM 2026" in message["Subject"]
    link = re.search(r"http://maillage\.test/invitations/\S+", message.get_body(("plain",)).get_content())
    assert link, "the email carries an absolute link"
    token = _invitation_token(message)

    accepted = api().post(f"/api/v1/invitations/{token}/accept", json={"name": "Marc Rousseau", "password": PASSWORD})
    assert accepted.status_code == 201
    assert accepted.json["community_id"] == community.id
    user = db.session.scalar(select(User).where(User.email == "marc.rousseau@ars-exemple.fr"))
    assert user.role == "partner" and user.name == "Marc Rousseau"
    me = api().get("/api/v1/me", headers={"Authorization": f"Bearer {accepted.json['token']}"})
    assert me.json["email"] == user.email

    again = api().post(f"/api/v1/invitations/{token}/accept", json={"name": "Marc", "password": PASSWORD})
    assert again.status_code == 409
    assert again.json["error"]["code"] == "invitation_used"
    assert count(db, User) == 2


def test_internal_address_becomes_staff(api, create_user, create_community, outbox, db):
    animator = create_user("staff")
    community = create_community(animator)
    api(animator).post("/api/v1/invitations", json={"email": "lea.petit@ght-exemple.fr", "community_id": community.id})
    token = _invitation_token(outbox()[0])
    api().post(f"/api/v1/invitations/{token}/accept", json={"name": "Léa Petit", "password": PASSWORD})
    assert db.session.scalar(select(User.role).where(User.email == "lea.petit@ght-exemple.fr")) == "staff"


def test_inviting_an_existing_account_adds_and_notifies(api, create_user, create_community, outbox, db):
    animator, colleague = create_user("staff"), create_user("staff")
    community = create_community(animator, name="Achats")
    response = api(animator).post("/api/v1/invitations", json={"email": colleague.email, "community_id": community.id,
                                                              "role": "reader"})
    assert response.status_code == 201
    assert response.json["status"] == "added"
    assert response.json["membership"]["role"] == "reader"
    [message] = outbox()
    assert message["To"] == colleague.email and "Achats" in message["Subject"]
    assert count(db, Invitation) == 0


def test_expired_invitation_is_410_and_creates_nothing(api, create_user, create_community, outbox, db):
    animator = create_user("staff")
    community = create_community(animator)
    api(animator).post("/api/v1/invitations", json={"email": "late@ars-exemple.fr", "community_id": community.id})
    token = _invitation_token(outbox()[0])
    invitation = db.session.scalars(select(Invitation)).one()
    invitation.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = api().post(f"/api/v1/invitations/{token}/accept", json={"name": "Late", "password": PASSWORD})
    assert response.status_code == 410
    assert response.json["error"]["code"] == "invitation_expired"
    assert count(db, User) == 1


def test_reinviting_replaces_the_previous_link(api, create_user, create_community, outbox):
    animator = create_user("staff")
    community = create_community(animator)
    client = api(animator)
    client.post("/api/v1/invitations", json={"email": "p@ars-exemple.fr", "community_id": community.id})
    client.post("/api/v1/invitations", json={"email": "p@ars-exemple.fr", "community_id": community.id})
    first, second = (_invitation_token(m) for m in outbox())
    old = api().post(f"/api/v1/invitations/{first}/accept", json={"name": "P", "password": PASSWORD})
    assert old.status_code == 410 and old.json["error"]["code"] == "invitation_revoked"
    assert api().post(f"/api/v1/invitations/{second}/accept", json={"name": "P", "password": PASSWORD}).status_code == 201


def test_unknown_invitation_token_is_404(api):
    response = api().post("/api/v1/invitations/inv_nope/accept", json={"name": "X", "password": PASSWORD})
    assert response.status_code == 404


def test_weak_password_on_acceptance_is_422_and_keeps_the_invitation(api, create_user, create_community, outbox, db):
    animator = create_user("staff")
    community = create_community(animator)
    api(animator).post("/api/v1/invitations", json={"email": "w@ars-exemple.fr", "community_id": community.id})
    token = _invitation_token(outbox()[0])
    for password in ("short", "aaaaaaaaaaaaaaaa", 1234567890123):
        response = api().post(f"/api/v1/invitations/{token}/accept", json={"name": "W", "password": password})
        assert response.status_code == 422
    assert count(db, User) == 1
    ok = api().post(f"/api/v1/invitations/{token}/accept", json={"name": "W", "password": PASSWORD})
    assert ok.status_code == 201


def test_invitation_bad_input(api, create_user, create_community, db, outbox):
    animator = create_user("staff")
    community = create_community(animator)
    client = api(animator)
    cases = [
        ({"email": "not-an-email", "community_id": community.id}, 422),
        ({"email": "a@b.fr", "community_id": "1"}, 422),
        ({"email": "a@b.fr", "community_id": community.id, "role": "owner"}, 422),
        ({"email": "a@b.fr", "community_id": 987654}, 404),
        ({"email": "x" * 250 + "@b.fr", "community_id": community.id}, 422),
        ({"email": "a@ars-exemple.fr", "community_id": community.id, "account_expires_at": "demain"}, 422),
        ({"email": "a@ars-exemple.fr", "community_id": community.id, "account_expires_at": "2020-01-01T00:00:00+00:00"}, 422),
        ({"email": "a@ght-exemple.fr", "community_id": community.id, "account_expires_at": "2099-01-01T00:00:00+00:00"}, 422),
    ]
    for payload, status in cases:
        assert client.post("/api/v1/invitations", json=payload).status_code == status, payload
    assert count(db, Invitation) == 0
    assert outbox() == []


def test_partner_invitation_with_access_expiry(api, create_user, create_community, outbox, db):
    animator = create_user("staff")
    community = create_community(animator)
    response = api(animator).post("/api/v1/invitations", json={
        "email": "temp@ars-exemple.fr", "community_id": community.id, "account_expires_at": "2099-06-30T23:59:59+02:00"})
    assert response.status_code == 201
    token = _invitation_token(outbox()[0])
    api().post(f"/api/v1/invitations/{token}/accept", json={"name": "Temp", "password": PASSWORD})
    user = db.session.scalar(select(User).where(User.email == "temp@ars-exemple.fr"))
    assert user.expires_at.year == 2099


def test_member_cannot_invite(api, create_user, create_community, db):
    member = create_user("staff")
    community = create_community(members=[(member, "member")])
    response = api(member).post("/api/v1/invitations", json={"email": "x@ars-exemple.fr", "community_id": community.id})
    assert response.status_code == 403
    assert count(db, Invitation) == 0


def test_inviting_a_deactivated_account_is_refused(api, create_user, create_community):
    animator, gone = create_user("staff"), create_user("staff", deactivated=True)
    community = create_community(animator)
    response = api(animator).post("/api/v1/invitations", json={"email": gone.email, "community_id": community.id})
    assert response.status_code == 409
    assert response.json["error"]["code"] == "account_inactive"


def test_accepting_one_invitation_honours_the_others(api, create_user, create_community, outbox, db):
    a, b = create_user("staff"), create_user("staff")
    first, second = create_community(a), create_community(b)
    api(a).post("/api/v1/invitations", json={"email": "two@ars-exemple.fr", "community_id": first.id})
    api(b).post("/api/v1/invitations", json={"email": "two@ars-exemple.fr", "community_id": second.id, "role": "reader"})
    token = _invitation_token(outbox()[0])
    accepted = api().post(f"/api/v1/invitations/{token}/accept", json={"name": "Two", "password": PASSWORD})
    mine = api().get("/api/v1/communities?mine=1", headers={"Authorization": f"Bearer {accepted.json['token']}"})
    assert sorted((c["id"], c["my_role"]) for c in mine.json["items"]) == [(first.id, "member"), (second.id, "reader")]


def test_request_body_over_the_limit_is_413(api, create_user, app):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = api(create_user("staff")).post("/api/v1/communities", json={"name": "x" * 5000})
    assert response.status_code == 413
    assert response.json["error"]["code"] == "payload_too_large"


def test_directory_search_by_name_and_organisation(api, create_user):
    viewer = create_user("staff")
    create_user("staff", name="Sophie Durand", organisation="CH de Roanne")
    create_user("staff", name="Karim Benali", organisation="CHU de Saint-Étienne")
    client = api(viewer)
    assert [p["name"] for p in client.get("/api/v1/users?q=durand").json["items"]] == ["Sophie Durand"]
    assert [p["name"] for p in client.get("/api/v1/users?q=roanne").json["items"]] == ["Sophie Durand"]
    assert client.get("/api/v1/users?limit=0").status_code == 400
    assert client.get("/api/v1/users?q=" + "x" * 101).status_code == 422


def test_accepting_through_the_api_when_the_account_exists_is_409(api, create_user, create_community, outbox, db):
    animator = create_user("staff")
    community = create_community(animator)
    api(animator).post("/api/v1/invitations", json={"email": "late@ars-exemple.fr", "community_id": community.id})
    token = _invitation_token(outbox()[0])
    create_user("partner", email="late@ars-exemple.fr")  # made meanwhile, e.g. by another invitation
    response = api().post(f"/api/v1/invitations/{token}/accept", json={"name": "X", "password": PASSWORD})
    assert response.status_code == 409
    assert response.json["error"]["code"] == "account_exists"
    assert count(db, User) == 2


def test_duplicate_email_is_refused_by_the_service(create_user, db):
    import pytest

    from rse.accounts.service import create_user as service_create_user
    from rse.errors import Conflict

    create_user("staff", email="claire.martin@ght-exemple.fr")
    with pytest.raises(Conflict) as error:
        service_create_user(email="Claire.Martin@GHT-exemple.fr", name="Autre", password=PASSWORD, role="staff")
    assert error.value.code == "email_taken"
