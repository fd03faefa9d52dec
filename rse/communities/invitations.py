"""Invitations into a community: sent by email, accepted once through a link that expires."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update

from rse import audit, permissions, signals
from rse.accounts.models import Role, User
from rse.accounts.service import create_user, find_user_by_email, role_for_email
from rse.database import db, rowcount
from rse.dbtypes import utcnow
from rse.errors import Conflict, Gone, NotFound, ValidationError
from rse.i18n import DEFAULT_LOCALE
from rse.mail import queue_templated
from rse.security import new_token, token_digest
from rse.urls import external_url
from rse.validation import normalize_email, one_of

from .access import membership_role
from .models import Community, Invitation, Membership
from .service import ROLES, _add_member


def invite(actor: User, community: Community, email: str, role: str,
           account_expires_at: datetime | None = None, locale: str | None = None) -> Invitation | Membership:
    """Invite an address. An existing account is added at once (and told); otherwise an email goes out,
    in `locale` (by default the inviter's language), which the acceptance page and the account follow."""
    permissions.require(actor, "invite", community)
    email = normalize_email(email)
    one_of(role, ROLES, "role")
    locale = one_of(locale or actor.locale or DEFAULT_LOCALE, current_app.config["LANGUAGES"], "locale")
    if account_expires_at is not None:
        if account_expires_at <= utcnow():
            raise ValidationError(fields={"account_expires_at": _("La date doit être dans le futur.")})
        if role_for_email(email) != Role.PARTNER:
            raise ValidationError(fields={"account_expires_at": _("Seuls les comptes partenaires expirent.")})
    existing = find_user_by_email(email)
    if existing is not None:
        if not existing.is_active:
            raise Conflict(_("Ce compte est désactivé ou expiré : demandez à un administrateur de le réactiver."),
                           code="account_inactive")
        membership = _add_member(community, existing, role, actor=actor)
        audit.record("invitation.sent", actor=actor, target=community,
                     details={"email": email, "role": role, "existing_account": True})
        with force_locale(existing.locale or "fr"):
            queue_templated("membership_added", existing.email,
                            _("Vous avez rejoint l'espace « %(name)s »", name=community.name),
                            "membership_added", user=existing, community=community, inviter=actor,
                            link=external_url("communities.show", community_id=community.id))
        return membership
    if membership_role_for_email(email, community) is not None:
        raise Conflict(_("Cette personne est déjà membre de l'espace."), code="already_member")
    now = utcnow()
    db.session.execute(update(Invitation).where(
        Invitation.community_id == community.id, Invitation.email == email,
        Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None)).values(revoked_at=now))
    token, digest = new_token("inv")
    ttl = timedelta(days=current_app.config["INVITATION_TTL_DAYS"])
    invitation = Invitation(community_id=community.id, email=email, role=role, token_hash=digest,
                            invited_by_id=actor.id, expires_at=now + ttl, account_expires_at=account_expires_at,
                            locale=locale)
    db.session.add(invitation)
    db.session.flush()
    audit.record("invitation.sent", actor=actor, target=community,
                 details={"email": email, "role": role, "invitation_id": invitation.id})
    with force_locale(locale):  # the invitee has no language of their own yet: the invitation's
        queue_templated("invitation", email,
                        _("%(name)s vous invite dans l'espace « %(community)s » sur Maillage",
                          name=actor.name, community=community.name),
                        "invitation", invitation=invitation, community=community, inviter=actor,
                        days=ttl.days, link=external_url("communities.accept_invitation", token=token))
    return invitation


def membership_role_for_email(email: str, community: Community) -> str | None:
    user = find_user_by_email(email)
    return membership_role(user.id, community.id) if user else None


def invitation_locale(invitation: Invitation) -> str:
    """The language the invitee reads: that of the email they received (French for older ones)."""
    return invitation.locale or DEFAULT_LOCALE


def find_invitation(token: str) -> Invitation:
    """The invitation behind a link, if it can still be accepted."""
    invitation = db.session.scalar(select(Invitation).where(Invitation.token_hash == token_digest(token or "")))
    if invitation is None:
        raise NotFound(_("Cette invitation n'existe pas."))
    if invitation.accepted_at is not None:
        raise Conflict(_("Cette invitation a déjà été acceptée. Connectez-vous avec votre adresse."),
                       code="invitation_used")
    if invitation.revoked_at is not None:
        raise Gone(_("Cette invitation a été annulée ou remplacée par une plus récente."), code="invitation_revoked")
    if invitation.expires_at <= utcnow():
        raise Gone(_("Cette invitation a expiré. Demandez à l'animateur de l'espace de vous réinviter."),
                   code="invitation_expired")
    return invitation


def accept_invitation(token: str, name: str, password: str) -> tuple[User, Community, bool]:
    """Accept once: create the account (or reuse one made since), join. Returns (user, community, created)."""
    invitation = find_invitation(token)
    existing = find_user_by_email(invitation.email)
    if existing is None:
        user = create_user(email=invitation.email, name=name, password=password,
                           role=role_for_email(invitation.email), expires_at=invitation.account_expires_at,
                           locale=invitation.locale)
    else:
        user = existing
    # Claim the invitation with a conditional update: a double submit accepts it only once.
    claimed = db.session.execute(update(Invitation).where(
        Invitation.id == invitation.id, Invitation.accepted_at.is_(None)).values(
        accepted_at=utcnow(), accepted_by_id=user.id))
    if rowcount(claimed) != 1:
        raise Conflict(_("Cette invitation a déjà été acceptée."), code="invitation_used")
    db.session.refresh(invitation)
    community = invitation.community
    if membership_role(user.id, community.id) is None:
        _add_member(community, user, invitation.role, actor=None)
    audit.record("invitation.accepted", actor=user, target=community, details={"invitation_id": invitation.id})
    if existing is None:
        _accept_other_invitations(user, invitation)
    signals.invitation_accepted.send(invitation, user=user)
    return user, community, existing is None


def _accept_other_invitations(user: User, accepted: Invitation) -> None:
    """The other pending invitations of the same address become memberships too."""
    for other in db.session.scalars(select(Invitation).where(
            Invitation.email == user.email, Invitation.id != accepted.id,
            Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None),
            Invitation.expires_at > utcnow())):
        other.accepted_at, other.accepted_by_id = utcnow(), user.id
        if membership_role(user.id, other.community_id) is None:
            _add_member(other.community, user, other.role, actor=None)
        audit.record("invitation.accepted", actor=user, target=other.community, details={"invitation_id": other.id})


def list_pending_invitations(actor: User, community: Community) -> list[Invitation]:
    permissions.require(actor, "invite", community)
    return list(db.session.scalars(select(Invitation).where(
        Invitation.community_id == community.id, Invitation.accepted_at.is_(None),
        Invitation.revoked_at.is_(None), Invitation.expires_at > utcnow()).order_by(Invitation.created_at.desc())))


def revoke_invitation(actor: User, community: Community, invitation_id: int) -> None:
    permissions.require(actor, "invite", community)
    invitation = db.session.get(Invitation, invitation_id) if isinstance(invitation_id, int) else None
    if invitation is None or invitation.community_id != community.id or not invitation.is_pending:
        raise NotFound(_("Cette invitation n'existe pas ou n'est plus en attente."))
    invitation.revoked_at = utcnow()
    audit.record("invitation.revoked", actor=actor, target=community, details={"invitation_id": invitation.id})
