"""What the pages of an action take from the follow-up: its comments block (a template global, for
the action's page to include), and a bare page at its address while the plans' pages are not there."""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template
from flask_login import current_user

from rse import permissions
from rse.feeds.social import comments
from rse.feeds.social.forms import CommentForm
from rse.forms import ActionForm

from . import service
from .models import Action


def action_comments(action: Action) -> dict[str, Any]:
    """What templates/plans/_action_comments.html shows: the comments the viewer reads, and whether they
    may write one (the space's commenters) or edit and delete each."""
    return {"comments": comments.list_comments(current_user, action),
            "may_comment": permissions.can(current_user, "comment", action),
            "may": lambda action_name, comment: permissions.can(current_user, action_name, comment),
            "comment_form": CommentForm(formdata=None), "action_form": ActionForm()}


def bare_action_page(action_id: int):
    action = service.get_action(current_user, action_id)
    return render_template("plans/action_bare.html", action=action)


def init_app(app: Flask) -> None:
    app.add_template_global(action_comments, "plan_action_comments")
    # Links to an action (notifications, streams, emails) point at "plans.action": its page, or this
    # bare one until the plans' pages are registered (they take the address as soon as they are).
    if "plans.action" not in app.view_functions:
        app.add_url_rule("/actions/<int:action_id>", endpoint="plans.action", view_func=bare_action_page)
