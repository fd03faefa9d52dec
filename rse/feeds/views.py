"""Pages of the feeds (placeholder until the web layer lands)."""

from flask import Blueprint, Flask

bp = Blueprint("feeds", __name__)


@bp.route("/publications/<int:publication_id>")
def show(publication_id: int):
    return ""


@bp.route("/notifications/preferences")
def preferences():
    return ""


def register_slots(app: Flask) -> None:
    pass
