"""What a run's digests are drawn from, read in a few queries whatever the number of people.

`Window`: every community's items, pins, questions, newcomers and reviews of the period, read
once for a whole run. `PeopleBatch`: what is a batch of people's own (memberships, notifications,
what they opened or were emailed, the documents they follow, the readings asked of them), read
once per batch, and the actions of plans it must remind them of (theirs due soon or late, and for
animators the late ones of their spaces).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple

from flask import current_app
from sqlalchemy import Row, Select, and_, func, null, or_, select
from sqlalchemy.orm import aliased

from rse.accounts.models import User
from rse.communities.models import Community, MemberRole, Membership
from rse.database import db
from rse.documents import review
from rse.documents.access import never_in_force
from rse.documents.controlled.models import (
    CircuitRole,
    ControlledDocument,
    ControlRole,
    ReadingCampaign,
    ReadingRequirement,
)
from rse.documents.controlled.reading import pending_condition
from rse.documents.models import Document, DocumentVersion
from rse.feeds.models import Activity, Follow, Kind, Notification, NotificationPreference, Pin, Publication, Verb
from rse.i18n import local_day
from rse.mail.models import OutboundEmail
from rse.plans.models import OPEN_STATUSES, Action, ActionOwner, Plan, late_condition

from .models import ItemView
from .periods import Period
from .ranking import points

QUESTION_AGE = timedelta(days=30)
ACTIONS_DUE_WITHIN = timedelta(days=14)  # « Vos actions »: the open ones due within two weeks, and the late ones
ITEM_VERBS = (Verb.PUBLISHED, Verb.EDITED, Verb.UPLOADED, Verb.IN_FORCE)


class Change(NamedTuple):
    """An item's latest change in the window, with what ranking it needs."""

    changed_at: datetime
    timestamp: float
    key: tuple[str, int]
    community_id: int
    actor_id: int | None
    author_id: int | None
    points: float           # reactions and kind: the part of the score that is the same for every reader
    new_version: bool       # a new version of a document: more points for its followers
    row: Row


def _publication_columns() -> tuple:
    """What an entry shows of a publication, as plain columns: no body unless excerpts may leave by
    email, none of the rendered HTML, JSON or relationships that loading the entities would bring."""
    body = Publication.body if current_app.config.get("MAIL_EXCERPTS") else null()
    return (Publication.id, Publication.community_id, Publication.author_id, Publication.kind, Publication.title,
            body.label("body"), Publication.like_count, Publication.comment_count, Publication.same_question_count,
            Publication.created_at, Publication.updated_at, User.name.label("author_name"))


# Plain columns rather than entities: a run's window outlives the read transactions of its batches
# (entities would be expired, then reloaded one by one), and loads none of what it does not show.
# The author shown is who deposited the current version (the creator if it has none).
_DOCUMENT_COLUMNS = (Document.id, Document.community_id, Document.title, Document.description, Document.updated_at,
                     Document.created_by_id, Document.current_number, Document.review_by,
                     User.id.label("author_id"), User.name.label("author_name"))


def _documents(*conditions) -> Select:
    current = and_(DocumentVersion.document_id == Document.id, DocumentVersion.number == Document.current_number)
    return (select(*_DOCUMENT_COLUMNS).outerjoin(DocumentVersion, current)
            .outerjoin(User, User.id == func.coalesce(DocumentVersion.author_id, Document.created_by_id))
            .where(Document.deleted_at.is_(None), Document.id.not_in(never_in_force()), *conditions))


def _publications(*conditions) -> Select:
    return (select(*_publication_columns()).outerjoin(User, User.id == Publication.author_id)
            .where(Publication.deleted_at.is_(None), *conditions))


def _chunks(ids: set[int], size: int = 5_000) -> list[list[int]]:
    """Ids in chunks small enough for any database's limit on bound parameters."""
    ordered = sorted(ids)
    return [ordered[i:i + size] for i in range(0, len(ordered), size)]


def _email_modes(user_ids: list[int]) -> dict[tuple[int, str], str]:
    modes = {}
    for user_id, kind, mode in db.session.execute(
            select(NotificationPreference.user_id, NotificationPreference.kind, NotificationPreference.mode)
            .where(NotificationPreference.user_id.in_(user_ids))):
        modes[(user_id, kind)] = mode
    return modes


