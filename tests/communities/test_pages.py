"""Community pages: create, join, request, leave, settings, members, invitations by form."""

import re
from datetime import timedelta

from sqlalchemy import select

from rse.accounts.models import User
from rse.communities import service
from rse.communities.models import Community, Invitation, JoinRequest
from rse.dbtypes import utcnow
from tests.conftest import PASSWORD


def test_create_a_community_by_form(login, create_user, db):
    user = create_user("staff")
    client = login(user)
    response = client.post("/espaces/nouveau", data={"name": "Achats", "description": "Marchés du GHT",
                                                     "visibility": "public"})
    assert response.status_code == 302
    community = db.session.scalars(select(Community)).one()
    assert service.membership_role(user.id, community.id) == "animator"
    assert "Achats" in client.get(f"/espaces/{community.id}").get_data(as_text=True)


def test_create_with_a_taken_name_shows_the_error(login, create_user, create_community, db):
    create_community(name="Achats")
    response = login(create_user("staff")).post("/espaces/nouveau", data={"name": "Achats", "visibility": "public"})
    assert response.status_code == 409
    assert "porte déjà ce nom" in response.get_data(as_text=True)
    assert db.session.query(Community).count() == 1


def test_join_and_leave_a_public_community(login, create_user, create_community):
    user = create_user("staff")
    community = create_community(visibility="public")
    client = login(user)
    client.post(f"/espaces/{community.id}/rejoindre")
    assert service.membership_role(user.id, community.id) == "member"
    client.post(f"/espaces/{community.id}/quitter")
    assert service.membership_role(user.id, community.id) is None


def test_request_to_join_a_private_community(login, create_user, create_community, db):
    animator, user = create_user("staff"), create_user("staff")
    community = create_community(animator, visibility="private")
    page = login(user).get(f"/espaces/{community.id}").get_data(as_text=True)
    assert "demander" in page.lower()
    login(user).post(f"/espaces/{community.id}/demander", data={"message": "Je suis acheteur à Roanne"})
    request = db.session.scalars(select(JoinRequest)).one()
    members_page = login(animator).get(f"/espaces/{community.id}/membres").get_data(as_text=True)
    assert "Je suis acheteur à Roanne" in members_page
    login(animator).post(f"/espaces/{community.id}/demandes/{request.id}/accepter")
    assert service.membership_role(user.id, community.id) == "member"


def test_staff_outside_a_private_community_sees_it_but_not_its_content(login, create_user, create_community):
    animator = create_user("staff")
    community = create_community(animator, visibility="private", description="Ordre du jour confidentiel")
    service.add_link(animator, "Lien interne", "https://interne.ght-exemple.fr", community=community)
    from rse.database import db

    db.session.commit()
    page = login(create_user("staff")).get(f"/espaces/{community.id}").get_data(as_text=True)
    assert community.name in page
    assert "Lien interne" not in page


def test_settings_by_the_animator(login, create_user, create_community, db):
    animator = create_user("staff")
    community = create_community(animator)
    response = login(animator).post(f"/espaces/{community.id}/parametres", data={
        "name": "CPOM 2026", "description": "Négociation", "visibility": "secret", "sensitive": "y"})
    assert response.status_code == 302
    db.session.refresh(community)
    assert (community.name, community.visibility, community.sensitive) == ("CPOM 2026", "secret", True)


def test_invite_by_form_then_accept_through_the_link(login, create_user, create_community, outbox, app, db):
    animator = create_user("staff")
    community = create_community(animator, name="CPOM 2026 – EHPAD Les Tilleuls")
    response = login(animator).post(f"/espaces/{community.id}/membres", data={
        "email": "helene.garnier@ehpad-tilleuls.fr", "role": "member"})
    assert response.status_code == 302
    [message] = outbox()
    body = message.get_body(("plain",)).get_content()
    path = re.search(r"http://maillage\.test(/invitations/\S+)", body).group(1)
    assert "CPOM 2026" in message.get_body(("html",)).get_content()

    visitor = app.test_client()
    form = visitor.get(path)
    assert form.status_code == 200 and "helene.garnier@ehpad-tilleuls.fr" in form.get_data(as_text=True)
    accepted = visitor.post(path, data={"name": "Hélène Garnier", "password": PASSWORD, "confirm": PASSWORD})
    assert accepted.status_code == 302
    assert accepted.headers["Location"] == f"/espaces/{community.id}"
    assert "CPOM 2026" in visitor.get(accepted.headers["Location"]).get_data(as_text=True)
    user = db.session.scalar(select(User).where(User.email == "helene.garnier@ehpad-tilleuls.fr"))
    assert user.role == "partner"
    assert visitor.get(path).status_code == 409  # used


