"""Digest pages: the preview, the frequency setting, the one-click unsubscribe, the administrators' list."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from rse import transactions
from rse.dbtypes import utcnow
from rse.extensions import csrf
from rse.feeds.models import EmailMode, NotificationKind
from rse.forms import ActionForm, run_work

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


def _next_digest():
    """This week's (or today's) digest of the signed-in person as it would be sent now; nothing is recorded."""
    user = current_user._get_current_object()
    chosen = service.frequency(user)
    tz = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    period = periods.current(Frequency.DAILY if chosen == Frequency.DAILY else Frequency.WEEKLY, utcnow(), tz)
    return select_digests([user], period, utcnow())[user.id], chosen


@bp.route("/digest/preview")
def preview():
    """The preview inside the site: a banner saying it was not sent, a way back, the email in a frame."""
    digest, chosen = _next_digest()
    if digest.is_empty:
        return render_template("digest/preview_empty.html", frequency=chosen)
    return render_template("digest/preview.html", frequency=chosen, subject=render(digest).subject)


@bp.route("/digest/preview/courriel")
def preview_email():
    """The email itself, as the preview's frame shows it, under a policy of its own (`PREVIEW_POLICY`)."""
    digest, _chosen = _next_digest()
    if digest.is_empty:
        return redirect(url_for("digest.preview"))
    # A link of the email opens in the whole window, not inside the frame.
    html = render(digest).html.replace("<head>", '<head>\n  <base target="_top">', 1)
    response = current_app.make_response(html)
    response.headers["Content-Security-Policy"] = PREVIEW_POLICY
    return response


@bp.route("/profil/lettre", methods=["GET", "POST"])
def settings():
    """Everything that emails a person, on one page: the digest's frequency and, for each kind of
    notification, an email at once, in the digest, or none. A form may carry either part alone."""
    form = ActionForm()
    user = current_user._get_current_object()
    chosen = service.email_settings(user)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        frequency = request.form.get("frequency") if "frequency" in request.form else None
        modes = {kind.value: request.form.get(kind.value) for kind in NotificationKind if kind.value in request.form}
        if form.validate_on_submit():
            _done, refused = run_work(lambda: service.save_email_settings(user, frequency, modes))
            if refused is None:
                flash(_("Vos préférences de courriel sont enregistrées."), "success")
                return redirect(url_for("digest.settings"))
            errors = {field: str(message) for field, message in (refused.fields or {}).items()}
        else:
            flash(_("Le formulaire a expiré. Rechargez la page et réessayez."), "error")
        # Show what was sent, so that a mistake is corrected rather than typed again.
        chosen.modes.update({kind: mode for kind, mode in modes.items() if mode is not None})
        if frequency is not None:
            chosen.frequency = frequency
        status = 422
    return render_template("digest/settings.html", form=form, settings=chosen, errors=errors,
                           kinds=list(NotificationKind), modes=list(EmailMode)), status


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
