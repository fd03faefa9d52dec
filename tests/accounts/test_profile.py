"""Profiles, photo, personal preferences, password change, personal API tokens."""

import io
import re

from PIL import Image
from sqlalchemy import select

from rse.accounts.models import ApiToken, User, UserPhoto
from tests.conftest import PASSWORD


def _png(width=600, height=400) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 92, 173)).save(out, "PNG")
    return out.getvalue()


def test_edit_profile(login, create_user, db):
    user = create_user("staff")
    client = login(user)
    response = client.post("/profil", data={"name": "Sophie Durand", "job_title": "Infirmière hygiéniste",
                                            "organisation": "CH de Roanne", "site": "EOH", "phone": "04 77 00 00 00",
                                            "bio": "Référente BHRe.\nDisponible le mardi."})
    assert response.status_code == 302
    db.session.refresh(user)
    assert (user.name, user.organisation, user.bio) == ("Sophie Durand", "CH de Roanne",
                                                        "Référente BHRe.\nDisponible le mardi.")
    page = client.get(f"/personnes/{user.id}").get_data(as_text=True)
    assert "Infirmière hygiéniste" in page and "CH de Roanne" in page


def test_overlong_or_empty_fields_change_nothing(login, create_user, db):
    user = create_user("staff", name="Avant")
    client = login(user)
    for data in ({"name": "x" * 121}, {"name": ""}, {"name": "Ok", "phone": "0" * 41}, {"name": "Ok", "bio": "b" * 2001}):
        assert client.post("/profil", data=data).status_code == 422, data
    db.session.refresh(user)
    assert user.name == "Avant" and user.phone == ""


def test_photo_is_reencoded_square_and_served_with_permissions(login, create_user, create_community, db):
    user = create_user("staff")
    client = login(user)
    response = client.post("/profil", data={"name": user.name, "photo": (io.BytesIO(_png()), "moi.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    photo = db.session.get(UserPhoto, user.id)
    with Image.open(io.BytesIO(photo.data)) as image:
        assert image.format == "JPEG" and image.size == (256, 256)
    served = client.get(f"/personnes/{user.id}/photo")
    assert served.status_code == 200 and served.headers["Content-Type"] == "image/jpeg"
    stranger = login(create_user("partner"))
    assert stranger.get(f"/personnes/{user.id}/photo").status_code == 404


def test_a_file_that_is_not_an_image_is_refused(login, create_user, db):
    user = create_user("staff")
    client = login(user)
    response = client.post("/profil", data={"name": user.name, "photo": (io.BytesIO(b"<svg onload=alert(1)>"), "x.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert db.session.get(UserPhoto, user.id) is None


def test_preferences_apply_on_every_page(login, create_user, db):
    user = create_user("staff")
    client = login(user)
    assert client.post("/profil/preferences", data={"theme": "foret", "background": "vagues",
                                                   "locale": "fr"}).status_code == 302
    page = client.get("/annuaire").get_data(as_text=True)
    assert re.search(r'<body[^>]*class="[^"]*theme-foret', page)
    assert re.search(r'<body[^>]*class="[^"]*bg-vagues', page)


def test_unknown_theme_is_refused(login, create_user, db):
    user = create_user("staff")
    client = login(user)
    assert client.post("/profil/preferences", data={"theme": "rose", "background": "uni",
                                                   "locale": "fr"}).status_code == 422
    db.session.refresh(user)
    assert user.theme == "ocean"


def test_english_interface(login, create_user):
    user = create_user("staff")
    client = login(user)
    client.post("/profil/preferences", data={"theme": "ocean", "background": "uni", "locale": "en"})
    assert "Directory" in client.get("/annuaire").get_data(as_text=True)


def test_change_password_needs_the_current_one(login, create_user):
    user = create_user("staff")
    client = login(user)
    wrong = client.post("/profil/mot-de-passe", data={"current_password": "pas-le-bon-mot",
                                                      "new_password": "phrase-toute-neuve-2026",
                                                      "confirm": "phrase-toute-neuve-2026"})
    assert wrong.status_code == 422
    other = login(user)
    ok = client.post("/profil/mot-de-passe", data={"current_password": PASSWORD,
                                                   "new_password": "phrase-toute-neuve-2026",
                                                   "confirm": "phrase-toute-neuve-2026"})
    assert ok.status_code == 302
    assert client.get("/").status_code == 200  # this session goes on
    assert other.get("/").status_code == 302  # the others end


def test_personal_token_is_shown_once_and_can_be_revoked(login, create_user, app, db):
    user = create_user("staff")
    client = login(user)
    page = client.post("/profil/jetons", data={"name": "Tableur CPOM", "days": 30}).get_data(as_text=True)
    token = re.search(r"rse_[\w-]{20,}", page).group(0)
    api = app.test_client()
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert token not in client.get("/profil/jetons").get_data(as_text=True)
    record = db.session.scalars(select(ApiToken).where(ApiToken.kind == "personal")).one()
    client.post(f"/profil/jetons/{record.id}/revoquer")
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_token_validity_is_bounded(login, create_user, db):
    client = login(create_user("staff"))
    assert client.post("/profil/jetons", data={"name": "Trop long", "days": 400}).status_code == 422
    assert db.session.scalar(select(ApiToken.id).where(ApiToken.kind == "personal")) is None


def test_someone_elses_token_cannot_be_revoked(login, create_user, db):
    owner, other = create_user("staff"), create_user("staff")
    from rse.accounts.service import create_personal_token

    _token, record = create_personal_token(owner, "Mien", 10)
    db.session.commit()
    assert login(other).post(f"/profil/jetons/{record.id}/revoquer").status_code == 404
    db.session.refresh(record)
    assert record.revoked_at is None


def test_directory_partial_for_htmx(login, create_user):
    viewer = create_user("staff")
    create_user("staff", name="Karim Benali")
    response = login(viewer).get("/annuaire?q=benali", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Karim Benali" in html and "<html" not in html


def test_people_seen_by_a_partner(login, create_user, create_community):
    partner, colleague, elsewhere = create_user("partner"), create_user("staff", name="Collègue"), \
        create_user("staff", name="Ailleurs")
    create_community(colleague, members=[(partner, "member")])
    page = login(partner).get("/annuaire").get_data(as_text=True)
    assert "Collègue" in page and "Ailleurs" not in page
    assert login(partner).get(f"/personnes/{elsewhere.id}").status_code == 404


def test_user_model_rejects_mixed_case_email_in_the_database(db, create_user):
    import pytest
    from sqlalchemy.exc import IntegrityError

    db.session.add(User(email="Mixed@GHT-exemple.fr", name="X", role="staff"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_signed_in_pages_are_french_whatever_the_browser_says(login, create_user, db):
    user = create_user("staff")
    client = login(user)
    page = client.get("/annuaire", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="fr"' in page and "Annuaire" in page