def test_invitation_page_errors(app, create_user, create_community, login, outbox, db):
    animator = create_user("staff")
    community = create_community(animator)
    login(animator).post(f"/espaces/{community.id}/membres", data={"email": "x@ars-exemple.fr", "role": "member"})
    path = re.search(r"http://maillage\.test(/invitations/\S+)", outbox()[0].get_body(("plain",)).get_content()).group(1)
    visitor = app.test_client()
    mismatch = visitor.post(path, data={"name": "X", "password": PASSWORD, "confirm": "autre-chose-longue"})
    assert mismatch.status_code == 422
    weak = visitor.post(path, data={"name": "X", "password": "court", "confirm": "court"})
    assert weak.status_code == 422
    assert db.session.scalar(select(User.id).where(User.email == "x@ars-exemple.fr")) is None
    db.session.scalars(select(Invitation)).one().expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert visitor.get(path).status_code == 410
    assert visitor.get("/invitations/inv_forged").status_code == 404


def test_invite_form_errors_change_nothing(login, create_user, create_community, outbox, db):
    animator = create_user("staff")
    community = create_community(animator)
    client = login(animator)
    assert client.post(f"/espaces/{community.id}/membres", data={"email": "pas-une-adresse", "role": "member"}).status_code == 422
    assert client.post(f"/espaces/{community.id}/membres", data={"email": "a@b.fr", "role": "chef"}).status_code == 422
    assert outbox() == [] and db.session.query(Invitation).count() == 0


def test_member_cannot_post_the_invite_form(login, create_user, create_community, db):
    member = create_user("staff")
    community = create_community(members=[(member, "member")])
    assert login(member).post(f"/espaces/{community.id}/membres",
                              data={"email": "a@ars-exemple.fr", "role": "member"}).status_code == 403
    assert db.session.query(Invitation).count() == 0


def test_role_change_and_removal_by_form(login, create_user, create_community):
    animator, member = create_user("staff"), create_user("staff")
    community = create_community(animator, members=[(member, "member")])
    client = login(animator)
    client.post(f"/espaces/{community.id}/membres/{member.id}/role", data={"role": "reader"})
    assert service.membership_role(member.id, community.id) == "reader"
    client.post(f"/espaces/{community.id}/membres/{member.id}/retirer")
    assert service.membership_role(member.id, community.id) is None


def test_last_animator_leaving_gets_a_message(login, create_user, create_community):
    animator = create_user("staff")
    community = create_community(animator)
    client = login(animator)
    response = client.post(f"/espaces/{community.id}/quitter", follow_redirects=True)
    assert "dernier animateur" in response.get_data(as_text=True)
    assert service.membership_role(animator.id, community.id) == "animator"


def test_home_lists_my_communities_and_my_links(login, create_user, create_community):
    user = create_user("staff")
    create_community(user, name="Hygiène – protocoles GHT")
    create_community(name="Autre espace")
    client = login(user)
    client.post("/liens", data={"title": "Planning des gardes", "url": "https://planning.ght-exemple.fr"})
    page = client.get("/").get_data(as_text=True)
    assert "Hygiène – protocoles GHT" in page and "Autre espace" not in page
    assert "Planning des gardes" in page


def test_community_list_search_partial(login, create_user, create_community):
    user = create_user("staff")
    create_community(name="Achats", visibility="public")
    create_community(name="Qualité", visibility="public")
    response = login(user).get("/espaces?q=ach", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert "Achats" in html and "Qualité" not in html and "<html" not in html


def test_invitation_link_opened_by_someone_else_signed_in_is_refused(login, create_user, create_community, outbox, db):
    animator, colleague = create_user("staff"), create_user("staff")
    community = create_community(animator)
    login(animator).post(f"/espaces/{community.id}/membres", data={"email": "new@ars-exemple.fr", "role": "member"})
    path = re.search(r"http://maillage\.test(/invitations/\S+)", outbox()[0].get_body(("plain",)).get_content()).group(1)
    client = login(colleague)
    assert client.get(path).status_code == 409
    refused = client.post(path, data={"name": "Intrus", "password": PASSWORD, "confirm": PASSWORD})
    assert refused.status_code == 409 and "new@ars-exemple.fr" in refused.get_data(as_text=True)
    assert db.session.scalar(select(User.id).where(User.email == "new@ars-exemple.fr")) is None
