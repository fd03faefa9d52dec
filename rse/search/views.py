"""The search page, its "Voir plus" fragments, and the autocomplete under the header's box."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from rse import permissions, slots
from rse.accounts.models import User
from rse.communities.access import visible_communities
from rse.communities.models import Community
from rse.errors import DomainError
from rse.extensions import db
from rse.indexing import KINDS

from . import service
from .engine import Completions

bp = Blueprint("search", __name__)

KIND_LABELS = {
    "publication": _l("Publications"),
    "wiki": _l("Wiki"),
    "comment": _l("Commentaires"),
    "document": _l("Documents"),
    "community": _l("Espaces"),
    "person": _l("Personnes"),
}
assert set(KIND_LABELS) == set(KINDS)


def _is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def _filter_choices() -> dict:
    """The communities the reader may filter on (those whose content they read), by name."""
    from rse.communities.access import readable_community_ids

    communities = db.session.scalars(
        select(Community).where(Community.id.in_(readable_community_ids(current_user._get_current_object())),
                                visible_communities(current_user._get_current_object()))
        .order_by(Community.name)
    ).all()
    return {"communities": communities}


@bp.route("/recherche")
@login_required
def page():
    args = request.args
    context = {"kind_labels": KIND_LABELS, "kinds": KINDS, "args": args, "page": None, "error": None,
               "params": None, "author": None}
    status = 200
    if args.get("q") or args.get("cursor"):
        try:
            params = service.read_params(args)
            context["params"] = params
            context["page"] = service.search(current_user, params)
        except DomainError as exc:
            context["error"] = exc
            status = exc.status
    if context["params"] and context["params"].author_id:
        author = db.session.get(User, context["params"].author_id)
        context["author"] = author if author is not None and permissions.can(current_user, "read", author) else None
    if _is_htmx() and args.get("cursor") and context["page"] is not None:
        return render_template("search/_results.html", **context), status
    context.update(_filter_choices())
    return render_template("search/page.html", **context), status


@bp.route("/recherche/suggestions")
@login_required
def suggestions():
    q = request.args.get("q", "")
    try:
        found = service.autocomplete(current_user, q)
        error = None
    except DomainError as exc:
        found, error = Completions(), exc
    return render_template("search/_suggestions.html", found=found, q=q, error=error)


def _header_box(**_context) -> str:
    return render_template("search/_box.html")


def register_slots(app: Flask) -> None:
    slots.register(app, "header.search", _header_box)
