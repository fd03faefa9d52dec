"""What goes into each person's digest, selected for a whole batch of people in a few queries.

Only the communities a person is a member of are read (never public communities they merely could
read: a partner above all sees nothing else). Per person, the digest holds:

- "for you": their notifications (suggestions, @mentions, comments, ...) not read on the site, not
  already sent by an immediate email and not switched off ("never"), since the previous digest;
- the items newly pinned in their communities;
- the new items of their communities since their previous digest (else since one period before the
  current one), ranked, grouped by community and capped (10 per community, 30 in all);
- open questions without a good answer, new members, documents due for review.

An item the person wrote or changed last, opened on the site after its last change, or already had
by an immediate email after its last change, is left out of every section. The last three sections are reminders:
on their own they do not make a digest worth sending, nor do they count in the subject's number.

Ranking score of a new item (higher first, newer first on ties)::

    2 × likes + 3 × comments + 3 × "same question" presses
    + 8 if it is a new version of a document the person follows
    + 4 for an announcement
    + up to 6 for recency (6 when just published, 0 at the start of the window)
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import NamedTuple

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Row, Select, func, null, or_, select

from rse.accounts.models import User
from rse.communities.models import Community, MemberRole, Membership
from rse.database import db
from rse.documents.models import Document
from rse.feeds import markdown
from rse.feeds.models import (
    DEFAULT_EMAIL_MODES,
    Activity,
    EmailMode,
    Follow,
    Kind,
    Notification,
    NotificationKind,
    NotificationPreference,
    Pin,
    Publication,
    Verb,
)
from rse.urls import external_url

from .models import DigestDelivery, ItemView, Status
from .periods import Period

PER_COMMUNITY = 10
IN_ALL = 30
QUESTIONS = 5
QUESTION_AGE = timedelta(days=30)
REVIEW_NOTICE = timedelta(days=14)
ITEM_VERBS = (Verb.PUBLISHED, Verb.EDITED, Verb.UPLOADED)
FRESHNESS = 6           # points for an item changed just now, down to 0 at the start of the window
FOLLOWED_VERSION = 8    # points for a new version of a document the person follows


@dataclass
class Entry:
    key: tuple[str, int]  # ("publication" | "document", id)
    title: str
    url: str
    community: Row  # id, name, sensitive
    kind: str
    author: str = ""
    author_id: int | None = None  # left out of the line under the title when it is the reader
    excerpt: str = ""
    note: str = ""  # why it is here ("nouvelle version", "vous a mentionné", ...)
    likes: int = 0
    comments: int = 0
    same_questions: int = 0
    score: float = 0.0
    at: datetime | None = None


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


@dataclass
class CommunitySection:
    community: Row
    entries: list[Entry]
    more: int
    url: str


@dataclass
class Digest:
    user: User
    period: Period
    since: datetime
    for_you: list[Entry] = field(default_factory=list)
    pinned: list[Entry] = field(default_factory=list)
    communities: list[CommunitySection] = field(default_factory=list)
    questions: list[Entry] = field(default_factory=list)
    new_members: list[tuple[Row, list[str]]] = field(default_factory=list)
    due_documents: list[Entry] = field(default_factory=list)

    @property
    def item_count(self) -> int:
        """The news: what is for the person, newly pinned, and the new items shown."""
        return len(self.for_you) + len(self.pinned) + sum(len(s.entries) for s in self.communities)

    @property
    def is_empty(self) -> bool:
        """Nothing new: reminders (open questions, new members, reviews due) alone do not make an email."""
        return self.item_count == 0


def _excerpts_allowed(community: Row) -> bool:
    return not community.sensitive and bool(current_app.config.get("MAIL_EXCERPTS"))


def _publication_columns() -> tuple:
    """What an entry shows of a publication, as plain columns: no body unless excerpts may leave by
    email, none of the rendered HTML, JSON or relationships that loading the entities would bring."""
    body = Publication.body if current_app.config.get("MAIL_EXCERPTS") else null()
    return (Publication.id, Publication.community_id, Publication.author_id, Publication.kind, Publication.title,
            body.label("body"), Publication.like_count, Publication.comment_count, Publication.same_question_count,
            Publication.created_at, Publication.updated_at, User.name.label("author_name"))


# Plain columns rather than entities: a run's window outlives the read transactions of its batches
# (entities would be expired, then reloaded one by one), and loads none of what it does not show.
_DOCUMENT_COLUMNS = (Document.id, Document.community_id, Document.title, Document.description, Document.updated_at,
                     Document.created_by_id, Document.current_number, Document.review_by)


def _publications(*conditions) -> Select:
    return (select(*_publication_columns()).outerjoin(User, User.id == Publication.author_id)
            .where(Publication.deleted_at.is_(None), *conditions))


def _chunks(ids: set[int], size: int = 5_000) -> list[list[int]]:
    """Ids in chunks small enough for any database's limit on bound parameters."""
    ordered = sorted(ids)
    return [ordered[i:i + size] for i in range(0, len(ordered), size)]


