"""The directory and profiles: professional contact details for those who may see the person, the
phone only if its owner shows it, filters built from the people shown, the contacts of my spaces."""

import pytest

from rse.accounts import service
from rse.errors import ValidationError

PHONE = "04 77 00 00 01"


def _page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


@pytest.fixture
def reachable(world, db):
    """The staff member of the world, with a phone they show, an establishment, a site and a job."""
    member = world.member
    member.phone, member.organisation, member.site, member.job_title = PHONE, "CH de Roanne", "EOH", "Hygiéniste"
    db.session.commit()
    return member


@pytest.mark.parametrize("viewer", ["admin", "animator", "outsider", "partner"])
def test_whoever_sees_the_profile_reads_the_address_and_the_shown_phone(world, reachable, login, viewer):
    page = _page(login(getattr(world, viewer)), f"/personnes/{reachable.id}")
    assert f'href="mailto:{reachable.email}"' in page
    assert 'href="tel:0477000001"' in page and PHONE in page


@pytest.mark.parametrize("viewer, sees_phone", [("animator", False), ("outsider", False), ("partner", False),
                                                ("admin", True), ("member", True)])
def test_a_hidden_phone_shows_only_to_its_owner_and_administrators(world, reachable, login, db, viewer, sees_phone):
    reachable.phone_visible = False
    db.session.commit()
    client = login(getattr(world, viewer))
    profile = _page(client, f"/personnes/{reachable.id}")
    directory = _page(client, "/annuaire")
    assert reachable.email in profile and reachable.email in directory  # the address stays
    assert (PHONE in profile) is sees_phone
    assert (PHONE in directory) is sees_phone


def test_a_person_outside_a_partners_spaces_gives_no_detail(world, reachable, login, client):
    stranger = login(world.stranger)
    assert stranger.get(f"/personnes/{reachable.id}").status_code == 404
    page = _page(stranger, "/annuaire")
    assert reachable.email not in page and PHONE not in page
    assert client.get(f"/personnes/{reachable.id}").status_code == 302  # anonymous: to the login form


def test_the_phone_choice_is_set_on_the_profile_page(world, login, db):
    member = world.member
    client = login(member)
    assert "Afficher mon téléphone aux collègues" in _page(client, "/profil")
    assert client.post("/profil", data={"name": member.name, "phone": PHONE}).status_code == 302
    db.session.refresh(member)
    assert member.phone == PHONE and member.phone_visible is False
    assert client.post("/profil", data={"name": member.name, "phone": PHONE,
                                        "phone_visible": "y"}).status_code == 302
    db.session.refresh(member)
    assert member.phone_visible is True


def test_the_phone_choice_must_be_yes_or_no(world, refused, db):
    error = refused(ValidationError, service.update_profile, world.member, world.member, {"phone_visible": "oui"},
                    unchanged=lambda: db.session.get(type(world.member), world.member.id).phone_visible)
    assert "phone_visible" in error.fields


def test_the_api_hides_a_hidden_phone_too(world, reachable, api, db):
    reachable.phone_visible = False
    db.session.commit()
    seen = api(world.animator).get(f"/api/v1/users/{reachable.id}").get_json()
    assert seen["email"] == reachable.email and seen["phone"] == ""
    assert api(world.admin).get(f"/api/v1/users/{reachable.id}").get_json()["phone"] == PHONE


def test_the_subtitle_says_who_the_directory_lists(world, login):
    assert "Les agents du groupement et les partenaires extérieurs qui ont un compte actif." in _page(
        login(world.outsider), "/annuaire")
    assert "Les personnes avec qui vous partagez un espace." in _page(login(world.partner), "/annuaire")


def test_filters_by_establishment_site_and_job(world, create_user, login):
    create_user("staff", name="Julie Achat", organisation="CHU de Saint-Étienne", site="Nord", job_title="Acheteuse")
    create_user("staff", name="Paul Soin", organisation="CHU de Saint-Étienne", site="Bellevue", job_title="Cadre")
    create_user("staff", name="Anne Autre", organisation="CH du Forez", site="Nord", job_title="Acheteuse")
    client = login(world.outsider)
    page = _page(client, "/annuaire")
    for option in ('<option value="CHU de Saint-Étienne"', '<option value="Bellevue"', '<option value="Acheteuse"'):
        assert option in page
    by_place = _page(client, "/annuaire?etablissement=CHU+de+Saint-%C3%89tienne")
    assert "Julie Achat" in by_place and "Paul Soin" in by_place and "Anne Autre" not in by_place
    by_job = _page(client, "/annuaire?etablissement=CHU+de+Saint-%C3%89tienne&fonction=Acheteuse")
    assert "Julie Achat" in by_job and "Paul Soin" not in by_job and "1 personne" in by_job
    by_site = _page(client, "/annuaire?site=Nord")
    assert "Julie Achat" in by_site and "Anne Autre" in by_site and "Paul Soin" not in by_site
    assert "Personne ne correspond" in _page(client, "/annuaire?fonction=Astronaute")


def test_a_partner_never_sees_filter_values_of_people_outside_their_spaces(world, reachable, create_user, login):
    far = create_user("staff", name="Loin", organisation="Clinique Secrète", site="Site caché", job_title="Métier caché")
    page = _page(login(world.partner), "/annuaire")
    assert "CH de Roanne" in page and "Hygiéniste" in page  # a fellow member's
    for hidden in ("Clinique Secrète", "Site caché", "Métier caché", "Loin"):
        assert hidden not in page
    # Asking for the value by its name shows nothing either.
    asked = _page(login(world.partner), "/annuaire?etablissement=Clinique+Secr%C3%A8te")
    assert "Loin" not in asked and "Personne ne correspond" in asked
    assert not _listed(asked, far)
    assert "Clinique Secrète" in _page(login(world.outsider), "/annuaire")  # staff see every colleague


def _listed(page: str, person) -> bool:
    return f'<h2><a href="/personnes/{person.id}">' in page  # a card of the list


def test_contacts_of_my_spaces(world, create_user, create_community, login):
    colleague = create_user("staff", name="Voisine de bureau")
    create_community(world.outsider, name="Bureau", members=[(colleague, "member")])
    unknown = create_user("staff", name="Inconnue")
    everyone = _page(login(world.outsider), "/annuaire")
    assert _listed(everyone, colleague) and _listed(everyone, unknown) and _listed(everyone, world.member)
    contacts = _page(login(world.outsider), "/annuaire?vue=contacts")
    assert _listed(contacts, colleague) and "1 personne" in contacts
    assert not _listed(contacts, unknown) and not _listed(contacts, world.outsider)  # nor themselves
    member_contacts = _page(login(world.member), "/annuaire?vue=contacts")
    assert _listed(member_contacts, world.animator) and _listed(member_contacts, world.partner)
    assert not _listed(member_contacts, world.deactivated) and not _listed(member_contacts, colleague)


def test_contacts_of_someone_in_no_space(create_user, login):
    alone = create_user("staff")
    create_user("staff", name="Quelqu'un")
    page = _page(login(alone), "/annuaire?vue=contacts")
    assert "Vous ne partagez encore aucun espace" in page


def test_an_unknown_filter_is_refused(world, refused):
    error = refused(ValidationError, service.search_people, world.member, filters={"email": "x"})
    assert "email" in error.fields
