"""Search: one box over everything a user may read, on SQLite FTS5, Elasticsearch or OpenSearch.

Features hand their items to search through `rse.indexing`; this package knows none of
them. See `indexer.py` for how changes reach the index and `service.py` for queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Flask

from .engine import Engine, SearchUnavailable

OPENSEARCH_SCHEMES = {"opensearch": "http", "opensearch+https": "https"}


def engine_from_url(url: str, index: str = "maillage") -> Engine:
    """`sqlite:///path` → the embedded FTS5 engine; `http(s)://host:9200` → Elasticsearch;
    `opensearch://host:9200` (HTTP) or `opensearch+https://host` (TLS) → OpenSearch.
    A user and password in the URL are sent as basic authentication."""
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        from .fts import FtsEngine

        path = url.removeprefix("sqlite:///")
        if not path or path == url:
            raise ValueError(f"RSE_SEARCH_URL: expected sqlite:///path, got {url!r}")
        return FtsEngine(path)
    if scheme in {"http", "https"}:
        from .elastic import ElasticEngine

        return ElasticEngine(_server_url(url, scheme), index=index)
    if scheme in OPENSEARCH_SCHEMES:
        from .elastic import OpenSearchEngine

        return OpenSearchEngine(_server_url(url, OPENSEARCH_SCHEMES[scheme]), index=index)
    raise ValueError(f"RSE_SEARCH_URL: unknown scheme {scheme!r} (sqlite:///…, http(s)://… for Elasticsearch, "
                     "opensearch://… or opensearch+https://… for OpenSearch)")


def _server_url(url: str, scheme: str) -> str:
    """The URL with `scheme` and a port: the clients want one (the server's own 9200, or HTTPS's
    443 behind a proxy)."""
    parts = urlsplit(url)
    # The messages do not repeat the URL: it may carry a password.
    if not parts.hostname:
        raise ValueError(f"RSE_SEARCH_URL: no host after {parts.scheme}://")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"RSE_SEARCH_URL: the port of {parts.hostname} is not a port number") from None
    netloc = parts.netloc if port is not None else f"{parts.netloc}:{9200 if scheme == 'http' else 443}"
    return parts._replace(scheme=scheme, netloc=netloc).geturl()


@dataclass
class SearchState:
    engine: Engine
    ready: bool = False  # its index exists (checked once per process)
    # Embedded mode: whether the outbox may hold changes the engine lacks (a sync failed; unknown at
    # start), and when this process may next try to catch up (time.monotonic(); indexer.catch_up_after).
    behind: bool = True
    next_catch_up: float = 0.0


def init_app(app: Flask) -> None:
    from rse.web import register_health_check

    from . import indexer
    from .cli import search_cli
    from .views import bp, register_slots

    app.extensions["rse_search"] = SearchState(engine_from_url(app.config["SEARCH_URL"], app.config["SEARCH_INDEX"]))
    register_health_check(app, "search", lambda: app.extensions["rse_search"].engine.ping())
    indexer.install_session_hooks()
    app.after_request(indexer.catch_up_after)
    app.register_blueprint(bp)
    register_slots(app)
    app.cli.add_command(search_cli)


__all__ = ["SearchUnavailable", "engine_from_url", "init_app"]
