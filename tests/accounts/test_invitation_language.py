"""An invitation has a language, the inviter's: its email, its acceptance page (whatever the
invitee's browser says) and the account it creates follow it."""

import html
import re

from sqlalchemy import select

from rse.accounts.models import User
from rse.communities import invitations
from rse.communities.models import Invitation
from rse.errors import ValidationError
from tests.conftest import PASSWORD


def _invite(login, create_user, create_community, db, *, inviter_locale):
    animator = create_user("staff", locale=inviter_locale)
    community = create_community(animator, name="CPOM 2026")
    assert login(animator).post(f"/espaces/{community.id}/membres", data={
        "email": "helene.garnier@ehpad-tilleuls.fr", "role": "member"}).status_code == 302
    return community


def _path(message) -> str:
    return re.search(r"http://maillage\.test(/invitations/\S+)", message.get_body(("plain",)).get_content()).group(1)


def test_a_french_invitation_reads_french_to_an_english_browser(login, create_user, create_community, app, db,
                                                                 outbox):
    _invite(login, create_user, create_community, db, inviter_locale=None)
    [message] = outbox()
    assert "vous invite" in message["Subject"]
    visitor = app.test_client()
    visitor.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en-GB,en;q=0.9"
    page = visitor.get(_path(message)).get_data(as_text=True)
    assert '<html lang="fr">' in page and "Créez votre compte Maillage pour accepter l'invitation." in page
    accepted = visitor.post(_path(message), data={"name": "Hélène Garnier", "password": PASSWORD,
                                                  "confirm": PASSWORD})
    assert accepted.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "helene.garnier@ehpad-tilleuls.fr"))
    assert user.locale == "fr"
    home = visitor.get(accepted.headers["Location"]).get_data(as_text=True)
    assert '<html lang="fr">' in home and "Bienvenue sur Maillage" in home


def test_an_english_inviter_sends_an_english_invitation_and_account(login, create_user, create_community, app, db,
                                                                    outbox):
    _invite(login, create_user, create_community, db, inviter_locale="en")
    [message] = outbox()
    assert "invites you" in message["Subject"] and "Hello," in message.get_body(("plain",)).get_content()
    assert db.session.scalar(select(Invitation.locale)) == "en"
    visitor = app.test_client()
    visitor.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr-FR,fr;q=0.9"
    page = visitor.get(_path(message)).get_data(as_text=True)
    assert '<html lang="en">' in page and "Create your Maillage account to accept the invitation." in page
    refused = visitor.post(_path(message), data={"name": "Hélène", "password": PASSWORD, "confirm": "autre"})
    assert refused.status_code == 422 and '<html lang="en">' in refused.get_data(as_text=True)
    visitor.post(_path(message), data={"name": "Hélène Garnier", "password": PASSWORD, "confirm": PASSWORD})
    user = db.session.scalar(select(User).where(User.email == "helene.garnier@ehpad-tilleuls.fr"))
    assert user.locale == "en"


def test_an_explicit_language_wins_and_an_unknown_one_is_refused(create_user, create_community, refused, db,
                                                                  outbox):
    animator = create_user("staff", locale="en")
    community = create_community(animator)
    invitation = invitations.invite(animator, community, "a@ehpad.fr", "member", locale="fr")
    db.session.commit()
    assert invitation.locale == "fr" and "vous invite" in outbox()[0]["Subject"]
    error = refused(ValidationError, invitations.invite, animator, community, "b@ehpad.fr", "member", locale="de",
                    unchanged=lambda: db.session.scalar(select(Invitation.id).where(Invitation.email == "b@ehpad.fr")))
    assert "locale" in error.fields


def test_the_invite_form_offers_the_language_and_a_french_animator_can_invite_in_english(
        login, create_user, create_community, db, outbox):
    animator = create_user("staff")
    community = create_community(animator, name="CPOM 2026")
    client = login(animator)
    form = html.unescape(client.get(f"/espaces/{community.id}/membres").get_data(as_text=True))
    assert "Langue de l'invitation" in form and '<option selected value="fr">Français</option>' in form
    assert client.post(f"/espaces/{community.id}/membres", data={
        "email": "marc.rousseau@ars.fr", "role": "member", "locale": "en"}).status_code == 302
    [message] = outbox()
    assert "invites you" in message["Subject"]
    assert db.session.scalar(select(Invitation.locale)) == "en"


def test_the_invite_form_refuses_an_unknown_language_and_invites_nobody(login, create_user, create_community, db,
                                                                        outbox):
    animator = create_user("staff")
    community = create_community(animator)
    response = login(animator).post(f"/espaces/{community.id}/membres", data={
        "email": "marc.rousseau@ars.fr", "role": "member", "locale": "de"})
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    error = re.search(r'<p[^>]+id="locale-error"[^>]*>(.*?)</p>', page, re.S)
    assert error is not None and "Valeur non reconnue." in error.group(1), page[page.find("locale"):][:600]
    assert db.session.scalar(select(Invitation.id)) is None and outbox() == []
