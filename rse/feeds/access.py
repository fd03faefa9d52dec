"""The rules for publications and comments: they follow their community's.

A publication of a community whose content the actor may not read does not exist for
them (404). Members contribute; the author edits and deletes their own; any contributor
edits a wiki page; animators moderate and pin in their community; administrators pin
to everyone's home.
"""

from __future__ import annotations

from rse.documents.models import Document
from rse.extensions import db
from rse.permissions import Decision, decide, policy

from .models import Comment, Kind, Publication


def _community_decision(actor, action: str, community) -> Decision:
    return decide(actor, action, community)


def _moderates(actor, community) -> bool:
    return actor.is_admin or decide(actor, "manage", community) is Decision.ALLOW


@policy(Publication)
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


@policy(Comment)
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
