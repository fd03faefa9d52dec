"""The rules for documents and folders: they follow their community's.

A document of a community whose content the actor may not read does not exist for them (404),
whatever the visibility: no one learns of a document by guessing its URL. A trashed document
is seen only by those who may restore it (its author, the animators, administrators).

A controlled document (rse.documents.controlled) shows its readers the version in force and the
versions that were in force before it. Its other versions are drafts: only the people named in
its circuit (writers, checkers, approvers) and administrators see them, and a controlled document
that was never in force is, for everyone else, a document that does not exist. Each step of the
circuit belongs to one role.
"""

from __future__ import annotations

from sqlalchemy import and_, false, or_, select

from rse import permissions
from rse.accounts.models import Role, User
from rse.communities.access import readable_community_ids
from rse.communities.models import MemberRole, Membership
from rse.permissions import Decision, decide, readers

from .controlled.models import Circuit, CircuitRole, ControlledDocument, ControlRole, Stage, Status
from .models import Document, DocumentVersion, Folder

_CONTRIBUTE = {"add_version", "edit", "restore_version"}


def _may_manage(actor, document: Document) -> bool:
    if actor.is_admin or document.created_by_id == actor.id:
        return True
    return decide(actor, "manage", document.community) is Decision.ALLOW


def in_circuit(actor, document: Document) -> bool:
    """Whether the actor sees the drafts of this controlled document (named in its circuit, or admin)."""
    control = document.control
    return actor is not None and control is not None and (actor.is_admin or actor.id in control.circuit)


# Who takes each step of a controlled document; animators and administrators ("managers") may also
# take the steps listed in _MANAGERS_TOO.
_CONTROL_STEPS = {
    "add_version": {CircuitRole.WRITER}, "restore_version": {CircuitRole.WRITER},
    "submit": {CircuitRole.WRITER}, "lock": {CircuitRole.WRITER},
    "check": {CircuitRole.CHECKER}, "approve": {CircuitRole.APPROVER},
    "edit": {CircuitRole.WRITER}, "control": {CircuitRole.WRITER},
    "withdraw": {CircuitRole.APPROVER}, "require_reading": {CircuitRole.APPROVER},
    "reading_report": {CircuitRole.WRITER, CircuitRole.APPROVER},
    "remind_reading": {CircuitRole.WRITER, CircuitRole.APPROVER},
    "unlock": set(),  # the holder (the service knows who holds it) or a manager
}
_MANAGERS_TOO = {"edit", "control", "withdraw", "require_reading", "reading_report", "remind_reading", "unlock"}


def _controlled_policy(actor, action: str, document: Document) -> Decision | None:
    """The decision for a controlled document's own actions and drafts; None: the ordinary rules apply."""
    control = document.control
    if control is None:
        return None
    if action in {"read_drafts", "download_original"}:
        return Decision.ALLOW if in_circuit(actor, document) else Decision.DENY
    if action in _CONTROL_STEPS:
        roles = {r.role for r in control.roles if r.user_id == actor.id}
        if roles & _CONTROL_STEPS[action]:
            return Decision.ALLOW
        if action in _MANAGERS_TOO and _may_manage(actor, document):
            return Decision.ALLOW
        return Decision.DENY
    if action == "confirm_reading":
        return Decision.ALLOW
    return None


def document_policy(actor, action: str, document: Document) -> Decision:
    if actor is None or decide(actor, "read", document.community) is not Decision.ALLOW:
        return Decision.HIDDEN
    if document.control is not None and document.control.status == Status.DRAFT and not in_circuit(actor, document):
        return Decision.HIDDEN
    if document.in_trash:
        if not _may_manage(actor, document):
            return Decision.HIDDEN
        return Decision.ALLOW if action in {"read", "restore"} else Decision.DENY
    controlled = _controlled_policy(actor, action, document)
    if controlled is not None:
        return controlled
    if action in {"read", "download"}:
        return Decision.ALLOW
    if action == "comment":
        return decide(actor, "comment", document.community)
    if action in _CONTRIBUTE or action == "control":
        return decide(actor, "contribute", document.community)
    if action == "trash":
        if decide(actor, "contribute", document.community) is not Decision.ALLOW and not actor.is_admin:
            return Decision.DENY
        return Decision.ALLOW if _may_manage(actor, document) else Decision.DENY
    return Decision.DENY


def published_numbers(document: Document) -> set[int] | None:
    """The numbers of the versions every reader of a controlled document sees (those that came into
    force), or None for an ordinary document, whose versions all are."""
    if document.control is None:
        return None
    from rse.database import db

    return set(db.session.scalars(select(Circuit.version_number).where(
        Circuit.document_id == document.id, Circuit.stage == Stage.APPROVED)))


def version_policy(actor, action: str, version: DocumentVersion) -> Decision:
    """A version is read, downloaded or previewed as its document is; a draft only by its circuit."""
    from rse.database import db

    document = db.session.get_one(Document, version.document_id)
    decision = document_policy(actor, "read" if action == "read" else action, document)
    if decision is not Decision.ALLOW or in_circuit(actor, document):
        return decision
    published = published_numbers(document)
    return Decision.ALLOW if published is None or version.number in published else Decision.HIDDEN


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
    return and_(in_readable, or_(Document.deleted_at.is_(None), manages), _not_a_hidden_draft(actor.id))


def never_in_force():
    """SQL: the ids of the controlled documents never in force, which only their circuit may know of."""
    return select(ControlledDocument.document_id).where(ControlledDocument.status == Status.DRAFT)


def _not_a_hidden_draft(user_id):
    """SQL on documents: not a controlled document that was never in force, unless the user is in its circuit."""
    named = select(ControlRole.document_id).where(ControlRole.user_id == user_id)
    return or_(Document.id.not_in(never_in_force()), Document.id.in_(named))


def document_readers(document: Document):
    community_readers = readers(document.community)
    if document.control is not None and document.control.status == Status.DRAFT:
        named = select(ControlRole.user_id).where(ControlRole.document_id == document.id)
        community_readers = and_(community_readers, or_(User.role == Role.ADMIN, User.id.in_(named)))
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
    permissions.register(DocumentVersion, policy=version_policy)
    permissions.register(Folder, policy=folder_policy, visible=readable_folders, readable=readable_folders)
