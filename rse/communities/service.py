"""Communities: creation, settings, membership, join requests and quick links."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from rse import audit, permissions, signals
from rse.accounts.models import User
from rse.database import db
from rse.dbtypes import get_by_id, utcnow
from rse.errors import Conflict, NotFound, ValidationError
from rse.permissions import SITE
from rse.validation import clean_text, clean_url, one_of

from .access import membership_role, remember_roles
from .models import Community, JoinRequest, MemberRole, Membership, QuickLink, Visibility

ROLES = [r.value for r in MemberRole]
VISIBILITIES = [v.value for v in Visibility]
MAX_QUICK_LINKS = 30


def get_community(actor: User, community_id, action: str = "view") -> Community:
    """The community, if the actor may `action` it; a hidden one is NotFound."""
    community = get_by_id(Community, community_id)
    if community is None:
        raise NotFound()
    permissions.require(actor, action, community)
    return community


def list_communities(actor: User, *, mine: bool = False, query: str = "") -> list[tuple[Community, str | None, int]]:
    """Visible communities with the actor's role in each and their member count."""
    query = clean_text(query, "q", max_length=100)
    members = (select(func.count(Membership.id)).where(Membership.community_id == Community.id)
               .correlate_except(Membership).scalar_subquery())
    if mine:  # walked from the actor's memberships, not over every community
        statement = select(Community, Membership.role, members).join(
            Membership, (Membership.community_id == Community.id) & (Membership.user_id == actor.id))
    else:
        role = select(Membership.role).where(
            Membership.community_id == Community.id, Membership.user_id == actor.id).scalar_subquery()
        statement = select(Community, role, members)
    statement = statement.where(permissions.visible(actor, Community))
    if query:
        statement = statement.where(func.lower(Community.name).like(f"%{query.lower()}%"))
    rows = [tuple(row) for row in db.session.execute(statement.order_by(Community.name))]
    remember_roles(actor.id, {community.id: role for community, role, _count in rows})
    return rows


def _clean_community(data: dict, *, partial: bool) -> dict:
    cleaned: dict[str, Any] = {}
    if not partial or "name" in data:
        cleaned["name"] = clean_text(data.get("name"), "name", max_length=120, required=True)
    if not partial or "description" in data:
        cleaned["description"] = clean_text(data.get("description"), "description", max_length=5000,
                                            multiline=True)
    if "visibility" in data or not partial:
        cleaned["visibility"] = one_of(data.get("visibility", Visibility.PRIVATE.value), VISIBILITIES, "visibility")
    if "sensitive" in data:
        if not isinstance(data["sensitive"], bool):
            raise ValidationError(fields={"sensitive": _("Doit valoir vrai ou faux.")})
        cleaned["sensitive"] = data["sensitive"]
    return cleaned


def _check_name_free(actor: User, name: str, community_id: int | None = None) -> None:
    """Two communities the actor can see may not share a name. One they cannot see may: refusing
    the name would tell them that a secret community of that name exists."""
    clash = db.session.scalar(select(Community.id).where(
        func.lower(Community.name) == name.lower(), Community.id != (community_id or 0),
        permissions.visible(actor, Community)).limit(1))
    if clash is not None:
        raise Conflict(_("Un espace porte déjà ce nom."), code="name_taken")


def create_community(actor: User, data: dict) -> Community:
    permissions.require(actor, "community.create", SITE)
    cleaned = _clean_community(data, partial=False)
    _check_name_free(actor, cleaned["name"])
    community = Community(created_by_id=actor.id, **cleaned)
    db.session.add(community)
    db.session.flush()
    db.session.add(Membership(community_id=community.id, user_id=actor.id, role=MemberRole.ANIMATOR))
    audit.record("community.created", actor=actor, target=community, details={"visibility": community.visibility})
    db.session.flush()
    return community


def update_community(actor: User, community: Community, data: dict) -> Community:
    permissions.require(actor, "manage", community)
    cleaned = _clean_community(data, partial=True)
    if "name" in cleaned:
        _check_name_free(actor, cleaned["name"], community.id)
    changes = {k: v for k, v in cleaned.items() if getattr(community, k) != v}
    for field, value in changes.items():
        setattr(community, field, value)
    if changes:
        audit.record("community.updated", actor=actor, target=community, details={"fields": sorted(changes)})
    db.session.flush()
    return community


# --- Members -------------------------------------------------------------------------------

def list_members(actor: User, community: Community) -> list[Membership]:
    permissions.require(actor, "read", community)
    return list(db.session.scalars(
        select(Membership).join(User, User.id == Membership.user_id)
        .where(Membership.community_id == community.id)
        .order_by(Membership.role, User.name)))


