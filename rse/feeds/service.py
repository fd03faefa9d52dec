"""Publications and the social layer: publish, edit, wiki versions, comments, likes,
"same question", good answers, pins, suggestions and follows, with permissions and audit.

Every function takes the acting user first and checks the permission layer; none reads
the request. The caller commits.
"""

from __future__ import annotations

import difflib
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import delete, func, or_, select, update

from rse import audit, permissions
from rse.accounts.models import User
from rse.communities.access import member_community_ids
from rse.communities.models import Community, Membership
from rse.dbtypes import utcnow
from rse.documents.models import Document
from rse.errors import Conflict, NotFound, PermissionDenied, ValidationError
from rse.extensions import db
from rse.tags import clean_tags, fold
from rse.urls import internal_path
from rse.validation import clean_text, clean_url

from . import markdown, notifications
from .models import (
    Activity, Attachment, Comment, Delivery, Follow, FollowTarget, Kind, Like, NotificationKind, Pin,
    Publication, SameQuestion, Suggestion, Tagging, Verb, WikiVersion,
)

TITLE_MAX = 200
PLACE_MAX = 120
MESSAGE_MAX = 500
BODY_MAX = {
    Kind.POST: 5_000,
    Kind.QUESTION: 10_000,
    Kind.LINK: 2_000,
    Kind.ANNOUNCEMENT: 50_000,
    Kind.WIKI: 50_000,
}
COMMENT_MAX = 10_000
MAX_ATTACHMENTS = 10
MAX_RECIPIENTS = 50


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

def resolve_mentions(text: str, can_read) -> dict[str, int]:
    """{handle: user id} for each "@handle" naming exactly one active person who may read the item."""
    handles = markdown.mention_handles(text)
    if not handles:
        return {}
    found: dict[str, int] = {}
    for handle in list(handles)[:20]:
        literal = handle.replace("_", "\\_")  # "_" is a LIKE wildcard: "@a_b" must not find "a.b@"
        users = db.session.scalars(select(User).where(
            User.email.like(f"{literal}@%", escape="\\"), User.deactivated_at.is_(None)).limit(2)).all()
        if len(users) == 1 and users[0].is_active and can_read(users[0]):
            found[handle] = users[0].id
    return found


def _render(text: str, mentions: dict[str, int]) -> str:
    if not mentions:
        return markdown.render(text)
    people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(mentions.values())))}
    links = {handle: (internal_path("accounts.profile", user_id=uid), people[uid].name)
             for handle, uid in mentions.items() if uid in people}
    return markdown.render(text, links)


# --- Reading ------------------------------------------------------------------------------------

def get_publication(actor: User, publication_id: Any, action: str = "read") -> Publication:
    publication = db.session.get(Publication, publication_id) if isinstance(publication_id, int) else None
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
    publication.mentions = resolve_mentions(publication.body, lambda u: permissions.can(u, "read", publication))
    publication.body_html = _render(publication.body, publication.mentions)
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
        publication.mentions = resolve_mentions(publication.body, lambda u: permissions.can(u, "read", publication))
        publication.body_html = _render(publication.body, publication.mentions)
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
    if isinstance(number, int):
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
    publication.mentions = resolve_mentions(publication.body, lambda u: permissions.can(u, "read", publication))
    publication.body_html = _render(publication.body, publication.mentions)
    publication.updated_at = utcnow()
    # No note: the pages say "restored from version N" in the reader's language.
    version = _add_wiki_version(publication, actor, note="", restored_from=old.number)
    add_activity(Verb.EDITED, actor, community_id=publication.community_id, kind=Kind.WIKI,
                 publication_id=publication.id, version_number=version.number)
    audit.record("publication.wiki_restore", actor=actor, target=publication, details={"from": old.number})
    return version


# --- Comments -----------------------------------------------------------------------------------

