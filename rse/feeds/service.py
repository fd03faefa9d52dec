"""Publications and the social layer: publish, edit, wiki versions, comments, likes,
"same question", good answers and pins, with permissions and audit (suggestions and follows
have their own modules).

Every function takes the acting user first and checks the permission layer; none reads
the request. The caller commits.
"""

from __future__ import annotations

import difflib
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update

from rse import audit, permissions
from rse.accounts.models import User
from rse.communities.models import Community
from rse.dbtypes import MAX_ID, get_by_id, is_id, utcnow
from rse.documents.models import Document
from rse.errors import Conflict, NotFound, ValidationError
from rse.database import db
from rse.tags import clean_tags, fold
from rse.urls import internal_path
from rse.validation import clean_text, clean_url

from . import markdown, notifications
from .models import (
    Activity, Attachment, Comment, Kind, Like, Pin,
    Publication, SameQuestion, Tagging, Verb, WikiVersion,
)

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
        cleaned["body"] = clean_text(data.get("body"), "body", max_length=BODY_MAX[kind], multiline=True,
                                     required=kind in {Kind.POST, Kind.ANNOUNCEMENT, Kind.WIKI})
    if kind == Kind.LINK:
        if given("url"):
            cleaned["url"] = clean_url(data.get("url"))
        url = cleaned.get("url") or current.url
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


# --- Mentions -----------------------------------------------------------------------------------

def resolve_mentions(actor: User, text: str, item) -> dict[str, int]:
    """{handle: user id} for each "@handle" naming exactly one active person whom the author may
    see and who may read the item. A handle the author may not resolve stays plain text: the
    rendered mention (a name and a profile link) must not tell them who is behind an address."""
    handles = markdown.mention_handles(text)
    if not handles:
        return {}
    found: dict[str, int] = {}
    for handle in list(handles)[:20]:
        literal = handle.replace("_", "\\_")  # "_" is a LIKE wildcard: "@a_b" must not find "a.b@"
        users = db.session.scalars(select(User.id).where(
            User.email.like(f"{literal}@%", escape="\\"), permissions.visible(actor, User),
            permissions.readers(item)).limit(2)).all()
        if len(users) == 1:
            found[handle] = users[0]
    return found


def render_with_mentions(text: str, mentions: dict[str, int]) -> str:
    if not mentions:
        return markdown.render(text)
    people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(mentions.values())))}
    links = {handle: (internal_path("accounts.profile", user_id=uid), people[uid].name)
             for handle, uid in mentions.items() if uid in people}
    return markdown.render(text, links)


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
    publication.mentions = resolve_mentions(actor, publication.body, publication)
    publication.body_html = render_with_mentions(publication.body, publication.mentions)
    for position, document_id in enumerate(attached):
        db.session.add(Attachment(publication_id=publication.id, document_id=document_id, position=position))
    _sync_taggings(publication=publication)
    if kind == Kind.WIKI:
        _add_wiki_version(publication, actor, note="")
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
        publication.mentions = resolve_mentions(actor, publication.body, publication)
        publication.body_html = render_with_mentions(publication.body, publication.mentions)
    if "tags" in cleaned:
        _sync_taggings(publication=publication)
    publication.updated_at = utcnow()
    if publication.kind == Kind.WIKI and ({"title", "body"} & set(cleaned)) and _wiki_changed(publication):
        _add_wiki_version(publication, actor, note=note)
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


def _sync_taggings(*, publication: Publication | None = None, document: Document | None = None) -> None:
    owner = publication or document
    column = Tagging.publication_id if publication is not None else Tagging.document_id
    db.session.execute(delete(Tagging).where(column == owner.id))
    for label in owner.tags or []:
        tagging = Tagging(tag=fold(label)[:50], label=label[:50])
        if publication is not None:
            tagging.publication_id = publication.id
        else:
            tagging.document_id = document.id
        db.session.add(tagging)


def add_activity(verb: str, actor: User | None, *, kind: str, community_id: int | None = None, **fields) -> Activity:
    activity = Activity(verb=verb, actor_id=getattr(actor, "id", None), kind=kind, community_id=community_id, **fields)
    db.session.add(activity)
    db.session.flush()
    return activity


# --- Wiki ---------------------------------------------------------------------------------------

def _add_wiki_version(publication: Publication, actor: User, *, note: str, restored_from: int | None = None):
    publication.wiki_number += 1
    version = WikiVersion(publication_id=publication.id, number=publication.wiki_number, title=publication.title,
                          body=publication.body, note=note, author_id=actor.id, restored_from=restored_from)
    db.session.add(version)
    db.session.flush()
    return version


def _wiki_changed(publication: Publication) -> bool:
    last = db.session.scalar(select(WikiVersion).where(
        WikiVersion.publication_id == publication.id).order_by(WikiVersion.number.desc()).limit(1))
    return last is None or (last.title, last.body) != (publication.title, publication.body)


