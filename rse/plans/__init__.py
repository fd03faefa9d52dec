"""Action plans of a space: plans, objectives, actions with owners, dates, progress and indicators."""

from flask import Flask


def init_app(app: Flask) -> None:
    from . import access, demo
    from . import models as _models  # noqa: F401  (the tables, for migrations and create_all)

    access.register()
    demo.init_app(app)