def memberships_of(actor: User, user: User) -> list[Membership]:
    """Every space `user` belongs to, with their role and since when: what an administrator
    reviews first when checking someone's access (administrators only)."""
    permissions.require(actor, "administer")
    return list(db.session.scalars(
        select(Membership).join(Community, Community.id == Membership.community_id)
        .where(Membership.user_id == user.id).order_by(Community.name, Community.id)))


def _membership(community: Community, user_id: int) -> Membership:
    membership = db.session.scalar(select(Membership).where(
        Membership.community_id == community.id, Membership.user_id == user_id))
    if membership is None:
        raise NotFound(_("Cette personne n'est pas membre de l'espace."))
    return membership


def _add_member(community: Community, user: User, role: str, *, actor: User | None) -> Membership:
    """Add a membership, no permission asked: for this package's own steps that decided who may
    add whom (joining, an accepted request or invitation); the others call add_member."""
    one_of(role, ROLES, "role")
    if membership_role(user.id, community.id) is not None:
        raise Conflict(_("Cette personne est déjà membre de l'espace."), code="already_member")
    membership = Membership(community_id=community.id, user_id=user.id, role=role)
    db.session.add(membership)
    db.session.flush()
    for request in db.session.scalars(select(JoinRequest).where(
            JoinRequest.community_id == community.id, JoinRequest.user_id == user.id,
            JoinRequest.status == "pending")):
        request.status, request.decided_at = "approved", utcnow()
        request.decided_by_id = actor.id if actor else None
    audit.record("membership.added", actor=actor, target=community, details={"user_id": user.id, "role": role})
    signals.membership_added.send(community, user=user, role=role, actor=actor)
    return membership


def add_member(actor: User, community: Community, user: User, role: str) -> Membership:
    """An animator (or an administrator) adds an active account to the community."""
    permissions.require(actor, "manage", community)
    if not user.is_active:
        raise Conflict(_("Ce compte est désactivé."), code="account_inactive")
    return _add_member(community, user, role, actor=actor)


def join(actor: User, community: Community) -> Membership:
    if actor is not None and membership_role(actor.id, community.id) is not None:
        raise Conflict(_("Vous êtes déjà membre de cet espace."), code="already_member")
    permissions.require(actor, "join", community)
    return _add_member(community, actor, MemberRole.MEMBER, actor=actor)


def _lock_community(community: Community) -> None:
    """Serialise changes to one community's animators (SELECT … FOR UPDATE on PostgreSQL)."""
    db.session.execute(select(Community.id).where(Community.id == community.id).with_for_update())


def _animator_count(community: Community) -> int:
    return db.session.scalar(select(func.count(Membership.id)).where(
        Membership.community_id == community.id, Membership.role == MemberRole.ANIMATOR)) or 0


def _remove(actor: User, community: Community, membership: Membership, action: str) -> None:
    _lock_community(community)
    if membership.role == MemberRole.ANIMATOR and _animator_count(community) <= 1:
        raise Conflict(_("Le dernier animateur ne peut pas quitter l'espace : nommez d'abord un autre animateur."),
                       code="last_animator")
    user = membership.user
    db.session.delete(membership)
    db.session.flush()
    audit.record("membership.removed", actor=actor, target=community, details={"user_id": user.id, "how": action})
    signals.membership_removed.send(community, user=user, actor=actor)


def leave(actor: User, community: Community) -> None:
    permissions.require(actor, "leave", community)
    _remove(actor, community, _membership(community, actor.id), "left")


def remove_member(actor: User, community: Community, user_id: int) -> None:
    permissions.require(actor, "manage", community)
    _remove(actor, community, _membership(community, user_id), "removed")


def change_role(actor: User, community: Community, user_id: int, role: str) -> Membership:
    permissions.require(actor, "manage", community)
    one_of(role, ROLES, "role")
    membership = _membership(community, user_id)
    if membership.role == role:
        return membership
    _lock_community(community)
    if membership.role == MemberRole.ANIMATOR and _animator_count(community) <= 1:
        raise Conflict(_("L'espace doit garder au moins un animateur."), code="last_animator")
    audit.record("membership.role_changed", actor=actor, target=community,
                 details={"user_id": user_id, "from": membership.role, "to": role})
    membership.role = role
    db.session.flush()
    return membership


# --- Join requests ---------------------------------------------------------------------------

