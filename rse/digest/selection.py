"""What goes into each person's digest, selected for a whole batch of people in a few queries.

Only the communities a person is a member of are read (never public communities they merely could
read: a partner above all sees nothing else). Per person, the digest holds:

- "to read and confirm": the documents in force they are asked to read and have not confirmed, in
  every digest until they confirm (not repeated in the sections below);
- "your actions": the open actions of plans they own or co-own, late or due within two weeks, late
  first; and for animators, "late actions in your spaces" (capped, with the number left out);
- "for you": their notifications (suggestions, @mentions, comments, ...) not read on the site, not
  already sent by an immediate email and not switched off ("never"), since the previous digest;
- the items newly pinned in their communities;
- the new items of their communities since their previous digest (else since one period before the
  current one), ranked, grouped by community and capped (10 per community, 30 in all);
- open questions without a good answer (those not already shown above), new members, documents due
  for review (who is reminded of which, and from when: rse.documents.review).

An item the person wrote or changed last, opened on the site after its last change, or already had
by an immediate email after its last change, is left out of every section. The last three sections are reminders:
on their own they do not make a digest worth sending, nor do they count in the subject's number.
The new items are ranked by `ranking`; what every digest is drawn from is read by `window`.
"""

from __future__ import annotations

import heapq
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import Row, func, select

from rse.accounts.models import User
from rse.database import db
from rse.documents import review
from rse.feeds.models import DEFAULT_EMAIL_MODES, EmailMode, NotificationKind
from rse.i18n import format_day

from .entries import CommunitySection, Digest, Entry, action_entry, document_entry, publication_entry
from .models import DELIVERED, DigestDelivery
from .periods import Period
from .ranking import FOLLOWED_VERSION, FRESHNESS, group
from .window import Change, PeopleBatch, Window, read_batch

QUESTIONS = 5
LATE_ACTIONS = 10  # late actions of the spaces an animator animates, shown (the others are counted)

NOTES = {
    NotificationKind.MENTION: lambda actor: _("%(actor)s vous a mentionné", actor=actor),
    NotificationKind.SUGGESTION: lambda actor: _("%(actor)s vous le propose", actor=actor),
    NotificationKind.COMMENT: lambda actor: _("Nouveau commentaire de %(actor)s", actor=actor),
    NotificationKind.ANSWER: lambda actor: _("Une bonne réponse, par %(actor)s", actor=actor),
    NotificationKind.FOLLOWED: lambda actor: _("Publié par %(actor)s, que vous suivez", actor=actor),
    NotificationKind.VERSION: lambda actor: _("Nouvelle version, par %(actor)s", actor=actor),
    NotificationKind.CIRCUIT: lambda actor: _("Circuit de validation, par %(actor)s", actor=actor),
    NotificationKind.READING: lambda actor: _("Lecture demandée par %(actor)s", actor=actor),
    NotificationKind.ACTION: lambda actor: _("Action confiée par %(actor)s", actor=actor),
}


def _since_by_user(user_ids: list[int], period: Period) -> dict[int, datetime]:
    """Since the previous digest sent, but never further back than one period before this one."""
    floor = period.start - period.length
    since = dict.fromkeys(user_ids, floor)
    rows = db.session.execute(
        select(DigestDelivery.user_id, func.max(DigestDelivery.sent_at))
        .where(DigestDelivery.user_id.in_(user_ids), DigestDelivery.status.in_(DELIVERED),
               DigestDelivery.period != period.key)
        .group_by(DigestDelivery.user_id))
    for user_id, sent_at in rows:
        if sent_at is not None and sent_at > floor:
            since[user_id] = sent_at
    return since


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
    batch = read_batch(user_ids, min(since.values()), window)
    for user in users:
        _fill(digests[user.id], batch)
    return digests


def _fill(digest: Digest, batch: PeopleBatch) -> None:
    """One person's digest, from their part of the batch, a section at a time in the order shown
    (an item of "for you" or of the pins is not repeated among the new items)."""
    user_id, after = digest.user.id, digest.since
    mine = batch.member_of.get(user_id, set())
    shown: set[tuple[str, int]] = set()
    digest.readings = _readings(user_id, mine, batch, shown)
    digest.my_actions = _my_actions(user_id, mine, batch, shown)
    digest.late_actions, digest.late_actions_more = _late_in_animated(user_id, mine, batch, shown)
    digest.for_you = _for_you(user_id, mine, after, batch, shown)
    digest.pinned = _pinned(user_id, mine, after, batch, shown)
    digest.communities = _ranked_new_items(digest, batch, mine, shown)
    shown.update(entry.key for section in digest.communities for entry in section.entries)
    digest.questions = _open_questions(user_id, mine, batch.window, shown)
    digest.new_members = _new_members(user_id, mine, after, batch.window)
    above = {entry.key: entry for entry in (*digest.for_you, *digest.pinned,
                                            *(e for section in digest.communities for e in section.entries))}
    digest.due_documents = _due_documents(user_id, mine, batch, above)


def _readings(user_id: int, mine: set[int], batch: PeopleBatch, shown: set[tuple[str, int]]) -> list[Entry]:
    """The documents of their spaces they must read and have not confirmed, oldest request first."""
    window = batch.window
    entries = []
    for row in batch.readings.get(user_id, ()):
        if row.community_id not in mine:
            continue
        asked = (_("Demandée par %(name)s le %(day)s", name=row.asked_by, day=format_day(row.asked_at))
                 if row.asked_by else _("Demandée le %(day)s", day=format_day(row.asked_at)))
        note = " · ".join((row.code, _("version %(num)d", num=row.in_force_number), asked))
        entry = document_entry(row, window.communities[row.community_id], note=note)
        shown.add(entry.key)
        entries.append(entry)
    return entries


