"""Mentions: "@handle" in a publication or a comment, resolved to the people the author may name."""

from __future__ import annotations

from sqlalchemy import select

from rse import permissions
from rse.accounts.models import User
from rse.database import db
from rse.urls import internal_path

from . import markdown


def resolve(actor: User, text: str, item) -> dict[str, int]:
    """{handle: user id} for each "@handle" naming exactly one active person whom the author may
    see and who may read the item. A handle the author may not resolve stays plain text: the
    rendered mention (a name and a profile link) must not tell them who is behind an address."""
    handles = markdown.mention_handles(text)
    if not handles:
        return {}
    found: dict[str, int] = {}
    for handle in list(handles)[:20]:
        literal = handle.replace("_", "\\_")  # "_" is a LIKE wildcard: "@a_b" must not find "a.b@"
        users = db.session.scalars(select(User.id).where(
            User.email.like(f"{literal}@%", escape="\\"), permissions.visible(actor, User),
            permissions.readers(item)).limit(2)).all()
        if len(users) == 1:
            found[handle] = users[0]
    return found


def render(text: str, mentions: dict[str, int]) -> str:
    if not mentions:
        return markdown.render(text)
    people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(mentions.values())))}
    links = {handle: (internal_path("accounts.profile", user_id=uid), people[uid].name)
             for handle, uid in mentions.items() if uid in people}
    return markdown.render(text, links)


def apply(actor: User, holder, text: str, item) -> None:
    """Set `holder`'s mentions and rendered body from `text`, written by `actor` on `item`."""
    holder.mentions = resolve(actor, text, item)
    holder.body_html = render(text, holder.mentions)
