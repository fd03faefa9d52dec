"""Questions and their good answers: accept a comment as the answer, the FAQ, the open questions."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from rse import audit, permissions
from rse.accounts.models import User
from rse.communities.models import Community
from rse.database import db
from rse.dbtypes import utcnow
from rse.errors import Conflict, ValidationError
from rse.feeds.models import Comment, Kind, Publication
from rse.feeds.notifications import service as notifications


def accept_answer(actor: User, comment: Comment) -> Publication:
    permissions.require(actor, "read", comment)
    question = db.session.get(Publication, comment.publication_id) if comment.publication_id else None
    if question is None or question.kind != Kind.QUESTION:
        raise ValidationError(_("Seul un commentaire d'une question peut être la bonne réponse."),
                              code="not_a_question")
    permissions.require(actor, "accept", question)
    if question.accepted_comment_id == comment.id:
        raise Conflict(_("C'est déjà la bonne réponse."), code="already_accepted")
    question.accepted_comment_id = comment.id
    question.updated_at = utcnow()
    db.session.flush()
    audit.record("question.accept", actor=actor, target=question, details={"comment_id": comment.id})
    notifications.answered(actor, question, comment)
    return question


def faq(actor: User, community: Community) -> list[Publication]:
    """The answered questions of a community, most "same question" first."""
    permissions.require(actor, "read", community)
    return list(db.session.scalars(select(Publication).where(
        Publication.community_id == community.id, Publication.kind == Kind.QUESTION,
        Publication.accepted_comment_id.is_not(None), Publication.deleted_at.is_(None),
    ).order_by(Publication.same_question_count.desc(), Publication.id.desc())))


def accepted_answers(actor: User, questions: list[Publication]) -> dict[int, Comment]:
    """The accepted answer of each of these questions, by comment id, those the actor may read."""
    ids = [q.accepted_comment_id for q in questions if q.accepted_comment_id]
    if not ids:
        return {}
    return {c.id: c for c in db.session.scalars(select(Comment).where(
        Comment.id.in_(ids), permissions.readable(actor, Comment)))}


def open_questions(actor: User, community: Community, limit: int = 10) -> list[Publication]:
    permissions.require(actor, "read", community)
    return list(db.session.scalars(select(Publication).where(
        Publication.community_id == community.id, Publication.kind == Kind.QUESTION,
        Publication.accepted_comment_id.is_(None), Publication.deleted_at.is_(None),
    ).order_by(Publication.id.desc()).limit(limit)))
