"""The URL map of the social layer: each page and button, with the view that answers it."""

from flask import Blueprint

from . import views

bp = Blueprint("social", __name__)

bp.add_url_rule("/publications/<int:publication_id>/jaime", view_func=views.likes, methods=["GET", "POST"])
bp.add_url_rule("/publications/<int:publication_id>/jaime/retirer", view_func=views.unlike, methods=["POST"])
bp.add_url_rule("/publications/<int:publication_id>/meme-question", view_func=views.same_question, methods=["POST"])
bp.add_url_rule("/publications/<int:publication_id>/meme-question/retirer", view_func=views.release_same_question,
                methods=["POST"])
bp.add_url_rule("/<any(publications, documents, actions):kind>/<int:item_id>/commentaires", view_func=views.add_comment,
                methods=["POST"])
bp.add_url_rule("/commentaires/<int:comment_id>/modifier", view_func=views.edit_comment, methods=["GET", "POST"])
bp.add_url_rule("/commentaires/<int:comment_id>/supprimer", view_func=views.delete_comment, methods=["POST"])
bp.add_url_rule("/commentaires/<int:comment_id>/bonne-reponse", view_func=views.accept_answer, methods=["POST"])
bp.add_url_rule("/espaces/<int:community_id>/faq", view_func=views.faq)
bp.add_url_rule("/suivre", view_func=views.follow, methods=["POST"])
bp.add_url_rule("/proposer", view_func=views.suggest, methods=["GET", "POST"])
bp.add_url_rule("/proposer/personnes", view_func=views.suggest_people)
