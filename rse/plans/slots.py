"""What action plans add to lower packages' pages: « Mes actions » on the home page, and the way to a
space's plans from the space's page."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from rse.i18n import local_today

from . import display, service


def home_actions(**_context) -> str:
    """« Mes actions » near the top of the home page: the open actions the person owns, late ones first."""
    actions = service.my_actions(current_user._get_current_object())
    if not actions:
        return ""
    return render_template("plans/_my_actions.html", actions=actions, today=local_today(),
                           labels=display.STATUS_LABELS)


def community_link(community, **_context) -> str:
    """The « Plans d'actions » button among the space's own (its readers only: the page checks it too)."""
    return render_template("plans/_community_link.html", community=community)
