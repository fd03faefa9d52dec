"""The rules for documents and folders: they follow their community's.

A document of a community whose content the actor may not read does not exist for them (404),
whatever the visibility: no one learns of a document by guessing its URL. A trashed document
is seen only by those who may restore it (its author, the animators, administrators).
"""

from __future__ import annotations

from sqlalchemy import and_, false, or_, select

from rse import permissions
from rse.accounts.models import Role, User
from rse.communities.access import readable_community_ids
from rse.communities.models import MemberRole, Membership
from rse.permissions import Decision, decide, readers

from .models import Document, Folder

_CONTRIBUTE = {"add_version", "edit", "restore_version"}


def _may_manage(actor, document: Document) -> bool:
    if actor.is_admin or document.created_by_id == actor.id:
        return True
    return decide(actor, "manage", document.community) is Decision.ALLOW


def document_policy(actor, action: str, document: Document) -> Decision:
    if actor is None or decide(actor, "read", document.community) is not Decision.ALLOW:
        return Decision.HIDDEN
    if document.in_trash:
        if not _may_manage(actor, document):
            return Decision.HIDDEN
        return Decision.ALLOW if action in {"read", "restore"} else Decision.DENY
    if action in {"read", "download"}:
        return Decision.ALLOW
    if action == "comment":
        return decide(actor, "comment", document.community)
    if action in _CONTRIBUTE:
        return decide(actor, "contribute", document.community)
    if action == "trash":
        if decide(actor, "contribute", document.community) is not Decision.ALLOW and not actor.is_admin:
            return Decision.DENY
        return Decision.ALLOW if _may_manage(actor, document) else Decision.DENY
    return Decision.DENY


def folder_policy(actor, action: str, folder: Folder) -> Decision:
    from rse.communities.models import Community
    from rse.database import db

    community = db.session.get(Community, folder.community_id)
    if actor is None or decide(actor, "read", community) is not Decision.ALLOW:
        return Decision.HIDDEN
    if action == "read":
        return Decision.ALLOW
    return decide(actor, "contribute", community)


def _animated_by(user_id):
    """SQL: the ids of the communities this user (an id, or a column) animates."""
    return select(Membership.community_id).where(Membership.user_id == user_id, Membership.role == MemberRole.ANIMATOR)


def readable_documents(actor):
    """Live documents of the communities the actor reads; trashed ones only for who may restore them."""
    if actor is None:
        return false()
    in_readable = Document.community_id.in_(readable_community_ids(actor))
    if actor.is_admin:
        return in_readable
    manages = or_(Document.created_by_id == actor.id, Document.community_id.in_(_animated_by(actor.id)))
    return and_(in_readable, or_(Document.deleted_at.is_(None), manages))


def document_readers(document: Document):
    community_readers = readers(document.community)
    if not document.in_trash:
        return community_readers
    animators = select(Membership.user_id).where(
        Membership.community_id == document.community_id, Membership.role == MemberRole.ANIMATOR)
    return and_(community_readers, or_(User.role == Role.ADMIN, User.id == document.created_by_id,
                                       User.id.in_(animators)))


def readable_folders(actor):
    if actor is None:
        return false()
    return Folder.community_id.in_(readable_community_ids(actor))


def register() -> None:
    """Hand these rules to the permission layer (called by the package's init_app)."""
    permissions.register(Document, policy=document_policy, visible=readable_documents,
                         readable=readable_documents, readers=document_readers)
    permissions.register(Folder, policy=folder_policy, visible=readable_folders, readable=readable_folders)
