"""Publications: posts, announcements, questions, links and wiki pages. Check, publish, edit and
delete them, with their mentions and attached documents (wiki versions and pins have their own
modules).

Every public function takes the acting user first and checks the permission layer; none reads
the request. The caller commits.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, select, update

from rse import audit, permissions
from rse.accounts.models import User
from rse.communities.models import Community
from rse.database import db
from rse.dbtypes import get_by_id, is_id, utcnow
from rse.documents.models import Document
from rse.errors import NotFound, ValidationError
from rse.feeds import mentions
from rse.feeds.activity import add_activity, sync_taggings
from rse.feeds.models import Activity, Attachment, Kind, Pin, Publication, Verb
from rse.feeds.notifications import service as notifications
from rse.tags import clean_tags
from rse.validation import clean_text, clean_url

from . import wiki

TITLE_MAX = 200
PLACE_MAX = 120
BODY_MAX = {
    Kind.POST: 5_000,
    Kind.QUESTION: 10_000,
    Kind.LINK: 2_000,
    Kind.ANNOUNCEMENT: 50_000,
    Kind.WIKI: 50_000,
}
MAX_ATTACHMENTS = 10


# --- Checks -------------------------------------------------------------------------------------

def clean_kind(value: Any) -> str:
    if not isinstance(value, str) or value not in {k.value for k in Kind}:
        raise ValidationError(
            fields={"kind": _("Type de publication inconnu : post, announcement, question, link ou wiki.")},
            code="unknown_kind")
    return value


def _clean_publication(kind: str, data: dict, *, current: Publication | None = None) -> dict:
    """The checked fields of `data` for a publication of `kind` (on edit, the missing ones are kept)."""
    def given(name: str) -> bool:
        return current is None or name in data

    cleaned: dict[str, Any] = {}
    if given("title"):
        cleaned["title"] = clean_text(data.get("title"), "title", max_length=TITLE_MAX,
                                      required=kind in {Kind.ANNOUNCEMENT, Kind.QUESTION, Kind.WIKI})
    if given("body"):
        cleaned["body"] = clean_text(data.get("body"), "body", max_length=BODY_MAX[Kind(kind)], multiline=True,
                                     required=kind in {Kind.POST, Kind.ANNOUNCEMENT, Kind.WIKI})
    if kind == Kind.LINK:
        if given("url"):
            cleaned["url"] = clean_url(data.get("url"))
        url = cleaned.get("url") or (current.url if current is not None else None) or ""
        if not (cleaned.get("title") or (current and current.title and "title" not in data)):
            cleaned["title"] = url[:TITLE_MAX]
    elif data.get("url"):
        raise ValidationError(fields={"url": _("Seul un lien porte une adresse web.")})
    if given("place"):
        cleaned["place"] = clean_text(data.get("place"), "place", max_length=PLACE_MAX)
    if given("tags"):
        cleaned["tags"] = clean_tags(data.get("tags"))
    return cleaned


def _clean_attachments(community: Community, value: Any) -> list[int]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [v for v in value.replace(" ", "").split(",") if v]
    try:
        ids = list(dict.fromkeys(int(v) for v in value))
        if not all(is_id(v) for v in ids):
            raise ValueError
    except (TypeError, ValueError):
        message = _("Une liste d'identifiants de documents est attendue.")
        raise ValidationError(fields={"attachments": message}) from None
    if len(ids) > MAX_ATTACHMENTS:
        raise ValidationError(fields={"attachments": _("%(max)d documents joints au maximum.", max=MAX_ATTACHMENTS)})
    found = set(db.session.scalars(select(Document.id).where(
        Document.id.in_(ids), Document.community_id == community.id, Document.deleted_at.is_(None))))
    if set(ids) - found:
        raise ValidationError(fields={"attachments": _("Les documents joints doivent appartenir à cet espace.")})
    return ids


# --- Reading ------------------------------------------------------------------------------------

def get_publication(actor: User, publication_id: Any, action: str = "read") -> Publication:
    publication = get_by_id(Publication, publication_id)
    if publication is None:
        raise NotFound()
    permissions.require(actor, action, publication)
    return publication


def attachments(publication: Publication) -> list[Document]:
    return list(db.session.scalars(
        select(Document).join(Attachment, Attachment.document_id == Document.id)
        .where(Attachment.publication_id == publication.id, Document.deleted_at.is_(None))
        .order_by(Attachment.position)))


# --- Publishing ---------------------------------------------------------------------------------

def publish(actor: User, community: Community, data: dict) -> Publication:
    permissions.require(actor, "contribute", community)
    kind = clean_kind(data.get("kind"))
    cleaned = _clean_publication(kind, data)
    attached = _clean_attachments(community, data.get("attachments"))
    publication = Publication(community=community, community_id=community.id, author_id=actor.id, kind=kind,
                              title=cleaned.get("title", ""), body=cleaned.get("body", ""), url=cleaned.get("url"),
                              place=cleaned.get("place", ""), tags=cleaned.get("tags", []))
    db.session.add(publication)
    db.session.flush()
    mentions.apply(actor, publication, publication.body, publication)
    for position, document_id in enumerate(attached):
        db.session.add(Attachment(publication_id=publication.id, document_id=document_id, position=position))
    sync_taggings(publication)
    if kind == Kind.WIKI:
        wiki.add_version(publication, actor, note="")
    activity = add_activity(Verb.PUBLISHED, actor, community_id=community.id, kind=kind,
                            publication_id=publication.id)
    audit.record("publication.create", actor=actor, target=publication, details={"kind": kind})
    notifications.mentioned(actor, publication, publication.mentions.values())
    notifications.followers_of_new_item(actor, publication=publication, activity=activity)
    return publication


def update_publication(actor: User, publication: Publication, data: dict) -> Publication:
    permissions.require(actor, "edit", publication)
    unknown = set(data) - {"title", "body", "url", "place", "tags", "attachments", "note"}
    if unknown:
        raise ValidationError(fields={name: _("Champ inconnu.") for name in sorted(unknown)})
    cleaned = _clean_publication(publication.kind, data, current=publication)
    note = clean_text(data.get("note"), "note", max_length=300)  # checked before anything is touched
    if "attachments" in data:
        attached = _clean_attachments(publication.community, data.get("attachments"))
        db.session.execute(delete(Attachment).where(Attachment.publication_id == publication.id))
        for position, document_id in enumerate(attached):
            db.session.add(Attachment(publication_id=publication.id, document_id=document_id, position=position))
    before = set(publication.mentions or {})
    for name, value in cleaned.items():
        setattr(publication, name, value)
    if "body" in cleaned:
        mentions.apply(actor, publication, publication.body, publication)
    if "tags" in cleaned:
        sync_taggings(publication)
    publication.updated_at = utcnow()
    if publication.kind == Kind.WIKI and ({"title", "body"} & set(cleaned)) and wiki.changed(publication):
        wiki.add_version(publication, actor, note=note)
        add_activity(Verb.EDITED, actor, community_id=publication.community_id, kind=Kind.WIKI,
                     publication_id=publication.id, version_number=publication.wiki_number)
    audit.record("publication.edit", actor=actor, target=publication, details={"fields": sorted(cleaned)})
    new_mentions = {h: uid for h, uid in (publication.mentions or {}).items() if h not in before}
    notifications.mentioned(actor, publication, new_mentions.values())
    return publication


def delete_publication(actor: User, publication: Publication) -> None:
    permissions.require(actor, "delete", publication)
    publication.deleted_at = utcnow()
    publication.deleted_by_id = actor.id
    db.session.execute(update(Activity).where(Activity.publication_id == publication.id).values(hidden=True))
    db.session.execute(delete(Pin).where(Pin.publication_id == publication.id))
    audit.record("publication.delete", actor=actor, target=publication,
                 details={"community_id": publication.community_id, "author_id": publication.author_id})
