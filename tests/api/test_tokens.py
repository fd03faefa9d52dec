"""API authentication: login tokens, personal tokens, refusals."""

import re
from datetime import timedelta

from sqlalchemy import select

from rse.accounts.models import ApiToken
from rse.audit.models import AuditEntry
from rse.dbtypes import utcnow
from tests.conftest import PASSWORD


def test_login_token_gives_access_to_me(client, create_user):
    user = create_user("staff")
    response = client.post("/api/v1/tokens", json={"email": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 201
    assert response.json["token_type"] == "Bearer"
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {response.json['token']}"})
    assert me.status_code == 200
    assert me.json["email"] == user.email
    assert me.json["role"] == "staff"


def test_only_the_token_digest_is_stored(client, create_user, db):
    user = create_user("staff")
    token = client.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD}).json["token"]
    stored = db.session.scalars(select(ApiToken.token_hash)).all()
    assert token not in stored and len(stored) == 1 and len(stored[0]) == 64


def test_wrong_password_is_401_and_audited(client, create_user, db):
    user = create_user("staff")
    response = client.post("/api/v1/tokens", json={"email": user.email, "password": "not-the-password"})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "invalid_credentials"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "login.failure")).one()
    assert entry.actor_id == user.id and entry.details["reason"] == "password"
    assert db.session.scalar(select(ApiToken.id)) is None


def test_unknown_address_answers_like_a_wrong_password(client):
    response = client.post("/api/v1/tokens", json={"email": "nobody@ght-exemple.fr", "password": "x" * 12})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "invalid_credentials"


def test_malformed_json_is_400(client):
    response = client.post("/api/v1/tokens", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "malformed_json"


def test_wrong_types_are_422_with_the_field(client):
    response = client.post("/api/v1/tokens", json={"email": ["a"], "password": 12})
    assert response.status_code == 422
    assert "email" in response.json["error"]["fields"]


def test_missing_token_is_401_with_challenge(client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json["error"]["code"] == "unauthorized"


def test_garbage_token_is_401(client):
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer rse_forged"})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "invalid_token"


def test_token_stops_working_after_deactivation(api, create_user, db):
    user = create_user("staff")
    client = api(user)
    assert client.get("/api/v1/me").status_code == 200
    user.deactivated_at = utcnow()
    db.session.commit()
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json["error"]["code"] == "invalid_token"


def test_token_stops_working_when_partner_access_expires(api, create_user, db):
    partner = create_user("partner")
    client = api(partner)
    partner.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert client.get("/api/v1/me").status_code == 401


def test_expired_partner_cannot_get_a_token(client, create_user):
    partner = create_user("partner", expired=True)
    response = client.post("/api/v1/tokens", json={"email": partner.email, "password": PASSWORD})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "account_expired"


def test_expired_token_is_refused(api, create_user, db):
    user = create_user("staff")
    client = api(user)
    token = db.session.scalars(select(ApiToken)).one()
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get("/api/v1/me").status_code == 401


def test_revoking_the_current_token(api, create_user):
    client = api(create_user("staff"))
    assert client.delete("/api/v1/tokens/current").status_code == 204
    assert client.get("/api/v1/me").status_code == 401


def test_repeated_failures_lock_the_account_for_a_while(client, create_user, app):
    user = create_user("staff")
    app.config["LOGIN_MAX_FAILURES"] = 3
    for _ in range(3):
        assert client.post("/api/v1/tokens", json={"email": user.email, "password": "bad-password!"}).status_code == 401
    # Even the right password is refused until the window passes.
    response = client.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert response.json["error"]["code"] == "too_many_requests"


def test_token_endpoint_is_rate_limited_per_client_address(client):
    statuses = [client.post("/api/v1/tokens", json={"email": f"x{i}@ght-exemple.fr", "password": "p" * 12}).status_code
                for i in range(11)]
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429


# --- Every token ends when the credentials change (issue 13, finding 7) ----------------------

NEW_PASSWORD = "une-nouvelle-phrase-secrète"


def _assert_token_dead(client) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json["error"]["code"] == "invalid_token"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def _personal_token(login, user) -> str:
    page = login(user).post("/profil/jetons", data={"name": "Script du tableau de bord", "days": 30})
    return re.search(r"rse_[A-Za-z0-9_-]{20,}", page.get_data(as_text=True)).group(0)


def test_password_reset_ends_every_token(api, app, client, create_user, login, outbox, db):
    user = create_user("staff")
    login_token_client = api(user)
    personal = app.test_client()
    personal.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {_personal_token(login, user)}"
    assert personal.get("/api/v1/me").json["email"] == user.email
    client.post("/mot-de-passe/oubli", data={"email": user.email}, buffered=True)
    body = outbox()[0].get_body(("plain",)).get_content()
    path = re.search(r"http://maillage\.test(/mot-de-passe/reinitialiser/\S+)", body).group(1)
    assert client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    _assert_token_dead(login_token_client)
    _assert_token_dead(personal)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "credentials.ended")).one()
    assert entry.target_id == str(user.id)
    assert entry.details == {"reason": "password_reset", "sessions": 1, "tokens": 2}