def _commentable(actor: User, target: Publication | Document) -> None:
    if isinstance(target, Document):
        permissions.require(actor, "read", target)
        permissions.require(actor, "comment", target.community)
    else:
        permissions.require(actor, "comment", target)


def list_comments(actor: User, target: Publication | Document) -> list[Comment]:
    permissions.require(actor, "read", target)
    column = Comment.document_id if isinstance(target, Document) else Comment.publication_id
    comments = list(db.session.scalars(select(Comment).where(
        column == target.id, Comment.deleted_at.is_(None)).order_by(Comment.id)))
    accepted = getattr(target, "accepted_comment_id", None)
    if accepted:  # an answered question shows its good answer first
        comments.sort(key=lambda c: c.id != accepted)
    return comments


def add_comment(actor: User, target: Publication | Document, body: Any) -> Comment:
    _commentable(actor, target)
    text = clean_text(body, "body", max_length=COMMENT_MAX, required=True, multiline=True)
    comment = Comment(author_id=actor.id, body=text)
    if isinstance(target, Document):
        comment.document_id = target.id
    else:
        comment.publication_id = target.id
        target.comment_count = Publication.comment_count + 1
    comment.mentions = resolve_mentions(text, lambda u: permissions.can(u, "read", target))
    comment.body_html = _render(text, comment.mentions)
    db.session.add(comment)
    db.session.flush()
    audit.record("comment.create", actor=actor, target=comment,
                 details={"on": type(target).__name__.lower(), "id": target.id})
    notifications.commented(actor, target, comment)
    return comment


def get_comment(actor: User, comment_id: Any, action: str = "read") -> Comment:
    comment = db.session.get(Comment, comment_id) if isinstance(comment_id, int) else None
    if comment is None:
        raise NotFound()
    permissions.require(actor, action, comment)
    return comment


def comment_target(comment: Comment) -> Publication | Document:
    if comment.publication_id is not None:
        return db.session.get(Publication, comment.publication_id)
    return db.session.get(Document, comment.document_id)


def edit_comment(actor: User, comment: Comment, body: Any) -> Comment:
    permissions.require(actor, "edit", comment)
    target = comment_target(comment)
    text = clean_text(body, "body", max_length=COMMENT_MAX, required=True, multiline=True)
    before = set(comment.mentions or {})
    comment.body = text
    comment.mentions = resolve_mentions(text, lambda u: permissions.can(u, "read", target))
    comment.body_html = _render(text, comment.mentions)
    comment.updated_at = utcnow()
    audit.record("comment.edit", actor=actor, target=comment)
    fresh = [uid for handle, uid in comment.mentions.items() if handle not in before]
    notifications.mentioned(actor, target, fresh, comment=comment)
    return comment


def delete_comment(actor: User, comment: Comment) -> None:
    permissions.require(actor, "delete", comment)
    comment.deleted_at = utcnow()
    comment.deleted_by_id = actor.id
    if comment.publication_id is not None:
        publication = db.session.get(Publication, comment.publication_id)
        publication.comment_count = Publication.comment_count - 1
        if publication.accepted_comment_id == comment.id:
            publication.accepted_comment_id = None
    audit.record("comment.delete", actor=actor, target=comment,
                 details={"author_id": comment.author_id, "moderated": comment.author_id != actor.id})


# --- Likes and "same question" -------------------------------------------------------------------

def like(actor: User, publication: Publication) -> None:
    permissions.require(actor, "like", publication)
    if db.session.get(Like, (publication.id, actor.id)) is not None:
        raise Conflict(_("Vous aimez déjà cette publication."), code="already_liked")
    db.session.add(Like(publication_id=publication.id, user_id=actor.id))
    publication.like_count = Publication.like_count + 1
    db.session.flush()


def unlike(actor: User, publication: Publication) -> None:
    permissions.require(actor, "like", publication)
    row = db.session.get(Like, (publication.id, actor.id))
    if row is None:
        raise Conflict(_("Vous n'aimiez pas cette publication."), code="not_liked")
    db.session.delete(row)
    publication.like_count = Publication.like_count - 1
    db.session.flush()