def wiki_versions(actor: User, publication: Publication) -> list[WikiVersion]:
    permissions.require(actor, "read", publication)
    return list(db.session.scalars(select(WikiVersion).where(
        WikiVersion.publication_id == publication.id).order_by(WikiVersion.number.desc())))


def wiki_version(actor: User, publication: Publication, number: Any) -> WikiVersion:
    permissions.require(actor, "read", publication)
    version = None
    if is_id(number):
        version = db.session.scalar(select(WikiVersion).where(
            WikiVersion.publication_id == publication.id, WikiVersion.number == number))
    if version is None:
        raise NotFound(_("Cette version n'existe pas."))
    return version


def wiki_diff(actor: User, publication: Publication, old: Any, new: Any) -> list[tuple[str, str]]:
    """The line diff between two versions: [(tag, line)] with tag "=", "-" or "+"."""
    before, after = wiki_version(actor, publication, old), wiki_version(actor, publication, new)
    a = [f"# {before.title}", *before.body.splitlines()]
    b = [f"# {after.title}", *after.body.splitlines()]
    lines: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            lines.extend(("=", line) for line in a[i1:i2])
            continue
        lines.extend(("-", line) for line in a[i1:i2])
        lines.extend(("+", line) for line in b[j1:j2])
    return lines


def restore_wiki_version(actor: User, publication: Publication, number: Any) -> WikiVersion:
    permissions.require(actor, "edit", publication)
    old = wiki_version(actor, publication, number)
    if old.number == publication.wiki_number:
        raise Conflict(_("C'est déjà la version en cours."), code="already_current")
    publication.title, publication.body = old.title, old.body
    publication.mentions = resolve_mentions(actor, publication.body, publication)
    publication.body_html = render_with_mentions(publication.body, publication.mentions)
    publication.updated_at = utcnow()
    # No note: the pages say "restored from version N" in the reader's language.
    version = _add_wiki_version(publication, actor, note="", restored_from=old.number)
    add_activity(Verb.EDITED, actor, community_id=publication.community_id, kind=Kind.WIKI,
                 publication_id=publication.id, version_number=version.number)
    audit.record("publication.wiki_restore", actor=actor, target=publication, details={"from": old.number})
    return version


# --- Likes and "same question" -------------------------------------------------------------------

def like(actor: User, publication: Publication) -> None:
    _press(actor, publication, "like", Like, "like_count",
           already=(_("Vous aimez déjà cette publication."), "already_liked"))


def unlike(actor: User, publication: Publication) -> None:
    _release(actor, publication, "like", Like, "like_count",
             missing=(_("Vous n'aimiez pas cette publication."), "not_liked"))


def likers(actor: User, publication: Publication) -> list[User]:
    """Who liked, as far as the actor may see people."""
    permissions.require(actor, "read", publication)
    return list(db.session.scalars(
        select(User).join(Like, Like.user_id == User.id).where(
            Like.publication_id == publication.id, permissions.visible(actor, User)).order_by(Like.created_at)))


def press_same_question(actor: User, publication: Publication) -> None:
    _press(actor, publication, "same_question", SameQuestion, "same_question_count",
           already=(_("Vous avez déjà signalé cette question."), "already_pressed"))


def release_same_question(actor: User, publication: Publication) -> None:
    _release(actor, publication, "same_question", SameQuestion, "same_question_count",
             missing=(_("Vous n'aviez pas signalé cette question."), "not_pressed"))


def _press(actor, publication, action, model, counter, *, already) -> None:
    """A person's mark on a publication (a like, a shared question), counted beside it."""
    permissions.require(actor, action, publication)
    if db.session.get(model, (publication.id, actor.id)) is not None:
        raise Conflict(already[0], code=already[1])
    db.session.add(model(publication_id=publication.id, user_id=actor.id))
    setattr(publication, counter, getattr(Publication, counter) + 1)
    db.session.flush()


def _release(actor, publication, action, model, counter, *, missing) -> None:
    permissions.require(actor, action, publication)
    row = db.session.get(model, (publication.id, actor.id))
    if row is None:
        raise Conflict(missing[0], code=missing[1])
    db.session.delete(row)
    setattr(publication, counter, getattr(Publication, counter) - 1)
    db.session.flush()


def accept_answer(actor: User, comment: Comment) -> Publication:
    permissions.require(actor, "read", comment)
    question = db.session.get(Publication, comment.publication_id) if comment.publication_id else None
    if question is None or question.kind != Kind.QUESTION:
        raise ValidationError(_("Seul un commentaire d'une question peut être la bonne réponse."),
                              code="not_a_question")
    permissions.require(actor, "accept", question)
    if question.accepted_comment_id == comment.id:
        raise Conflict(_("C'est déjà la bonne réponse."), code="already_accepted")
    question.accepted_comment_id = comment.id
    question.updated_at = utcnow()
    db.session.flush()
    audit.record("question.accept", actor=actor, target=question, details={"comment_id": comment.id})
    notifications.answered(actor, question, comment)
    return question


