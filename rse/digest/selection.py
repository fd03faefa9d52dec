"""What goes into each person's digest, selected for a whole batch of people in a few queries.

Only the communities a person is a member of are read (never public communities they merely could
read: a partner above all sees nothing else). Per person, the digest holds:

- "for you": their notifications (suggestions, @mentions, comments, ...) not read on the site, not
  already sent by an immediate email and not switched off ("never"), since the previous digest;
- the items newly pinned in their communities;
- the new items of their communities since their previous digest (else since one period before the
  current one), ranked, grouped by community and capped (10 per community, 30 in all);
- open questions without a good answer, new members, documents due for review.

An item the person wrote, or opened on the site after its last change, is left out. The last three
sections are reminders: on their own they do not make a digest worth sending.

Ranking score of a new item (higher first, newer first on ties)::

    2 × likes + 3 × comments + 3 × "same question" presses
    + 8 if it is a new version of a document the person follows
    + 4 for an announcement
    + up to 6 for recency (6 when just published, 0 at the start of the window)
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from rse.accounts.models import User
from rse.communities.models import Community, MemberRole, Membership
from rse.documents.models import Document
from rse.extensions import db
from rse.feeds import markdown
from rse.feeds.models import (
    DEFAULT_EMAIL_MODES, Activity, EmailMode, Follow, FollowTarget, Kind, Notification, NotificationKind,
    NotificationPreference, Pin, Publication, Verb,
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


@dataclass
class Entry:
    key: tuple[str, int]  # ("publication" | "document", id)
    title: str
    url: str
    community: Community
    kind: str
    author: str = ""
    excerpt: str = ""
    note: str = ""  # why it is here ("nouvelle version", "vous a mentionné", ...)
    likes: int = 0
    comments: int = 0
    same_questions: int = 0
    score: float = 0.0
    at: datetime | None = None


@dataclass
class CommunitySection:
    community: Community
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
    new_members: list[tuple[Community, list[str]]] = field(default_factory=list)
    due_documents: list[Entry] = field(default_factory=list)

    @property
    def item_count(self) -> int:
        return (len(self.for_you) + len(self.pinned) + sum(len(s.entries) for s in self.communities)
                + sum(len(names) for _c, names in self.new_members))

    @property
    def is_empty(self) -> bool:
        """Nothing new: reminders (open questions, reviews due) alone do not make an email."""
        return self.item_count == 0


def _excerpts_allowed(community: Community) -> bool:
    return bool(current_app.config.get("MAIL_EXCERPTS")) and not community.sensitive


def _publication_entry(publication: Publication, community: Community, *, note: str = "") -> Entry:
    allowed = _excerpts_allowed(community)
    title = publication.title
    if not title:
        # A post has no title: its text stands in only where excerpts may leave by email.
        title = (markdown.plain_excerpt(publication.body, 80) if allowed else "") or _(
            "Message dans « %(community)s »", community=community.name)
    return Entry(
        key=("publication", publication.id), title=title, community=community, kind=publication.kind,
        url=external_url("feeds.show", publication_id=publication.id),
        author=publication.author.name if publication.author else "",
        excerpt=markdown.plain_excerpt(publication.body, 200) if allowed and publication.title else "",
        note=note, likes=publication.like_count, comments=publication.comment_count,
        same_questions=publication.same_question_count, at=publication.created_at)


def _document_entry(document: Document, community: Community, *, note: str = "") -> Entry:
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


def select_digests(users: list[User], period: Period, now: datetime) -> dict[int, Digest]:
    """The digests of these people for `period`, in a fixed number of queries whatever their number."""
    if not users:
        return {}
    user_ids = [u.id for u in users]
    since = _since_by_user(user_ids, period)
    oldest = min(since.values())

    # Memberships: the only communities anything is read from.
    member_of: dict[int, set[int]] = defaultdict(set)
    animator_of: dict[int, set[int]] = defaultdict(set)
    for user_id, community_id, role in db.session.execute(
            select(Membership.user_id, Membership.community_id, Membership.role)
            .where(Membership.user_id.in_(user_ids))):
        member_of[user_id].add(community_id)
        if role == MemberRole.ANIMATOR:
            animator_of[user_id].add(community_id)
    community_ids = set().union(*member_of.values()) if member_of else set()
    digests = {u.id: Digest(user=u, period=period, since=since[u.id]) for u in users}
    if not community_ids:
        return digests
    communities = {c.id: c for c in db.session.scalars(select(Community).where(Community.id.in_(community_ids)))}

    # New items of those communities in the widest window of the batch.
    activities = list(db.session.execute(
        select(Activity.community_id, Activity.actor_id, Activity.verb, Activity.publication_id, Activity.document_id,
               Activity.created_at)
        .where(Activity.community_id.in_(community_ids), Activity.created_at >= oldest, Activity.created_at <= now,
               Activity.hidden.is_(False), Activity.verb.in_(ITEM_VERBS))))

    # Notifications of the batch (the "for you" section).
    notices = list(db.session.scalars(
        select(Notification).where(Notification.user_id.in_(user_ids), Notification.read_at.is_(None),
                                   Notification.emailed_at.is_(None), Notification.created_at >= oldest,
                                   Notification.community_id.in_(community_ids))
        .order_by(Notification.id)))
    modes = _email_modes(user_ids) if notices else {}

    pins = list(db.session.scalars(select(Pin).where(
        Pin.community_id.in_(community_ids), Pin.created_at >= oldest,
        or_(Pin.until.is_(None), Pin.until > now)).order_by(Pin.position)))

    questions = list(db.session.scalars(select(Publication).where(
        Publication.community_id.in_(community_ids), Publication.kind == Kind.QUESTION,
        Publication.accepted_comment_id.is_(None), Publication.deleted_at.is_(None),
        Publication.created_at >= now - QUESTION_AGE).order_by(Publication.same_question_count.desc(),
                                                              Publication.id.desc())))

    # Everything the sections point at, loaded at once.
    publication_ids = {a.publication_id for a in activities if a.publication_id}
    publication_ids |= {n.publication_id for n in notices if n.publication_id}
    publication_ids |= {p.publication_id for p in pins}
    document_ids = {a.document_id for a in activities if a.document_id}
    document_ids |= {n.document_id for n in notices if n.document_id}
    publications = {p.id: p for p in db.session.scalars(select(Publication).where(
        Publication.id.in_(publication_ids), Publication.deleted_at.is_(None)))} if publication_ids else {}
    publications.update({q.id: q for q in questions})
    documents = {d.id: d for d in db.session.scalars(select(Document).where(
        Document.id.in_(document_ids), Document.deleted_at.is_(None)))} if document_ids else {}

    viewed: dict[tuple[int, str, int], datetime] = {}
    if publication_ids or document_ids:
        for user_id, publication_id, document_id, viewed_at in db.session.execute(
                select(ItemView.user_id, ItemView.publication_id, ItemView.document_id, ItemView.viewed_at)
                .where(ItemView.user_id.in_(user_ids),
                       or_(ItemView.publication_id.in_(publication_ids), ItemView.document_id.in_(document_ids)))):
            key = (user_id, "publication", publication_id) if publication_id else (user_id, "document", document_id)
            viewed[key] = max(viewed.get(key, viewed_at), viewed_at)

    followed_documents: dict[int, set[int]] = defaultdict(set)
    for user_id, key in db.session.execute(select(Follow.user_id, Follow.key).where(
            Follow.user_id.in_(user_ids), Follow.target == FollowTarget.DOCUMENT)):
        if key.isdigit():
            followed_documents[user_id].add(int(key))

    members = list(db.session.execute(
        select(Membership.community_id, Membership.user_id, Membership.created_at, User.name)
        .join(User, User.id == Membership.user_id)
        .where(Membership.community_id.in_(community_ids), Membership.created_at >= oldest,
               User.deactivated_at.is_(None), or_(User.expires_at.is_(None), User.expires_at > now))
        .order_by(Membership.created_at)))

    today = now.date()
    due = list(db.session.scalars(select(Document).where(
        Document.community_id.in_(community_ids), Document.deleted_at.is_(None), Document.review_by.is_not(None),
        Document.review_by <= today + REVIEW_NOTICE).order_by(Document.review_by)))

    for user in users:
        digest = digests[user.id]
        mine = member_of.get(user.id, set())
        after = since[user.id]
        shown: set[tuple[str, int]] = set()

        for notice in notices:
            if notice.user_id != user.id or notice.created_at < after or notice.community_id not in mine:
                continue
            default = DEFAULT_EMAIL_MODES.get(NotificationKind(notice.kind), EmailMode.DIGEST)
            if modes.get((user.id, notice.kind), default) == EmailMode.NEVER:
                continue
            actor = notice.actor.name if notice.actor else "Maillage"
            note = NOTES[NotificationKind(notice.kind)](actor)
            community = communities[notice.community_id]
            if notice.publication_id in publications:
                entry = _publication_entry(publications[notice.publication_id], community, note=note)
            elif notice.document_id in documents:
                entry = _document_entry(documents[notice.document_id], community, note=note)
            else:
                continue
            if entry.key not in shown:
                shown.add(entry.key)
                digest.for_you.append(entry)

        for pin in pins:
            publication = publications.get(pin.publication_id)
            if (pin.community_id not in mine or pin.created_at < after or publication is None
                    or ("publication", publication.id) in shown):
                continue
            shown.add(("publication", publication.id))
            digest.pinned.append(_publication_entry(publication, communities[pin.community_id]))

        latest: dict[tuple[str, int], tuple[datetime, str]] = {}
        for activity in activities:
            if (activity.community_id not in mine or activity.created_at < after
                    or activity.actor_id == user.id):
                continue
            key = ("publication", activity.publication_id) if activity.publication_id else (
                "document", activity.document_id)
            if key not in latest or latest[key][0] < activity.created_at:
                latest[key] = (activity.created_at, activity.verb)
        window = max((now - after).total_seconds(), 1.0)
        candidates: list[Entry] = []
        for key, (changed_at, verb) in latest.items():
            seen = viewed.get((user.id, *key))
            if key in shown or (seen is not None and seen >= changed_at):
                continue
            if key[0] == "publication":
                item = publications.get(key[1])
                if item is None or item.author_id == user.id:
                    continue
                entry = _publication_entry(item, communities[item.community_id])
                followed = False
            else:
                item = documents.get(key[1])
                if item is None or item.created_by_id == user.id:
                    continue
                followed = item.id in followed_documents.get(user.id, ())
                note = _("Nouvelle version") if verb == Verb.UPLOADED and item.current_number > 1 else ""
                entry = _document_entry(item, communities[item.community_id], note=note)
            entry.at = changed_at
            entry.score = score(entry, followed_version=followed and verb == Verb.UPLOADED,
                                freshness=1 - (now - changed_at).total_seconds() / window)
            candidates.append(entry)
        candidates.sort(key=lambda e: (-e.score, -e.at.timestamp(), e.key))
        digest.communities = group(candidates)

        for question in questions:
            if len(digest.questions) == QUESTIONS:
                break
            if question.community_id in mine and question.author_id != user.id:
                digest.questions.append(_publication_entry(question, communities[question.community_id]))

        newcomers: dict[int, list[str]] = defaultdict(list)
        for community_id, member_id, joined_at, name in members:
            if community_id in mine and member_id != user.id and joined_at >= after:
                newcomers[community_id].append(name)
        digest.new_members = [(communities[cid], names) for cid, names in newcomers.items()]

        for document in due:
            if document.community_id in animator_of.get(user.id, ()) or (
                    document.community_id in mine and document.created_by_id == user.id):
                entry = _document_entry(document, communities[document.community_id])
                entry.note = (_("Révision en retard depuis le %(day)s", day=_day(document.review_by))
                              if document.review_by < today else
                              _("À réviser avant le %(day)s", day=_day(document.review_by)))
                digest.due_documents.append(entry)
    return digests


def _day(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def score(entry: Entry, *, followed_version: bool, freshness: float) -> float:
    """The documented ranking score (see the module docstring)."""
    value = 2 * entry.likes + 3 * entry.comments + 3 * entry.same_questions
    if followed_version:
        value += 8
    if entry.kind == Kind.ANNOUNCEMENT:
        value += 4
    return value + 6 * min(max(freshness, 0.0), 1.0)


def group(ranked: list[Entry]) -> list[CommunitySection]:
    """Ranked entries grouped by community (best community first), 10 per community and 30 in all;
    what is left out is counted for the "et N de plus" link."""
    sections: dict[int, CommunitySection] = {}
    shown = 0
    for entry in ranked:
        community = entry.community
        section = sections.get(community.id)
        if section is None:
            section = sections[community.id] = CommunitySection(
                community, [], 0, external_url("communities.show", community_id=community.id))
        if shown < IN_ALL and len(section.entries) < PER_COMMUNITY:
            section.entries.append(entry)
            shown += 1
        else:
            section.more += 1
    return [s for s in sections.values() if s.entries or s.more]