def likers(actor: User, publication: Publication) -> list[User]:
    """Who liked, as far as the actor may see people."""
    permissions.require(actor, "read", publication)
    return list(db.session.scalars(
        select(User).join(Like, Like.user_id == User.id).where(
            Like.publication_id == publication.id, permissions.readable(actor, User)).order_by(Like.created_at)))


def press_same_question(actor: User, publication: Publication) -> None:
    permissions.require(actor, "same_question", publication)
    if db.session.get(SameQuestion, (publication.id, actor.id)) is not None:
        raise Conflict(_("Vous avez déjà signalé cette question."), code="already_pressed")
    db.session.add(SameQuestion(publication_id=publication.id, user_id=actor.id))
    publication.same_question_count = Publication.same_question_count + 1
    db.session.flush()


def release_same_question(actor: User, publication: Publication) -> None:
    permissions.require(actor, "same_question", publication)
    row = db.session.get(SameQuestion, (publication.id, actor.id))
    if row is None:
        raise Conflict(_("Vous n'aviez pas signalé cette question."), code="not_pressed")
    db.session.delete(row)
    publication.same_question_count = Publication.same_question_count - 1
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
    if position is not None and (not isinstance(position, int) or isinstance(position, bool) or position < 0):
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


# --- Suggestions --------------------------------------------------------------------------------

def get_item(actor: User, kind: Any, item_id: Any) -> Publication | Document:
    """A suggestable item: ("publication"|"document", id)."""
    if kind == "document":
        from rse.documents import service as documents

        return documents.get_document(actor, item_id)
    if kind == "publication":
        return get_publication(actor, item_id)
    raise ValidationError(fields={"item": _("Élément inconnu : publication ou document.")})


def _ids(value: Any, field: str) -> list[int]:
    if value in (None, ""):
        return []
    # Beyond 2**31 an id cannot exist, and PostgreSQL refuses to compare it with an integer column.
    if not isinstance(value, list | tuple) or not all(
            isinstance(v, int) and not isinstance(v, bool) and abs(v) < 2**31 for v in value):
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
    suggestion = Suggestion(sender_id=actor.id, message=text, everyone=everyone,
                            recipients={"users": user_ids, "communities": community_ids})
    kind = _item_kind(item)
    if isinstance(item, Document):
        suggestion.document_id = item.id
    else:
        suggestion.publication_id = item.id
    db.session.add(suggestion)
    db.session.flush()
    target = {"document_id": item.id} if isinstance(item, Document) else {"publication_id": item.id}
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


def _item_kind(item: Publication | Document) -> str:
    return "document" if isinstance(item, Document) else item.kind


def _suggestion_people(actor: User, item, user_ids: list[int]) -> list[User]:
    if not user_ids:
        return []
    people = {u.id: u for u in db.session.scalars(select(User).where(
        User.id.in_(user_ids), permissions.readable(actor, User)))}
    unknown = [uid for uid in user_ids if uid not in people]
    if unknown:
        raise ValidationError(fields={"users": _("Personne introuvable.")}, code="unknown_recipient")
    blind = [p.name for p in people.values() if not p.is_active or not permissions.can(p, "read", item)]
    if blind:
        raise ValidationError(fields={"users": _("Ne peut pas lire cet élément : %(names)s.", names=", ".join(blind))},
                              code="recipient_cannot_read")
    return [people[uid] for uid in user_ids]


