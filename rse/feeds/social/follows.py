"""Follows: a person, a tag or a document; what they do or become reaches the follower as a
notification."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, select

from rse import permissions
from rse.accounts.models import User
from rse.database import db
from rse.dbtypes import get_by_id, is_id
from rse.documents.models import Document
from rse.errors import NotFound, ValidationError
from rse.feeds.models import FOLLOWED_COLUMN, Follow, FollowTarget
from rse.feeds.streams.service import tag_label
from rse.tags import clean_tags, fold


def follow(actor: User, target: str, key: Any) -> Follow:
    target, key, label = _follow_key(actor, target, key)
    existing = db.session.scalar(select(Follow).where(Follow.user_id == actor.id, Follow.of(target, key)))
    if existing is not None:
        return existing
    row = Follow(user_id=actor.id, target=target, label=label, **{FOLLOWED_COLUMN[FollowTarget(target)]: key})
    db.session.add(row)
    db.session.flush()
    return row


def unfollow(actor: User, target: str, key: Any) -> None:
    """Stop following. One stops following what one can no longer see, so a person or a document is
    named by its id alone and nothing is read of it: a hidden, a missing and a followed id answer alike."""
    if target in {FollowTarget.PERSON, FollowTarget.DOCUMENT}:
        if not is_id(key):
            raise NotFound()
    else:
        target, key, _label = _follow_key(actor, target, key)
    db.session.execute(delete(Follow).where(Follow.user_id == actor.id, Follow.of(target, key)))


def state(actor: User, target: str, key: Any) -> dict:
    """What a follow button shows: whether the actor follows it, and its name when they may read it
    (None otherwise: a button or a message never names what the actor may not see)."""
    name = None
    if target == FollowTarget.TAG:
        name = tag_label(actor, key) if isinstance(key, str) else None
    elif target in (FollowTarget.PERSON, FollowTarget.DOCUMENT):
        row = get_by_id(User if target == FollowTarget.PERSON else Document, key)
        if row is not None and permissions.can(actor, "read", row):
            name = row.name if target == FollowTarget.PERSON else row.title
    return {"target": target, "key": key, "name": name, "following": is_following(actor, target, key)}


def is_following(actor: User, target: str, key: Any) -> bool:
    if target not in set(FollowTarget):
        return False
    if target == FollowTarget.TAG:
        tags = clean_tags([key]) if isinstance(key, str) else []
        if len(tags) != 1:
            return False
        key = fold(tags[0])
    elif not is_id(key):
        return False
    return db.session.scalar(select(Follow.id).where(Follow.user_id == actor.id, Follow.of(target, key))) is not None


def _follow_key(actor: User, target: str, key: Any) -> tuple[str, int | str, str]:
    if target == FollowTarget.PERSON:
        person = get_by_id(User, key)
        if person is None:
            raise NotFound()
        permissions.require(actor, "read", person)
        if person.id == actor.id:
            raise ValidationError(_("On ne se suit pas soi-même."), code="follow_self")
        return target, person.id, person.name[:50]
    if target == FollowTarget.DOCUMENT:
        document = get_by_id(Document, key)
        if document is None:
            raise NotFound()
        permissions.require(actor, "read", document)
        return target, document.id, document.title[:50]
    if target == FollowTarget.TAG:
        tags = clean_tags([key] if isinstance(key, str) else key)
        if len(tags) != 1:
            raise ValidationError(fields={"tag": _("Un mot-clé est attendu.")})
        return target, fold(tags[0]), tags[0]
    raise ValidationError(fields={"target": _("Suivre une personne, un mot-clé ou un document.")})


def following(actor: User) -> list[Follow]:
    return list(db.session.scalars(select(Follow).where(Follow.user_id == actor.id).order_by(Follow.created_at)))
