"""Mentions: "@handle" in a publication or a comment, resolved to the people the author may name."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import case, select

from rse import permissions
from rse.accounts.models import User
from rse.communities.access import active_people
from rse.database import db
from rse.urls import internal_path

from . import markdown


def named(actor: User, text: str, target) -> dict[str, list[tuple[User, bool]]]:
    """For each "@handle" of `text` (20 at most): the active people the author may see whose address
    is "handle@…", each with whether they may read `target` (readers first, three at most)."""
    found: dict[str, list[tuple[User, bool]]] = {}
    for handle in sorted(markdown.mention_handles(text))[:20]:
        literal = handle.replace("_", "\\_")  # "_" is a LIKE wildcard: "@a_b" must not find "a.b@"
        may_read = case((permissions.readers(target), True), else_=False)
        rows = db.session.execute(select(User, may_read).where(
            User.email.like(f"{literal}@%", escape="\\"), permissions.visible(actor, User), active_people())
            .order_by(case((permissions.readers(target), 0), else_=1), User.id).limit(3)).all()
        found[handle] = [(user, bool(reads)) for user, reads in rows]
    return found


def resolve(actor: User, text: str, item) -> dict[str, int]:
    """{handle: user id} for each "@handle" naming exactly one active person whom the author may
    see and who may read the item. A handle the author may not resolve stays plain text: the
    rendered mention (a name and a profile link) must not tell them who is behind an address."""
    found: dict[str, int] = {}
    for handle, people in named(actor, text, item).items():
        readers = [user.id for user, may_read in people if may_read]
        if len(readers) == 1:
            found[handle] = readers[0]
    return found


def unreached(actor: User, text: str, target) -> list[User]:
    """The people `text` names who will not be told: a handle behind which the author may see one
    person, who may not read `target` (the same rule as `resolve`, seen from the other side)."""
    people = [found[0][0] for found in named(actor, text, target).values() if len(found) == 1 and not found[0][1]]
    return sorted(people, key=lambda user: (user.name.lower(), user.id))


def unreached_warnings(actor: User, text: str, target) -> list[str]:
    """What the writer is told, in the form as they type and again once saved, about `unreached`."""
    return [_("%(name)s n'a pas accès à cet espace : aucune notification ne lui sera envoyée.", name=user.name)
            for user in unreached(actor, text, target)]


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
