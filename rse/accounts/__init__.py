"""Accounts: users, roles, login, passwords, profiles, directory, API tokens."""

from flask import Flask

from rse.extensions import db, login_manager


@login_manager.user_loader
def load_user(session_id: str):
    from .models import User

    user_id, _sep, stamp = (session_id or "").partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    # A changed password or a deactivation rotates the stamp and ends every other session.
    if user is None or user.session_stamp != stamp or not user.is_active:
        return None
    return user


def init_app(app: Flask) -> None:
    from . import access  # noqa: F401  (registers the rules for the site)
    from .cli import rse_cli
    from .views import bp

    app.register_blueprint(bp)
    app.cli.add_command(rse_cli)
