"""Notifications: written for the people concerned who may read the item, listed with an
unread count, and emailed at once to those whose preference for that kind says so.

Emails carry titles and links (a short excerpt only if RSE_MAIL_EXCERPTS is on and the
community is not sensitive), never more.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, false, func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from rse import items, permissions
from rse.accounts.models import User
from rse.communities.models import Community
from rse.database import db, rowcount
from rse.dbtypes import utcnow
from rse.documents.models import Document
from rse.errors import ValidationError
from rse.feeds import markdown, titles
from rse.feeds.models import (
    DEFAULT_EMAIL_MODES,
    Comment,
    EmailMode,
    Follow,
    Notification,
    NotificationKind,
    NotificationPreference,
    Publication,
    SameQuestion,
    Suggestion,
)
from rse.i18n import format_day
from rse.mail import queue_templated
from rse.mail.models import OutboundEmail
from rse.urls import external_url


def _item_fields(item) -> dict:
    return {**items.ref(item), "community_id": item.community_id}

log = logging.getLogger(__name__)


# --- Writing ------------------------------------------------------------------------------------

def notify(kind: str, actor: User | None, item, user_ids: Iterable[int], *, comment: Comment | None = None,
           suggestion: Suggestion | None = None, event: str = "", version: int | None = None,
           run_size: int | None = None) -> list[Notification]:
    """Notify these people of `item`, those of them who may read it (never the actor). With a `run_size`,
    the notification stands for that many items of `item`'s group (rse.items.group), `item` first."""
    ids = {uid for uid in user_ids if uid is not None and uid != getattr(actor, "id", None)}
    if not ids:
        return []
    # In id order: the rows (and their emails) come out the same on every database, run after run.
    recipients = list(db.session.scalars(
        select(User).where(User.id.in_(ids), permissions.readers(item)).order_by(User.id)))
    if not recipients:
        return []
    modes = email_modes([u.id for u in recipients], kind)
    rows = []
    for user in recipients:
        row = Notification(user_id=user.id, kind=kind, actor_id=getattr(actor, "id", None),
                           comment_id=getattr(comment, "id", None), suggestion_id=getattr(suggestion, "id", None),
                           event=event, version_number=version, run_size=run_size, **_item_fields(item))
        db.session.add(row)
        rows.append((row, user))
    db.session.flush()
    for row, user in rows:
        if modes[user.id] == EmailMode.IMMEDIATE:
            row.email_id = _email(row, user, actor, item, comment=comment, suggestion=suggestion).id
    return [row for row, _user in rows]


def mentioned(actor, item, user_ids, *, comment: Comment | None = None) -> None:
    notify(NotificationKind.MENTION, actor, item, user_ids, comment=comment)


def commented(actor, target, comment: Comment) -> None:
    """The author of the item, and for a question those who share it, hear of a new comment."""
    author = getattr(target, "author_id", None) or getattr(target, "created_by_id", None)
    concerned: set[int] = {author} if author is not None else set()
    concerned.update(getattr(target, "owner_ids", ()))  # an action's owner and co-owners
    if isinstance(target, Publication) and target.kind == "question":
        concerned.update(db.session.scalars(select(SameQuestion.user_id).where(
            SameQuestion.publication_id == target.id)))
    mentions = set((comment.mentions or {}).values())
    mentioned(actor, target, mentions, comment=comment)
    notify(NotificationKind.COMMENT, actor, target, concerned - mentions, comment=comment)


def answered(actor, question: Publication, comment: Comment) -> None:
    concerned = {person for person in (question.author_id, comment.author_id) if person is not None}
    concerned.update(db.session.scalars(select(SameQuestion.user_id).where(
        SameQuestion.publication_id == question.id)))
    notify(NotificationKind.ANSWER, actor, question, concerned, comment=comment)


def suggested(actor, item, suggestion: Suggestion, recipients: Iterable[User]) -> None:
    notify(NotificationKind.SUGGESTION, actor, item, [u.id for u in recipients], suggestion=suggestion)


