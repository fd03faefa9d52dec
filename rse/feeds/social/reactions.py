"""Likes and "same question": a person's mark on a publication, counted beside it."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from rse import permissions
from rse.accounts.models import User
from rse.database import db
from rse.errors import Conflict
from rse.feeds.models import Like, Publication, SameQuestion


def like(actor: User, publication: Publication) -> None:
    _press(actor, publication, "like", Like, "like_count",
           already=(_("Vous aimez déjà cette publication."), "already_liked"))


def unlike(actor: User, publication: Publication) -> None:
    _release(actor, publication, "like", Like, "like_count",
             missing=(_("Vous n'aimiez pas cette publication."), "not_liked"))


def likers(actor: User, publication: Publication) -> list[User]:
    """Who liked, as far as the actor may see people."""
    permissions.require(actor, "read", publication)
    return list(db.session.scalars(
        select(User).join(Like, Like.user_id == User.id).where(
            Like.publication_id == publication.id, permissions.visible(actor, User)).order_by(Like.created_at)))


def press_same_question(actor: User, publication: Publication) -> None:
    _press(actor, publication, "same_question", SameQuestion, "same_question_count",
           already=(_("Vous avez déjà signalé cette question."), "already_pressed"))


def release_same_question(actor: User, publication: Publication) -> None:
    _release(actor, publication, "same_question", SameQuestion, "same_question_count",
             missing=(_("Vous n'aviez pas signalé cette question."), "not_pressed"))


def _press(actor, publication, action, model, counter, *, already) -> None:
    """A person's mark on a publication (a like, a shared question), counted beside it."""
    permissions.require(actor, action, publication)
    if db.session.get(model, (publication.id, actor.id)) is not None:
        raise Conflict(already[0], code=already[1])
    db.session.add(model(publication_id=publication.id, user_id=actor.id))
    setattr(publication, counter, getattr(Publication, counter) + 1)
    db.session.flush()


def _release(actor, publication, action, model, counter, *, missing) -> None:
    permissions.require(actor, action, publication)
    row = db.session.get(model, (publication.id, actor.id))
    if row is None:
        raise Conflict(missing[0], code=missing[1])
    db.session.delete(row)
    setattr(publication, counter, getattr(Publication, counter) - 1)
    db.session.flush()


def user_state(actor: User, publication_ids: list[int]) -> tuple[set[int], set[int]]:
    """Which of these publications the actor likes, and shares the question of."""
    if not publication_ids or actor is None:
        return set(), set()
    liked = set(db.session.scalars(select(Like.publication_id).where(
        Like.user_id == actor.id, Like.publication_id.in_(publication_ids))))
    same = set(db.session.scalars(select(SameQuestion.publication_id).where(
        SameQuestion.user_id == actor.id, SameQuestion.publication_id.in_(publication_ids))))
    return liked, same
