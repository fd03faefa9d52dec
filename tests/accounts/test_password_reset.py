"""Password reset by an emailed single-use link that expires."""

import re
from datetime import timedelta

from sqlalchemy import select

from rse.accounts.models import PasswordReset
from rse.dbtypes import utcnow
from tests.accounts.helpers import statements_in_the_request
from tests.conftest import PASSWORD

NEW_PASSWORD = "une-nouvelle-phrase-secrète"

# Reset requests are posted with buffered=True: the test client then closes the response as a
# server does once it is sent, which is when the link is made and emailed.


def _reset_path(message) -> str:
    body = message.get_body(("plain",)).get_content()
    return re.search(r"http://maillage\.test(/mot-de-passe/reinitialiser/\S+)", body).group(1)


def test_reset_by_email_link(client, create_user, outbox):
    user = create_user("staff")
    page = client.post("/mot-de-passe/oubli", data={"email": user.email}, buffered=True)
    assert page.status_code == 200
    [message] = outbox()
    assert message["To"] == user.email
    path = _reset_path(message)
    assert client.get(path).status_code == 200
    response = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    client.post("/deconnexion")
    assert client.post("/connexion", data={"email": user.email, "password": PASSWORD}).status_code == 401
    assert client.post("/connexion", data={"email": user.email, "password": NEW_PASSWORD}).status_code == 302


def test_unknown_address_gets_the_same_answer_and_no_email(client, outbox):
    known_looking = client.post("/mot-de-passe/oubli", data={"email": "personne@ght-exemple.fr"}, buffered=True)
    assert known_looking.status_code == 200
    assert outbox() == []


def test_link_is_single_use(client, create_user, outbox):
    user = create_user("staff")
    client.post("/mot-de-passe/oubli", data={"email": user.email}, buffered=True)
    path = _reset_path(outbox()[0])
    client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    client.post("/deconnexion")
    assert client.get(path).status_code == 410
    assert client.post(path, data={"password": "encore-une-autre-phrase", "confirm": "encore-une-autre-phrase"}).status_code == 410


def test_expired_link_is_410(client, create_user, outbox, db):
    user = create_user("staff")
    client.post("/mot-de-passe/oubli", data={"email": user.email}, buffered=True)
    path = _reset_path(outbox()[0])
    db.session.scalars(select(PasswordReset)).one().expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get(path).status_code == 410


def test_forged_link_is_404(client):
    assert client.get("/mot-de-passe/reinitialiser/pwd_forged").status_code == 404


def test_weak_or_mismatched_password_is_refused_and_link_still_works(client, create_user, outbox):
    user = create_user("staff")
    client.post("/mot-de-passe/oubli", data={"email": user.email}, buffered=True)
    path = _reset_path(outbox()[0])
    weak = client.post(path, data={"password": "court", "confirm": "court"})
    assert weak.status_code == 422 and "12 caractères" in weak.get_data(as_text=True)
    mismatch = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"})
    assert mismatch.status_code == 422
    assert client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302


def test_reset_ends_other_sessions(client, create_user, login, outbox):
    user = create_user("staff")
    elsewhere = login(user)
    client.post("/mot-de-passe/oubli", data={"email": user.email}, buffered=True)
    path = _reset_path(outbox()[0])
    client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert elsewhere.get("/").status_code == 302


def test_deactivated_account_gets_no_reset_email(client, create_user, outbox):
    user = create_user("staff", deactivated=True)
    client.post("/mot-de-passe/oubli", data={"email": user.email}, buffered=True)
    assert outbox() == []


def test_known_and_unknown_addresses_cost_the_same_work_in_the_request(client, create_user, db, outbox):
    """What made the time differ (the link, its row, the email rendered, queued and sent) happens
    after the response: in the request both addresses run the same statements and get the same bytes."""
    user = create_user("staff")
    client.post("/mot-de-passe/oubli", data={"email": "echauffement@ght-exemple.fr"}, buffered=True)
    with statements_in_the_request(db) as known_work:
        known = client.post("/mot-de-passe/oubli", data={"email": user.email}, buffered=True)
    with statements_in_the_request(db) as unknown_work:
        unknown = client.post("/mot-de-passe/oubli", data={"email": "personne@ght-exemple.fr"}, buffered=True)
    assert known_work == unknown_work
    assert any(s.lstrip().upper().startswith("INSERT INTO AUDIT_ENTRIES") for s in known_work)
    assert (known.status_code, known.get_data()) == (unknown.status_code, unknown.get_data())
    assert known.status_code == 200
    assert "Si un compte actif correspond à cette adresse" in known.get_data(as_text=True)
    [message] = outbox()  # the link still leaves, once the response is sent
    assert message["To"] == user.email and _reset_path(message)

