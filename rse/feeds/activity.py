"""Activities (the rows the streams show) and taggings, for publications and documents alike.

Documents live in a lower package: their changes reach the feeds through the signals that
rse.feeds wires to `document_version_added` and `document_changed`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select, update

from rse import items
from rse.accounts.models import User
from rse.database import db
from rse.documents.models import Document
from rse.feeds.models import Activity, Publication, Tagging, Verb
from rse.feeds.notifications import service as notifications
from rse.tags import fold


def sync_taggings(item: Publication | Document) -> None:
    """The taggings of an item: one row per tag, folded for the tag streams and follows."""
    target = items.ref(item)
    db.session.execute(delete(Tagging).filter_by(**target))
    for label in item.tags or []:
        db.session.add(Tagging(tag=fold(label)[:50], label=label[:50], **target))


def add_activity(verb: str, actor: User | None, *, kind: str, community_id: int | None = None, **fields) -> Activity:
    activity = Activity(verb=verb, actor_id=getattr(actor, "id", None), kind=kind, community_id=community_id, **fields)
    db.session.add(activity)
    db.session.flush()
    return activity


# Like activities one after another (the forty actions of an imported plan created, the five marked
# done at the end of a meeting, those the morning's run finds late) show as one card: each takes over
# the card of the one before it when it is the same person's (or the system's), in the same group, at
# most RUN_GAP later. Unlike a publication's changes (`change_runs`, folded as streams are read, a
# handful per card), a run may be thousands long, so it is folded as it is written: the folded rows
# stay (kept, out of the streams' scans) and a stream page never walks through them.
RUN_GAP = timedelta(minutes=15)


def add_to_run(verb: str, actor: User | None, *, previous: Activity | None, kind: str, community_id: int,
               **fields) -> Activity:
    """A new activity, which takes over `previous` (the last of its verb and kind in its community,
    if in the same group: the caller's to find) when it continues its run."""
    activity = add_activity(verb, actor, kind=kind, community_id=community_id, **fields)
    if (previous is not None and not previous.folded and previous.verb == verb
            and previous.actor_id == activity.actor_id
            and activity.created_at - previous.created_at <= RUN_GAP):
        previous.folded = True
        activity.run_size = (previous.run_size or 1) + 1
    return activity


def document_version_added(document: Document, version, actor: User | None) -> None:
    if document.control is not None:
        return  # a controlled document's new version is a draft: its readers hear of it once in force
    activity = add_activity(Verb.UPLOADED, actor, community_id=document.community_id, kind="document",
                            document_id=document.id, version_number=version.number)
    if version.number == 1:
        sync_taggings(document)
        notifications.followers_of_new_item(actor, document=document, activity=activity)
    else:
        notifications.new_version(actor, document, version)


def document_in_force(document: Document, number: int, actor: User | None) -> None:
    """A controlled document's version came into force: what its readers see of it, as a new version."""
    activity = add_activity(Verb.IN_FORCE, actor, community_id=document.community_id, kind="document",
                            document_id=document.id, version_number=number)
    sync_taggings(document)
    first = db.session.scalar(select(Activity.id).where(
        Activity.document_id == document.id, Activity.id != activity.id).limit(1)) is None
    if first:
        notifications.followers_of_new_item(actor, document=document, activity=activity)
    else:
        notifications.new_version(actor, document, number)


def document_changed(document: Document) -> None:
    sync_taggings(document)
    db.session.execute(update(Activity).where(Activity.document_id == document.id)
                       .values(hidden=document.deleted_at is not None))


# An author's successive changes to one publication (a wiki page created, then edited, edited
# again) show as one card: a change is folded into the next change of the same publication when
# that one is the same author's, made within EDIT_RUN of it. Whether a change is folded depends on
# it and the change after it only, never on the page a stream is cut into, so a run split by a
# page boundary shows once, on the page of its newest change.
EDIT_RUN = timedelta(hours=6)
RUN_VERBS = (Verb.PUBLISHED, Verb.EDITED)


@dataclass(frozen=True)
class Run:
    """The changes a card stands for: how many (its own included), and whether one created the item."""

    changes: int = 1
    created: bool = False

    @property
    def edits(self) -> int:
        return self.changes - 1 if self.created else self.changes


def change_runs(activities: list[Activity]) -> tuple[set[int], dict[int, Run]]:
    """Of these activities, those folded into a later change (ids), and the run each other one
    ends (by id, only for runs of more than one change). One query for all."""
    publication_ids = {a.publication_id for a in activities if a.verb in RUN_VERBS and a.publication_id}
    if not publication_ids:
        return set(), {}
    changes = defaultdict(list)
    for row in db.session.execute(
            select(Activity.id, Activity.publication_id, Activity.actor_id, Activity.verb, Activity.created_at)
            .where(Activity.publication_id.in_(publication_ids), Activity.verb.in_(RUN_VERBS))
            .order_by(Activity.id)):
        changes[row.publication_id].append(row)
    folded: set[int] = set()
    runs: dict[int, Run] = {}
    for rows in changes.values():
        run: list = []
        for row, later in zip(rows, [*rows[1:], None], strict=True):
            run.append(row)
            if later is not None and _continues(row, later):
                folded.add(row.id)
                continue
            if len(run) > 1:
                runs[row.id] = Run(changes=len(run), created=run[0].verb == Verb.PUBLISHED)
            run = []
    return folded, runs


def _continues(change, later) -> bool:
    return (change.actor_id is not None and later.actor_id == change.actor_id
            and later.created_at - change.created_at <= EDIT_RUN)