def _publication_entry(publication: Row, community: Row, *, note: str = "") -> Entry:
    allowed = _excerpts_allowed(community)
    title = publication.title
    if not title:
        # A post has no title: its text stands in only where excerpts may leave by email.
        title = (markdown.plain_excerpt(publication.body, 80) if allowed else "") or _(
            "Message dans « %(community)s »", community=community.name)
    return Entry(
        key=("publication", publication.id), title=title, community=community, kind=publication.kind,
        url=external_url("publications.show", publication_id=publication.id),
        author=publication.author_name or "", author_id=publication.author_id,
        excerpt=markdown.plain_excerpt(publication.body, 200) if allowed and publication.title else "",
        note=note, likes=publication.like_count, comments=publication.comment_count,
        same_questions=publication.same_question_count, at=publication.created_at)


def _document_entry(document: Row, community: Row, *, note: str = "") -> Entry:
    allowed = _excerpts_allowed(community)
    return Entry(
        key=("document", document.id), title=document.title, community=community, kind="document",
        url=external_url("documents.show", document_id=document.id),
        excerpt=markdown.plain_excerpt(document.description, 200) if allowed else "", note=note,
        at=document.updated_at)


def _since_by_user(user_ids: list[int], period: Period) -> dict[int, datetime]:
    """Since the previous digest sent, but never further back than one period before this one."""
    floor = period.start - period.length
    since = dict.fromkeys(user_ids, floor)
    rows = db.session.execute(
        select(DigestDelivery.user_id, func.max(DigestDelivery.sent_at))
        .where(DigestDelivery.user_id.in_(user_ids), DigestDelivery.status == Status.SENT,
               DigestDelivery.period != period.key)
        .group_by(DigestDelivery.user_id))
    for user_id, sent_at in rows:
        if sent_at is not None and sent_at > floor:
            since[user_id] = sent_at
    return since


def _email_modes(user_ids: list[int]) -> dict[tuple[int, str], str]:
    modes = {}
    for user_id, kind, mode in db.session.execute(
            select(NotificationPreference.user_id, NotificationPreference.kind, NotificationPreference.mode)
            .where(NotificationPreference.user_id.in_(user_ids))):
        modes[(user_id, kind)] = mode
    return modes


NOTES = {
    NotificationKind.MENTION: lambda actor: _("%(actor)s vous a mentionné", actor=actor),
    NotificationKind.SUGGESTION: lambda actor: _("%(actor)s vous le propose", actor=actor),
    NotificationKind.COMMENT: lambda actor: _("Nouveau commentaire de %(actor)s", actor=actor),
    NotificationKind.ANSWER: lambda actor: _("Une bonne réponse, par %(actor)s", actor=actor),
    NotificationKind.FOLLOWED: lambda actor: _("Publié par %(actor)s, que vous suivez", actor=actor),
    NotificationKind.VERSION: lambda actor: _("Nouvelle version, par %(actor)s", actor=actor),
}


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
        for document in db.session.execute(select(*_DOCUMENT_COLUMNS).where(
                Document.deleted_at.is_(None), Document.review_by.is_not(None),
                Document.review_by <= now.date() + REVIEW_NOTICE).order_by(Document.review_by)):
            due[document.community_id].append(document)
        window = cls(now=now, since=since, communities=communities, changes={}, pins=pins,
                     questions=questions, publications={}, documents={}, members=members, due=due)
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
                new_version = activity.verb == Verb.UPLOADED and item.current_number > 1
            changes.append(Change(activity.created_at, activity.created_at.timestamp(), key, item.community_id,
                                  activity.actor_id, author_id, base, new_version, item))
        changes.sort(key=lambda c: c.timestamp, reverse=True)
        return changes

    def load(self, publication_ids: set[int], document_ids: set[int]) -> None:
        """Add these publications and documents (deleted ones stay out), unless already there."""
        for chunk in _chunks(publication_ids - self.publications.keys()):
            self.publications.update((p.id, p) for p in db.session.execute(_publications(Publication.id.in_(chunk))))
        for chunk in _chunks(document_ids - self.documents.keys()):
            self.documents.update((d.id, d) for d in db.session.execute(
                select(*_DOCUMENT_COLUMNS).where(Document.id.in_(chunk), Document.deleted_at.is_(None))))


@dataclass
class _Batch:
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

    def seen_since(self, user_id: int, key: tuple[str, int], changed_at: datetime) -> bool:
        seen = self.seen.get((user_id, *key))
        return seen is not None and seen >= changed_at