@dataclass
class Window:
    """What every digest of a period is drawn from, read once for a whole run: the items, pins,
    questions, newcomers and reviews of every community since the earliest a digest of the period
    may look back (one period before it), indexed by community. A person's digest then reads only
    their communities' part of it, so a batch costs the same queries whatever its people."""

    now: datetime
    since: datetime
    communities: dict[int, Row]                # id, name, sensitive
    changes: dict[int, list[Change]]           # by community, newest first: each item's latest change
    pins: list[Row]                            # in pin order
    questions: dict[int, list[Row]]            # by community, most "same question" first
    publications: dict[int, Row]
    documents: dict[int, Row]
    members: dict[int, list[Row]]              # by community, oldest first
    due: dict[int, list[Row]]                  # documents, by community, soonest first
    # The writers of the controlled documents among `due` (those the review rule reminds instead).
    review_writers: dict[int, set[int]]

    @property
    def today(self) -> date:
        """The day of `now` where the users are (due dates and review dates are theirs)."""
        return local_day(self.now)

    @classmethod
    def read(cls, period: Period, now: datetime) -> Window:
        since = period.start - period.length
        communities = {c.id: c for c in db.session.execute(select(Community.id, Community.name, Community.sensitive))}
        activities: dict[int, list[Row]] = defaultdict(list)
        for activity in db.session.execute(
                select(Activity.community_id, Activity.actor_id, Activity.verb, Activity.publication_id,
                       Activity.document_id, Activity.created_at)
                .where(Activity.created_at >= since, Activity.created_at <= now, Activity.community_id.is_not(None),
                       Activity.hidden.is_(False), Activity.verb.in_(ITEM_VERBS))):
            activities[activity.community_id].append(activity)
        pins = list(db.session.execute(select(Pin.community_id, Pin.publication_id, Pin.created_at).where(
            Pin.community_id.is_not(None), Pin.created_at >= since,
            or_(Pin.until.is_(None), Pin.until > now)).order_by(Pin.position)))
        questions: dict[int, list[Row]] = defaultdict(list)
        for question in db.session.execute(_publications(
                Publication.kind == Kind.QUESTION, Publication.accepted_comment_id.is_(None),
                Publication.created_at >= now - QUESTION_AGE)
                .order_by(Publication.same_question_count.desc(), Publication.id.desc())):
            questions[question.community_id].append(question)
        members: dict[int, list[Row]] = defaultdict(list)
        for member in db.session.execute(
                select(Membership.community_id, Membership.user_id, Membership.created_at, User.name)
                .join(User, User.id == Membership.user_id)
                .where(Membership.created_at >= since, User.deactivated_at.is_(None),
                       or_(User.expires_at.is_(None), User.expires_at > now))
                .order_by(Membership.created_at)):
            members[member.community_id].append(member)
        due: dict[int, list[Row]] = defaultdict(list)
        for document in db.session.execute(
                _documents(review.due_condition(local_day(now)))
                .outerjoin(ControlledDocument, ControlledDocument.document_id == Document.id)
                .add_columns(ControlledDocument.document_id.is_not(None).label("controlled"))
                .order_by(Document.review_by)):
            due[document.community_id].append(document)
        review_writers: dict[int, set[int]] = {d.id: set() for rows in due.values() for d in rows if d.controlled}
        for chunk in _chunks(set(review_writers)):
            for document_id, user_id in db.session.execute(select(ControlRole.document_id, ControlRole.user_id).where(
                    ControlRole.document_id.in_(chunk), ControlRole.role == CircuitRole.WRITER)):
                review_writers[document_id].add(user_id)
        window = cls(now=now, since=since, communities=communities, changes={}, pins=pins,
                     questions=questions, publications={}, documents={}, members=members, due=due,
                     review_writers=review_writers)
        window.load(
            {a.publication_id for rows in activities.values() for a in rows if a.publication_id}
            | {p.publication_id for p in pins},
            {a.document_id for rows in activities.values() for a in rows if a.document_id})
        window.publications.update({q.id: q for rows in questions.values() for q in rows})
        window.changes = {community_id: window._changes(rows) for community_id, rows in activities.items()}
        return window

    def _changes(self, activities: list[Row]) -> list[Change]:
        """One community's items changed in the window, each once with its latest change (deleted
        ones left out), newest first, with the part of their score that is the same for every reader."""
        latest: dict[tuple[str, int], Row] = {}
        for activity in activities:
            key = ("publication", activity.publication_id) if activity.publication_id else (
                "document", activity.document_id)
            if key not in latest or latest[key].created_at < activity.created_at:
                latest[key] = activity
        changes = []
        for key, activity in latest.items():
            if key[0] == "publication":
                item = self.publications.get(key[1])
                if item is None:
                    continue
                base = points(likes=item.like_count, comments=item.comment_count,
                              same_questions=item.same_question_count, kind=item.kind)
                author_id, new_version = item.author_id, False
            else:
                item = self.documents.get(key[1])
                if item is None:
                    continue
                base, author_id = points(kind="document"), item.created_by_id
                new_version = activity.verb in (Verb.UPLOADED, Verb.IN_FORCE) and item.current_number > 1
            changes.append(Change(activity.created_at, activity.created_at.timestamp(), key, item.community_id,
                                  activity.actor_id, author_id, base, new_version, item))
        changes.sort(key=lambda c: c.timestamp, reverse=True)
        return changes

    def load(self, publication_ids: set[int], document_ids: set[int]) -> None:
        """Add these publications and documents (deleted ones stay out), unless already there."""
        for chunk in _chunks(publication_ids - self.publications.keys()):
            self.publications.update((p.id, p) for p in db.session.execute(_publications(Publication.id.in_(chunk))))
        for chunk in _chunks(document_ids - self.documents.keys()):
            self.documents.update((d.id, d) for d in db.session.execute(_documents(Document.id.in_(chunk))))


