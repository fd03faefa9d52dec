"""Action plans of a space: plans, objectives, actions with owners, dates, progress and indicators."""

from flask import Flask

from rse import items


def init_app(app: Flask) -> None:
    from . import access, follow, follow_views, service
    from . import models as _models
    from .cli import register_cli

    access.register()
    # An action is an item: comments, notifications and stream lines point at it (its `action_id`).
    items.register(items.ItemKind(
        name="action", model=_models.Action, column="action_id", endpoint="plans.action",
        get=service.get_action, title=lambda action: action.title, stream_kind=lambda _action: "action"))
    follow.connect()
    register_cli(app)
    follow_views.init_app(app)  # last: it steps aside for the plans' pages registered above
