"""Documents: folders, versioned documents, content-addressed blobs in storage, previews."""

from flask import Flask


def init_app(app: Flask) -> None:
    from . import access
    from .blobs import init_storage
    from .cli import documents_cli
    from .indexing import register as register_search_sources
    from .views import bp

    access.register()
    register_search_sources()
    init_storage(app)
    app.register_blueprint(bp)
    app.cli.add_command(documents_cli)