def _read_batch(user_ids: list[int], oldest: datetime, window: Window) -> _Batch:
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
                   Notification.document_id, Notification.created_at, Notification.emailed_at,
                   User.name.label("actor_name"))
            .outerjoin(User, User.id == Notification.actor_id)
            .where(Notification.user_id.in_(user_ids), Notification.created_at >= oldest,
                   Notification.community_id.is_not(None),
                   or_(Notification.read_at.is_(None), Notification.emailed_at.is_not(None)))
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

    return _Batch(window=window, member_of=member_of, animator_of=animator_of, notices=notices, modes=modes,
                  seen=seen, followed_documents=followed_documents)


def select_digests(users: list[User], period: Period, now: datetime, window: Window | None = None
                   ) -> dict[int, Digest]:
    """The digests of these people for `period`, in a fixed number of queries whatever their number.

    A run passes the same `window` (`Window.read(period, now)`) to each of its batches."""
    if not users:
        return {}
    window = window or Window.read(period, now)
    user_ids = [u.id for u in users]
    since = _since_by_user(user_ids, period)
    digests = {u.id: Digest(user=u, period=period, since=since[u.id]) for u in users}
    batch = _read_batch(user_ids, min(since.values()), window)
    for user in users:
        _fill(digests[user.id], batch)
    return digests


def _fill(digest: Digest, batch: _Batch) -> None:
    """One person's digest, from their part of the batch, a section at a time in the order shown
    (an item of "for you" or of the pins is not repeated among the new items)."""
    user_id, after = digest.user.id, digest.since
    mine = batch.member_of.get(user_id, set())
    shown: set[tuple[str, int]] = set()
    digest.for_you = _for_you(user_id, mine, after, batch, shown)
    digest.pinned = _pinned(user_id, mine, after, batch, shown)
    digest.communities = _ranked_new_items(digest, batch, mine, shown)
    digest.questions = _open_questions(user_id, mine, batch.window)
    digest.new_members = _new_members(user_id, mine, after, batch.window)
    digest.due_documents = _due_documents(user_id, mine, batch)


def _for_you(user_id: int, mine: set[int], after: datetime, batch: _Batch, shown: set[tuple[str, int]]
             ) -> list[Entry]:
    """The "for you" section: the items of their notifications since `after`, oldest first, each once."""
    entries = []
    for notice in batch.notices.get(user_id, ()):
        if notice.created_at < after or notice.community_id not in mine or not _wanted(notice, user_id, batch):
            continue
        entry = _notice_entry(notice, batch.window)
        if entry is not None and entry.key not in shown:
            shown.add(entry.key)
            entries.append(entry)
    return entries


def _wanted(notice: Row, user_id: int, batch: _Batch) -> bool:
    """Whether the person left this kind of notification on for email (not "never")."""
    default = DEFAULT_EMAIL_MODES.get(NotificationKind(notice.kind), EmailMode.DIGEST)
    return batch.modes.get((user_id, notice.kind), default) != EmailMode.NEVER


def _notice_entry(notice: Row, window: Window) -> Entry | None:
    """The entry of the item a notification points at, saying why it is there (None: the item is gone)."""
    note = NOTES[NotificationKind(notice.kind)](notice.actor_name or "Maillage")
    community = window.communities[notice.community_id]
    if notice.publication_id in window.publications:
        return _publication_entry(window.publications[notice.publication_id], community, note=note)
    if notice.document_id in window.documents:
        return _document_entry(window.documents[notice.document_id], community, note=note)
    return None


def _pinned(user_id: int, mine: set[int], after: datetime, batch: _Batch, shown: set[tuple[str, int]]
            ) -> list[Entry]:
    """The publications pinned in their communities since `after`, in pin order: neither theirs, nor
    seen since their last change, nor already shown."""
    window = batch.window
    entries = []
    for pin in window.pins:
        publication = window.publications.get(pin.publication_id)
        if pin.community_id not in mine or pin.created_at < after or publication is None:
            continue
        key = ("publication", publication.id)
        if (key in shown or publication.author_id == user_id
                or batch.seen_since(user_id, key, publication.updated_at)):
            continue
        shown.add(key)
        entries.append(_publication_entry(publication, window.communities[pin.community_id]))
    return entries


def _open_questions(user_id: int, mine: set[int], window: Window) -> list[Entry]:
    """Up to five open questions of their communities, most "same question" first, none of their own."""
    entries: list[Entry] = []
    for question in heapq.merge(*(window.questions.get(c, ()) for c in mine),
                                key=lambda q: (-q.same_question_count, -q.id)):
        if len(entries) == QUESTIONS:
            break
        if question.author_id != user_id:
            entries.append(_publication_entry(question, window.communities[question.community_id]))
    return entries