@dataclass
class PeopleBatch:
    """A batch of people: what is theirs alone (memberships, notifications, pages opened, follows)."""

    window: Window
    member_of: dict[int, set[int]]
    animator_of: dict[int, set[int]]
    notices: dict[int, list[Row]]              # by person, oldest first
    modes: dict[tuple[int, str], str]
    # (person, "publication" | "document", id) → when the person last had it before their eyes:
    # opened on the site, or sent to them by an immediate email.
    seen: dict[tuple[int, str, int], datetime]
    followed_documents: dict[int, set[int]]
    # By person, oldest request first: the documents they must read and have not confirmed, each
    # once, with `code`, `in_force_number`, `asked_at` and `asked_by` (a name) beside the document's columns.
    readings: dict[int, list[Row]]
    # By person: the open actions they own or co-own due within two weeks or late, late first, then by due date.
    actions: dict[int, list[Row]]
    # By community the batch's people animate: its late actions, the longest late first.
    late_actions: dict[int, list[Row]]

    def seen_since(self, user_id: int, key: tuple[str, int], changed_at: datetime) -> bool:
        seen = self.seen.get((user_id, *key))
        return seen is not None and seen >= changed_at


def read_batch(user_ids: list[int], oldest: datetime, window: Window) -> PeopleBatch:
    member_of: dict[int, set[int]] = defaultdict(set)
    animator_of: dict[int, set[int]] = defaultdict(set)
    for user_id, community_id, role in db.session.execute(
            select(Membership.user_id, Membership.community_id, Membership.role)
            .where(Membership.user_id.in_(user_ids))):
        member_of[user_id].add(community_id)
        if role == MemberRole.ANIMATOR:
            animator_of[user_id].add(community_id)

    # Only a view or an email since the window began can hide an item changed in it.
    seen: dict[tuple[int, str, int], datetime] = {}

    def saw(user_id: int, publication_id: int | None, document_id: int | None, at: datetime) -> None:
        if publication_id:
            key = (user_id, "publication", publication_id)
        elif document_id:
            key = (user_id, "document", document_id)
        else:
            return
        seen[key] = max(seen.get(key, at), at)

    notices: dict[int, list[Row]] = defaultdict(list)
    for notice in db.session.execute(
            select(Notification.user_id, Notification.kind, Notification.community_id, Notification.publication_id,
                   Notification.document_id, Notification.created_at, OutboundEmail.sent_at.label("emailed_at"),
                   User.name.label("actor_name"))
            .outerjoin(User, User.id == Notification.actor_id)
            # Only a delivered email counts: one still waiting in the outbox (or refused) is no news told.
            .outerjoin(OutboundEmail, OutboundEmail.id == Notification.email_id)
            .where(Notification.user_id.in_(user_ids), Notification.created_at >= oldest,
                   Notification.community_id.is_not(None),
                   or_(Notification.read_at.is_(None), OutboundEmail.sent_at.is_not(None)))
            .order_by(Notification.id)):
        if notice.emailed_at is not None:  # an immediate email: the digest does not repeat its item
            if notice.publication_id or notice.document_id:
                saw(notice.user_id, notice.publication_id, notice.document_id, notice.emailed_at)
        else:
            notices[notice.user_id].append(notice)
    modes = _email_modes(user_ids) if notices else {}
    # A notification may point at an item older than the window (a suggestion of last year's protocol).
    window.load({n.publication_id for rows in notices.values() for n in rows if n.publication_id},
                {n.document_id for rows in notices.values() for n in rows if n.document_id})

    for user_id, publication_id, document_id, viewed_at in db.session.execute(
            select(ItemView.user_id, ItemView.publication_id, ItemView.document_id, ItemView.viewed_at)
            .where(ItemView.user_id.in_(user_ids), ItemView.viewed_at >= oldest)):
        saw(user_id, publication_id, document_id, viewed_at)

    followed_documents: dict[int, set[int]] = defaultdict(set)
    for user_id, document_id in db.session.execute(select(Follow.user_id, Follow.document_id).where(
            Follow.user_id.in_(user_ids), Follow.document_id.is_not(None))):
        followed_documents[user_id].add(document_id)

    today = window.today
    return PeopleBatch(window=window, member_of=member_of, animator_of=animator_of, notices=notices, modes=modes,
                       seen=seen, followed_documents=followed_documents, readings=_readings(user_ids),
                       actions=_owned_actions(user_ids, today),
                       late_actions=_late_actions(set().union(*animator_of.values()), today))


