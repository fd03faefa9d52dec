"""Numbers from outside that no database column holds: a clear 4xx, never a database error, nothing changed."""

import re

import pytest

from rse.dbtypes import MAX_ID

HUGE = ["2147483648", "9223372036854775808", "1" + "0" * 30]


def _int_rules(app):
    for rule in app.url_map.iter_rules():
        if "int" in {type(c).__name__.lower() for c in rule._converters.values()} or "<int:" in rule.rule:
            yield rule


@pytest.mark.slow
def test_every_int_route_answers_404_for_an_id_beyond_the_database(app, world, login, api):
    """A huge id in a path is a plain 404 (HTML page or JSON error) for every route and method."""
    page, token = login(world.admin), api(world.admin)
    checked = 0
    for rule in _int_rules(app):
        for huge in HUGE[1:]:
            path = re.sub(r"<int:[^>]+>", huge, rule.rule)
            path = re.sub(r"<[^>]+>", "x", path)
            client = token if path.startswith("/api/") else page
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = client.open(path, method=method, json={} if path.startswith("/api/") else None)
                checked += 1
                assert response.status_code == 404, (method, path, response.status_code)
                if path.startswith("/api/"):
                    assert response.json["error"]["code"] == "not_found", (method, path)
                else:
                    assert "Page introuvable" in response.get_data(as_text=True), (method, path)
    assert checked > 100


@pytest.mark.parametrize("huge", HUGE)
def test_pages_with_huge_numbers_in_the_query_answer_without_error(world, login, huge):
    """Pages read an odd page number or cursor in their links as the first page, as they ignore odd
    filters; a search filter says it is invalid."""
    client = login(world.admin)
    for path, shows in ((f"/notifications?before={huge}", "Notifications"), ("/notifications?before=1e19", "Notifications"),
                        (f"/annuaire?page={huge}", "Partenaire étranger"), (f"/admin/journal?page={huge}", "Journal")):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert shows in response.get_data(as_text=True), path
    response = client.get(f"/recherche?q=protocole&community={huge}")
    assert response.status_code == 422
    assert "Espace invalide" in response.get_data(as_text=True)


@pytest.mark.parametrize("huge", HUGE)
def test_api_query_numbers_beyond_the_database_are_400(world, api, huge):
    client = api(world.admin)
    for path in (f"/api/v1/notifications?before={huge}", f"/api/v1/users?offset={huge}",
                 f"/api/v1/users?limit={huge}", f"/api/v1/search?q=protocole&community={huge}",
                 f"/api/v1/search?q=protocole&author={huge}", f"/api/v1/feed?limit={huge}",
                 "/api/v1/notifications?before=1e19"):
        response = client.get(path)
        assert response.status_code in {400, 422}, (path, response.status_code)
        assert response.json["error"]["code"] in {"bad_pagination", "bad_request", "validation_error"}, path


@pytest.mark.parametrize("huge", [int(h) for h in HUGE])
def test_api_json_ids_beyond_the_database_are_422_and_change_nothing(world, api, create_document, huge):
    client = api(world.animator)
    space = world.spaces["public"]
    document = create_document(space, world.animator)
    publication = client.post(f"/api/v1/communities/{space.id}/publications",
                              json={"kind": "question", "title": "Une question", "body": "?"}).json
    comment = client.post(f"/api/v1/publications/{publication['id']}/comments", json={"body": "Réponse"}).json
    requests = [
        ("post", f"/api/v1/communities/{space.id}/members", {"user_id": huge}),
        ("patch", f"/api/v1/documents/{document.id}", {"folder_id": huge}),
        ("post", "/api/v1/invitations", {"email": "x@ars-exemple.fr", "community_id": huge}),
        ("post", f"/api/v1/comments/{comment['id']}/accept", {"question_id": huge}),
        ("post", "/api/v1/notifications/read", {"ids": [huge]}),
        ("post", f"/api/v1/communities/{space.id}/publications",
         {"kind": "post", "title": "T", "body": "b", "attachments": [huge]}),
        ("post", "/api/v1/suggestions", {"item": {"type": "document", "id": huge}, "users": [world.member.id]}),
        ("post", "/api/v1/suggestions", {"item": {"type": "document", "id": document.id}, "users": [huge]}),
        ("post", "/api/v1/suggestions", {"item": {"type": "document", "id": document.id}, "communities": [huge]}),
        ("put", "/api/v1/follows", {"target": "person", "key": huge}),  # 404: an id that cannot exist is missing
        ("put", "/api/v1/follows", {"target": "document", "key": huge}),
        ("put", f"/api/v1/publications/{publication['id']}/pin", {"position": huge}),
    ]
    for method, path, body in requests:
        response = client.open(path, method=method, json=body)
        assert response.status_code in {404, 422}, (method, path, body, response.status_code)
        assert response.json["error"]["code"] != "internal_error", (method, path, body)
    response = client.post(f"/api/v1/communities/{space.id}/documents",
                           data={"file": (__import__("io").BytesIO(b"texte"), "a.txt"), "folder_id": str(huge)})
    assert response.status_code in {404, 422}, response.status_code
    after = client.get(f"/api/v1/communities/{space.id}/documents").json
    assert after["total"] == 1
    assert client.get(f"/api/v1/documents/{document.id}").json["folder_id"] is None


def test_max_id_is_a_real_id_bound(app):
    assert MAX_ID == 2**31 - 1


@pytest.mark.parametrize("odd", ["²", "1" * 5000, "١٢"])
def test_numbers_int_cannot_read_are_refused_not_errors(world, api, login, odd):
    """"²" passes isdigit() and 5,000 digits pass isdecimal(), but int() refuses both: a 500 before."""
    response = api(world.admin).get(f"/api/v1/search?q=protocole&community={odd}")
    assert response.status_code == 422
    assert "community" in response.json["error"]["fields"]
    response = login(world.admin).get(f"/recherche?q=protocole&author={odd}")
    assert response.status_code == 422 and "Auteur invalide" in response.get_data(as_text=True)
