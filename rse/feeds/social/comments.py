"""Comments on publications and documents: write, edit one's own, delete one's own or moderate;
@mentions notify those who may read; a question's good answer is listed first."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from rse import audit, items, permissions
from rse.accounts.models import User
from rse.database import db
from rse.dbtypes import get_by_id, utcnow
from rse.errors import NotFound
from rse.feeds import mentions
from rse.feeds.access import comment_target
from rse.feeds.models import Comment, Publication
from rse.feeds.notifications import service as notifications
from rse.validation import clean_text

COMMENT_MAX = 10_000


def list_comments(actor: User, target: Any) -> list[Comment]:
    """The live comments on `target` (a publication, a document, an action: any kind of rse.items)."""
    permissions.require(actor, "read", target)
    comments = list(db.session.scalars(select(Comment).filter_by(**items.ref(target)).where(
        Comment.deleted_at.is_(None)).order_by(Comment.id)))
    accepted = getattr(target, "accepted_comment_id", None)
    if accepted:  # an answered question shows its good answer first
        comments.sort(key=lambda c: c.id != accepted)
    return comments


def add_comment(actor: User, target: Any, body: Any) -> Comment:
    permissions.require(actor, "comment", target)
    text = clean_text(body, "body", max_length=COMMENT_MAX, required=True, multiline=True)
    comment = Comment(author_id=actor.id, body=text, **items.ref(target))
    if isinstance(target, Publication):  # publications count their comments in their row
        target.comment_count = Publication.comment_count + 1
    mentions.apply(actor, comment, text, target)
    db.session.add(comment)
    db.session.flush()
    audit.record("comment.create", actor=actor, target=comment,
                 details={"on": items.kind_of(target).name, "id": target.id})
    notifications.commented(actor, target, comment)
    return comment


def get_comment(actor: User, comment_id: Any, action: str = "read") -> Comment:
    comment = get_by_id(Comment, comment_id)
    if comment is None:
        raise NotFound()
    permissions.require(actor, action, comment)
    return comment


def edit_comment(actor: User, comment: Comment, body: Any) -> Comment:
    permissions.require(actor, "edit", comment)
    target = comment_target(comment)
    text = clean_text(body, "body", max_length=COMMENT_MAX, required=True, multiline=True)
    before = set(comment.mentions or {})
    comment.body = text
    mentions.apply(actor, comment, text, target)
    comment.updated_at = utcnow()
    audit.record("comment.edit", actor=actor, target=comment)
    fresh = [uid for handle, uid in comment.mentions.items() if handle not in before]
    notifications.mentioned(actor, target, fresh, comment=comment)
    return comment


def delete_comment(actor: User, comment: Comment) -> None:
    permissions.require(actor, "delete", comment)
    comment.deleted_at = utcnow()
    comment.deleted_by_id = actor.id
    if comment.publication_id is not None:
        publication = db.session.get_one(Publication, comment.publication_id)
        publication.comment_count = Publication.comment_count - 1
        if publication.accepted_comment_id == comment.id:
            publication.accepted_comment_id = None
    audit.record("comment.delete", actor=actor, target=comment,
                 details={"author_id": comment.author_id, "moderated": comment.author_id != actor.id})
