"""The OpenAPI 3 document of API v1 (a test checks that every route is in it)."""

from __future__ import annotations

from flask import jsonify

from . import bp

ERROR_STATUSES = {
    "400": "Malformed request (invalid JSON, bad pagination)",
    "401": "Missing, invalid, expired or revoked token",
    "403": "Not allowed",
    "404": "Not found, or not visible to this user",
    "409": "Conflict with the current state",
    "410": "Link expired or revoked",
    "413": "Request or file too large",
    "422": "Invalid field values",
    "429": "Too many requests",
    "503": "A backing service (document storage) is unavailable; nothing was changed",
}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: str) -> dict:
    return {code: {"$ref": f"#/components/responses/E{code}"} for code in codes}


def _op(summary: str, responses: dict, *, body: dict | None = None, multipart: dict | None = None,
        params: list | None = None, public: bool = False, tag: str = "") -> dict:
    operation: dict = {"summary": summary, "responses": responses, "tags": [tag] if tag else []}
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if multipart is not None:
        operation["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": multipart}}}
    if params:
        operation["parameters"] = params
    if public:
        operation["security"] = []
    return operation


def _path_param(name: str, kind: str = "integer") -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": kind}}


def _query(name: str, kind: str = "string", description: str = "") -> dict:
    return {"name": name, "in": "query", "required": False, "schema": {"type": kind}, "description": description}


def _multipart(required: list[str], **props) -> dict:
    return {"type": "object", "required": required, "properties": props}


def _obj(required: list[str], **props) -> dict:
    return {"type": "object", "required": required, "properties": props, "additionalProperties": False}


S, I, B = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
ROLE = {"type": "string", "enum": ["animator", "member", "reader"]}
COMMUNITY_ID = _path_param("community_id")
USER_ID = _path_param("user_id")
DOCUMENT_ID = _path_param("document_id")
VERSION_NUMBER = _path_param("number")


