"""Communities: visibility, memberships and roles, invitations, join requests, quick links."""

from flask import Flask


def init_app(app: Flask) -> None:
    from rse import slots
    from rse.accounts.cli import rse_cli

    from . import access
    from .cli import demo_command
    from .indexing import register as register_search_sources
    from .views import admin_user_spaces_slot, bp

    access.register()
    register_search_sources()
    app.register_blueprint(bp)
    slots.register(app, "admin_user.main", admin_user_spaces_slot)
    rse_cli.add_command(demo_command)
