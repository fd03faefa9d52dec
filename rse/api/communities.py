"""API: communities, members, invitations."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _

from rse.accounts import service as accounts
from rse.accounts.service import issue_login_token
from rse.communities import invitations, service
from rse.communities.models import Invitation
from rse.errors import Conflict, ValidationError
from rse.extensions import limiter

from . import actor, bp, created, field, id_field, iso_datetime, json_body, query_bool
from .serializers import community_json, invitation_json, membership_json, user_json


def _community_payload(data: dict) -> dict:
    payload = {}
    for name, kind in (("name", str), ("description", str), ("visibility", str), ("sensitive", bool)):
        if name in data:
            payload[name] = field(data, name, kind)
    unknown = set(data) - {"name", "description", "visibility", "sensitive"}
    if unknown:
        raise ValidationError(fields={name: _("Champ inconnu.") for name in sorted(unknown)})
    return payload


@bp.get("/communities")
def list_communities():
    mine = query_bool("mine")
    rows = service.list_communities(actor(), mine=mine, query=request.args.get("q", ""))
    return jsonify({"items": [community_json(c, my_role=role, member_count=count) for c, role, count in rows],
                    "total": len(rows)})


@bp.post("/communities")
def create_community():
    community = service.create_community(actor(), _community_payload(json_body()))
    return created(community_json(community, my_role="animator", member_count=1))


@bp.get("/communities/<int:community_id>")
def get_community(community_id: int):
    community = service.get_community(actor(), community_id, "view")
    return jsonify(community_json(community, my_role=service.membership_role(actor().id, community.id),
                                  member_count=service.member_count(actor(), community)))


@bp.patch("/communities/<int:community_id>")
def update_community(community_id: int):
    community = service.get_community(actor(), community_id, "view")
    data = _community_payload(json_body())
    service.update_community(actor(), community, data)
    return jsonify(community_json(community, my_role=service.membership_role(actor().id, community.id),
                                  member_count=service.member_count(actor(), community)))


@bp.get("/communities/<int:community_id>/members")
def list_members(community_id: int):
    community = service.get_community(actor(), community_id, "view")
    members = service.list_members(actor(), community)
    return jsonify({"items": [membership_json(m) for m in members], "total": len(members)})


@bp.post("/communities/<int:community_id>/members")
def add_member(community_id: int):
    community = service.get_community(actor(), community_id, "view")
    data = json_body()
    user_id = id_field(data, "user_id")
    role = field(data, "role", str, required=False, default="member")
    if user_id == actor().id and "role" not in data:
        membership = service.join(actor(), community)
    else:
        service.get_community(actor(), community_id, "manage")
        user = accounts.get_user(actor(), user_id)
        membership = service.add_member(actor(), community, user, role)
    return created(membership_json(membership))


@bp.patch("/communities/<int:community_id>/members/<int:user_id>")
def change_member(community_id: int, user_id: int):
    community = service.get_community(actor(), community_id, "view")
    role = field(json_body(), "role", str)
    membership = service.change_role(actor(), community, user_id, role)
    return jsonify(membership_json(membership))


@bp.delete("/communities/<int:community_id>/members/<int:user_id>")
def remove_member(community_id: int, user_id: int):
    community = service.get_community(actor(), community_id, "view")
    if user_id == actor().id:
        service.leave(actor(), community)
    else:
        service.remove_member(actor(), community, user_id)
    return "", 204



@bp.post("/invitations")
@limiter.limit("60 per hour")
def create_invitation():
    data = json_body()
    email = field(data, "email", str)
    community_id = id_field(data, "community_id")
    role = field(data, "role", str, required=False, default="member")
    expires = iso_datetime(field(data, "account_expires_at", str, required=False), "account_expires_at")
    community = service.get_community(actor(), community_id, "view")
    result = invitations.invite(actor(), community, email, role, expires)
    if isinstance(result, Invitation):
        return created({"status": "invited", "invitation": invitation_json(result)})
    return created({"status": "added", "membership": membership_json(result)})


@bp.post("/invitations/<token>/accept")
@limiter.limit("10 per minute")
def accept_invitation(token: str):
    data = json_body()
    name = field(data, "name", str)
    password = field(data, "password", str)
    invitation = invitations.find_invitation(token)
    if accounts.find_user_by_email(invitation.email) is not None:
        raise Conflict(_("Un compte existe déjà pour cette adresse : connectez-vous puis rouvrez le lien."),
                       code="account_exists")
    user, community, _created = invitations.accept_invitation(token, name, password)
    token_value, _record = issue_login_token(user)
    return created({"user": user_json(user, private=True), "community_id": community.id,
                    "token": token_value, "token_type": "Bearer"})