def _new_members(user_id: int, mine: set[int], after: datetime, window: Window) -> list[tuple[Row, list[str]]]:
    """The people who joined their communities since `after`, by community, the earliest arrival first."""
    newcomers = []  # (first one's arrival, community, names)
    for community_id in mine:
        joined = [m for m in window.members.get(community_id, ()) if m.user_id != user_id and m.created_at >= after]
        if joined:
            newcomers.append((joined[0].created_at, community_id, [m.name for m in joined]))
    newcomers.sort(key=lambda n: (n[0], n[1]))
    return [(window.communities[community_id], names) for _at, community_id, names in newcomers]


def _due_documents(user_id: int, mine: set[int], batch: _Batch) -> list[Entry]:
    """The documents due for review that they wrote or whose community they animate, soonest first."""
    window = batch.window
    today = window.now.date()
    animated = batch.animator_of.get(user_id, set())
    entries = []
    for document in heapq.merge(*(window.due.get(c, ()) for c in mine), key=lambda d: d.review_by):
        if document.community_id in animated or document.created_by_id == user_id:
            entry = _document_entry(document, window.communities[document.community_id])
            entry.note = (_("Révision en retard depuis le %(day)s", day=_day(document.review_by))
                          if document.review_by < today else
                          _("À réviser avant le %(day)s", day=_day(document.review_by)))
            entries.append(entry)
    return entries


def _ranked_new_items(digest: Digest, batch: _Batch, mine: set[int], shown: set[tuple[str, int]]
                      ) -> list[CommunitySection]:
    """The new items of the person's communities since their window began, best first, grouped:
    neither their own, nor changed last by them, nor seen since their last change, nor already shown
    above. Hundreds of candidates a week in a busy group: this loop is the digest's hot path, and an
    entry (links, texts) is built only for the 30 shown."""
    user_id, window = digest.user.id, batch.window
    after = digest.since.timestamp()
    now = window.now.timestamp()
    span = max(now - after, 1.0)
    seen, followed = batch.seen, batch.followed_documents.get(user_id, ())
    ranked: list[tuple[float, float, tuple[str, int], Change]] = []
    for community_id in mine:
        for change in window.changes.get(community_id, ()):
            if change.timestamp < after:
                break  # newest first: the rest is older still
            key = change.key
            if change.actor_id == user_id or change.author_id == user_id or key in shown:
                continue
            seen_at = seen.get((user_id, *key))
            if seen_at is not None and seen_at >= change.changed_at:
                continue
            value = change.points + FRESHNESS * min(max(1 - (now - change.timestamp) / span, 0.0), 1.0)
            if change.new_version and key[1] in followed:
                value += FOLLOWED_VERSION
            ranked.append((-value, -change.timestamp, key, change))
    ranked.sort()  # best first, then newest first; keys are unique, so changes are never compared
    return group([(-negative, change) for negative, _t, _k, change in ranked], window.communities,
                 lambda value, change: _change_entry(change, value, window))


def _change_entry(change: Change, value: float, window: Window) -> Entry:
    community = window.communities[change.community_id]
    if change.key[0] == "publication":
        entry = _publication_entry(change.row, community)
    else:
        entry = _document_entry(change.row, community, note=_("Nouvelle version") if change.new_version else "")
    entry.at, entry.score = change.changed_at, value
    return entry


def _day(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def points(*, likes: int = 0, comments: int = 0, same_questions: int = 0, kind: str, followed_version: bool = False,
           freshness: float = 0.0) -> float:
    """The documented ranking score (see the module docstring)."""
    value = 2 * likes + 3 * comments + 3 * same_questions
    if followed_version:
        value += FOLLOWED_VERSION
    if kind == Kind.ANNOUNCEMENT:
        value += 4
    return value + FRESHNESS * min(max(freshness, 0.0), 1.0)


def score(entry: Entry, *, followed_version: bool, freshness: float) -> float:
    """An entry's ranking score."""
    return points(likes=entry.likes, comments=entry.comments, same_questions=entry.same_questions, kind=entry.kind,
                  followed_version=followed_version, freshness=freshness)


def group(ranked: list[tuple[float, Change]], communities: dict[int, Row],
          build: Callable[[float, Change], Entry]) -> list[CommunitySection]:
    """Ranked changes grouped by community (best community first), 10 per community and 30 in all,
    each shown one built into an entry; what is left out is counted for the "et N de plus" link."""
    sections: dict[int, CommunitySection] = {}
    shown = 0
    for value, change in ranked:
        section = sections.get(change.community_id)
        if section is None:
            section = sections[change.community_id] = CommunitySection(
                communities[change.community_id], [], 0,
                external_url("communities.show", community_id=change.community_id))
        if shown < IN_ALL and len(section.entries) < PER_COMMUNITY:
            section.entries.append(build(value, change))
            shown += 1
        else:
            section.more += 1
    return list(sections.values())
