"""The URL map of the editor: what its script asks while one writes."""

from flask import Blueprint

from rse.errors import answer_json

from . import views

bp = Blueprint("editor", __name__, url_prefix="/editeur")
answer_json(bp.name)

bp.add_url_rule("/personnes", view_func=views.people)
bp.add_url_rule("/mentions", view_func=views.mention_warnings, methods=["POST"])
bp.add_url_rule("/apercu", view_func=views.preview, methods=["POST"])
bp.add_url_rule("/fichiers", view_func=views.upload, methods=["POST"])