def _due_note(row: Row, today: date) -> str:
    day = format_day(row.due_date)
    due = (_("En retard : échéance le %(day)s", day=day) if row.due_date < today
           else _("Échéance le %(day)s", day=day))
    return " · ".join((due, row.plan_title))


def _my_actions(user_id: int, mine: set[int], batch: PeopleBatch, shown: set[tuple[str, int]]) -> list[Entry]:
    """Their open actions late or due within two weeks, in the spaces they belong to: late first."""
    window, today = batch.window, batch.window.today
    entries = []
    for row in batch.actions.get(user_id, ()):
        if row.community_id in mine and ("action", row.id) not in shown:
            entry = action_entry(row, window.communities[row.community_id], note=_due_note(row, today))
            shown.add(entry.key)
            entries.append(entry)
    return entries


def _late_in_animated(user_id: int, mine: set[int], batch: PeopleBatch, shown: set[tuple[str, int]]
                      ) -> tuple[list[Entry], int]:
    """The late actions of the spaces they animate (not already among theirs), the longest late first:
    the first LATE_ACTIONS, and how many more."""
    window, today = batch.window, batch.window.today
    animated = batch.animator_of.get(user_id, set()) & mine
    late = [row for row in heapq.merge(*(batch.late_actions.get(c, ()) for c in sorted(animated)),
                                       key=lambda r: (r.due_date, r.id))
            if ("action", row.id) not in shown]
    entries = [action_entry(row, window.communities[row.community_id], note=_due_note(row, today))
               for row in late[:LATE_ACTIONS]]
    shown.update(entry.key for entry in entries)
    return entries, len(late) - len(entries)


def _for_you(user_id: int, mine: set[int], after: datetime, batch: PeopleBatch, shown: set[tuple[str, int]]
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


def _wanted(notice: Row, user_id: int, batch: PeopleBatch) -> bool:
    """Whether the person left this kind of notification on for email (not "never")."""
    default = DEFAULT_EMAIL_MODES.get(NotificationKind(notice.kind), EmailMode.DIGEST)
    return batch.modes.get((user_id, notice.kind), default) != EmailMode.NEVER


def _notice_entry(notice: Row, window: Window) -> Entry | None:
    """The entry of the item a notification points at, saying why it is there (None: the item is gone)."""
    note = NOTES[NotificationKind(notice.kind)](notice.actor_name or "Maillage")
    community = window.communities[notice.community_id]
    if notice.publication_id in window.publications:
        return publication_entry(window.publications[notice.publication_id], community, note=note)
    if notice.document_id in window.documents:
        return document_entry(window.documents[notice.document_id], community, note=note)
    return None


def _pinned(user_id: int, mine: set[int], after: datetime, batch: PeopleBatch, shown: set[tuple[str, int]]
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
        entries.append(publication_entry(publication, window.communities[pin.community_id]))
    return entries


def _open_questions(user_id: int, mine: set[int], window: Window, shown: set[tuple[str, int]]) -> list[Entry]:
    """Up to five open questions of their communities, most "same question" first, none of their own
    and none already shown above (a new question stays among its space's news, once)."""
    entries: list[Entry] = []
    for question in heapq.merge(*(window.questions.get(c, ()) for c in mine),
                                key=lambda q: (-q.same_question_count, -q.id)):
        if len(entries) == QUESTIONS:
            break
        if question.author_id != user_id and ("publication", question.id) not in shown:
            entries.append(publication_entry(question, window.communities[question.community_id]))
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


def _due_documents(user_id: int, mine: set[int], batch: PeopleBatch, above: dict[tuple[str, int], Entry]
                   ) -> list[Entry]:
    """The documents due for review the person is reminded of (rse.documents.review: a controlled
    document's writers, else its creator and its space's animators), soonest first. A document
    already shown above stays there, once, its review date added to its line."""
    window = batch.window
    today = window.today
    animated = batch.animator_of.get(user_id, set())
    entries = []
    for document in heapq.merge(*(window.due.get(c, ()) for c in mine), key=lambda d: d.review_by):
        writers = window.review_writers.get(document.id) if document.controlled else None
        if review.is_reminded(user_id, writers=writers, created_by_id=document.created_by_id,
                              community_id=document.community_id, animated=animated):
            day = format_day(document.review_by)
            if document.controlled and document.review_by <= today:  # as its page says, from the day itself
                note = _("Révision dépassée : prévue le %(day)s", day=day)
            elif document.review_by < today:
                note = _("Révision en retard depuis le %(day)s", day=day)
            else:
                note = _("À réviser avant le %(day)s", day=day)
            shown = above.get(("document", document.id))
            if shown is not None:
                shown.note = " · ".join(filter(None, (shown.note, note)))
                continue
            entry = document_entry(document, window.communities[document.community_id])
            entry.note = note
            entries.append(entry)
    return entries


def _ranked_new_items(digest: Digest, batch: PeopleBatch, mine: set[int], shown: set[tuple[str, int]]
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
        entry = publication_entry(change.row, community)
    else:
        entry = document_entry(change.row, community, note=_("Nouvelle version") if change.new_version else "")
    entry.at, entry.score = change.changed_at, value
    return entry
