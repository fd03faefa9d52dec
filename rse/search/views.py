"""The search page, its "Voir plus" fragments, and the autocomplete under the header's box."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from rse import slots
from rse.errors import DomainError
from rse.indexing import KINDS
from rse.web import is_htmx

from . import service
from .engine import Completions

bp = Blueprint("search", __name__)

KIND_LABELS = {
    "publication": _l("Publications"),
    "wiki": _l("Wiki"),
    "comment": _l("Commentaires"),
    "document": _l("Documents"),
    "action": _l("Actions"),
    "community": _l("Espaces"),
    "person": _l("Personnes"),
}
assert set(KIND_LABELS) == set(KINDS)


@bp.route("/recherche")
@login_required
def page():
    args = request.args
    context: dict[str, Any] = {"kind_labels": KIND_LABELS, "kinds": KINDS, "args": args, "page": None, "error": None,
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
        context["author"] = service.visible_person(current_user, context["params"].author_id)
    if is_htmx() and args.get("cursor") and context["page"] is not None:
        return render_template("search/_results.html", **context), status
    context["communities"] = service.filter_communities(current_user)
    return render_template("search/page.html", **context), status


@bp.route("/recherche/suggestions")
@login_required
def suggestions():
    q = request.args.get("q", "")
    try:
        found = service.autocomplete(current_user, q)
        items = service.suggested_items(current_user, q)
        error = None
    except DomainError as exc:
        found, items, error = Completions(), [], exc
    return render_template("search/_suggestions.html", found=found, items=items, q=q, error=error)


def _header_box(**_context) -> str:
    return render_template("search/_box.html")


def register_slots(app: Flask) -> None:
    slots.register(app, "header.search", _header_box)
