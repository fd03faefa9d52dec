"""Activities (the rows the streams show) and taggings, for publications and documents alike.

Documents live in a lower package: their changes reach the feeds through the signals that
rse.feeds wires to `document_version_added` and `document_changed`.
"""

from __future__ import annotations

from sqlalchemy import delete, update

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


def document_version_added(document: Document, version, actor: User | None) -> None:
    activity = add_activity(Verb.UPLOADED, actor, community_id=document.community_id, kind="document",
                            document_id=document.id, version_number=version.number)
    if version.number == 1:
        sync_taggings(document)
        notifications.followers_of_new_item(actor, document=document, activity=activity)
    else:
        notifications.new_version(actor, document, version)


def document_changed(document: Document) -> None:
    sync_taggings(document)
    db.session.execute(update(Activity).where(Activity.document_id == document.id)
                       .values(hidden=document.deleted_at is not None))