def test_password_change_ends_every_token(api, login, create_user):
    user = create_user("staff")
    token_client = api(user)
    login(user).post("/profil/mot-de-passe", data={"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                                   "confirm": NEW_PASSWORD})
    _assert_token_dead(token_client)


def test_failed_password_change_keeps_the_tokens(api, login, create_user):
    user = create_user("staff")
    token_client = api(user)
    page = login(user).post("/profil/mot-de-passe", data={"current_password": "pas-le-bon", "new_password": NEW_PASSWORD,
                                                          "confirm": NEW_PASSWORD})
    assert page.status_code == 422 and "Mot de passe actuel incorrect." in page.get_data(as_text=True)
    assert token_client.get("/api/v1/me").json["email"] == user.email


def test_deactivated_then_reactivated_user_keeps_their_old_token_dead(api, client, login, create_user, db):
    admin, partner = create_user("admin"), create_user("partner")
    token_client = api(partner)
    admin_client = login(admin)
    admin_client.post(f"/admin/utilisateurs/{partner.id}/desactiver")
    _assert_token_dead(token_client)
    admin_client.post(f"/admin/utilisateurs/{partner.id}/reactiver")
    _assert_token_dead(token_client)
    # A fresh login gives a working token again.
    fresh = client.post("/api/v1/tokens", json={"email": partner.email, "password": PASSWORD})
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {fresh.json['token']}"}).status_code == 200
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "credentials.ended")).one()
    assert entry.actor_id == admin.id and entry.details["reason"] == "deactivated"


def test_renewed_partner_access_keeps_the_old_token_dead(api, login, create_user, db):
    admin, partner = create_user("admin"), create_user("partner")
    token_client = api(partner)
    partner.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    _assert_token_dead(token_client)
    login(admin).post(f"/admin/utilisateurs/{partner.id}/expiration", data={"expiry-expires_on": "2099-12-31"})
    db.session.refresh(partner)
    assert not partner.is_expired
    _assert_token_dead(token_client)


def test_administrator_set_password_ends_every_token(api, runner, create_user):
    user = create_user("staff")
    token_client = api(user)
    result = runner.invoke(args=["rse", "create-admin", user.email, "--password", NEW_PASSWORD])
    assert result.exit_code == 0, result.output
    assert f"administrator {user.email} ready" in result.output
    _assert_token_dead(token_client)


def test_role_change_applies_to_an_open_token_at_its_next_request(api, login, create_user):
    admin, user = create_user("admin"), create_user("staff")
    token_client = api(user)
    login(admin).post(f"/admin/utilisateurs/{user.id}/role", data={"role-role": "partner"})
    # The token stays (it carries no role), the permission layer reads the new one.
    assert token_client.get("/api/v1/me").json["role"] == "partner"
