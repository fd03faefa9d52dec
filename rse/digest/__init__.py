"""The personal digest: selection, ranking, rendering and sending of one email per person and period."""

from flask import Flask

from rse import signals


def _on_item_viewed(item, *, user, **_extra) -> None:
    from .service import record_view

    record_view(item, user)


def init_app(app: Flask) -> None:
    from . import models  # noqa: F401  (the tables, for migrations)
    from .cli import register_cli
    from .views import bp

    signals.item_viewed.connect(_on_item_viewed)
    app.register_blueprint(bp)
    register_cli(app)