def _suggestion_communities(actor: User, item, community_ids: list[int]) -> list[Community]:
    if not community_ids:
        return []
    mine = set(db.session.scalars(member_community_ids(actor.id)))
    spaces = {c.id: c for c in db.session.scalars(select(Community).where(Community.id.in_(community_ids)))}
    for cid in community_ids:
        community = spaces.get(cid)
        # A partner suggests only to their communities; staff to any community they may see.
        if community is None or not permissions.can(actor, "view", community) or (
                actor.is_partner and cid not in mine):
            raise ValidationError(fields={"communities": _("Espace introuvable.")}, code="unknown_recipient")
    for community in spaces.values():
        # Deactivated and expired members receive nothing: only active ones must be able to read.
        blind = db.session.scalar(select(func.count()).select_from(Membership).join(User).where(
            Membership.community_id == community.id, User.deactivated_at.is_(None),
            or_(User.expires_at.is_(None), User.expires_at > utcnow())).where(
            ~notifications.readers_condition(item.community)))
        if blind:
            raise ValidationError(fields={"communities": ngettext(
                "%(num)d membre de « %(name)s » ne peut pas lire cet élément.",
                "%(num)d membres de « %(name)s » ne peuvent pas lire cet élément.",
                blind, name=community.name)}, code="recipient_cannot_read")
    return [spaces[cid] for cid in community_ids]


def _check_everyone_may_read(item) -> None:
    from rse.communities.models import Visibility

    if item.community.visibility != Visibility.PUBLIC:
        raise ValidationError(fields={"everyone": _(
            "Seul un élément d'un espace public peut être proposé à tout le monde.")}, code="recipient_cannot_read")


# --- Follows ------------------------------------------------------------------------------------

def follow(actor: User, target: str, key: Any) -> Follow:
    target, key, label = _follow_key(actor, target, key)
    existing = db.session.scalar(select(Follow).where(
        Follow.user_id == actor.id, Follow.target == target, Follow.key == key))
    if existing is not None:
        return existing
    row = Follow(user_id=actor.id, target=target, key=key, label=label)
    db.session.add(row)
    db.session.flush()
    return row


def unfollow(actor: User, target: str, key: Any) -> None:
    if target in {FollowTarget.PERSON, FollowTarget.DOCUMENT} and isinstance(key, int) and not isinstance(key, bool):
        key = str(key)  # no permission check: one stops following what one can no longer see
    else:
        target, key, _label = _follow_key(actor, target, key)
    db.session.execute(delete(Follow).where(Follow.user_id == actor.id, Follow.target == target, Follow.key == key))


def is_following(actor: User, target: str, key: Any) -> bool:
    if target == FollowTarget.TAG:
        tags = clean_tags([key]) if isinstance(key, str) else []
        if len(tags) != 1:
            return False
        key = fold(tags[0])
    return db.session.scalar(select(Follow.id).where(
        Follow.user_id == actor.id, Follow.target == target, Follow.key == str(key))) is not None


def _follow_key(actor: User, target: str, key: Any) -> tuple[str, str, str]:
    if target == FollowTarget.PERSON:
        person = db.session.get(User, key) if isinstance(key, int) else None
        if person is None:
            raise NotFound()
        permissions.require(actor, "read", person)
        if person.id == actor.id:
            raise ValidationError(_("On ne se suit pas soi-même."), code="follow_self")
        return target, str(person.id), person.name[:50]
    if target == FollowTarget.DOCUMENT:
        document = db.session.get(Document, key) if isinstance(key, int) else None
        if document is None:
            raise NotFound()
        permissions.require(actor, "read", document)
        return target, str(document.id), document.title[:50]
    if target == FollowTarget.TAG:
        tags = clean_tags([key] if isinstance(key, str) else key)
        if len(tags) != 1:
            raise ValidationError(fields={"tag": _("Un mot-clé est attendu.")})
        return target, fold(tags[0]), tags[0]
    raise ValidationError(fields={"target": _("Suivre une personne, un mot-clé ou un document.")})


def following(actor: User) -> list[Follow]:
    return list(db.session.scalars(select(Follow).where(Follow.user_id == actor.id).order_by(Follow.created_at)))


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


NOTIFICATION_KINDS = tuple(k.value for k in NotificationKind)
