"""The OpenAPI 3 document of API v1 (a test checks that every route is in it)."""

from __future__ import annotations

from flask import jsonify

from rse.dbtypes import MAX_ID

from . import MAX_OFFSET, bp

ERROR_STATUSES = {
    "400": "Malformed request (invalid JSON, bad pagination)",
    "401": "Missing, invalid, expired or revoked token",
    "403": "Not allowed",
    "404": "Not found, or not visible to this user",
    "405": "Method not allowed on this path (the Allow header lists those that are)",
    "409": "Conflict with the current state",
    "410": "Link expired or revoked",
    "413": "Request or file too large",
    "422": "Invalid field values",
    "429": "Too many requests",
    "503": "A backing service (document storage, search) is unavailable; nothing was changed",
}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: str) -> dict:
    return {code: {"$ref": f"#/components/responses/E{code}"} for code in codes}


def _op(summary: str, responses: dict, *, body: dict | None = None, multipart: dict | None = None,
        params: list | None = None, public: bool = False, tag: str = "") -> dict:
    if any(p["in"] == "query" for p in params or []):
        responses = {**responses, **_errors("400")}  # a query value of the wrong kind or out of bounds
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


# What the services accept in text (rse/validation.py): no control characters (a line break only in
# multi-line text) and no direction controls (the direction marks only in multi-line text).
_CONTROLS = "\\x00-\\x1f\\x7f-\\x9f"
_BIDI = "\\u202a-\\u202e\\u2066-\\u2069"
_MARKS = "\\u200e\\u200f\\u061c"
_LINE_CHAR = f"[^{_CONTROLS}{_BIDI}{_MARKS}]"
_TEXT_CHAR = f"[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f{_BIDI}]"


def line(max_length: int, *, required: bool = False, **extra) -> dict:
    """A single line of text as the services take it; `required`: something other than spaces."""
    visible = f"[^\\s{_CONTROLS}{_BIDI}{_MARKS}]"
    pattern = f"^{_LINE_CHAR}*{visible}{_LINE_CHAR}*$" if required else f"^{_LINE_CHAR}*$"
    return {"type": "string", "maxLength": max_length, "pattern": pattern, **extra}


def text(max_length: int, *, required: bool = False, **extra) -> dict:
    """Multi-line text (bodies, descriptions, messages) as the services take it."""
    visible = f"[^\\s\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f{_BIDI}]"
    pattern = f"^{_TEXT_CHAR}*{visible}{_TEXT_CHAR}*$" if required else f"^{_TEXT_CHAR}*$"
    return {"type": "string", "maxLength": max_length, "pattern": pattern, **extra}


ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def _path_param(name: str, kind: str = "integer") -> dict:
    schema = dict(ID) if kind == "integer" else {"type": kind}
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _query(name: str, kind: str = "string", description: str = "", **bounds) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": {"type": kind, **bounds},
            "description": description}


def _multipart(required: list[str], **props) -> dict:
    return {"type": "object", "required": required, "properties": props}


def _obj(required: list[str], **props) -> dict:
    schema = {"type": "object", "properties": props, "additionalProperties": False}
    if required:  # OpenAPI 3.0 refuses an empty list
        schema["required"] = required
    return schema


S, I, B = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}  # noqa: E741  (short: used everywhere)
EMAIL = {"type": "string", "format": "email", "maxLength": 254}
ROLE = {"type": "string", "enum": ["animator", "member", "reader"]}
COMMUNITY_ID = _path_param("community_id")
USER_ID = _path_param("user_id")
DOCUMENT_ID = _path_param("document_id")
VERSION_NUMBER = _path_param("number")


