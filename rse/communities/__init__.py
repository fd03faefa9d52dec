"""Communities: visibility, memberships and roles, invitations, join requests, quick links."""

from flask import Flask


def _audit_subjects() -> None:
    """Spaces as the audit log names them (and finds what happened in one)."""
    from flask_babel import lazy_gettext as _l

    from rse import audit
    from rse.urls import internal_path

    from .models import Community

    audit.register_subject(audit.Subject(
        name="community", model=Community, title=lambda community: community.name,
        url=lambda community: internal_path("communities.show", community_id=community.id),
        gone=_l("Espace supprimé")))


def init_app(app: Flask) -> None:
    from rse import slots
    from rse.accounts.cli import rse_cli

    from . import access
    from .cli import demo_command
    from .indexing import register as register_search_sources
    from .views import admin_user_spaces_slot, bp

    access.register()
    _audit_subjects()
    register_search_sources()
    app.register_blueprint(bp)
    slots.register(app, "admin_user.main", admin_user_spaces_slot)
    rse_cli.add_command(demo_command)