def followers_of_new_item(actor, *, activity, publication: Publication | None = None,
                          document: Document | None = None) -> None:
    """Those who follow the author or one of the item's tags."""
    from rse.tags import fold

    item = publication or document
    assert item is not None, "a publication or a document"
    keys = [fold(t)[:50] for t in (item.tags or [])]
    conditions = [Follow.tag.in_(keys)] if keys else []
    if actor is not None:
        conditions.append(Follow.person_id == actor.id)
    followers = set(db.session.scalars(select(Follow.user_id).where(or_(*conditions)))) if conditions else set()
    already = set((getattr(publication, "mentions", None) or {}).values())
    notify(NotificationKind.FOLLOWED, actor, item, followers - already)


def new_version(actor, document: Document, version) -> None:
    followers = db.session.scalars(select(Follow.user_id).where(Follow.document_id == document.id))
    notify(NotificationKind.VERSION, actor, document, followers)


def controlled_step(actor, document: Document, event: str, version: int, user_ids: Iterable[int]) -> None:
    """A step of a controlled document's circuit, told to the people it concerns (see CIRCUIT_EVENTS)."""
    kind = NotificationKind.READING if event in READING_EVENTS else NotificationKind.CIRCUIT
    notify(kind, actor, document, user_ids, event=event, version=version)


# What a circuit or reading notification says, by event: (the list's sentence, the email's subject).
CIRCUIT_EVENTS = {
    "to_check": (lambda a, t, n: _("%(actor)s vous soumet la version %(num)d de « %(title)s » pour vérification",
                                   actor=a, title=t, num=n),
                 lambda a, t, n: _("À vérifier : %(title)s (version %(num)d)", title=t, num=n)),
    "to_approve": (lambda a, t, n: _("La version %(num)d de « %(title)s » attend votre approbation", title=t, num=n),
                   lambda a, t, n: _("À approuver : %(title)s (version %(num)d)", title=t, num=n)),
    "returned": (lambda a, t, n: _("%(actor)s a renvoyé la version %(num)d de « %(title)s » en rédaction",
                                   actor=a, title=t, num=n),
                 lambda a, t, n: _("Renvoyé en rédaction : %(title)s (version %(num)d)", title=t, num=n)),
    "in_force": (lambda a, t, n: _("La version %(num)d de « %(title)s » est en vigueur", title=t, num=n),
                 lambda a, t, n: _("En vigueur : %(title)s (version %(num)d)", title=t, num=n)),
    "reading": (lambda a, t, n: _("%(actor)s vous demande de lire « %(title)s » (version %(num)d)",
                                  actor=a, title=t, num=n),
                lambda a, t, n: _("Lecture demandée : %(title)s (version %(num)d)", title=t, num=n)),
    "reading_reminder": (lambda a, t, n: _("Rappel : merci de lire « %(title)s » (version %(num)d)", title=t, num=n),
                         lambda a, t, n: _("Rappel, lecture demandée : %(title)s (version %(num)d)", title=t, num=n)),
    "review_due": (lambda a, t, n: _("« %(title)s » (version %(num)d) arrive à sa date de révision",
                                     title=t, num=n),
                   lambda a, t, n: _("À réviser : %(title)s (version %(num)d)", title=t, num=n)),
}
READING_EVENTS = {"reading", "reading_reminder"}

# What an action notification says, by event: (the list's sentence, the email's subject), given the
# actor, the action's title and its due date (a day, or "" when it has none).
ACTION_EVENTS = {
    "assigned": (lambda a, t, d: _("%(actor)s vous a confié l'action « %(title)s »", actor=a, title=t),
                 lambda a, t, d: _("Action confiée : %(title)s", title=t)),
    "reminder_week": (lambda a, t, d: _("L'action « %(title)s » arrive à échéance le %(day)s", title=t, day=d),
                      lambda a, t, d: _("Échéance le %(day)s : %(title)s", title=t, day=d)),
    "reminder_due": (lambda a, t, d: _("L'action « %(title)s » arrive à échéance aujourd'hui", title=t),
                     lambda a, t, d: _("Échéance aujourd'hui : %(title)s", title=t)),
}


