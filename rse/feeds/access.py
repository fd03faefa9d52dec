"""The rules for publications and comments: they follow their community's.

A publication of a community whose content the actor may not read does not exist for
them (404). Members contribute; the author edits and deletes their own; any contributor
edits a wiki page; animators moderate and pin in their community; administrators pin
to everyone's home.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import and_, false, or_, select

from rse import items, permissions
from rse.communities.access import readable_community_ids
from rse.permissions import Decision, decide, readable, readers

from .models import Comment, Kind, Publication, Tagging


def _moderates(actor, community) -> bool:
    return actor.is_admin or decide(actor, "manage", community) is Decision.ALLOW


def _contributing_author(actor, publication: Publication) -> bool:
    return publication.author_id == actor.id and decide(actor, "contribute", publication.community) is Decision.ALLOW


def _may_edit(actor, publication: Publication) -> bool:
    if publication.kind == Kind.WIKI:  # a wiki page is everyone's: any contributor edits it
        return actor.is_admin or decide(actor, "contribute", publication.community) is Decision.ALLOW
    return _contributing_author(actor, publication)


# What a reader of a publication may do to it, action by action (anything else is refused).
_PUBLICATION_RULES: dict[str, Callable[[Any, Publication], bool]] = {
    "read": lambda actor, p: True,
    "like": lambda actor, p: True,
    "suggest": lambda actor, p: True,
    "follow": lambda actor, p: True,
    "comment": lambda actor, p: decide(actor, "comment", p.community) is Decision.ALLOW,
    "same_question": lambda actor, p: p.kind == Kind.QUESTION and p.author_id != actor.id,
    "edit": _may_edit,
    "delete": lambda actor, p: _contributing_author(actor, p) or _moderates(actor, p.community),
    "accept": lambda actor, p: p.kind == Kind.QUESTION and (p.author_id == actor.id or _moderates(actor, p.community)),
    "pin": lambda actor, p: _moderates(actor, p.community),
    "pin_home": lambda actor, p: actor.is_admin,
}


def publication_policy(actor, action: str, publication: Publication) -> Decision:
    """A publication of a community whose content the actor may not read, or a deleted one, does
    not exist for them; otherwise the table above decides."""
    if actor is None or publication.is_deleted or decide(actor, "read", publication.community) is not Decision.ALLOW:
        return Decision.HIDDEN
    rule = _PUBLICATION_RULES.get(action)
    return Decision.ALLOW if rule is not None and rule(actor, publication) else Decision.DENY


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
    """The item a comment is on: a publication, a document, an action."""
    return items.pointed_at(comment)


def tagging_target(tagging: Tagging):
    """The publication or the document a tag is on."""
    return items.pointed_at(tagging)


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


def _on_readable_item(actor, table):
    """SQL: the item the row of `table` points at (a publication, a document, or an item of any kind
    registered with rse.items that the table has a column for) is readable by the actor.
    Correlated, so that it costs a lookup per row rather than a list of every readable item."""
    found = []
    for kind in items.kinds():
        column, model = getattr(table, kind.column, None), cast(Any, kind.model)
        if column is not None:
            found.append(select(model.id).where(model.id == column, readable(actor, model)).exists())
    return or_(*found) if found else false()


def readable_comments(actor):
    if actor is None:
        return false()
    return and_(Comment.deleted_at.is_(None), _on_readable_item(actor, Comment))


def readable_taggings(actor):
    if actor is None:
        return false()
    return _on_readable_item(actor, Tagging)


def register() -> None:
    """Hand these rules to the permission layer (called by the package's init_app)."""
    permissions.register(Publication, policy=publication_policy, visible=readable_publications,
                         readable=readable_publications, readers=publication_readers)
    permissions.register(Comment, policy=comment_policy, visible=readable_comments, readable=readable_comments)
    permissions.register(Tagging, policy=tagging_policy, visible=readable_taggings, readable=readable_taggings)