def _actions(*conditions) -> Select:
    """What an entry shows of an action, as plain columns: live plans only."""
    return (select(Action.id, Action.community_id, Action.title, Action.due_date, Action.owner_id,
                   Plan.title.label("plan_title"), User.name.label("owner_name"))
            .join(Plan, Plan.id == Action.plan_id).outerjoin(User, User.id == Action.owner_id)
            .where(Plan.archived_at.is_(None), *conditions))


def _owned_actions(user_ids: list[int], today: date) -> dict[int, list[Row]]:
    """The batch's people's open actions (owned or co-owned) due within two weeks or late, in one query."""
    owners = (select(Action.id.label("action_id"), Action.owner_id.label("person_id"))
              .where(Action.owner_id.in_(user_ids))
              .union(select(ActionOwner.action_id, ActionOwner.user_id).where(ActionOwner.user_id.in_(user_ids)))
              .subquery())
    late = late_condition(today)
    actions: dict[int, list[Row]] = defaultdict(list)
    for row in db.session.execute(
            _actions(Action.status.in_(OPEN_STATUSES), Action.due_date.is_not(None),
                     Action.due_date <= today + ACTIONS_DUE_WITHIN)
            .join(owners, owners.c.action_id == Action.id).add_columns(owners.c.person_id)
            .order_by(owners.c.person_id, late.desc(), Action.due_date, Action.id)):
        actions[row.person_id].append(row)
    return actions


def _late_actions(community_ids: set[int], today: date) -> dict[int, list[Row]]:
    """The late actions of these spaces, by space, the longest late first, in one query."""
    late: dict[int, list[Row]] = defaultdict(list)
    for chunk in _chunks(community_ids):
        for row in db.session.execute(_actions(late_condition(today), Action.community_id.in_(chunk))
                                      .order_by(Action.due_date, Action.id)):
            late[row.community_id].append(row)
    return late


def _readings(user_ids: list[int]) -> dict[int, list[Row]]:
    """The readings the batch's people are asked for and have not confirmed, on live documents in
    force whose version in force is the one asked (the selection keeps those of their spaces)."""
    asker = aliased(User)
    readings: dict[int, list[Row]] = defaultdict(list)
    seen: set[tuple[int, int]] = set()
    for row in db.session.execute(
            _documents(ReadingRequirement.user_id.in_(user_ids), pending_condition())
            .join(ReadingRequirement, ReadingRequirement.document_id == Document.id)
            .join(ControlledDocument, ControlledDocument.document_id == Document.id)
            .join(ReadingCampaign, ReadingCampaign.id == ReadingRequirement.campaign_id)
            .outerjoin(asker, asker.id == ReadingCampaign.created_by_id)
            .add_columns(ReadingRequirement.user_id.label("reader_id"), ControlledDocument.code,
                         ControlledDocument.in_force_number, ReadingCampaign.created_at.label("asked_at"),
                         asker.name.label("asked_by"))
            .order_by(ReadingRequirement.campaign_id, Document.id)):
        if (row.reader_id, row.id) not in seen:  # asked by two campaigns: once, the oldest
            seen.add((row.reader_id, row.id))
            readings[row.reader_id].append(row)
    return readings
