"""The OpenAPI document describes every API route, and only those."""

import re

from rse.api.openapi import ERROR_STATUSES


def _api_routes(app) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((path, method.lower()))
    return routes


def test_every_api_route_is_documented(client, app):
    document = client.get("/api/v1/openapi.json").json
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    assert _api_routes(app) == documented


def test_document_is_openapi_3_with_bearer_security_and_error_shape(client):
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.")
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert set(document["components"]["schemas"]["Error"]["properties"]["error"]["required"]) == {"code", "message"}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status in operation["responses"]:
                assert status in ERROR_STATUSES or status[0] in "23" or status == "416", (path, method, status)
            for param in re.findall(r"{(\w+)}", path):
                assert param in {p["name"] for p in operation.get("parameters", [])}, (path, method, param)


def test_open_endpoints_are_marked_public(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert paths["/tokens"]["post"]["security"] == []
    assert paths["/invitations/{token}/accept"]["post"]["security"] == []
    assert "security" not in paths["/me"]["get"]


def test_a_method_a_path_does_not_have_answers_405_with_the_documented_ones(api, world):
    """Every documented path refuses the other methods with a JSON 405 whose Allow header lists the
    documented ones (the document's E405 response)."""
    client = api(world.member)
    document = client.get("/api/v1/openapi.json").json
    assert document["components"]["responses"]["E405"]
    checked = 0
    for path, item in document["paths"].items():
        url = "/api/v1" + path.replace("{tag}", "hygiene").replace("{token}", "x")
        url = re.sub(r"{\w+}", "1", url)
        documented = {method.upper() for method in item}
        for method in {"GET", "POST", "PUT", "PATCH", "DELETE"} - documented:
            response = client.open(url, method=method)
            assert response.status_code == 405, (method, path, response.status_code)
            assert response.json["error"]["code"] == "method_not_allowed"
            allowed = set(response.headers["Allow"].replace(" ", "").split(","))
            assert allowed - {"HEAD", "OPTIONS"} == documented, (method, path, allowed)
            checked += 1
    assert checked > 100


def test_document_declares_the_bounds_and_text_rules_the_server_enforces(client):
    document = client.get("/api/v1/openapi.json").json
    schemas = document["components"]["schemas"]
    community_id = document["paths"]["/communities/{community_id}"]["get"]["parameters"][0]["schema"]
    assert community_id == {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
    name = document["paths"]["/communities"]["post"]["requestBody"]["content"]["application/json"]["schema"][
        "properties"]["name"]
    assert name["maxLength"] == 120 and "\\u202e" in name["pattern"] and "\\x00" in name["pattern"]
    limit = {p["name"]: p["schema"] for p in document["paths"]["/users"]["get"]["parameters"]}["limit"]
    assert (limit["minimum"], limit["maximum"]) == (1, 200)
    assert schemas["StreamItem"]["discriminator"]["propertyName"] == "item_type"
    content = document["paths"]["/documents/{document_id}/versions/{number}/content"]["get"]["responses"]["200"]
    assert list(content["content"]) == ["*/*"]
    assert "400" in document["paths"]["/feed"]["get"]["responses"]


def test_notification_events_and_item_types_are_those_the_server_sends(app):
    """The document lists every step a notification may name and every kind of item it may point at."""
    from rse import items
    from rse.api.openapi import build_document
    from rse.feeds.notifications.service import ACTION_EVENTS, CIRCUIT_EVENTS

    notification = build_document()["components"]["schemas"]["Notification"]["properties"]
    assert set(notification["event"]["enum"]) - {None} == set(CIRCUIT_EVENTS) | set(ACTION_EVENTS)
    assert set(notification["item"]["properties"]["type"]["enum"]) == {kind.name for kind in items.kinds()}
