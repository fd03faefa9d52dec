"""The rules for publications and comments: they follow their community's.

A publication of a community whose content the actor may not read does not exist for
them (404). Members contribute; the author edits and deletes their own; any contributor
edits a wiki page; animators moderate and pin in their community; administrators pin
to everyone's home.
"""

from __future__ import annotations

from sqlalchemy import and_, false, or_, select

from rse import permissions
from rse.communities.access import readable_community_ids
from rse.database import db
from rse.documents.models import Document
from rse.permissions import Decision, decide, readable, readers

from .models import Comment, Kind, Publication, Tagging


def _community_decision(actor, action: str, community) -> Decision:
    return decide(actor, action, community)


def _moderates(actor, community) -> bool:
    return actor.is_admin or decide(actor, "manage", community) is Decision.ALLOW


def publication_policy(actor, action: str, publication: Publication) -> Decision:
    community = publication.community
    if actor is None or decide(actor, "read", community) is not Decision.ALLOW or publication.is_deleted:
        return Decision.HIDDEN
    if action in {"read", "like", "suggest", "follow"}:
        return Decision.ALLOW
    if action == "comment":
        return decide(actor, "comment", community)
    if action == "same_question":
        if publication.kind != Kind.QUESTION:
            return Decision.DENY
        return Decision.ALLOW if publication.author_id != actor.id else Decision.DENY
    contributes = decide(actor, "contribute", community) is Decision.ALLOW
    if action == "edit":
        if publication.kind == Kind.WIKI:
            return Decision.ALLOW if contributes or actor.is_admin else Decision.DENY
        return Decision.ALLOW if publication.author_id == actor.id and contributes else Decision.DENY
    if action == "delete":
        if publication.author_id == actor.id and contributes:
            return Decision.ALLOW
        return Decision.ALLOW if _moderates(actor, community) else Decision.DENY
    if action == "accept":
        if publication.kind != Kind.QUESTION:
            return Decision.DENY
        return Decision.ALLOW if publication.author_id == actor.id or _moderates(actor, community) else Decision.DENY
    if action == "pin":
        return Decision.ALLOW if _moderates(actor, community) else Decision.DENY
    if action == "pin_home":
        return Decision.ALLOW if actor.is_admin else Decision.DENY
    return Decision.DENY


def comment_policy(actor, action: str, comment: Comment) -> Decision:
    target = comment_target(comment)
    if actor is None or target is None or comment.deleted_at is not None:
        return Decision.HIDDEN
    if decide(actor, "read", target) is not Decision.ALLOW:
        return Decision.HIDDEN
    community = target.community
    if action == "read":
        return Decision.ALLOW
    if action == "edit":
        return Decision.ALLOW if comment.author_id == actor.id else Decision.DENY
    if action == "delete":
        if comment.author_id == actor.id:
            return Decision.ALLOW
        return Decision.ALLOW if _moderates(actor, community) else Decision.DENY
    return Decision.DENY


def comment_target(comment: Comment):
    """The publication or the document a comment is on."""
    if comment.publication_id is not None:
        return db.session.get(Publication, comment.publication_id)
    return db.session.get(Document, comment.document_id)


def tagging_target(tagging: Tagging):
    """The publication or the document a tag is on."""
    if tagging.publication_id is not None:
        return db.session.get(Publication, tagging.publication_id)
    return db.session.get(Document, tagging.document_id)


def tagging_policy(actor, action: str, tagging: Tagging) -> Decision:
    """A tag as spelled on an item is part of the item: read it where one reads the item."""
    target = tagging_target(tagging)
    if actor is None or target is None or decide(actor, "read", target) is not Decision.ALLOW:
        return Decision.HIDDEN
    return Decision.ALLOW if action == "read" else Decision.DENY


# --- The same rules as SQL, for lists ---------------------------------------------------------------

def readable_publications(actor):
    if actor is None:
        return false()
    return and_(Publication.deleted_at.is_(None), Publication.community_id.in_(readable_community_ids(actor)))


def publication_readers(publication: Publication):
    return false() if publication.is_deleted else readers(publication.community)


def _on_readable_item(actor, publication_column, document_column):
    """SQL: the row's publication or document (given by these columns) is readable by the actor.
    Correlated, so that it costs a lookup per row rather than a list of every readable item."""
    publication = select(Publication.id).where(Publication.id == publication_column, readable(actor, Publication))
    document = select(Document.id).where(Document.id == document_column, readable(actor, Document))
    return or_(publication.exists(), document.exists())


def readable_comments(actor):
    if actor is None:
        return false()
    return and_(Comment.deleted_at.is_(None), _on_readable_item(actor, Comment.publication_id, Comment.document_id))


def readable_taggings(actor):
    if actor is None:
        return false()
    return _on_readable_item(actor, Tagging.publication_id, Tagging.document_id)


def register() -> None:
    """Hand these rules to the permission layer (called by the package's init_app)."""
    permissions.register(Publication, policy=publication_policy, visible=readable_publications,
                         readable=readable_publications, readers=publication_readers)
    permissions.register(Comment, policy=comment_policy, visible=readable_comments, readable=readable_comments)
    permissions.register(Tagging, policy=tagging_policy, visible=readable_taggings, readable=readable_taggings)
