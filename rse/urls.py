"""Absolute links for emails, built from RSE_BASE_URL (no request needed)."""

from urllib.parse import urlsplit

from flask import current_app
from werkzeug.routing import MapAdapter


def _adapter() -> MapAdapter:
    """The URL map bound to the base URL, made once per app and base URL (a digest run builds
    tens of links per email)."""
    base_url = current_app.config["BASE_URL"]
    cached = current_app.extensions.get("rse_url_adapter")
    if cached is None or cached[0] != base_url:
        base = urlsplit(base_url)
        cached = (base_url, current_app.url_map.bind(base.netloc, script_name=base.path or "/",
                                                     url_scheme=base.scheme))
        current_app.extensions["rse_url_adapter"] = cached
    return cached[1]


def external_url(endpoint: str, **values) -> str:
    return _adapter().build(endpoint, values, force_external=True)


def internal_path(endpoint: str, **values) -> str:
    """The path of a page (under the base URL's prefix), built with or without a request."""
    return _adapter().build(endpoint, values)
