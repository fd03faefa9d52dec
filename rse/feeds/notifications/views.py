"""Pages of notifications and email preferences, and the bell in every page's header. Their URLs
are in urls.py."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from rse.forms import ActionForm, commit_work, form_id
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

def index():
    unread_only = request.args.get("non_lues") == "1"
    before = form_id(request.args.get("before"))
    rows, more = notifications.list_notifications(current_user, before=before, limit=PAGE_SIZE,
                                                  unread_only=unread_only)
    context = {"lines": notifications.lines(rows), "more": more, "next_before": rows[-1].id if rows else None,
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
    """The old address of the email preferences: they are on the one page of everything that emails
    a person, with the digest (a form posted here is posted there, 307 keeping its method)."""
    return redirect(url_for("digest.settings"), code=307 if request.method == "POST" else 302)