def build_document() -> dict:
    from .openapi_controlled import CONTROLLED_SCHEMAS, controlled_paths
    from .openapi_plans import PLANS_SCHEMAS, plans_paths
    from .openapi_search import SEARCH_SCHEMAS, search_paths

    community_body = _obj([], name=line(120, required=True), description=text(5000),
                          visibility={"type": "string", "enum": ["public", "private", "secret"]}, sensitive=B)
    paths = {
        "/tokens": {"post": _op("Exchange email and password for an expiring bearer token", {
            "201": _json(_ref("Token"), "Token created"), **_errors("400", "401", "422", "429")},
            body=_obj(["email", "password"], email=EMAIL, password={**S, "maxLength": 256}), public=True,
            tag="auth")},
        "/tokens/current": {"delete": _op("Revoke the token used for this request", {
            "204": {"description": "Revoked"}, **_errors("401")}, tag="auth")},
        "/me": {"get": _op("The current user", {"200": _json(_ref("UserPrivate")), **_errors("401")}, tag="people")},
        "/users": {"get": _op("Directory: people the user may see", {
            "200": _json({"type": "object", "properties": {"items": {"type": "array", "items": _ref("User")},
                                                          "total": I, "limit": I, "offset": I}}),
            **_errors("400", "401", "422")},
            params=[{**_query("q", description="Name, organisation, site or job"), "schema": line(100)},
                    _query("limit", "integer", "1 to 200 (50 by default)", minimum=1, maximum=200),
                    _query("offset", "integer", f"0 to {MAX_OFFSET:,}", minimum=0, maximum=MAX_OFFSET)],
            tag="people")},
        "/users/{user_id}": {"get": _op("A person's profile", {
            "200": _json(_ref("User")), **_errors("401", "404")}, params=[USER_ID], tag="people")},
        "/communities": {
            "get": _op("Communities visible to the user", {
                "200": _json({"type": "object", "properties": {
                    "items": {"type": "array", "items": _ref("Community")}, "total": I}}), **_errors("401", "422")},
                params=[_query("mine", "boolean", "Only mine"), {**_query("q"), "schema": line(100)}],
                tag="communities"),
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
                body=_obj(["user_id"], user_id=ID, role=ROLE), params=[COMMUNITY_ID], tag="communities"),
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
            body=_obj(["email", "community_id"], email=EMAIL, community_id=ID, role=ROLE,
                      account_expires_at={**S, "format": "date-time"}), tag="invitations")},
        "/invitations/{token}/accept": {"post": _op(
            "Accept an invitation: choose a name and password; returns the account and a token", {
                "201": _json({"type": "object", "properties": {
                    "user": _ref("UserPrivate"), "community_id": I, "token": S, "token_type": S}}, "Accepted"),
                **_errors("400", "404", "409", "410", "422", "429")},
            body=_obj(["name", "password"], name=line(120, required=True),
                      password={**S, "minLength": 12, "maxLength": 256}),
            params=[_path_param("token", "string")], public=True, tag="invitations")},
        "/communities/{community_id}/documents": {
            "get": _op("Documents of a community (trash=1: its trash, for those who may restore)", {
                "200": _json({"type": "object", "properties": {
                    "items": {"type": "array", "items": _ref("Document")}, "total": I}}),
                **_errors("400", "401", "403", "404")}, params=[COMMUNITY_ID, _query("trash", "boolean")],
                tag="documents"),
            "post": _op("Upload a document (multipart: file, title, description, tags, folder_id, review_by)", {
                "201": _json(_ref("Document"), "Created with version 1"),
                **_errors("400", "401", "403", "404", "413", "422", "503")},
                multipart=_multipart(["file"], file={"type": "string", "format": "binary"},
                                     title=line(200, required=True), description=text(5000),
                                     tags=line(1000, description="Comma-separated"), folder_id=ID,
                                     review_by={**S, "format": "date"}, note=text(1000)),
                params=[COMMUNITY_ID], tag="documents"),
        },
        "/documents/{document_id}": {
            "get": _op("A document with all its versions", {"200": _json(_ref("Document")), **_errors("401", "404")},
                       params=[DOCUMENT_ID], tag="documents"),
            "patch": _op("Change title, description, tags, review date or folder", {
                "200": _json(_ref("Document")), **_errors("400", "401", "403", "404", "422")},
                body=_obj([], title=line(200, required=True), description=text(5000), tags=TAGS,
                          review_by={"type": "string", "format": "date", "nullable": True},
                          folder_id={**ID, "nullable": True}),
                params=[DOCUMENT_ID], tag="documents"),
            "delete": _op("Move to the trash (author or animators)", {
                "204": {"description": "In the trash"}, **_errors("401", "403", "404")},
                params=[DOCUMENT_ID], tag="documents"),
        },
        "/documents/{document_id}/restore": {"post": _op("Take a document out of the trash", {
            "200": _json(_ref("Document")), **_errors("401", "403", "404", "409")},
            params=[DOCUMENT_ID], tag="documents")},
        "/documents/{document_id}/versions": {"post": _op("Upload a new version (multipart: file, note)", {
            "201": _json(_ref("Version"), "Created"),
            **_errors("400", "401", "403", "404", "409", "413", "422", "503")},
            multipart=_multipart(["file"], file={"type": "string", "format": "binary"}, note=text(1000)),
            params=[DOCUMENT_ID], tag="documents")},
        "/documents/{document_id}/versions/{number}/content": {"get": _op(
            "The version's bytes as uploaded (Range requests, ETag = sha256; inline=1 for PDF and images)", {
                "200": {"description": "The bytes, with the version's own content type (a PDF, an image, "
                                       "a spreadsheet…)", "content": {"*/*": {
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
        **feeds_paths(),
        **search_paths(),
        **controlled_paths(),
        **plans_paths(),
    }
    user_props = {"id": I, "name": S, "role": S, "job_title": S, "organisation": S, "site": S, "email": S,
                  "phone": S, "bio": S, "active": B, "photo_url": {"type": "string", "nullable": True}, "url": S}
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
                    **user_props, "phone_visible": B, "theme": S, "background": S,
                    "locale": {"type": "string", "nullable": True},
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
                **FEEDS_SCHEMAS,
                **SEARCH_SCHEMAS,
                **CONTROLLED_SCHEMAS,
                **PLANS_SCHEMAS,
            },
        },
    }


# --- Feeds ------------------------------------------------------------------------------------------

PUBLICATION_ID = _path_param("publication_id")
TAG = {**_path_param("tag", "string"), "schema": line(50, required=True)}
COMMENT_ID = _path_param("comment_id")
NULLABLE_S, NULLABLE_I = {"type": "string", "nullable": True}, {"type": "integer", "nullable": True}
DATE_TIME = {"type": "string", "format": "date-time"}
KINDS = ["post", "announcement", "question", "link", "wiki"]
TAGS = {"type": "array", "items": line(50), "maxItems": 20,
        "description": "As typed; matched with case and accents folded (a comma-separated string is taken too)"}
FEED_PARAMS = [
    _query("cursor", description="The next_cursor of the previous page (signed; a forged one is a 400)"),
    {**_query("kind", description="Only this kind"), "schema": {"type": "string", "enum": [*KINDS, "document"]}},
    _query("limit", "integer", "Items per page, 1 to 50 (20 by default)", minimum=1, maximum=50),
]
ITEM_REF = _obj(["type", "id"], type={"type": "string", "enum": ["publication", "document"]}, id=ID)
# A person or a document is named by its id, a tag by its label: one schema each, exclusive by target.
FOLLOW_BODY = {"oneOf": [
    _obj(["target", "key"], target={"type": "string", "enum": ["person", "document"]}, key=ID),
    _obj(["target", "key"], target={"type": "string", "enum": ["tag"]}, key=line(50, required=True)),
]}


def _optional_body(operation: dict) -> dict:
    operation["requestBody"]["required"] = False
    return operation


def _list_of(name: str, **extra) -> dict:
    return {"type": "object", "properties": {"items": {"type": "array", "items": _ref(name)}, **extra}}


def feeds_paths() -> dict:
    """Publications, comments, likes, questions, pins, suggestions, streams, notifications and follows."""
    publication = _json(_ref("Publication"))
    comment_body = _obj(["body"], body=text(10_000, required=True))
    edit_body = _obj([], title=line(200), body=text(50_000, description="Markdown; 2,000 characters at most for a "
                                                                       "question or a link, 10,000 for a post"),
                     url=line(2000, description="http(s)://… or /… (links only)"), place=line(120), tags=TAGS,
                     attachments={"type": "array", "items": ID, "maxItems": 10},
                     note=line(300, description="Wiki pages: what this version changes"))
    create_body = _obj(["kind"], kind={"type": "string", "enum": KINDS},
                       **{k: v for k, v in edit_body["properties"].items() if k != "note"})
    feed = _json(_ref("StreamPage"))
    return {
        "/communities/{community_id}/publications": {"post": _op(
            "Publish in a community: a post, announcement, question, link or wiki page (members)", {
                "201": _json(_ref("Publication"), "Published"), **_errors("400", "401", "403", "404", "422")},
            body=create_body, params=[COMMUNITY_ID], tag="feeds")},
        "/publications/{publication_id}": {
            "get": _op("A publication with its counters and the caller's like and same-question state", {
                "200": publication, **_errors("401", "404")}, params=[PUBLICATION_ID], tag="feeds"),
            "patch": _op("Edit a publication (its author; any contributor for a wiki page, which adds a version)", {
                "200": publication, **_errors("400", "401", "403", "404", "422")},
                body=edit_body, params=[PUBLICATION_ID], tag="feeds"),
            "delete": _op("Delete a publication (its author or the community's animators)", {
                "204": {"description": "Deleted"}, **_errors("401", "403", "404")},
                params=[PUBLICATION_ID], tag="feeds"),
        },
        "/publications/{publication_id}/comments": {
            "get": _op("Comments, oldest first; an answered question's good answer comes first", {
                "200": _json(_list_of("Comment", total=I)), **_errors("401", "404")},
                params=[PUBLICATION_ID], tag="feeds"),
            "post": _op("Comment on a publication (@mentions notify those who may read it)", {
                "201": _json(_ref("Comment"), "Created"), **_errors("400", "401", "403", "404", "422")},
                body=comment_body, params=[PUBLICATION_ID], tag="feeds"),
        },
        "/documents/{document_id}/comments": {
            "get": _op("Comments on a document, oldest first", {
                "200": _json(_list_of("Comment", total=I)), **_errors("401", "404")},
                params=[DOCUMENT_ID], tag="feeds"),
            "post": _op("Comment on a document", {
                "201": _json(_ref("Comment"), "Created"), **_errors("400", "401", "403", "404", "422")},
                body=comment_body, params=[DOCUMENT_ID], tag="feeds"),
        },
        "/comments/{comment_id}": {
            "patch": _op("Edit one's own comment", {
                "200": _json(_ref("Comment")), **_errors("400", "401", "403", "404", "422")},
                body=comment_body, params=[COMMENT_ID], tag="feeds"),
            "delete": _op("Delete one's own comment, or moderate (animators)", {
                "204": {"description": "Deleted"}, **_errors("401", "403", "404")},
                params=[COMMENT_ID], tag="feeds"),
        },
        "/comments/{comment_id}/accept": {"post": _optional_body(_op(
            "Mark a comment as the good answer of its question (the asker or an animator); "
            "question_id, if given, must be that question (otherwise 422 not_a_question)", {
                "200": _json(_ref("Publication"), "The question, answered"),
                **_errors("400", "401", "403", "404", "409", "422")},
            body=_obj([], question_id=ID), params=[COMMENT_ID], tag="feeds"))},
        "/publications/{publication_id}/like": {
            "put": _op("Like (409 already_liked if done already)", {
                "200": publication, **_errors("401", "404", "409")}, params=[PUBLICATION_ID], tag="feeds"),
            "delete": _op("Stop liking (409 not_liked if not liked)", {
                "200": publication, **_errors("401", "404", "409")}, params=[PUBLICATION_ID], tag="feeds"),
        },
        "/publications/{publication_id}/likes": {"get": _op(
            "Who liked, among the people the caller may see", {
                "200": _json(_list_of("User", total=I)), **_errors("401", "404")},
            params=[PUBLICATION_ID], tag="feeds")},
        "/publications/{publication_id}/same-question": {
            "put": _op("\"I have the same question\" (questions only, not the asker)", {
                "200": publication, **_errors("401", "403", "404", "409")}, params=[PUBLICATION_ID], tag="feeds"),
            "delete": _op("Take back \"I have the same question\"", {
                "200": publication, **_errors("401", "403", "404", "409")}, params=[PUBLICATION_ID], tag="feeds"),
        },
        "/publications/{publication_id}/pin": {
            "put": _op("Pin to the community's stream (animators) or to everyone's home (scope home: "
                       "administrators); the body may be left out", {
                "200": _json(_ref("Pin")), **_errors("400", "401", "403", "404", "422")},
                body=_obj([], scope={"type": "string", "enum": ["community", "home"], "default": "community"},
                          until={**DATE_TIME, "description": "End of the pin, with its time zone"},
                          position={"type": "integer", "minimum": 0, "maximum": MAX_ID}),
                params=[PUBLICATION_ID], tag="feeds"),
            "delete": _op("Unpin (409 not_pinned if it was not)", {
                "204": {"description": "Unpinned"}, **_errors("400", "401", "403", "404", "409", "422")},
                body=_obj([], scope={"type": "string", "enum": ["community", "home"], "default": "community"}),
                params=[PUBLICATION_ID], tag="feeds"),
        },
        "/suggestions": {"post": _op(
            "Suggest a publication or a document to people, communities or (administrators) everyone; "
            "refused with 422 recipient_cannot_read, no_recipient or unknown_recipient, "
            "or 403 everyone_admin_only", {
                "201": _json(_ref("Suggestion"), "Suggested"), **_errors("400", "401", "403", "404", "422")},
            body=_obj(["item"], item=ITEM_REF, users={"type": "array", "items": ID},
                      communities={"type": "array", "items": ID}, everyone=B, message=text(500)),
            tag="feeds")},
        "/feed": {"get": _op("Home: my communities' activity, what was suggested to me, administrator pins", {
            "200": feed, **_errors("400", "401", "422")}, params=FEED_PARAMS, tag="feeds")},
        "/communities/{community_id}/feed": {"get": _op("A community's stream, its pins first", {
            "200": feed, **_errors("400", "401", "403", "404", "422")},
            params=[COMMUNITY_ID, *FEED_PARAMS], tag="feeds")},
        "/users/{user_id}/feed": {"get": _op("What a person did where the caller may see it", {
            "200": feed, **_errors("400", "401", "404", "422")}, params=[USER_ID, *FEED_PARAMS], tag="feeds")},
        "/tags/{tag}/feed": {"get": _op("Publications and documents carrying a tag (case and accents folded)", {
            "200": _json({"allOf": [_ref("StreamPage"), {"type": "object", "properties": {"tag": S}}]}),
            **_errors("400", "401", "422")}, params=[TAG, *FEED_PARAMS], tag="feeds")},
        "/notifications": {"get": _op("My notifications, newest first, with the unread count", {
            "200": _json(_list_of("Notification", unread_count=I, next_before=NULLABLE_I)),
            **_errors("400", "401")},
            params=[_query("before", "integer", "The next_before of the previous page", minimum=1, maximum=MAX_ID),
                    _query("unread", "boolean", "Only the unread ones"),
                    _query("limit", "integer", "1 to 100", minimum=1, maximum=100)],
            tag="feeds")},
        "/notifications/read": {"post": _optional_body(_op(
            "Mark notifications read: the given ids, or all of them with {} or no body", {
                "200": _json({"type": "object", "properties": {"marked": I, "unread_count": I}}),
                **_errors("400", "401", "422")},
            body=_obj([], ids={"type": "array", "items": ID}), tag="feeds"))},
        "/notifications/preferences": {
            "get": _op("Email preference per notification kind", {
                "200": _json(_ref("NotificationPreferences")), **_errors("401")}, tag="feeds"),
            "put": _op("Change some of the email preferences", {
                "200": _json(_ref("NotificationPreferences")), **_errors("400", "401", "422")},
                body=_ref("NotificationPreferences"), tag="feeds"),
        },
        "/follows": {
            "get": _op("What I follow", {"200": _json(_list_of("Follow")), **_errors("401")}, tag="feeds"),
            "put": _op("Follow a person, a tag or a document (following twice changes nothing)", {
                "200": _json(_ref("Follow")), **_errors("400", "401", "404", "422")}, body=FOLLOW_BODY, tag="feeds"),
            "delete": _op("Stop following", {
                "204": {"description": "Not followed any more"}, **_errors("400", "401", "404", "422")},
                body=FOLLOW_BODY, tag="feeds"),
        },
    }


_NAMED = {"type": "object", "nullable": True, "properties": {"id": I, "name": S}}


def _stream_item(item_type: str, schema: str, kinds: list[str]) -> dict:
    return {"type": "object", "required": ["item_type", "item"], "properties": {
        "id": {**NULLABLE_I, "description": "The activity (null for a pin)"},
        "verb": {"type": "string", "enum": ["published", "edited", "uploaded", "suggested", "in_force",
                                                  "created", "completed", "late"]},
        "kind": {"type": "string", "enum": kinds}, "created_at": DATE_TIME, "actor": _NAMED,
        "community": _NAMED, "item_type": {"type": "string", "enum": [item_type]},
        "item": _ref(schema), "pinned": B,
        "run_size": {**I, "description": "How many like activities this line stands for (a plan's actions "
                                          "created at once): 1 for most"},
        "suggestion": {"type": "object", "nullable": True, "properties": {"sender": _NAMED, "message": S}}}}
_MODE = {"type": "string", "enum": ["immediate", "digest", "never"]}
FEEDS_SCHEMAS = {
    "Publication": {"type": "object", "properties": {
        "id": I, "community_id": I, "kind": {"type": "string", "enum": KINDS}, "title": S,
        "body": {**S, "description": "Markdown source"}, "body_html": {**S, "description": "Sanitised HTML"},
        "url": NULLABLE_S, "place": S, "tags": {"type": "array", "items": S}, "author": _NAMED,
        "created_at": DATE_TIME, "updated_at": DATE_TIME, "like_count": I, "comment_count": I,
        "same_question_count": I, "accepted_comment_id": NULLABLE_I,
        "wiki_number": {**NULLABLE_I, "description": "Current version of a wiki page"},
        "liked": B, "same_question": B,
        "attachments": {"type": "array", "description": "Not listed in streams",
                        "items": {"type": "object", "properties": {"id": I, "title": S}}},
        "links": {"type": "object", "properties": {"html": S, "api": S, "comments": S}}}},
    "Comment": {"type": "object", "properties": {
        "id": I, "publication_id": NULLABLE_I, "document_id": NULLABLE_I, "body": S, "body_html": S,
        "author": _NAMED, "created_at": DATE_TIME, "updated_at": {**DATE_TIME, "nullable": True}, "accepted": B}},
    # One schema per item type, told apart by item_type (a discriminator): a publication and a document
    # have fields in common, so "one of the two item schemas" would match both.
    "StreamItem": {"oneOf": [_ref("PublicationStreamItem"), _ref("DocumentStreamItem"), _ref("ActionStreamItem")],
                   "discriminator": {"propertyName": "item_type", "mapping": {
                       "publication": "#/components/schemas/PublicationStreamItem",
                       "document": "#/components/schemas/DocumentStreamItem",
                       "action": "#/components/schemas/ActionStreamItem"}}},
    "PublicationStreamItem": _stream_item("publication", "Publication", KINDS),
    "DocumentStreamItem": _stream_item("document", "Document", ["document"]),
    "ActionStreamItem": _stream_item("action", "StreamAction", ["action"]),
    "StreamAction": {"type": "object", "description": "An action of a plan, as a stream names it", "properties": {
        "id": I, "community_id": I, "title": S, "url": S,
        "group": {"type": "object", "nullable": True, "properties": {"title": S, "url": S},
                  "description": "Its plan, when the line stands for several of its actions (run_size)"}}},
    "StreamPage": {"type": "object", "properties": {
        "items": {"type": "array", "items": _ref("StreamItem")},
        "pins": {"type": "array", "items": _ref("StreamItem"), "description": "First page only"},
        "next_cursor": NULLABLE_S}},
    "Pin": {"type": "object", "properties": {
        "publication_id": I, "scope": S, "community_id": I, "position": I,
        "until": {**DATE_TIME, "nullable": True}, "created_at": DATE_TIME}},
    "Suggestion": {"type": "object", "properties": {
        "id": I, "item": ITEM_REF, "sender": _NAMED, "message": S, "everyone": B,
        "users": {"type": "array", "items": I}, "communities": {"type": "array", "items": I},
        "created_at": DATE_TIME}},
    "Notification": {"type": "object", "properties": {
        "id": I, "kind": {"type": "string", "enum": ["mention", "suggestion", "comment", "answer", "followed",
                                                     "version", "circuit", "reading", "action"]},
        "actor": _NAMED, "created_at": DATE_TIME, "read": B, "comment_id": NULLABLE_I, "text": S,
        "message": {**NULLABLE_S, "description": "A suggestion's message"},
        "event": {"type": "string", "nullable": True,
                  "description": "A circuit, reading, review or action notification's step",
                  "enum": ["to_check", "to_approve", "returned", "in_force", "reading", "reading_reminder",
                           "review_due", "assigned", "reminder_week", "reminder_due", None]},
        "version_number": {**NULLABLE_I, "description": "The version a circuit or reading notification is about"},
        "run_size": {**I, "description": "How many items of one group it stands for (actions given at once): "
                                          "the item is the first, the url the group's page"},
        "item": {"type": "object", "properties": {
            "type": {"type": "string", "enum": ["publication", "document", "action"]}, "id": I, "title": S,
            "url": S}}}},
    "NotificationPreferences": {"type": "object", "additionalProperties": False, "properties": dict.fromkeys(
        ("mention", "suggestion", "comment", "answer", "followed", "version", "circuit", "reading", "action"), _MODE)},
    "Follow": {"type": "object", "properties": {
        "target": {"type": "string", "enum": ["person", "tag", "document"]},
        "key": {"oneOf": [I, S], "description": "An id (person, document) or a tag"},
        "label": S, "created_at": DATE_TIME}},
}


@bp.get("/openapi.json")
def openapi():
    return jsonify(build_document())
