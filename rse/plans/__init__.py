"""Action plans of a space: plans, objectives, actions with owners, dates, progress and indicators."""

from flask import Flask


def init_app(app: Flask) -> None:
<<<<<<< HEAD
    from . import access, indexing
    from . import models as _models  # noqa: F401  (the tables, for migrations and create_all)

    access.register()
    indexing.register()
=======
    from . import access, exchange_views
    from . import models as _models  # noqa: F401  (the tables, for migrations and create_all)

    access.register()
    app.register_blueprint(exchange_views.bp)
>>>>>>> i18-exchange
