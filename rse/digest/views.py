"""Digest pages: the preview, the frequency setting, the one-click unsubscribe, the administrators' list."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from rse import transactions
from rse.dbtypes import utcnow
from rse.extensions import csrf
from rse.forms import ActionForm, run_and_flash

from . import periods, schedule, service
from .models import Frequency
from .rendering import render
from .selection import select_digests

bp = Blueprint("digest", __name__)

# The email is styled inline (what mail clients understand), which the site's policy forbids. The
# preview allows inline styles and nothing else: no script, no form, no other origin.
PREVIEW_POLICY = "; ".join([
    "default-src 'none'",
    "style-src 'unsafe-inline'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'self'",
])


@bp.route("/digest/preview")
def preview():
    """This week's (or today's) digest as it would be sent now; nothing is recorded."""
    user = current_user._get_current_object()
    chosen = service.frequency(user)
    tz = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    period = periods.current(Frequency.DAILY if chosen == Frequency.DAILY else Frequency.WEEKLY, utcnow(), tz)
    digest = select_digests([user], period, utcnow())[user.id]
    if digest.is_empty:
        return render_template("digest/preview_empty.html", frequency=chosen)
    response = current_app.make_response(render(digest).html)
    response.headers["Content-Security-Policy"] = PREVIEW_POLICY
    return response


@bp.route("/profil/lettre", methods=["GET", "POST"])
def settings():
    form = ActionForm()
    user = current_user._get_current_object()
    if request.method == "POST":
        if form.validate_on_submit() and run_and_flash(
                lambda: service.set_frequency(user, user, request.form.get("frequency")),
                success=_("Votre choix de résumé est enregistré.")) is not None:
            return redirect(url_for("digest.settings"))
        if form.errors:
            flash(_("Le formulaire a expiré. Rechargez la page et réessayez."), "error")
    return render_template("digest/settings.html", form=form, frequency=service.frequency(user))


@bp.route("/digest/desabonnement/<token>", methods=["GET", "POST"])
@csrf.exempt  # mail clients POST here (RFC 8058) with no session and no form token: the signed token is the proof
def unsubscribe(token: str):
    """GET: a page with a button (link scanners must not unsubscribe anyone). POST: unsubscribe."""
    user = service.user_from_token(token)
    if request.method == "GET":
        return render_template("digest/unsubscribe.html", token=token, user=user, done=False)
    service.unsubscribe(token)
    transactions.commit()
    return render_template("digest/unsubscribe.html", token=token, user=user, done=True)


@bp.route("/admin/lettre")
def admin():
    tz, now = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"]), utcnow()
    upcoming = schedule.next_sends(current_user, now, tz, hour=current_app.config["DIGEST_HOUR"],
                                   weekday=current_app.config["DIGEST_WEEKDAY"])
    return render_template("digest/admin.html", runs=service.summary(current_user, now, tz),
                           rows=service.problems(current_user), upcoming=upcoming)