def _said(row: Notification, actor_name: str, title: str, item) -> tuple[str, str] | None:
    """What a circuit, reading or action notification says: (sentence, subject), else None."""
    group = items.group(item) if row.run_size else None
    if row.kind == NotificationKind.ACTION and row.event == "assigned" and group is not None:
        return (_("%(actor)s vous a confié %(num)d actions du plan « %(plan)s »", actor=actor_name,
                  num=row.run_size, plan=group.title),
                _("%(num)d actions confiées : %(plan)s", num=row.run_size, plan=group.title))
    if row.kind == NotificationKind.ACTION and row.event in ACTION_EVENTS:
        due = getattr(item, "due_date", None)
        day = format_day(due) if due is not None else ""
        sentence, subject = ACTION_EVENTS[row.event]
        return sentence(actor_name, title, day), subject(actor_name, title, day)
    if row.event in CIRCUIT_EVENTS:
        sentence, subject = CIRCUIT_EVENTS[row.event]
        return sentence(actor_name, title, row.version_number or 0), subject(actor_name, title, row.version_number or 0)
    return None


# --- Email --------------------------------------------------------------------------------------

SUBJECTS = {
    NotificationKind.MENTION: lambda a, t: _("%(actor)s vous a mentionné : %(title)s", actor=a, title=t),
    NotificationKind.SUGGESTION: lambda a, t: _("%(actor)s vous propose : %(title)s", actor=a, title=t),
    NotificationKind.COMMENT: lambda a, t: _("Nouveau commentaire de %(actor)s : %(title)s", actor=a, title=t),
    NotificationKind.ANSWER: lambda a, t: _("Une bonne réponse à la question : %(title)s", actor=a, title=t),
    NotificationKind.FOLLOWED: lambda a, t: _("Nouveau chez %(actor)s : %(title)s", actor=a, title=t),
    NotificationKind.VERSION: lambda a, t: _("Nouvelle version : %(title)s", actor=a, title=t),
}


def _comment_anchor(comment: Comment | None) -> str:
    return f"#commentaire-{comment.id}" if comment is not None else ""


def _link(row: Notification, item, comment: Comment | None, *, external: bool = False) -> str:
    """Where a notification leads: its comment, its item, or for a run of items their group's page."""
    group = items.group(item) if row.run_size else None
    if group is not None:
        return group.url(external=external)
    return items.url(item, anchor=_comment_anchor(comment), external=external)


def _email(row: Notification, user: User, actor, item, *, comment=None, suggestion=None) -> OutboundEmail:
    community = item.community
    excerpt = ""
    excerpt_allowed = bool(current_app.config.get("MAIL_EXCERPTS")) and not community.sensitive
    if excerpt_allowed:
        source = comment.body if comment is not None else getattr(item, "body", "") or getattr(item, "description", "")
        excerpt = markdown.plain_excerpt(source, 200)
    message = suggestion.message if suggestion is not None and not community.sensitive else ""
    with force_locale(user.locale or "fr"):
        actor_name = actor.name if actor is not None else "Maillage"
        # An untitled post is named by its first words only where excerpts may leave by email.
        title = (titles.publication_title(item.title, item.body, text_shown=excerpt_allowed, community=community.name)
                 if isinstance(item, Publication) else items.title(item))
        said = _said(row, actor_name, title, item)
        subject = (said[1] if said else SUBJECTS[NotificationKind(row.kind)](actor_name, title))[:200]
        sentence = said[0] if said else ""
        return queue_templated(f"notification.{row.kind}", user.email, subject, "notification", user=user,
                        notification_kind=row.kind, actor_name=actor_name, title=title, community=community,
                        link=_link(row, item, comment, external=True), excerpt=excerpt,
                        message=message, preferences=external_url("notifications.preferences"),
                        sentence=sentence, subject_line=subject if said else "")


# --- Reading ------------------------------------------------------------------------------------

