"""Action plans of a space: plans, objectives, actions with owners, dates, progress and indicators."""

from flask import Flask

from rse import items


def init_app(app: Flask) -> None:
    from rse import slots as page_slots

    from . import access, demo, exchange_views, follow, follow_views, indexing, service
    from . import models as _models
    from .cli import register_cli
    from .slots import community_link, home_actions
    from .views import bp

    access.register()
    # An action is an item: comments, notifications and stream lines point at it (its `action_id`).
    items.register(items.ItemKind(
        name="action", model=_models.Action, column="action_id", endpoint="plans.action",
        get=service.get_action, title=lambda action: action.title, stream_kind=lambda _action: "action",
        group=lambda action: items.Group(action.objective.plan.title, "plans.show", "plan_id", action.plan_id)))
    indexing.register()
    follow.connect()
    register_cli(app)
    demo.init_app(app)
    app.register_blueprint(bp)
    app.register_blueprint(exchange_views.bp)
    follow_views.init_app(app)
    page_slots.register(app, "home.top", home_actions)
    page_slots.register(app, "community.actions", community_link)
