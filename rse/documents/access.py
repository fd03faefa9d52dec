"""The rules for documents and folders: they follow their community's.

A document of a community whose content the actor may not read does not exist for them (404),
whatever the visibility: no one learns of a document by guessing its URL. A trashed document
is seen only by those who may restore it (its author, the animators, administrators).
"""

from __future__ import annotations

from rse.permissions import Decision, decide, policy

from .models import Document, Folder

_CONTRIBUTE = {"add_version", "edit", "restore_version"}


def _may_manage(actor, document: Document) -> bool:
    if actor.is_admin or document.created_by_id == actor.id:
        return True
    return decide(actor, "manage", document.community) is Decision.ALLOW


@policy(Document)
def document_policy(actor, action: str, document: Document) -> Decision:
    if actor is None or decide(actor, "read", document.community) is not Decision.ALLOW:
        return Decision.HIDDEN
    if document.in_trash:
        if not _may_manage(actor, document):
            return Decision.HIDDEN
        return Decision.ALLOW if action in {"read", "restore"} else Decision.DENY
    if action in {"read", "download"}:
        return Decision.ALLOW
    if action in _CONTRIBUTE:
        return decide(actor, "contribute", document.community)
    if action == "trash":
        if decide(actor, "contribute", document.community) is not Decision.ALLOW and not actor.is_admin:
            return Decision.DENY
        return Decision.ALLOW if _may_manage(actor, document) else Decision.DENY
    return Decision.DENY


@policy(Folder)
def folder_policy(actor, action: str, folder: Folder) -> Decision:
    from rse.communities.models import Community
    from rse.extensions import db

    community = db.session.get(Community, folder.community_id)
    if actor is None or decide(actor, "read", community) is not Decision.ALLOW:
        return Decision.HIDDEN
    if action == "read":
        return Decision.ALLOW
    return decide(actor, "contribute", community)
