"""Login, logout and the audit entries they leave."""

from sqlalchemy import select

from rse import security
from rse.audit.models import AuditEntry
from tests.accounts.helpers import statements_in_the_request
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


def test_unknown_address_and_wrong_password_do_the_same_work(app, client, create_user, db):
    """Same statements, same page, and an argon2 check for both: an unknown address is checked
    against a dummy hash, so that its failure takes as long as a wrong password's."""
    user = create_user("staff")
    security.configure_hasher(app.config.get("ARGON2_PARAMS"))  # forgets the dummy hash
    with statements_in_the_request(db) as wrong_password_work:
        wrong = client.post("/connexion", data={"email": user.email, "password": "mauvais-mot-de-passe"})
    assert security._dummy_hash is None  # a known address is checked against its own hash
    with statements_in_the_request(db) as unknown_work:
        unknown = client.post("/connexion", data={"email": "personne@ght-exemple.fr",
                                                   "password": "mauvais-mot-de-passe"})
    assert security._dummy_hash is not None
    assert wrong_password_work == unknown_work
    assert wrong.status_code == unknown.status_code == 401
    assert (wrong.get_data(as_text=True).replace(user.email, "@")
            == unknown.get_data(as_text=True).replace("personne@ght-exemple.fr", "@"))