def _visible(actor):
    """SQL on Notification: its item is still there and the actor may read it now.

    Correlated (EXISTS on the row's own item): an IN over every live publication listed
    two million ids for each unread count.
    """
    publication_ok = or_(Notification.publication_id.is_(None), select(Publication.id).where(
        Publication.id == Notification.publication_id, permissions.readable(actor, Publication)).exists())
    document_ok = or_(Notification.document_id.is_(None), select(Document.id).where(
        Document.id == Notification.document_id, Document.deleted_at.is_(None),
        permissions.readable(actor, Document)).exists())
    comment_ok = or_(Notification.comment_id.is_(None), select(Comment.id).where(
        Comment.id == Notification.comment_id, permissions.readable(actor, Comment)).exists())
    # Items of the other kinds (an action of a plan), through the same permission layer.
    others_ok = [or_(getattr(Notification, kind.column).is_(None), select(model.id).where(
        model.id == getattr(Notification, kind.column), permissions.readable(actor, model)).exists())
        for kind in _other_kinds() for model in [cast(Any, kind.model)]]
    readable = select(Community.id).where(permissions.readable(actor, Community))
    return and_(Notification.user_id == actor.id, Notification.community_id.in_(readable),
                publication_ok, document_ok, comment_ok, *others_ok)


def _other_kinds() -> list[items.ItemKind]:
    """The kinds of item, other than publications and documents, a notification may point at."""
    return [kind for kind in items.kinds() if kind.name not in ("publication", "document")
            and hasattr(Notification, kind.column)]


def unread_count(actor) -> int:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return 0
    # Every page asks, and most people have read everything: one look at the partial index
    # answers them without building the read filter.
    unread = select(Notification.id).where(Notification.user_id == actor.id, Notification.read_at.is_(None))
    if not db.session.scalar(unread.exists().select()):
        return 0
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        _visible(actor), Notification.read_at.is_(None))) or 0


def bell_count(actor) -> int | None:
    """The unread count for the header's bell, or None when the database does not answer (the
    header of an error page must still render)."""
    try:
        return unread_count(actor)
    except SQLAlchemyError:
        log.warning("notification bell left out: the database did not answer", exc_info=True)
        return None


def list_notifications(actor, *, before: int | None = None, limit: int = 30, unread_only: bool = False):
    query = select(Notification).where(_visible(actor))
    if before is not None:
        query = query.where(Notification.id < before)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    rows = list(db.session.scalars(query.order_by(Notification.id.desc()).limit(limit + 1)))
    return rows[:limit], len(rows) > limit


def targets(rows: list[Notification]) -> dict[tuple[str, int], object]:
    """The publications, documents and comments the notifications point at, loaded at once."""
    found: dict[tuple[str, int], object] = {}
    models: tuple[tuple[type[Publication | Document | Comment | Suggestion], str], ...] = (
        (Publication, "publication_id"), (Document, "document_id"), (Comment, "comment_id"),
        (Suggestion, "suggestion_id"))
    models += tuple((kind.model, kind.column) for kind in _other_kinds())
    for model, attr in models:
        ids = {getattr(r, attr) for r in rows if getattr(r, attr)}
        if ids:
            for obj in db.session.scalars(select(model).where(model.id.in_(ids))):
                found[(attr, obj.id)] = obj  # type: ignore[attr-defined]  # each of the models has an id
    return found


@dataclass
class Line:
    """One notification as the list (page or API) shows it: what happened, on what, where."""

    row: Notification
    item: Any  # a publication, a document, or an item of another registered kind (an action)
    comment: Comment | None
    suggestion: Suggestion | None

    @property
    def unread(self) -> bool:
        return self.row.read_at is None

    @property
    def title(self) -> str:
        return items.title(self.item)

    @property
    def community(self) -> Community:
        return self.item.community

    @property
    def url(self) -> str:
        return _link(self.row, self.item, self.comment)

    @property
    def sentence(self) -> str:
        actor = self.row.actor.name if self.row.actor is not None else _("Quelqu'un")
        title, kind = self.title, self.row.kind
        said = _said(self.row, actor, title, self.item)
        if said is not None:
            return said[0]
        if kind == NotificationKind.MENTION:
            if self.comment is not None:
                return _("%(actor)s vous a mentionné dans un commentaire sur « %(title)s »", actor=actor, title=title)
            return _("%(actor)s vous a mentionné dans « %(title)s »", actor=actor, title=title)
        if kind == NotificationKind.SUGGESTION:
            return _("%(actor)s vous propose « %(title)s »", actor=actor, title=title)
        if kind == NotificationKind.COMMENT:
            return _("Nouveau commentaire de %(actor)s sur « %(title)s »", actor=actor, title=title)
        if kind == NotificationKind.ANSWER:
            return _("Bonne réponse à la question « %(title)s », choisie par %(actor)s", actor=actor, title=title)
        if kind == NotificationKind.FOLLOWED:
            return _("Nouveau chez %(actor)s : « %(title)s »", actor=actor, title=title)
        return _("Nouvelle version de « %(title)s », déposée par %(actor)s", actor=actor, title=title)

    @property
    def note(self) -> str:
        """A second line: the suggestion's message, or the start of the comment."""
        if self.suggestion is not None:
            return self.suggestion.message
        if self.comment is not None:
            return markdown.plain_excerpt(self.comment.body, 160)
        if self.row.kind == NotificationKind.FOLLOWED:
            return _("Une personne ou un mot-clé que vous suivez.")
        return ""



