"""JSON shapes of the API's objects."""

from __future__ import annotations

from datetime import datetime

from flask import url_for


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def user_json(user, *, private: bool = False) -> dict:
    data = {
        "id": user.id, "name": user.name, "role": user.role, "job_title": user.job_title,
        "organisation": user.organisation, "site": user.site, "phone": user.phone, "bio": user.bio,
        "active": user.is_active,
        "photo_url": url_for("accounts.photo", user_id=user.id) if user.has_photo else None,
        "url": url_for("accounts.profile", user_id=user.id),
    }
    if private:
        data.update({"email": user.email, "theme": user.theme, "background": user.background,
                     "locale": user.locale, "expires_at": iso(user.expires_at),
                     "created_at": iso(user.created_at)})
    return data


def community_json(community, *, my_role: str | None = None, member_count: int | None = None) -> dict:
    data = {
        "id": community.id, "name": community.name, "description": community.description,
        "visibility": community.visibility, "sensitive": community.sensitive,
        "created_at": iso(community.created_at), "my_role": my_role,
        "url": url_for("communities.show", community_id=community.id),
    }
    if member_count is not None:
        data["member_count"] = member_count
    return data


def membership_json(membership) -> dict:
    return {"user": user_json(membership.user), "role": membership.role, "since": iso(membership.created_at)}


def invitation_json(invitation) -> dict:
    return {"id": invitation.id, "email": invitation.email, "community_id": invitation.community_id,
            "role": invitation.role, "expires_at": iso(invitation.expires_at),
            "account_expires_at": iso(invitation.account_expires_at), "created_at": iso(invitation.created_at)}
