"""The rules for communities, their quick links and for seeing people, and the SQL filters that list them.

A partner sees only the communities they belong to and the people who share one
with them; a secret community is invisible to everyone but its members. A community's
quick links are its content: whoever may not read the community does not learn they exist.
"""

from __future__ import annotations

from sqlalchemy import and_, event, false, or_, select, true
from sqlalchemy.orm import ORMExecuteState, Session, aliased

from rse import permissions
from rse.accounts import access as accounts_access
from rse.accounts.models import Role, User
from rse.database import db
from rse.dbtypes import utcnow
from rse.permissions import Decision, decide

from .models import Community, MemberRole, Membership, QuickLink, Visibility

_MEMBER_ACTIONS = {
    "view": {MemberRole.ANIMATOR, MemberRole.MEMBER, MemberRole.READER},
    "read": {MemberRole.ANIMATOR, MemberRole.MEMBER, MemberRole.READER},
    "comment": {MemberRole.ANIMATOR, MemberRole.MEMBER, MemberRole.READER},
    "leave": {MemberRole.ANIMATOR, MemberRole.MEMBER, MemberRole.READER},
    "contribute": {MemberRole.ANIMATOR, MemberRole.MEMBER},
    "manage": {MemberRole.ANIMATOR},
    "invite": {MemberRole.ANIMATOR},
}


_ROLES = "rse_member_roles"


def membership_role(user_id: int, community_id: int) -> str | None:
    """The user's role in the community, or None.

    A page asks a dozen times for the same pair (each permission check does): the answer is kept
    in the session until anything is written through it (a flush, a bulk statement) or its
    transaction ends, and never used while the session holds changes not yet flushed.
    """
    session = db.session()
    roles = session.info.setdefault(_ROLES, {})
    key = (user_id, community_id)
    if key not in roles or session.new or session.dirty or session.deleted:
        roles[key] = session.scalar(
            select(Membership.role).where(Membership.user_id == user_id, Membership.community_id == community_id)
        )
    return roles[key]


def remember_roles(user_id: int, roles: dict[int, str | None]) -> None:
    """Roles just read from the database (a list of spaces with the user's role in each), kept
    as `membership_role` keeps its own answers, so that deciding for each listed space asks nothing
    more. Not while the session holds changes not yet flushed (they might not be in them)."""
    session = db.session()
    if not (session.new or session.dirty or session.deleted):
        session.info.setdefault(_ROLES, {}).update(((user_id, cid), role) for cid, role in roles.items())


def _forget_roles(session: Session, *_args) -> None:
    session.info.pop(_ROLES, None)


def _forget_roles_on_write(state: ORMExecuteState) -> None:
    if not state.is_select:
        state.session.info.pop(_ROLES, None)


def member_community_ids(user_id: int):
    return select(Membership.community_id).where(Membership.user_id == user_id)


def readable_community_ids(actor):
    """A SELECT of the ids of the communities whose content the actor may read."""
    if actor is None:
        return select(Community.id).where(false())
    if actor.is_admin:
        return select(Community.id)
    if actor.is_partner:
        return member_community_ids(actor.id)
    return select(Community.id).where(
        or_(Community.visibility == Visibility.PUBLIC, Community.id.in_(member_community_ids(actor.id)))
    )


def community_policy(actor, action: str, community: Community) -> Decision:
    if actor is None:
        return Decision.HIDDEN
    if actor.is_admin:
        return Decision.ALLOW
    role = membership_role(actor.id, community.id)
    if role is not None:
        return Decision.ALLOW if role in _MEMBER_ACTIONS.get(action, ()) else Decision.DENY
    if actor.is_partner or community.visibility == Visibility.SECRET:
        return Decision.HIDDEN
    if action == "view":
        return Decision.ALLOW
    if community.visibility == Visibility.PUBLIC and action in {"read", "join"}:
        return Decision.ALLOW
    if community.visibility == Visibility.PRIVATE and action == "request_join":
        return Decision.ALLOW
    return Decision.DENY


