"""The permission matrix: every actor × every page and API endpoint of the foundation.

What a user may not know exists (a secret community, anything outside a partner's
communities) answers 404, never 403.
"""

from __future__ import annotations

import itertools

import pytest

from rse.dbtypes import utcnow

ACTORS = ("admin", "member", "outsider", "partner", "stranger", "deactivated", "expired", "anonymous")
GONE = ("deactivated", "expired", "anonymous")  # they act as nobody


def expect(default: int, gone: int, **overrides: int) -> dict[str, int]:
    statuses = {actor: default for actor in ACTORS if actor not in GONE}
    statuses.update(dict.fromkeys(GONE, gone))
    statuses.update(overrides)
    return statuses


LOGIN = 302  # pages send nobody to the login form

# (path, expected status per actor). Placeholders: {public}, {private}, {secret} communities, {member},
# {outsider}, {deactivated_user} people.
PAGES = [
    ("/", expect(200, LOGIN)),
    ("/espaces", expect(200, LOGIN)),
    ("/espaces?vue=miens", expect(200, LOGIN)),
    ("/espaces/{public}", expect(200, LOGIN, stranger=404)),
    ("/espaces/{private}", expect(200, LOGIN, stranger=404)),
    ("/espaces/{secret}", expect(200, LOGIN, stranger=404, outsider=404)),
    ("/espaces/999999", expect(404, LOGIN)),
    ("/espaces/{public}/membres", expect(200, LOGIN, stranger=404)),
    ("/espaces/{private}/membres", expect(200, LOGIN, stranger=404, outsider=403)),
    ("/espaces/{secret}/membres", expect(200, LOGIN, stranger=404, outsider=404)),
    ("/espaces/{private}/parametres", expect(403, LOGIN, admin=200, stranger=404)),
    ("/espaces/{secret}/parametres", expect(403, LOGIN, admin=200, stranger=404, outsider=404)),
    ("/espaces/nouveau", expect(200, LOGIN, partner=403, stranger=403)),
    ("/annuaire", expect(200, LOGIN)),
    ("/annuaire?q=membre", expect(200, LOGIN)),
    ("/personnes/{member}", expect(200, LOGIN, stranger=404)),
    ("/personnes/{outsider}", expect(200, LOGIN, partner=404, stranger=404)),
    ("/personnes/{deactivated_user}", expect(404, LOGIN, admin=200)),
    ("/personnes/{member}/photo", expect(404, LOGIN)),  # no photo uploaded: 404 for all who may see
    ("/profil", expect(200, LOGIN)),
    ("/profil/preferences", expect(200, LOGIN)),
    ("/profil/mot-de-passe", expect(200, LOGIN)),
    ("/profil/jetons", expect(200, LOGIN)),
    ("/admin/utilisateurs", expect(403, LOGIN, admin=200)),
    ("/admin/utilisateurs/{member}", expect(403, LOGIN, admin=200)),
    ("/admin/journal", expect(403, LOGIN, admin=200)),
    ("/admin/journal/export.csv", expect(403, LOGIN, admin=200)),
    ("/admin/lettre", expect(403, LOGIN, admin=200)),
    ("/connexion", expect(302, 200)),  # a logged-in user is sent home
    ("/mot-de-passe/oubli", expect(200, 200)),
    ("/manifest.webmanifest", expect(200, 200)),
    ("/favicon.ico", expect(301, 301)),
]

_names = itertools.count()

# Form posts (CSRF is off in these tests; its own test is in test_security.py). A refusal the
# user may know about is shown as a flash on a redirect only where the page says so (joining);
# elsewhere the status is the refusal's own. The two last rows change accounts: keep them last.
POSTS = [
    ("/espaces/{private}/parametres", lambda ids: {"name": "Espace private", "visibility": "private"},
     expect(403, LOGIN, admin=302, stranger=404)),
    ("/espaces/{secret}/parametres", lambda ids: {"name": "Espace secret", "visibility": "secret"},
     expect(403, LOGIN, admin=302, stranger=404, outsider=404)),
    ("/espaces/{private}/membres", lambda ids: {"email": f"p{next(_names)}@ars-exemple.fr", "role": "member"},
     expect(403, LOGIN, admin=302, stranger=404)),
    ("/espaces/{secret}/membres", lambda ids: {"email": f"p{next(_names)}@ars-exemple.fr", "role": "member"},
     expect(403, LOGIN, admin=302, stranger=404, outsider=404)),
    ("/espaces/{private}/membres/{member}/role", lambda ids: {"role": "member"},
     expect(403, LOGIN, admin=302, stranger=404)),
    ("/espaces/{private}/liens", lambda ids: {"title": "Lien", "url": "https://www.ght-exemple.fr/"},
     expect(403, LOGIN, admin=302, stranger=404)),
    ("/espaces/{private}/invitations/999999/annuler", None, expect(403, LOGIN, admin=404, stranger=404)),
    ("/espaces/{private}/demandes/999999/accepter", None, expect(403, LOGIN, admin=404, stranger=404)),
    ("/espaces/{secret}/rejoindre", None, expect(302, LOGIN, stranger=404, outsider=404)),
    ("/espaces/{private}/demander", lambda ids: {"message": "Bonjour"}, expect(302, LOGIN, stranger=404)),
    ("/espaces/nouveau", lambda ids: {"name": f"Espace {next(_names)}", "visibility": "public"},
     expect(302, LOGIN, partner=403, stranger=403)),
    ("/liens", lambda ids: {"title": "Agenda", "url": "https://agenda.ght-exemple.fr"}, expect(302, LOGIN)),
    ("/profil/jetons", lambda ids: {"name": "Tableur", "days": 30}, expect(200, LOGIN)),
    ("/profil/preferences", lambda ids: {"theme": "ocean", "background": "uni", "locale": "fr"}, expect(302, LOGIN)),
    ("/admin/utilisateurs/{deactivated_user}/reactiver", None, expect(403, LOGIN, admin=302)),
    ("/admin/utilisateurs/{deactivated_user}/desactiver", None, expect(403, LOGIN, admin=302)),
]

