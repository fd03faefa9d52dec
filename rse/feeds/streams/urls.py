"""The URL map of the streams: each page, with the view that answers it."""

from flask import Blueprint

from . import views

bp = Blueprint("streams", __name__)

bp.add_url_rule("/fil", view_func=views.home_stream)
bp.add_url_rule("/espaces/<int:community_id>/fil", view_func=views.community_stream)
bp.add_url_rule("/personnes/<int:user_id>/fil", view_func=views.person_stream)
bp.add_url_rule("/mots-cles/<path:tag>/fil", view_func=views.tag_stream)
bp.add_url_rule("/mots-cles/<path:tag>", view_func=views.tag)