def request_to_join(actor: User, community: Community, message: str = "") -> JoinRequest:
    permissions.require(actor, "request_join", community)
    message = clean_text(message, "message", max_length=500, multiline=True)
    if pending_request(actor, community) is not None:
        raise Conflict(_("Votre demande est déjà en attente."), code="request_pending")
    request = JoinRequest(community_id=community.id, user_id=actor.id, message=message)
    db.session.add(request)
    db.session.flush()
    audit.record("membership.requested", actor=actor, target=community)
    return request


def pending_request_ids(actor: User) -> set[int]:
    """The communities the actor has asked to join, their request still pending."""
    return set(db.session.scalars(select(JoinRequest.community_id).where(
        JoinRequest.user_id == actor.id, JoinRequest.status == "pending")))


def pending_request(actor: User, community: Community) -> JoinRequest | None:
    return db.session.scalar(select(JoinRequest).where(
        JoinRequest.community_id == community.id, JoinRequest.user_id == actor.id,
        JoinRequest.status == "pending"))


def list_join_requests(actor: User, community: Community) -> list[JoinRequest]:
    permissions.require(actor, "manage", community)
    return list(db.session.scalars(select(JoinRequest).where(
        JoinRequest.community_id == community.id, JoinRequest.status == "pending")
        .order_by(JoinRequest.created_at)))


def decide_join_request(actor: User, community: Community, request_id: int, approve: bool) -> None:
    permissions.require(actor, "manage", community)
    request = get_by_id(JoinRequest, request_id)
    if request is None or request.community_id != community.id or request.status != "pending":
        raise NotFound(_("Cette demande n'existe pas ou a déjà été traitée."))
    if approve:
        _add_member(community, request.user, MemberRole.MEMBER, actor=actor)
    else:
        request.status, request.decided_at, request.decided_by_id = "refused", utcnow(), actor.id
        audit.record("membership.request_refused", actor=actor, target=community,
                     details={"user_id": request.user_id})


# --- Quick-access links ------------------------------------------------------------------------

def list_links(actor: User, community: Community | None = None) -> list[QuickLink]:
    """A community's quick links (for those who may read it), or the actor's own."""
    if community is not None:
        permissions.require(actor, "read", community)
    return _links(community=community, user=None if community is not None else actor)


def _links(*, community: Community | None = None, user: User | None = None) -> list[QuickLink]:
    if community is not None:
        owner = QuickLink.community_id == community.id
    elif user is not None:
        owner = QuickLink.user_id == user.id
    else:
        raise TypeError("_links() needs a community or a user")
    return list(db.session.scalars(select(QuickLink).where(owner).order_by(QuickLink.position, QuickLink.id)))


def add_link(actor: User, title: str, url: str, *, community: Community | None = None) -> QuickLink:
    if community is not None:
        permissions.require(actor, "manage", community)
    title = clean_text(title, "title", max_length=120, required=True)
    url = clean_url(url)
    existing = _links(community=community, user=None if community else actor)
    if len(existing) >= MAX_QUICK_LINKS:
        raise Conflict(_("%(max)d liens au maximum.", max=MAX_QUICK_LINKS), code="too_many_links")
    link = QuickLink(title=title, url=url, created_by_id=actor.id,
                     position=(existing[-1].position + 1) if existing else 0,
                     community_id=community.id if community else None,
                     user_id=None if community else actor.id)
    db.session.add(link)
    db.session.flush()
    return link


def _get_link(actor: User, link_id: int) -> QuickLink:
    """A link the actor may change; one they may not read is as missing (404) as an unknown id."""
    link = get_by_id(QuickLink, link_id)
    if link is None:
        raise NotFound()
    permissions.require(actor, "manage", link)
    return link


def remove_link(actor: User, link_id: int) -> None:
    db.session.delete(_get_link(actor, link_id))
    db.session.flush()


def move_link(actor: User, link_id: int, offset: int) -> None:
    """Swap a link with its neighbour (offset -1: up, +1: down)."""
    link = _get_link(actor, link_id)
    siblings = _links(community=db.session.get(Community, link.community_id)) if link.community_id \
        else _links(user=actor)
    index = next(i for i, s in enumerate(siblings) if s.id == link.id)
    other = index + offset
    if 0 <= other < len(siblings):
        siblings[index], siblings[other] = siblings[other], siblings[index]
        for position, item in enumerate(siblings):
            item.position = position
        db.session.flush()


def member_count(actor: User, community: Community) -> int:
    """How many people a community has, for those who may see the community."""
    permissions.require(actor, "view", community)
    return db.session.scalar(select(func.count(Membership.id)).where(Membership.community_id == community.id)) or 0
