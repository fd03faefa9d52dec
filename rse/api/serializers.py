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


def version_json(version, document) -> dict:
    return {
        "number": version.number, "filename": version.filename, "content_type": version.content_type,
        "kind": version.kind, "size": version.size, "sha256": version.blob_sha256,
        "author": {"id": version.author.id, "name": version.author.name} if version.author else None,
        "note": version.note, "created_at": iso(version.created_at), "restored_from": version.restored_from,
        "text_extraction": version.extraction,
        "content_url": url_for("api.version_content", document_id=document.id, number=version.number),
    }


def document_json(document, *, versions=None, current=None) -> dict:
    data = {
        "id": document.id, "community_id": document.community_id, "folder_id": document.folder_id,
        "title": document.title, "description": document.description, "tags": document.tags,
        "review_by": document.review_by.isoformat() if document.review_by else None,
        "current_version": document.current_number, "created_at": iso(document.created_at),
        "updated_at": iso(document.updated_at), "in_trash": document.in_trash,
        "url": url_for("documents.show", document_id=document.id),
    }
    if current is not None:
        data["current"] = version_json(current, document)
    if versions is not None:
        data["versions"] = [version_json(v, document) for v in versions]
    return data
