"""Action plans of a space: plans, objectives, actions with owners, dates, progress and indicators."""

from flask import Flask


def init_app(app: Flask) -> None:
    from rse import slots as page_slots

    from . import access, exchange_views, indexing
    from . import models as _models  # noqa: F401  (the tables, for migrations and create_all)
    from .slots import community_link, home_actions
    from .views import bp

    access.register()
    indexing.register()
    app.register_blueprint(bp)
    app.register_blueprint(exchange_views.bp)
    page_slots.register(app, "home.top", home_actions)
    page_slots.register(app, "community.actions", community_link)
