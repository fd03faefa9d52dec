"""The URL map of notifications: each page and button, with the view that answers it."""

from flask import Blueprint

from . import views

bp = Blueprint("notifications", __name__)

bp.add_url_rule("/notifications", view_func=views.index)
bp.add_url_rule("/notifications/<int:notification_id>", view_func=views.open_notification)
bp.add_url_rule("/notifications/tout-lire", view_func=views.mark_all_read, methods=["POST"])
bp.add_url_rule("/notifications/preferences", view_func=views.preferences, methods=["GET", "POST"])
