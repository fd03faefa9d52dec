"""Documents: folders, versioned documents, content-addressed blobs in storage, previews."""

from flask import Flask


def init_app(app: Flask) -> None:
    from rse import items, slots

    from . import access, demo, service
    from .blobs import init_storage
    from .cli import documents_cli
    from .controlled.slots import home_readings
    from .controlled.views import bp as controlled_bp
    from .indexing import register as register_search_sources
    from .models import Document
    from .views import bp

    access.register()
    items.register(items.ItemKind(
        name="document", model=Document, column="document_id", endpoint="documents.show",
        get=service.get_document, title=lambda document: document.title, stream_kind=lambda _document: "document"))
    register_search_sources()
    demo.init_app(app)
    init_storage(app)
    app.register_blueprint(bp)
    app.register_blueprint(controlled_bp)
    app.cli.add_command(documents_cli)
    slots.register(app, "home.top", home_readings)