# (method, path, json body or a function of the actor giving it, expected status per actor)
API = [
    ("GET", "/api/v1/me", None, expect(200, 401)),
    ("GET", "/api/v1/users", None, expect(200, 401)),
    ("GET", "/api/v1/users?q=membre", None, expect(200, 401)),
    ("GET", "/api/v1/users/{member}", None, expect(200, 401, stranger=404)),
    ("GET", "/api/v1/users/{outsider}", None, expect(200, 401, partner=404, stranger=404)),
    ("GET", "/api/v1/users/{deactivated_user}", None, expect(404, 401, admin=200)),
    ("GET", "/api/v1/users/999999", None, expect(404, 401)),
    ("GET", "/api/v1/communities", None, expect(200, 401)),
    ("GET", "/api/v1/communities/{public}", None, expect(200, 401, stranger=404)),
    ("GET", "/api/v1/communities/{private}", None, expect(200, 401, stranger=404)),
    ("GET", "/api/v1/communities/{secret}", None, expect(200, 401, stranger=404, outsider=404)),
    ("GET", "/api/v1/communities/{private}/members", None, expect(200, 401, stranger=404, outsider=403)),
    ("GET", "/api/v1/communities/{secret}/members", None, expect(200, 401, stranger=404, outsider=404)),
    ("PATCH", "/api/v1/communities/{private}", {"description": "Nouvelle description"},
     expect(403, 401, admin=200, stranger=404)),
    ("PATCH", "/api/v1/communities/{secret}", {"description": "Nouvelle description"},
     expect(403, 401, admin=200, stranger=404, outsider=404)),
    ("PATCH", "/api/v1/communities/{private}/members/{member_id}", {"role": "member"},
     expect(403, 401, admin=200, stranger=404)),
    ("DELETE", "/api/v1/communities/{secret}/members/{animator_id}", None,
     expect(403, 401, admin=409, stranger=404, outsider=404)),
    ("POST", "/api/v1/communities/{private}/members", lambda ids: {"user_id": ids["self"]},
     expect(403, 401, admin=201, member=409, partner=409, stranger=404)),
    ("POST", "/api/v1/communities/{public}/members", lambda ids: {"user_id": ids["self"]},
     expect(201, 401, member=409, partner=409, stranger=404)),
    ("POST", "/api/v1/invitations", lambda ids: {"email": f"new{next(_names)}@ars-exemple.fr",
                                                  "community_id": ids["private"]},
     expect(403, 401, admin=201, stranger=404)),
    ("POST", "/api/v1/invitations", lambda ids: {"email": f"new{next(_names)}@ars-exemple.fr",
                                                  "community_id": ids["secret"]},
     expect(403, 401, admin=201, stranger=404, outsider=404)),
    ("POST", "/api/v1/communities", lambda ids: {"name": f"Nouvel espace {next(_names)}"},
     expect(201, 401, partner=403, stranger=403)),
    # Open to all, but a token that is sent must be valid.
    ("GET", "/api/v1/openapi.json", None, expect(200, 401, anonymous=200)),
]


def _ids(world, actor_name: str) -> dict:
    actor = getattr(world, actor_name, None)
    return {
        "public": world.spaces["public"].id, "private": world.spaces["private"].id,
        "secret": world.spaces["secret"].id, "member": world.member.id, "member_id": world.member.id,
        "outsider": world.outsider.id, "deactivated_user": world.deactivated.id,
        "animator_id": world.animator.id, "self": actor.id if actor else None,
    }


def _web_client(world, actor_name, login, db):
    if actor_name == "anonymous":
        return None
    user = getattr(world, actor_name)
    if actor_name in {"deactivated", "expired"}:
        # Logged in while still active; the account changes under a live session.
        saved = user.deactivated_at, user.expires_at
        user.deactivated_at, user.expires_at = None, None
        db.session.commit()
        client = login(user)
        user.deactivated_at, user.expires_at = saved
        db.session.commit()
        return client
    return login(user)


