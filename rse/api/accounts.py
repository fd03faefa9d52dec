"""API: tokens, me, people."""

from __future__ import annotations

from flask import g, jsonify, request

from rse.accounts import service
from rse.extensions import limiter

from . import actor, bp, created, field, json_body, page_args
from .serializers import iso, user_json


@bp.post("/tokens")
@limiter.limit("10 per minute")
def create_token():
    data = json_body()
    email = field(data, "email", str)
    password = field(data, "password", str)
    token, record = service.login_token(email, password)
    return created({"token": token, "token_type": "Bearer", "expires_at": iso(record.expires_at)})


@bp.delete("/tokens/current")
def revoke_current_token():
    service.revoke_token_value(request.headers["Authorization"].partition(" ")[2].strip())
    return "", 204


@bp.get("/me")
def me():
    return jsonify(user_json(actor(), private=True))


@bp.get("/users")
def list_users():
    limit, offset = page_args()
    people, total = service.search_people(actor(), request.args.get("q", ""), limit=limit, offset=offset)
    return jsonify({"items": [user_json(p) for p in people], "total": total, "limit": limit, "offset": offset})


@bp.get("/users/<int:user_id>")
def get_user(user_id: int):
    user = service.get_user(actor(), user_id)
    return jsonify(user_json(user, private=user.id == g.api_user.id or g.api_user.is_admin))
