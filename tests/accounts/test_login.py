"""Login, logout and the audit entries they leave."""

from sqlalchemy import select

from rse.audit.models import AuditEntry
from tests.conftest import PASSWORD


def test_login_lands_on_home_and_is_audited(client, create_user, db):
    user = create_user("staff")
    response = client.post("/connexion", data={"email": user.email, "password": PASSWORD},
                           environ_base={"REMOTE_ADDR": "10.1.2.3"})
    # the audit keeps the address the login came from
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "login.success")).one()
    assert entry.actor_id == user.id and entry.ip == "10.1.2.3" and entry.details == {"via": "web"}


def test_wrong_password_shows_a_message_and_is_audited(client, create_user, db):
    user = create_user("staff")
    response = client.post("/connexion", data={"email": user.email, "password": "mauvais-mot-de-passe"})
    assert response.status_code == 401
    assert "Adresse ou mot de passe incorrect" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.actor_id == user.id)) == "login.failure"


def test_deactivated_and_expired_accounts_are_told_why(client, create_user):
    gone = create_user("staff", deactivated=True)
    late = create_user("partner", expired=True)
    page = client.post("/connexion", data={"email": gone.email, "password": PASSWORD}).get_data(as_text=True)
    assert "désactivé" in page
    page = client.post("/connexion", data={"email": late.email, "password": PASSWORD}).get_data(as_text=True)
    assert "expiré" in page
    assert client.get("/").status_code == 302


def test_empty_form_is_422(client):
    assert client.post("/connexion", data={"email": "", "password": ""}).status_code == 422


def test_next_parameter_is_followed_only_inside_the_site(client, create_user):
    user = create_user("staff")
    data = {"email": user.email, "password": PASSWORD}
    assert client.post("/connexion?next=/annuaire", data=data).headers["Location"] == "/annuaire"
    client.post("/deconnexion")
    for target in ("//evil.example/x", "https://evil.example/", "javascript:alert(1)"):
        response = client.post("/connexion", query_string={"next": target}, data=data)
        assert response.headers["Location"] == "/", target
        client.post("/deconnexion")


def test_protected_page_sends_to_login_with_next(client):
    response = client.get("/annuaire?q=x")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion?next=/annuaire")


def test_logout_ends_the_session(login, create_user, db):
    user = create_user("staff")
    client = login(user)
    assert client.post("/deconnexion").status_code == 302
    assert client.get("/").status_code == 302
    assert "logout" in db.session.scalars(select(AuditEntry.action)).all()


def test_logout_by_get_is_not_possible(login, create_user):
    client = login(create_user("staff"))
    assert client.get("/deconnexion").status_code == 405
    assert client.get("/").status_code == 200
