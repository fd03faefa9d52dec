"""What the page of an action takes from the follow-up: its comments block (a template global, for
the action's page to include)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_login import current_user

from rse import permissions
from rse.feeds.social import comments
from rse.feeds.social.forms import CommentForm
from rse.forms import ActionForm

from .models import Action


def action_comments(action: Action) -> dict[str, Any]:
    """What templates/plans/_action_comments.html shows: the comments the viewer reads, and whether they
    may write one (the space's commenters) or edit and delete each."""
    return {"comments": comments.list_comments(current_user, action),
            "may_comment": permissions.can(current_user, "comment", action),
            "may": lambda action_name, comment: permissions.can(current_user, action_name, comment),
            "comment_form": CommentForm(formdata=None), "action_form": ActionForm()}


def init_app(app: Flask) -> None:
    app.add_template_global(action_comments, "plan_action_comments")
