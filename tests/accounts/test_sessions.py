"""Web sessions live on the server: logout ends this browser's, a password or a deactivation all."""

from datetime import timedelta

from markupsafe import escape
from sqlalchemy import select

from rse.accounts.models import UserSession
from rse.dbtypes import utcnow
from tests.conftest import PASSWORD

COOKIE = "maillage_session"


def _replay(app, cookies: dict[str, str]):
    """A new browser holding only the given cookies, as an attacker who copied them would."""
    client = app.test_client()
    for name, value in cookies.items():
        client.set_cookie(name, value)
    return client


def _assert_anonymous(client) -> None:
    home = client.get("/")
    assert home.status_code == 302 and home.headers["Location"].startswith("/connexion")
    directory = client.get("/annuaire")
    assert directory.status_code == 302 and directory.headers["Location"] == "/connexion?next=/annuaire"


def test_cookie_saved_before_logout_is_anonymous_after_it(app, login, create_user):
    user = create_user("staff", name="Agathe Lemoine")
    client = login(user)
    saved = client.get_cookie(COOKIE).value
    assert "Agathe Lemoine" in _replay(app, {COOKIE: saved}).get("/").get_data(as_text=True)
    assert client.post("/deconnexion").status_code == 302
    _assert_anonymous(_replay(app, {COOKIE: saved}))


def test_logout_leaves_the_other_browsers_signed_in(login, create_user):
    user = create_user("staff", name="Agathe Lemoine")
    office, phone = login(user), login(user)
    office.post("/deconnexion")
    page = phone.get("/")
    assert page.status_code == 200 and "Agathe Lemoine" in page.get_data(as_text=True)
    _assert_anonymous(office)


def test_remember_me_cookie_ends_with_logout(app, client, create_user):
    user = create_user("staff", name="Agathe Lemoine")
    client.post("/connexion", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    remembered = client.get_cookie("remember_token").value
    # The remember cookie alone signs a browser in while the session lives...
    page = _replay(app, {"remember_token": remembered}).get("/")
    assert page.status_code == 200 and "Agathe Lemoine" in page.get_data(as_text=True)
    client.post("/deconnexion")
    # ... and not once it is logged out.
    _assert_anonymous(_replay(app, {"remember_token": remembered}))


def test_password_change_ends_the_other_sessions_and_keeps_this_one(app, login, create_user):
    user = create_user("staff", name="Agathe Lemoine")
    office, phone = login(user), login(user)
    remembered_elsewhere = app.test_client()
    remembered_elsewhere.post("/connexion", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    remember_cookie = remembered_elsewhere.get_cookie("remember_token").value
    changed = office.post("/profil/mot-de-passe", data={"current_password": PASSWORD,
                                                         "new_password": "phrase-toute-neuve-2026",
                                                         "confirm": "phrase-toute-neuve-2026"},
                          follow_redirects=True)
    assert str(escape("Vos autres sessions et vos jetons d'accès à l'API sont fermés.")) in changed.get_data(as_text=True)
    assert "Agathe Lemoine" in office.get("/").get_data(as_text=True)
    _assert_anonymous(phone)
    _assert_anonymous(_replay(app, {"remember_token": remember_cookie}))


def test_deactivated_then_reactivated_user_keeps_their_old_cookie_dead(app, login, create_user):
    admin, user = create_user("admin"), create_user("partner", name="Paul Partenaire")
    client = login(user)
    saved = client.get_cookie(COOKIE).value
    admin_client = login(admin)
    admin_client.post(f"/admin/utilisateurs/{user.id}/desactiver")
    _assert_anonymous(_replay(app, {COOKIE: saved}))
    flashed = admin_client.post(f"/admin/utilisateurs/{user.id}/reactiver", follow_redirects=True)
    assert "Compte réactivé." in flashed.get_data(as_text=True)
    _assert_anonymous(_replay(app, {COOKIE: saved}))
    _assert_anonymous(client)


def test_only_the_digest_of_the_session_key_is_stored(login, create_user, db):
    user = create_user("staff")
    client = login(user)
    cookie = client.get_cookie(COOKIE).value
    [stored] = db.session.scalars(select(UserSession.id).where(UserSession.user_id == user.id)).all()
    assert len(stored) == 64 and stored not in cookie


def test_last_seen_is_written_at_most_every_five_minutes(login, create_user, db):
    user = create_user("staff")
    client = login(user)
    row = db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)).one()
    first_seen = row.last_seen_at
    client.get("/")
    db.session.refresh(row)
    assert row.last_seen_at == first_seen
    row.last_seen_at = first_seen - timedelta(minutes=6)
    db.session.commit()
    client.get("/")  # a GET page: the refresh is saved on its own, before the view
    db.session.refresh(row)
    assert row.last_seen_at > utcnow() - timedelta(minutes=1)
