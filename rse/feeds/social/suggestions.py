"""Suggestions ("Proposer à…"): an item suggested to people, communities or everyone, with a
short message; refused when a recipient may not read the item; delivered to the home streams
and notified at once."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from rse import audit, items, permissions
from rse.accounts.models import User
from rse.communities.access import active_people, member_community_ids
from rse.communities.models import Community, Membership
from rse.database import db
from rse.dbtypes import is_id
from rse.documents.models import Document
from rse.errors import PermissionDenied, ValidationError
from rse.feeds.activity import add_activity
from rse.feeds.models import Delivery, Publication, Suggestion, Verb
from rse.feeds.notifications import service as notifications
from rse.validation import clean_text

MESSAGE_MAX = 500
MAX_RECIPIENTS = 50


def get_item(actor: User, kind: Any, item_id: Any) -> Publication | Document:
    """A suggestable item: ("publication"|"document", id). Other kinds of item (an action of a plan)
    cannot be suggested: a suggestion has no column for them."""
    found = items.named(kind)
    if found is None or not hasattr(Suggestion, found.column):
        raise ValidationError(fields={"item": _("Élément inconnu : publication ou document.")})
    return found.get(actor, item_id)


def _ids(value: Any, field: str) -> list[int]:
    if value in (None, ""):
        return []
    if not isinstance(value, list | tuple) or not all(is_id(v) for v in value):
        raise ValidationError(fields={field: _("Une liste d'identifiants est attendue.")})
    return list(dict.fromkeys(value))


def suggest(actor: User, item: Publication | Document, *, users: Any = None, communities: Any = None,
            everyone: bool = False, message: Any = "") -> Suggestion:
    permissions.require(actor, "read", item)
    user_ids, community_ids = _ids(users, "users"), _ids(communities, "communities")
    text = clean_text(message, "message", max_length=MESSAGE_MAX, multiline=True)
    if everyone and not actor.is_admin:
        raise PermissionDenied(_("Seuls les administrateurs proposent à tout le monde."), code="everyone_admin_only")
    if not (user_ids or community_ids or everyone):
        raise ValidationError(fields={"users": _("Choisissez au moins une personne ou un espace.")},
                              code="no_recipient")
    if len(user_ids) + len(community_ids) > MAX_RECIPIENTS:
        raise ValidationError(fields={"users": _("%(max)d destinataires au maximum.", max=MAX_RECIPIENTS)})
    people = _suggestion_people(actor, item, user_ids)
    spaces = _suggestion_communities(actor, item, community_ids)
    if everyone:
        _check_everyone_may_read(item)
    kind, target = items.kind_of(item).stream_kind(item), items.ref(item)
    suggestion = Suggestion(sender_id=actor.id, message=text, everyone=everyone,
                            recipients={"users": user_ids, "communities": community_ids}, **target)
    db.session.add(suggestion)
    db.session.flush()
    if people:
        activity = add_activity(Verb.SUGGESTED, actor, kind=kind, suggestion_id=suggestion.id, **target)
        for person in people:
            db.session.add(Delivery(user_id=person.id, activity_id=activity.id))
    for community in spaces:
        add_activity(Verb.SUGGESTED, actor, kind=kind, community_id=community.id, suggestion_id=suggestion.id,
                     **target)
    if everyone:
        add_activity(Verb.SUGGESTED, actor, kind=kind, everyone=True, suggestion_id=suggestion.id, **target)
    recipients = {p.id: p for p in people}
    if spaces:
        for member in db.session.scalars(select(User).join(Membership, Membership.user_id == User.id).where(
                Membership.community_id.in_([c.id for c in spaces]))):
            recipients.setdefault(member.id, member)
    if everyone:
        recipients.update({u.id: u for u in db.session.scalars(select(User).where(User.deactivated_at.is_(None)))})
    recipients.pop(actor.id, None)
    audit.record("suggestion.create", actor=actor, target=item, details={
        "users": user_ids, "communities": community_ids, "everyone": everyone})
    notifications.suggested(actor, item, suggestion, recipients.values())
    return suggestion


def visible_people(actor: User, user_ids: list[int]) -> dict[int, User]:
    """These people, those the actor may see, by id (the recipients picked so far)."""
    if not user_ids:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(
        User.id.in_(user_ids), permissions.visible(actor, User)))}


def suggestable_communities(actor: User) -> tuple[list[Community], set[int]]:
    """The communities the actor may suggest to (those they may see; a partner, exactly their own),
    by name, and the ids of those they belong to."""
    mine = set(db.session.scalars(member_community_ids(actor.id)))
    spaces = list(db.session.scalars(select(Community).where(
        permissions.visible(actor, Community)).order_by(Community.name)))
    return spaces, mine


def _suggestion_people(actor: User, item, user_ids: list[int]) -> list[User]:
    """The people named, those the actor may see; each must be able to read the item."""
    if not user_ids:
        return []
    people = {u.id: u for u in db.session.scalars(select(User).where(
        User.id.in_(user_ids), permissions.visible(actor, User)))}
    unknown = [uid for uid in user_ids if uid not in people]
    if unknown:
        raise ValidationError(fields={"users": _("Personne introuvable.")}, code="unknown_recipient")
    readers = set(db.session.scalars(select(User.id).where(User.id.in_(user_ids), permissions.readers(item))))
    blind = [people[uid].name for uid in user_ids if uid not in readers]
    if blind:
        raise ValidationError(fields={"users": _("Ne peut pas lire cet élément : %(names)s.", names=", ".join(blind))},
                              code="recipient_cannot_read")
    return [people[uid] for uid in user_ids]


def _suggestion_communities(actor: User, item, community_ids: list[int]) -> list[Community]:
    """The communities named, those the actor may know exist (a partner: only their own); every active
    member of each must be able to read the item. How many cannot is said only to who may read the
    community's member list."""
    if not community_ids:
        return []
    spaces = {c.id: c for c in db.session.scalars(select(Community).where(
        Community.id.in_(community_ids), permissions.visible(actor, Community)))}
    if any(cid not in spaces for cid in community_ids):  # missing or hidden: the same answer
        raise ValidationError(fields={"communities": _("Espace introuvable.")}, code="unknown_recipient")
    for community in spaces.values():
        blind = db.session.scalar(select(func.count()).select_from(Membership).join(User).where(
            Membership.community_id == community.id, active_people(), ~permissions.readers(item)))
        if not blind:
            continue
        if permissions.can(actor, "read", community):
            message = ngettext("%(num)d membre de « %(name)s » ne peut pas lire cet élément.",
                               "%(num)d membres de « %(name)s » ne peuvent pas lire cet élément.",
                               blind, name=community.name)
        else:
            message = _("Des membres de « %(name)s » ne peuvent pas lire cet élément.", name=community.name)
        raise ValidationError(fields={"communities": message}, code="recipient_cannot_read")
    return [spaces[cid] for cid in community_ids]


def _check_everyone_may_read(item) -> None:
    from rse.communities.models import Visibility

    if item.community.visibility != Visibility.PUBLIC:
        raise ValidationError(fields={"everyone": _(
            "Seul un élément d'un espace public peut être proposé à tout le monde.")}, code="recipient_cannot_read")