@pytest.mark.parametrize("actor_name", ACTORS)
def test_pages(actor_name, world, login, app, db):
    client = _web_client(world, actor_name, login, db) or app.test_client()
    ids = _ids(world, actor_name)
    wrong = []
    for path, statuses in PAGES:
        response = client.get(path.format(**ids))
        if response.status_code != statuses[actor_name]:
            wrong.append(f"GET {path}: {response.status_code}, expected {statuses[actor_name]}")
        if response.status_code == 302 and statuses[actor_name] == LOGIN and path != "/connexion":
            assert "/connexion" in response.headers["Location"], path
    assert wrong == []


@pytest.mark.parametrize("actor_name", ACTORS)
def test_form_posts(actor_name, world, login, app, db):
    client = _web_client(world, actor_name, login, db) or app.test_client()
    ids = _ids(world, actor_name)
    wrong = []
    for path, body, statuses in POSTS:
        response = client.post(path.format(**ids), data=body(ids) if callable(body) else None)
        if response.status_code != statuses[actor_name]:
            wrong.append(f"POST {path}: {response.status_code}, expected {statuses[actor_name]}")
    assert wrong == []


def _api_client(world, actor_name, api, db):
    user = getattr(world, actor_name, None)
    if actor_name not in {"deactivated", "expired"}:
        return api(user)
    # A token issued while the account was active; the account changes afterwards.
    saved = user.deactivated_at, user.expires_at
    user.deactivated_at, user.expires_at = None, None
    db.session.commit()
    client = api(user)
    user.deactivated_at, user.expires_at = saved
    db.session.commit()
    return client


@pytest.mark.parametrize("actor_name", ACTORS)
def test_api(actor_name, world, api, db):
    client = _api_client(world, actor_name, api, db)
    ids = _ids(world, actor_name)
    wrong = []
    for method, path, body, statuses in API:
        payload = body(ids) if callable(body) else body
        response = client.open(path.format(**ids), method=method, json=payload)
        if response.status_code != statuses[actor_name]:
            wrong.append(f"{method} {path}: {response.status_code}, expected {statuses[actor_name]} "
                         f"{response.get_data(as_text=True)[:200]}")
        if response.status_code >= 400:
            error = response.json["error"]
            assert error["code"] and error["message"], path
    assert wrong == []


def test_hidden_answers_do_not_differ_from_missing_ones(world, api):
    """A partner cannot tell a community of others from one that does not exist."""
    client = api(world.stranger)
    hidden = client.get(f"/api/v1/communities/{world.spaces['private'].id}")
    missing = client.get("/api/v1/communities/987654")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json == missing.json


def test_partner_lists_only_their_communities(world, api, create_community):
    create_community(visibility="public", name="Achats")
    names = {c["name"] for c in api(world.partner).get("/api/v1/communities").json["items"]}
    assert names == {"Espace public", "Espace private", "Espace secret"}
    assert api(world.stranger).get("/api/v1/communities").json["items"] == []


def test_staff_lists_public_and_private_but_not_secret(world, api):
    names = {c["name"] for c in api(world.outsider).get("/api/v1/communities").json["items"]}
    assert names == {"Espace public", "Espace private"}


def test_partner_directory_shows_only_people_sharing_a_community(world, api):
    names = {p["name"] for p in api(world.partner).get("/api/v1/users").json["items"]}
    assert names == {"Animatrice", "Membre", "Partenaire membre"}
    assert {p["name"] for p in api(world.stranger).get("/api/v1/users").json["items"]} == {"Partenaire étranger"}


def test_staff_directory_hides_deactivated_people(world, api):
    names = {p["name"] for p in api(world.outsider).get("/api/v1/users").json["items"]}
    assert "Désactivé" not in names and "Partenaire étranger" in names
    assert "Désactivé" in {p["name"] for p in api(world.admin).get("/api/v1/users").json["items"]}


def test_partner_search_cannot_probe_outside_people(world, api):
    client = api(world.partner)
    assert client.get("/api/v1/users?q=extérieur").json["total"] == 0
    assert client.get("/api/v1/users?q=étranger").json["total"] == 0


def test_leaving_removes_access_at_once(world, api):
    client = api(world.partner)
    private = world.spaces["private"].id
    assert client.get(f"/api/v1/communities/{private}").status_code == 200
    assert client.delete(f"/api/v1/communities/{private}/members/{world.partner.id}").status_code == 204
    assert client.get(f"/api/v1/communities/{private}").status_code == 404


def test_deactivation_ends_a_live_session(world, login, db):
    client = login(world.member)
    assert client.get("/").status_code == 200
    world.member.deactivated_at = utcnow()
    db.session.commit()
    response = client.get("/")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]
