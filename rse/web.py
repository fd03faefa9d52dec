"""What every page shares: security and caching headers, the web app manifest, template globals,
htmx requests and safe return paths."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from flask import Flask, Response, current_app, g, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import text

from rse.database import db

log = logging.getLogger(__name__)

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "frame-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'self'",
])


# What a browser or proxy may keep, decided here for every answer rather than route by route.
# Pages, API answers, redirects and errors are never stored: they name private things, and pages
# carry forms with a CSRF token. Private bytes served with a validator (document versions,
# thumbnails, profile photos: each route sets an ETag) may stay in the browser's own cache but
# are revalidated on every use: the permission check runs again (a revoked reader gets a 404, not
# a copy), and an unchanged file costs a 304. Static files are public and keep Flask's caching.
NOT_STORED = "no-store"
REVALIDATED = "private, no-cache"


IMMUTABLE = "public, max-age=31536000, immutable"


def cache_control(response: Response) -> str | None:
    """The Cache-Control this response gets, or None to leave it as is (static files: revalidated,
    unless asked for by their fingerprint, `static_url`, which never changes what it names)."""
    if request.endpoint == "static" or (request.endpoint or "").endswith(".static"):
        return IMMUTABLE if request.args.get("v") and response.status_code == 200 else None
    return REVALIDATED if response.headers.get("ETag") else NOT_STORED


# A path of this site: no backslash, space or control character (browsers read "/\\evil" or
# "/\t/evil" as another site), and not "//host".
_LOCAL_PATH = re.compile(r"/[^\s\\\x00-\x1f\x7f]{0,1999}")


def is_htmx() -> bool:
    """The request comes from htmx: it wants a fragment of a page, not a whole one."""
    return request.headers.get("HX-Request") == "true"


def local_path(target: str | None) -> str | None:
    """`target` if it is a path of this site (safe to send the browser back to), else None."""
    if target and _LOCAL_PATH.fullmatch(target) and not target.startswith("//"):
        return target
    return None


def next_url(default: str) -> str:
    """Where a button's form says to come back to (its `next` field), if a path of this site."""
    return local_path(request.form.get("next")) or default


def current_path() -> str:
    """The page being shown (for an htmx fragment: the page that asked for it), as a local path."""
    current = request.headers.get("HX-Current-URL") if is_htmx() else None
    if current:
        parts = urlsplit(current)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    query = request.query_string.decode("latin-1")
    return quote(request.script_root + request.path) + (f"?{query}" if query else "")


def static_url(filename: str) -> str:
    """A static file's URL with its fingerprint (`?v=`: the start of its sha256), which changes with
    its content: browsers keep it a year and never ask again. Each file is read once per process
    (on every call while debugging, when files change under a running server)."""
    versions: dict[str, str] = current_app.extensions.setdefault("rse_static_versions", {})
    version = None if current_app.debug else versions.get(filename)
    if version is None:
        path = Path(current_app.static_folder or "static") / filename
        version = versions[filename] = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    return url_for("static", filename=filename, v=version)


def icon_sprite() -> str:
    """The URL of the icons' sprite (static/img/icons.svg), built once per request: a page draws
    hundreds of icons."""
    if "icon_sprite" not in g:
        g.icon_sprite = static_url("img/icons.svg")
    return g.icon_sprite


_SLOT = 987_654_321


def url_maker(endpoint: str, key: str, **values: Any) -> Callable[[int], str]:
    """`url_for(endpoint, key=n, **values)` for many ids n, the rule matched once: a page of a hundred
    rows wants a hundred links of one shape. `url_maker("plans.action", "action_id")(7)` is
    `url_for("plans.action", action_id=7)`."""
    values[key] = _SLOT
    head, _slot, tail = url_for(endpoint, **values).partition(str(_SLOT))
    return lambda value: f"{head}{int(value)}{tail}"


# Seconds /healthz waits for its dependencies, all asked at once (compose's healthcheck gives up after 5).
HEALTH_TIMEOUT = 2.0

HealthCheck = Callable[[], bool | None]


def register_health_check(app: Flask, name: str, check: HealthCheck) -> None:
    """Have /healthz report on the dependency `name`: `check()` raises or returns False when it does
    not answer. It runs in a thread of its own, in an app context, bounded by HEALTH_TIMEOUT."""
    app.extensions.setdefault("rse_health_checks", {})[name] = check


def _database_answers() -> None:
    with db.engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def _answers(app: Flask, name: str, check: HealthCheck) -> bool:
    try:
        with app.app_context():
            if check() is not False:
                return True
        log.warning("health check: %s does not answer", name)
    except Exception as error:  # noqa: BLE001 - any failure of a dependency is "down", said in one line
        log.warning("health check: %s does not answer: %s", name, str(error).strip().partition("\n")[0])
    return False


def check_health(app: Flask, timeout: float = HEALTH_TIMEOUT) -> dict[str, bool]:
    """Whether each dependency answers, the database first: asked at once, so that the answer comes
    within `timeout` even when some hang (a frozen server); one still waiting then counts as down."""
    checks = {"database": _database_answers, **app.extensions.get("rse_health_checks", {})}
    pool = ThreadPoolExecutor(max_workers=len(checks), thread_name_prefix="healthz")
    futures = {name: pool.submit(_answers, app, name, check) for name, check in checks.items()}
    done, _waiting = wait(futures.values(), timeout=timeout)
    pool.shutdown(wait=False)  # a check still waiting ends on its own (each backend has its timeouts)
    for name, future in futures.items():
        if future not in done:
            log.warning("health check: %s did not answer within %.0f s", name, timeout)
    return {name: future in done and future.result() for name, future in futures.items()}


def init_app(app: Flask) -> None:
    app.add_template_global(current_path)
    app.add_template_global(url_maker)
    app.add_template_global(static_url)
    app.add_template_global(icon_sprite)

    @app.after_request
    def security_headers(response):
        policy = cache_control(response)
        if policy is not None:
            response.headers["Cache-Control"] = policy
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if current_app.config["BASE_URL"].startswith("https://"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response

    @app.route("/healthz")
    def healthz():
        """For load balancers and the container healthcheck: which dependency answers. Without the
        database nothing works: 503. Without another the site works, each page that needs it saying
        so: 200, "degraded", naming it."""
        answers = check_health(app)
        down = [name for name, up in answers.items() if not up]
        status = "unavailable" if "database" in down else "degraded" if down else "ok"
        body = {"status": status, "down": down,
                "dependencies": {name: "ok" if up else "down" for name, up in answers.items()}}
        return jsonify(body), 503 if "database" in down else 200

    @app.route("/favicon.ico")
    def favicon():
        """Browsers ask for it on pages that name no icon (the digest preview, a file opened raw)."""
        return redirect(url_for("static", filename="img/icon.svg"), 301)

    @app.route("/manifest.webmanifest")
    def manifest():
        response = jsonify({
            "name": "Maillage",
            "short_name": "Maillage",
            "description": _("Réseau social et espace documentaire du groupement hospitalier"),
            "lang": "fr",
            "start_url": url_for("communities.home"),
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": "#0b5cad",
            "icons": [{"src": url_for("static", filename="img/icon.svg"), "sizes": "any", "type": "image/svg+xml"}],
        })
        response.mimetype = "application/manifest+json"
        return response