def readable_communities(actor):
    """Communities whose content the actor may read."""
    return Community.id.in_(readable_community_ids(actor))


def visible_communities(actor):
    """Communities the actor may know exist (listed): not the same as readable content."""
    if actor is None:
        return false()
    if actor.is_admin:
        return true()
    members = member_community_ids(actor.id)
    if actor.is_partner:
        return Community.id.in_(members)
    return or_(Community.visibility != Visibility.SECRET, Community.id.in_(members))


def _shares_a_community(actor_id: int):
    mine, theirs = aliased(Membership), aliased(Membership)
    return (
        select(theirs.user_id)
        .join(mine, mine.community_id == theirs.community_id)
        .where(mine.user_id == actor_id)
    )


def contacts_of(user_id: int):
    """SQL on User: the other people who share at least one community with `user_id`."""
    return and_(User.id != user_id, User.id.in_(_shares_a_community(user_id)))


def active_people():
    """SQL on User: the account is neither deactivated nor expired."""
    return and_(User.deactivated_at.is_(None), or_(User.expires_at.is_(None), User.expires_at > utcnow()))


def community_readers(community: Community):
    """SQL on User: the active people who may read the content of `community`."""
    members = select(Membership.user_id).where(Membership.community_id == community.id)
    staff = User.role == Role.STAFF if community.visibility == Visibility.PUBLIC else false()
    return and_(active_people(), or_(User.role == Role.ADMIN, User.id.in_(members), staff))


def visible_people(actor):
    if actor is None:
        return false()
    if actor.is_admin:
        return true()
    active = active_people()
    if actor.is_partner:
        return or_(User.id == actor.id, and_(active, User.id.in_(_shares_a_community(actor.id))))
    return or_(User.id == actor.id, active)


def user_policy(actor, action: str, user: User) -> Decision:
    if actor is None:
        return Decision.HIDDEN
    if actor.is_admin:
        if action == "administer" and user.id == actor.id:
            return Decision.DENY  # an administrator does not deactivate or demote themselves
        return Decision.ALLOW
    if user.id == actor.id:
        return Decision.ALLOW if action in {"read", "edit"} else Decision.DENY
    visible = db.session.scalar(select(User.id).where(User.id == user.id, visible_people(actor)))
    if visible is None:
        return Decision.HIDDEN
    return Decision.ALLOW if action == "read" else Decision.DENY


def quick_link_policy(actor, action: str, link: QuickLink) -> Decision:
    """A community's links follow the community (read its content to see them, manage to change
    them); a personal link is its owner's alone."""
    if actor is None:
        return Decision.HIDDEN
    if link.community_id is None:
        return Decision.ALLOW if link.user_id == actor.id else Decision.HIDDEN
    community = db.session.get(Community, link.community_id)
    if decide(actor, "read", community) is not Decision.ALLOW:
        return Decision.HIDDEN
    return Decision.ALLOW if action == "read" else decide(actor, "manage", community)


def readable_quick_links(actor):
    if actor is None:
        return false()
    return or_(QuickLink.user_id == actor.id, QuickLink.community_id.in_(readable_community_ids(actor)))


def register() -> None:
    """Hand these rules to the permission layer (called by the package's init_app)."""
    for name, forget in (("after_flush", _forget_roles), ("after_commit", _forget_roles),
                         ("after_soft_rollback", _forget_roles), ("do_orm_execute", _forget_roles_on_write)):
        if not event.contains(Session, name, forget):
            event.listen(Session, name, forget)
    permissions.register(Community, policy=community_policy, readable=readable_communities,
                         visible=visible_communities, readers=community_readers)
    permissions.register(User, visible=visible_people, readable=visible_people, policy=user_policy)
    accounts_access.register_contacts(contacts_of)
    permissions.register(QuickLink, policy=quick_link_policy, visible=readable_quick_links,
                         readable=readable_quick_links)
