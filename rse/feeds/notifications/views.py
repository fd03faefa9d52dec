"""Pages of notifications and email preferences, and the bell in every page's header. Their URLs
are in urls.py."""

from __future__ import annotations

from dataclasses import dataclass

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from rse.communities.models import Community
from rse.documents.models import Document
from rse.feeds import markdown
from rse.feeds.models import Comment, EmailMode, Notification, NotificationKind, Publication, Suggestion
from rse.forms import ActionForm, commit_work, form_id, run_work
from rse.web import is_htmx

from . import service as notifications

PAGE_SIZE = 30


# --- The bell -----------------------------------------------------------------------------------

def bell_slot(**_context) -> str:
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


def index():
    unread_only = request.args.get("non_lues") == "1"
    before = form_id(request.args.get("before"))
    rows, more = notifications.list_notifications(current_user, before=before, limit=PAGE_SIZE,
                                                  unread_only=unread_only)
    context = {"lines": _lines(rows), "more": more, "next_before": rows[-1].id if rows else None,
               "unread_only": unread_only, "first_page": before is None}
    if is_htmx() and before is not None:
        return render_template("feeds/_notifications_list.html", **context)
    return render_template("feeds/notifications.html", form=ActionForm(),
                           unread=notifications.unread_count(current_user), **context)


def open_notification(notification_id: int):
    target = commit_work(lambda: notifications.open_notification(current_user, notification_id))
    return redirect(target)


def mark_all_read():
    form = ActionForm()
    if form.validate_on_submit():
        count = commit_work(lambda: notifications.mark_read(current_user))
        if count:
            flash(_("Toutes vos notifications sont marquées comme lues."), "success")
    else:
        flash(_("Le formulaire a expiré. Rechargez la page et réessayez."), "error")
    return redirect(url_for("notifications.index"))


# --- Email preferences --------------------------------------------------------------------------

def preferences():
    form = ActionForm()
    modes = notifications.preferences(current_user)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        changes = {kind.value: request.form.get(kind.value) for kind in NotificationKind if kind.value in request.form}
        if form.validate_on_submit():
            _done, refused = run_work(lambda: notifications.set_preferences(current_user, changes))
            if refused is None:
                flash(_("Préférences de notification enregistrées."), "success")
                return redirect(url_for("notifications.preferences"))
            errors = {kind: str(message) for kind, message in (refused.fields or {}).items()}
        modes.update(changes)
        status = 422
    return render_template("feeds/preferences.html", form=form, modes=modes, errors=errors,
                           kinds=list(NotificationKind), mode_order=list(EmailMode)), status
