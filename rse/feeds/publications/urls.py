"""The URL map of publications: each page and button, with the view that answers it."""

from flask import Blueprint

from . import views

bp = Blueprint("publications", __name__)

bp.add_url_rule("/espaces/<int:community_id>/publier", view_func=views.publish, methods=["GET", "POST"])
bp.add_url_rule("/publications/<int:publication_id>", view_func=views.show)
bp.add_url_rule("/publications/<int:publication_id>/modifier", view_func=views.edit, methods=["GET", "POST"])
bp.add_url_rule("/publications/<int:publication_id>/supprimer", view_func=views.delete, methods=["POST"])
bp.add_url_rule("/publications/<int:publication_id>/epingler", view_func=views.pin, methods=["POST"])
bp.add_url_rule("/publications/<int:publication_id>/desepingler", view_func=views.unpin, methods=["POST"])
bp.add_url_rule("/publications/<int:publication_id>/historique", view_func=views.history)
bp.add_url_rule("/publications/<int:publication_id>/diff", view_func=views.diff)
bp.add_url_rule("/publications/<int:publication_id>/versions/<int:number>", view_func=views.version)
bp.add_url_rule("/publications/<int:publication_id>/versions/<int:number>/restaurer",
                view_func=views.restore_version, methods=["POST"])
