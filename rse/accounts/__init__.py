"""Accounts: users, roles, login, passwords, profiles, directory, API tokens."""

from flask import Flask, request
from flask_login import current_user

from rse.database import db
from rse.extensions import login_manager


@login_manager.user_loader
def load_user(session_key: str):
    from .service import user_for_session

    # The cookie names a server-side session: logout, a new password or a deactivation deletes it.
    return user_for_session(session_key or "")


def _save_session_seen() -> None:
    """Load the signed-in user before the view and save a refreshed last-seen time on its own,
    so that the view's transaction (or a GET page that never commits) does not carry it."""
    from .models import UserSession

    if request.blueprint == "api" or request.endpoint in {None, "static"}:
        return
    if current_user.is_authenticated and any(isinstance(row, UserSession) for row in db.session.dirty):
        db.session.commit()


def _audit_subjects() -> None:
    """People as the audit log names them: their name and address, linked to their administration page."""
    from flask_babel import lazy_gettext as _l

    from rse import audit
    from rse.urls import internal_path

    from .models import User

    audit.register_subject(audit.Subject(
        name="user", model=User, title=lambda user: user.name, subtitle=lambda user: user.email,
        url=lambda user: internal_path("accounts.admin_user", user_id=user.id), gone=_l("Compte supprimé")))


def init_app(app: Flask) -> None:
    from . import access, service
    from .cli import rse_cli
    from .views import bp

    access.register()
    _audit_subjects()
    app.before_request(_save_session_seen)
    # The phone a page may show of a person (their choice, seen by whoever reads the page).
    app.jinja_env.globals["contact_phone"] = lambda person: service.visible_phone(current_user, person)
    app.register_blueprint(bp)
    app.cli.add_command(rse_cli)
