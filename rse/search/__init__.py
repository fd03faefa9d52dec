"""Search: one box over everything a user may read, on SQLite FTS5 or Elasticsearch.

Features hand their items to search through `rse.indexing`; this package knows none of
them. See `indexer.py` for how changes reach the index and `service.py` for queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Flask

from .engine import Engine, SearchUnavailable


def engine_from_url(url: str, index: str = "maillage") -> Engine:
    """`sqlite:///path` → the embedded FTS5 engine; `http(s)://host:9200` → Elasticsearch."""
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        from .fts import FtsEngine

        path = url.removeprefix("sqlite:///")
        if not path or path == url:
            raise ValueError(f"RSE_SEARCH_URL: expected sqlite:///path, got {url!r}")
        return FtsEngine(path)
    if scheme in {"http", "https"}:
        from .elastic import ElasticEngine

        parts = urlsplit(url)
        if parts.port is None:  # the client wants one: Elasticsearch's own, or HTTPS's behind a proxy
            url = parts._replace(netloc=f"{parts.netloc}:{9200 if scheme == 'http' else 443}").geturl()
        return ElasticEngine(url, index=index)
    raise ValueError(f"RSE_SEARCH_URL: unknown scheme {scheme!r} (sqlite:///… or http(s)://…)")


@dataclass
class SearchState:
    engine: Engine
    ready: bool = False  # its index exists (checked once per process)


def init_app(app: Flask) -> None:
    from . import indexer
    from .cli import search_cli
    from .views import bp, register_slots

    app.extensions["rse_search"] = SearchState(engine_from_url(app.config["SEARCH_URL"], app.config["SEARCH_INDEX"]))
    indexer.install_session_hooks()
    app.register_blueprint(bp)
    register_slots(app)
    app.cli.add_command(search_cli)


__all__ = ["SearchUnavailable", "engine_from_url", "init_app"]
