"""What the documents package adds to lower packages' pages: the home page's readings to confirm."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from . import reading


def home_readings(**_context) -> str:
    """« À lire et confirmer » near the top of the home page, when something is asked of the person."""
    readings = reading.pending_requests(current_user._get_current_object())
    if not readings:
        return ""
    return render_template("documents/_reading_home.html", readings=readings)