def build_document() -> dict:
    community_body = _obj([], name={**S, "maxLength": 120}, description={**S, "maxLength": 5000},
                          visibility={"type": "string", "enum": ["public", "private", "secret"]}, sensitive=B)
    paths = {
        "/tokens": {"post": _op("Exchange email and password for an expiring bearer token", {
            "201": _json(_ref("Token"), "Token created"), **_errors("400", "401", "422", "429")},
            body=_obj(["email", "password"], email=S, password=S), public=True, tag="auth")},
        "/tokens/current": {"delete": _op("Revoke the token used for this request", {
            "204": {"description": "Revoked"}, **_errors("401")}, tag="auth")},
        "/me": {"get": _op("The current user", {"200": _json(_ref("UserPrivate")), **_errors("401")}, tag="people")},
        "/users": {"get": _op("Directory: people the user may see", {
            "200": _json({"type": "object", "properties": {"items": {"type": "array", "items": _ref("User")},
                                                          "total": I, "limit": I, "offset": I}}),
            **_errors("400", "401", "422")},
            params=[_query("q", description="Name, organisation, site or job"), _query("limit", "integer"),
                    _query("offset", "integer")], tag="people")},
        "/users/{user_id}": {"get": _op("A person's profile", {
            "200": _json(_ref("User")), **_errors("401", "404")}, params=[USER_ID], tag="people")},
        "/communities": {
            "get": _op("Communities visible to the user", {
                "200": _json({"type": "object", "properties": {
                    "items": {"type": "array", "items": _ref("Community")}, "total": I}}), **_errors("401", "422")},
                params=[_query("mine", "boolean", "Only mine"), _query("q")], tag="communities"),
            "post": _op("Create a community (the creator becomes its animator)", {
                "201": _json(_ref("Community"), "Created"), **_errors("400", "401", "403", "409", "422")},
                body={**community_body, "required": ["name"]}, tag="communities"),
        },
        "/communities/{community_id}": {
            "get": _op("A community", {"200": _json(_ref("Community")), **_errors("401", "404")},
                       params=[COMMUNITY_ID], tag="communities"),
            "patch": _op("Change a community's settings (animators)", {
                "200": _json(_ref("Community")), **_errors("400", "401", "403", "404", "409", "422")},
                body=community_body, params=[COMMUNITY_ID], tag="communities"),
        },
        "/communities/{community_id}/members": {
            "get": _op("Members and their roles", {
                "200": _json({"type": "object", "properties": {
                    "items": {"type": "array", "items": _ref("Membership")}, "total": I}}),
                **_errors("401", "403", "404")}, params=[COMMUNITY_ID], tag="communities"),
            "post": _op("Join (own user_id, public community) or add an existing user (animators)", {
                "201": _json(_ref("Membership"), "Added"), **_errors("400", "401", "403", "404", "409", "422")},
                body=_obj(["user_id"], user_id=I, role=ROLE), params=[COMMUNITY_ID], tag="communities"),
        },
        "/communities/{community_id}/members/{user_id}": {
            "patch": _op("Change a member's role (animators)", {
                "200": _json(_ref("Membership")), **_errors("400", "401", "403", "404", "409", "422")},
                body=_obj(["role"], role=ROLE), params=[COMMUNITY_ID, USER_ID], tag="communities"),
            "delete": _op("Remove a member (animators) or leave (own user_id)", {
                "204": {"description": "Removed"}, **_errors("401", "403", "404", "409")},
                params=[COMMUNITY_ID, USER_ID], tag="communities"),
        },
        "/invitations": {"post": _op(
            "Invite an email address into a community (an existing account is added at once)", {
                "201": _json({"type": "object", "properties": {
                    "status": {"type": "string", "enum": ["invited", "added"]},
                    "invitation": _ref("Invitation"), "membership": _ref("Membership")}}, "Invited or added"),
                **_errors("400", "401", "403", "404", "409", "422", "429")},
            body=_obj(["email", "community_id"], email=S, community_id=I, role=ROLE,
                      account_expires_at={**S, "format": "date-time"}), tag="invitations")},
        "/invitations/{token}/accept": {"post": _op(
            "Accept an invitation: choose a name and password; returns the account and a token", {
                "201": _json({"type": "object", "properties": {
                    "user": _ref("UserPrivate"), "community_id": I, "token": S, "token_type": S}}, "Accepted"),
                **_errors("400", "404", "409", "410", "422", "429")},
            body=_obj(["name", "password"], name=S, password={**S, "minLength": 12}),
            params=[_path_param("token", "string")], public=True, tag="invitations")},
        "/communities/{community_id}/documents": {
            "get": _op("Documents of a community (trash=1: its trash, for those who may restore)", {
                "200": _json({"type": "object", "properties": {
                    "items": {"type": "array", "items": _ref("Document")}, "total": I}}),
                **_errors("401", "403", "404")}, params=[COMMUNITY_ID, _query("trash", "boolean")], tag="documents"),
            "post": _op("Upload a document (multipart: file, title, description, tags, folder_id, review_by)", {
                "201": _json(_ref("Document"), "Created with version 1"),
                **_errors("400", "401", "403", "404", "413", "422", "503")},
                multipart=_multipart(["file"], file={"type": "string", "format": "binary"}, title=S, description=S,
                                     tags={**S, "description": "Comma-separated"}, folder_id=I,
                                     review_by={**S, "format": "date"}, note=S),
                params=[COMMUNITY_ID], tag="documents"),
        },
        "/documents/{document_id}": {
            "get": _op("A document with all its versions", {"200": _json(_ref("Document")), **_errors("401", "404")},
                       params=[DOCUMENT_ID], tag="documents"),
            "patch": _op("Change title, description, tags, review date or folder", {
                "200": _json(_ref("Document")), **_errors("400", "401", "403", "404", "422")},
                body=_obj([], title=S, description=S, tags={"type": "array", "items": S},
                          review_by={"type": "string", "format": "date", "nullable": True},
                          folder_id={"type": "integer", "nullable": True}),
                params=[DOCUMENT_ID], tag="documents"),
            "delete": _op("Move to the trash (author or animators)", {
                "204": {"description": "In the trash"}, **_errors("401", "403", "404")},
                params=[DOCUMENT_ID], tag="documents"),
        },
        "/documents/{document_id}/restore": {"post": _op("Take a document out of the trash", {
            "200": _json(_ref("Document")), **_errors("401", "403", "404", "409")},
            params=[DOCUMENT_ID], tag="documents")},
        "/documents/{document_id}/versions": {"post": _op("Upload a new version (multipart: file, note)", {
            "201": _json(_ref("Version"), "Created"), **_errors("400", "401", "403", "404", "409", "413", "422", "503")},
            multipart=_multipart(["file"], file={"type": "string", "format": "binary"}, note=S),
            params=[DOCUMENT_ID], tag="documents")},
        "/documents/{document_id}/versions/{number}/content": {"get": _op(
            "The version's bytes as uploaded (Range requests, ETag = sha256; inline=1 for PDF and images)", {
                "200": {"description": "The bytes", "content": {"application/octet-stream": {
                    "schema": {"type": "string", "format": "binary"}}}},
                "206": {"description": "Part of the bytes (Range)"}, "304": {"description": "Not modified"},
                "416": {"description": "Range not satisfiable"}, **_errors("401", "404", "503")},
            params=[DOCUMENT_ID, VERSION_NUMBER, _query("inline", "boolean")], tag="documents")},
        "/documents/{document_id}/versions/{number}/thumbnail": {"get": _op(
            "A preview image of the first page (PDF) or of the image", {
                "200": {"description": "WebP image", "content": {"image/webp": {
                    "schema": {"type": "string", "format": "binary"}}}}, **_errors("401", "404", "503")},
            params=[DOCUMENT_ID, VERSION_NUMBER], tag="documents")},
        "/documents/{document_id}/versions/{number}/restore": {"post": _op(
            "Make an old version current by adding it again as a new version", {
                "201": _json(_ref("Version"), "Added"), **_errors("401", "403", "404", "409", "503")},
            params=[DOCUMENT_ID, VERSION_NUMBER], tag="documents")},
        "/openapi.json": {"get": _op("This document", {"200": _json({"type": "object"})}, public=True, tag="meta")},
    }
    user_props = {"id": I, "name": S, "role": S, "job_title": S, "organisation": S, "site": S, "phone": S,
                  "bio": S, "active": B, "photo_url": {"type": "string", "nullable": True}, "url": S}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Maillage API", "version": "1.0.0",
                 "description": "Communities, members and invitations of Maillage. Errors are "
                                "`{\"error\": {\"code\": …, \"message\": …}}`."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "responses": {f"E{code}": _json(_ref("Error"), text) for code, text in ERROR_STATUSES.items()},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                    "type": "object", "required": ["code", "message"],
                    "properties": {"code": S, "message": S, "fields": {"type": "object"}}}}},
                "Token": {"type": "object", "properties": {"token": S, "token_type": S,
                                                           "expires_at": {**S, "format": "date-time"}}},
                "User": {"type": "object", "properties": user_props},
                "UserPrivate": {"type": "object", "properties": {
                    **user_props, "email": S, "theme": S, "background": S, "locale": {"type": "string", "nullable": True},
                    "expires_at": {"type": "string", "nullable": True}, "created_at": S}},
                "Community": {"type": "object", "properties": {
                    "id": I, "name": S, "description": S, "visibility": S, "sensitive": B, "created_at": S,
                    "my_role": {"type": "string", "nullable": True}, "member_count": I, "url": S}},
                "Membership": {"type": "object", "properties": {"user": _ref("User"), "role": S, "since": S}},
                "Version": {"type": "object", "properties": {
                    "number": I, "filename": S, "content_type": S, "kind": S, "size": I, "sha256": S,
                    "author": {"type": "object", "nullable": True}, "note": S, "created_at": S,
                    "restored_from": {"type": "integer", "nullable": True}, "text_extraction": S, "content_url": S}},
                "Document": {"type": "object", "properties": {
                    "id": I, "community_id": I, "folder_id": {"type": "integer", "nullable": True}, "title": S,
                    "description": S, "tags": {"type": "array", "items": S},
                    "review_by": {"type": "string", "nullable": True}, "current_version": I, "created_at": S,
                    "updated_at": S, "in_trash": B, "url": S, "current": _ref("Version"),
                    "versions": {"type": "array", "items": _ref("Version")}}},
                "Invitation": {"type": "object", "properties": {
                    "id": I, "email": S, "community_id": I, "role": S, "expires_at": S,
                    "account_expires_at": {"type": "string", "nullable": True}, "created_at": S}},
            },
        },
    }


@bp.get("/openapi.json")
def openapi():
    return jsonify(build_document())
