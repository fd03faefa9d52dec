"""What communities hands to search: the communities themselves, and people.

People are here, not in accounts, because who may find a person follows their
memberships: every staff member finds every active person; a partner finds the people
who share a community with them (`people_scope`).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from rse import indexing
from rse.accounts.models import User
from rse.indexing import EVERY_STAFF_MEMBER, SearchItem, content_scope, listing_scope, people_scope, self_scope
from rse.urls import internal_path

from .access import active_people, member_community_ids
from .models import Community, Membership


def load_communities(session: Session, ids: list[int]) -> dict[int, SearchItem]:
    return {
        c.id: SearchItem(
            source="community", id=c.id, kind="community", subkind=c.visibility, scopes=(listing_scope(c.id),),
            url=internal_path("communities.show", community_id=c.id), date=c.created_at, title=c.name,
            description=c.description or "", community_id=c.id, names=(c.name,),
        )
        for c in session.scalars(select(Community).where(Community.id.in_(ids)))
    }


def load_people(session: Session, ids: list[int]) -> dict[int, SearchItem]:
    memberships: dict[int, list[int]] = defaultdict(list)
    for user_id, community_id in session.execute(
        select(Membership.user_id, Membership.community_id).where(Membership.user_id.in_(ids))
    ):
        memberships[user_id].append(community_id)
    return {
        u.id: SearchItem(
            source="person", id=u.id, kind="person", subkind=u.role,
            scopes=(EVERY_STAFF_MEMBER, self_scope(u.id), *(people_scope(cid) for cid in memberships[u.id])),
            url=internal_path("accounts.profile", user_id=u.id), date=u.created_at, title=u.name,
            description=" · ".join(part for part in (u.job_title, u.organisation) if part),
            place=u.site or "", body=u.bio or "", names=(u.name,),
        )
        for u in session.scalars(select(User).where(User.id.in_(ids), active_people()))
    }


def _visible(model, condition=None):
    """Source.visible: the ids the actor may know exist, by the permission layer's filter on `model`."""
    def visible(actor: Any, ids: list[int]) -> set[int]:
        from rse.database import db
        from rse.permissions import visible

        extra = condition() if condition is not None else true()
        return set(db.session.scalars(select(model.id).where(model.id.in_(ids), visible(actor, model), extra)))

    return visible


def audience(actor: Any) -> set[str]:
    """The scope tokens the actor holds now, from the permission layer's filters: the content of
    the communities they read, the listing of those they may know exist, and the people they may
    see (every staff member sees every active person; a partner, those who share a community)."""
    from rse.database import db
    from rse.permissions import effective_actor, readable, visible

    actor = effective_actor(actor)
    if actor is None:
        return set()
    tokens = {self_scope(actor.id)}
    tokens.update(content_scope(cid) for cid in db.session.scalars(select(Community.id).where(
        readable(actor, Community))))
    tokens.update(listing_scope(cid) for cid in db.session.scalars(select(Community.id).where(
        visible(actor, Community))))
    if actor.is_partner:
        tokens.update(people_scope(cid) for cid in db.session.scalars(member_community_ids(actor.id)))
    else:
        tokens.add(EVERY_STAFF_MEMBER)
    return tokens


def register() -> None:
    indexing.register_audience(audience)
    indexing.register_source(indexing.Source(
        name="community", load=load_communities, visible=_visible(Community),
        batches=lambda session, size: indexing.id_batches(session, Community, Community.id > 0, size),
    ))
    indexing.register_source(indexing.Source(
        name="person", load=load_people, visible=_visible(User, active_people),
        batches=lambda session, size: indexing.id_batches(session, User, active_people(), size),
    ))
    indexing.watch(Community, "community", lambda c: [("community", c.id)],
                   fields=("name", "description", "visibility"))
    indexing.watch(User, "person", lambda u: [("person", u.id)],
                   fields=("name", "job_title", "organisation", "site", "bio", "role", "deactivated_at", "expires_at"))
    indexing.watch(Membership, "person", lambda m: [("person", m.user_id)], fields=("user_id", "community_id"))