def lines(rows: list[Notification]) -> list[Line]:
    """The notifications `rows` as lines, those whose item the reader may still read (see `targets`)."""
    found = targets(rows)

    def pick(attr: str, value: int | None) -> Any:
        return found.get((attr, value)) if value is not None else None

    columns = ["publication_id", "document_id", *(kind.column for kind in _other_kinds())]
    shown = []
    for row in rows:
        item = next((hit for column in columns if (hit := pick(column, getattr(row, column))) is not None),
                    None)
        if item is not None:
            shown.append(Line(row, item, pick("comment_id", row.comment_id), pick("suggestion_id", row.suggestion_id)))
    return shown


def get_notification(actor, notification_id: int) -> Notification:
    from rse.errors import NotFound

    row = db.session.scalar(select(Notification).where(Notification.id == notification_id, _visible(actor)))
    if row is None:
        raise NotFound()
    return row


def open_notification(actor, notification_id: int) -> str:
    """Mark the notification read and return the path of what it is about (its comment, if any)."""
    row = get_notification(actor, notification_id)
    mark_read(actor, [row.id])
    item = items.pointed_at(row)
    comment = db.session.get(Comment, row.comment_id) if row.comment_id else None
    return _link(row, item, comment)


def mark_read(actor, notification_ids: list[int] | None = None) -> int:
    query = update(Notification).where(Notification.user_id == actor.id, Notification.read_at.is_(None))
    if notification_ids is not None:
        query = query.where(Notification.id.in_(notification_ids) if notification_ids else false())
    return rowcount(db.session.execute(query.values(read_at=utcnow())))


# --- Preferences --------------------------------------------------------------------------------

def email_modes(user_ids: list[int], kind: str) -> dict[int, str]:
    chosen = db.session.execute(select(NotificationPreference.user_id, NotificationPreference.mode).where(
        NotificationPreference.user_id.in_(user_ids), NotificationPreference.kind == kind))
    default = DEFAULT_EMAIL_MODES[NotificationKind(kind)].value
    return {**dict.fromkeys(user_ids, default), **dict(chosen.tuples().all())}


def preferences(actor) -> dict[str, str]:
    chosen = db.session.execute(select(NotificationPreference.kind, NotificationPreference.mode).where(
        NotificationPreference.user_id == actor.id))
    return {**{k.value: v.value for k, v in DEFAULT_EMAIL_MODES.items()}, **dict(chosen.tuples().all())}


def preference_errors(changes: dict) -> dict[str, str]:
    """What is wrong with these changes of preference, by kind (nothing: they may be saved)."""
    kinds = {k.value for k in NotificationKind}
    modes = {m.value for m in EmailMode}
    errors = {}
    for kind, mode in changes.items():
        if kind not in kinds:
            errors[kind] = _("Type de notification inconnu.")
        elif not isinstance(mode, str) or mode not in modes:
            errors[kind] = _("Choisissez immediate, digest ou never.")
    return errors


def set_preferences(actor, changes: dict) -> dict[str, str]:
    errors = preference_errors(changes)
    if errors:
        raise ValidationError(fields=errors)
    for kind, mode in changes.items():
        row = db.session.get(NotificationPreference, (actor.id, kind))
        if row is None:
            db.session.add(NotificationPreference(user_id=actor.id, kind=kind, mode=mode))
        else:
            row.mode = mode
    db.session.flush()
    return preferences(actor)