def faq(actor: User, community: Community) -> list[Publication]:
    """The answered questions of a community, most "same question" first."""
    permissions.require(actor, "read", community)
    return list(db.session.scalars(select(Publication).where(
        Publication.community_id == community.id, Publication.kind == Kind.QUESTION,
        Publication.accepted_comment_id.is_not(None), Publication.deleted_at.is_(None),
    ).order_by(Publication.same_question_count.desc(), Publication.id.desc())))


def accepted_answers(actor: User, questions: list[Publication]) -> dict[int, Comment]:
    """The accepted answer of each of these questions, by comment id, those the actor may read."""
    ids = [q.accepted_comment_id for q in questions if q.accepted_comment_id]
    if not ids:
        return {}
    return {c.id: c for c in db.session.scalars(select(Comment).where(
        Comment.id.in_(ids), permissions.readable(actor, Comment)))}


def open_questions(actor: User, community: Community, limit: int = 10) -> list[Publication]:
    permissions.require(actor, "read", community)
    return list(db.session.scalars(select(Publication).where(
        Publication.community_id == community.id, Publication.kind == Kind.QUESTION,
        Publication.accepted_comment_id.is_(None), Publication.deleted_at.is_(None),
    ).order_by(Publication.id.desc()).limit(limit)))


def user_state(actor: User, publication_ids: list[int]) -> tuple[set[int], set[int]]:
    """Which of these publications the actor likes, and shares the question of."""
    if not publication_ids or actor is None:
        return set(), set()
    liked = set(db.session.scalars(select(Like.publication_id).where(
        Like.user_id == actor.id, Like.publication_id.in_(publication_ids))))
    same = set(db.session.scalars(select(SameQuestion.publication_id).where(
        SameQuestion.user_id == actor.id, SameQuestion.publication_id.in_(publication_ids))))
    return liked, same


# --- Pins ---------------------------------------------------------------------------------------

def pin(actor: User, publication: Publication, *, home: bool = False, until: datetime | None = None,
        position: int | None = None) -> Pin:
    permissions.require(actor, "pin_home" if home else "pin", publication)
    if until is not None and (not isinstance(until, datetime) or until.tzinfo is None):
        raise ValidationError(fields={"until": _("Date et heure attendues, avec leur fuseau horaire.")})
    if until is not None and until <= utcnow():
        raise ValidationError(fields={"until": _("La date de fin doit être dans le futur.")})
    if position is not None and (
            isinstance(position, bool) or not isinstance(position, int) or not 0 <= position <= MAX_ID):
        raise ValidationError(fields={"position": _("Doit être un nombre entier positif ou nul.")})
    scope = "home" if home else "community"
    row = db.session.scalar(select(Pin).where(Pin.publication_id == publication.id, Pin.scope == scope))
    if row is None:
        query = select(func.coalesce(func.max(Pin.position), -1)).where(Pin.scope == scope)
        if not home:
            query = query.where(Pin.community_id == publication.community_id)
        row = Pin(publication_id=publication.id, scope=scope, community_id=publication.community_id,
                  position=db.session.scalar(query) + 1, pinned_by_id=actor.id)
        db.session.add(row)
    if position is not None:
        row.position = position
    row.until = until
    db.session.flush()
    audit.record("publication.pin", actor=actor, target=publication, details={"scope": scope})
    return row


def unpin(actor: User, publication: Publication, *, home: bool = False) -> None:
    permissions.require(actor, "pin_home" if home else "pin", publication)
    scope = "home" if home else "community"
    row = db.session.scalar(select(Pin).where(Pin.publication_id == publication.id, Pin.scope == scope))
    if row is None:
        raise Conflict(_("Cette publication n'est pas épinglée."), code="not_pinned")
    db.session.delete(row)
    audit.record("publication.unpin", actor=actor, target=publication, details={"scope": scope})


def pins_of(publication_ids: list[int]) -> dict[int, set[str]]:
    if not publication_ids:
        return {}
    found: dict[int, set[str]] = {}
    for pid, scope in db.session.execute(select(Pin.publication_id, Pin.scope).where(
            Pin.publication_id.in_(publication_ids))):
        found.setdefault(pid, set()).add(scope)
    return found


# --- Documents in the streams (called by the signal listeners) ----------------------------------

def document_version_added(document: Document, version, actor: User | None) -> None:
    activity = add_activity(Verb.UPLOADED, actor, community_id=document.community_id, kind="document",
                            document_id=document.id, version_number=version.number)
    if version.number == 1:
        _sync_taggings(document=document)
        notifications.followers_of_new_item(actor, document=document, activity=activity)
    else:
        notifications.new_version(actor, document, version)


def document_changed(document: Document) -> None:
    _sync_taggings(document=document)
    db.session.execute(update(Activity).where(Activity.document_id == document.id)
                       .values(hidden=document.deleted_at is not None))

