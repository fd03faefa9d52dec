"""Feeds: publications, wiki pages, comments, likes, questions and their good answers, pins,
suggestions, follows, notifications, and the streams that show them."""

from flask import Flask

from rse import signals


def _on_version_added(document, *, version, actor, **_extra) -> None:
    from .service import document_version_added

    document_version_added(document, version, actor)


def _on_document_changed(document, **_extra) -> None:
    from .service import document_changed

    document_changed(document)


def init_app(app: Flask) -> None:
    from . import access, demo  # noqa: F401  (registers the rules for publications and comments)
    from .cli import register_cli
    from .notification_views import register_notification_slots  # (its routes join the blueprint)
    from .stream_views import register_slots
    from .views import bp

    from .indexing import register as register_search_sources

    register_search_sources()
    signals.document_version_added.connect(_on_version_added)
    signals.document_changed.connect(_on_document_changed)
    demo.init_app(app)
    app.register_blueprint(bp)
    register_slots(app)
    register_notification_slots(app)
    register_cli(app)
