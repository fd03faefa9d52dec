"""Pages of notifications, email preferences and suggestions ("Proposer à…"), and the bell."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import Flask, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from rse import permissions, slots, transactions
from rse.accounts import service as accounts
from rse.accounts.models import User
from rse.communities.models import Community
from rse.documents.models import Document
from rse.dbtypes import id_from_text
from rse.errors import DomainError, NotFound, ValidationError
from rse.forms import ActionForm, apply_errors, form_id

from . import markdown, notifications, suggestions
from .models import Comment, EmailMode, Notification, NotificationKind, Publication, Suggestion
from .notification_forms import SuggestForm
from .views import bp

log = logging.getLogger(__name__)

PAGE_SIZE = 30
SEARCH_LIMIT = 8




# --- The bell -----------------------------------------------------------------------------------

def register_notification_slots(app: Flask) -> None:
    slots.register(app, "header.actions", _bell)


def _bell(**_context) -> str:
    if not current_user.is_authenticated:
        return ""
    unread = notifications.bell_count(current_user)
    if unread is None:  # the error page of a failed database transaction has a header too: no bell there
        return ""
    return render_template("feeds/_bell.html", unread=unread)


# --- The list -----------------------------------------------------------------------------------

@dataclass
class NotificationLine:
    """One notification as the list shows it: what happened, on what, where."""

    row: Notification
    item: Publication | Document
    comment: Comment | None
    suggestion: Suggestion | None

    @property
    def unread(self) -> bool:
        return self.row.read_at is None

    @property
    def title(self) -> str:
        return notifications.item_title(self.item)

    @property
    def community(self) -> Community:
        return self.item.community

    @property
    def sentence(self) -> str:
        actor = self.row.actor.name if self.row.actor is not None else _("Quelqu'un")
        title, kind = self.title, self.row.kind
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


def _lines(rows: list[Notification]) -> list[NotificationLine]:
    found = notifications.targets(rows)
    lines = []
    for row in rows:
        item = found.get(("publication_id", row.publication_id)) or found.get(("document_id", row.document_id))
        if item is None:
            continue
        lines.append(NotificationLine(row, item, found.get(("comment_id", row.comment_id)),
                                      found.get(("suggestion_id", row.suggestion_id))))
    return lines


@bp.route("/notifications", endpoint="notifications")
def notifications_page():
    unread_only = request.args.get("non_lues") == "1"
    before = form_id(request.args.get("before"))
    rows, more = notifications.list_notifications(current_user, before=before, limit=PAGE_SIZE,
                                                  unread_only=unread_only)
    context = {"lines": _lines(rows), "more": more, "next_before": rows[-1].id if rows else None,
               "unread_only": unread_only, "first_page": before is None}
    if request.headers.get("HX-Request") and before is not None:
        return render_template("feeds/_notifications_list.html", **context)
    return render_template("feeds/notifications.html", form=ActionForm(),
                           unread=notifications.unread_count(current_user), **context)


@bp.route("/notifications/<int:notification_id>")
def open_notification(notification_id: int):
    target = notifications.open_notification(current_user, notification_id)
    transactions.commit()
    return redirect(target)


@bp.route("/notifications/tout-lire", methods=["POST"])
def mark_all_read():
    form = ActionForm()
    if form.validate_on_submit():
        count = notifications.mark_read(current_user)
        transactions.commit()
        if count:
            flash(_("Toutes vos notifications sont marquées comme lues."), "success")
    else:
        flash(_("Le formulaire a expiré. Rechargez la page et réessayez."), "error")
    return redirect(url_for("feeds.notifications"))


# --- Email preferences --------------------------------------------------------------------------

@bp.route("/notifications/preferences", methods=["GET", "POST"])
def preferences():
    form = ActionForm()
    modes = notifications.preferences(current_user)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        changes = {kind.value: request.form.get(kind.value) for kind in NotificationKind if kind.value in request.form}
        if form.validate_on_submit():
            try:
                notifications.set_preferences(current_user, changes)
            except ValidationError as exc:
                transactions.rollback()
                errors = {kind: str(message) for kind, message in (exc.fields or {}).items()}
            else:
                transactions.commit()
                flash(_("Préférences de notification enregistrées."), "success")
                return redirect(url_for("feeds.preferences"))
        modes.update(changes)
        status = 422
    return render_template("feeds/preferences.html", form=form, modes=modes, errors=errors,
                           kinds=list(NotificationKind), mode_order=list(EmailMode)), status


# --- Suggest ("Proposer à…") --------------------------------------------------------------------

def _suggested_item() -> tuple[str, Publication | Document]:
    """The item named by ?publication=<id> or ?document=<id>, if the user may read it (else 404)."""
    for kind in ("publication", "document"):
        raw = request.values.get(kind)
        if raw is not None:
            item_id = form_id(raw)
            if item_id is None:
                raise NotFound()
            return kind, suggestions.get_item(current_user, kind, item_id)
    raise NotFound()


def _ids(values: list[str]) -> list[int] | list[str]:
    """Ids as ints; a list with anything else is passed on as it came, for the service to refuse."""
    values = [v for v in values if v != ""]
    ids = [id_from_text(v) for v in values]
    return values if None in ids else ids


@dataclass
class Candidate:
    """A person in the picker, and whether they may read the item (else they cannot receive it)."""

    user: User
    may_read: bool


def _candidates(item, people: list[User]) -> list[Candidate]:
    return [Candidate(p, p.is_active and permissions.can(p, "read", item)) for p in people]


def _picker(item) -> dict:
    """The state of the people picker from the request: chosen people, search and its results."""
    chosen_ids = list(dict.fromkeys(i for i in map(form_id, request.values.getlist("users")) if i is not None))
    added, removed = form_id(request.values.get("ajouter")), form_id(request.values.get("retirer"))
    if added is not None and added not in chosen_ids:
        chosen_ids.append(added)
    if removed is not None:
        chosen_ids = [i for i in chosen_ids if i != removed]
    people = suggestions.visible_people(current_user, chosen_ids)
    chosen = _candidates(item, [people[i] for i in chosen_ids if i in people])
    # Once someone is added, the search starts afresh for the next one.
    query = "" if added is not None else request.values.get("q", "").strip()[:100]
    results: list[Candidate] = []
    if query:
        found, _total = accounts.search_people(current_user, query, limit=SEARCH_LIMIT + len(chosen_ids) + 1)
        skip = set(chosen_ids) | {current_user.id}
        results = _candidates(item, [p for p in found if p.id not in skip][:SEARCH_LIMIT])
    announce = ""
    if added in people:
        announce = _("%(name)s ajouté(e) aux destinataires.", name=people[added].name)
    elif removed is not None:
        announce = _("Destinataire retiré.")
    return {"chosen": chosen, "query": query, "results": results, "announce": announce}


def _suggestable_communities() -> tuple[list[Community], set[int]]:
    """The communities the user may suggest to: those they may see (for a partner, exactly their own),
    and which of them they belong to."""
    return suggestions.suggestable_communities(current_user)


@bp.route("/proposer/personnes")
def suggest_people():
    """The people picker alone (htmx): search the directory, add or remove a recipient."""
    kind, item = _suggested_item()
    return render_template("feeds/_notifications_suggest.html", item=item, item_kind=kind, **_picker(item))


@bp.route("/proposer", methods=["GET", "POST"])
def suggest():
    kind, item = _suggested_item()
    form = SuggestForm()
    status = 200
    picker_action = any(name in request.form for name in ("ajouter", "retirer", "chercher"))
    if request.method == "POST" and not picker_action:
        if form.validate_on_submit():
            try:
                suggestions.suggest(current_user, item, users=_ids(form.users.data or []),
                                communities=_ids(form.communities.data or []), everyone=form.everyone.data,
                                message=form.message.data or "")
            except DomainError as exc:
                if exc.status in (401, 404):
                    raise
                transactions.rollback()
                apply_errors(form, exc)
            else:
                transactions.commit()
                flash(_("« %(title)s » a été proposé.", title=notifications.item_title(item)), "success")
                return redirect(notifications.item_url(item, external=False))
        status = 422
    spaces, mine = _suggestable_communities()
    checked = {i for i in map(form_id, form.communities.data or []) if i is not None}
    return render_template("feeds/suggest.html", form=form, item=item, item_kind=kind,
                           title=notifications.item_title(item), item_url=notifications.item_url(item, external=False),
                           spaces=spaces, mine=mine, checked=checked, **_picker(item)), status
