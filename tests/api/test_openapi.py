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
