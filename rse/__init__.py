"""Maillage: the enterprise social network and document workspace of a hospital group."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, redirect, request, url_for
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from rse import security
from rse.config import load_config
from rse.database import db
from rse.dbtypes import MAX_ID
from rse.extensions import babel, csrf, limiter, login_manager, migrate
from rse.uploads import UploadRequest

ROOT = Path(__file__).resolve().parent.parent


def decimal_up_to(limit: int) -> str:
    """A regular expression matching the numbers 1 to `limit` written without leading zeros."""
    digits = str(limit)
    options = [rf"[1-9]\d{{0,{len(digits) - 2}}}"] if len(digits) > 1 else []
    for i, digit in enumerate(digits):
        low, high = (1 if i == 0 else 0), int(digit) - 1
        if high >= low:
            options.append(rf"{digits[:i]}[{low}-{high}]\d{{{len(digits) - i - 1}}}")
    options.append(digits)
    return "(?:" + "|".join(options) + ")"


class BoundedInt(IntegerConverter):
    """`<int:…>` that only matches a number a row id can be (1 to MAX_ID): any other is a plain 404.

    The bound is in the pattern, not only in `max`: Werkzeug checks a rule's methods before its
    converters, so a number refused by `max` would answer 405 to a method the path has elsewhere."""

    regex = decimal_up_to(MAX_ID)

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


# Pages anyone may open; every other page asks for a login first.
PUBLIC_ENDPOINTS = {
    "static", "accounts.login", "accounts.forgot_password", "accounts.reset_password",
    "communities.accept_invitation", "manifest", "favicon", "healthz", "digest.unsubscribe",
}


def create_app(overrides: dict | None = None, *, env: dict | None = None) -> Flask:
    """Build the app from RSE_* variables (`env`, else the process environment) and `overrides`."""
    config = load_config(env)
    if overrides:
        config.update(overrides)
    app = Flask(__name__, instance_path=config["INSTANCE_PATH"], instance_relative_config=False,
                template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"))
    app.config.update(config)
    app.request_class = UploadRequest  # uploads stream to disk, hashed on the way
    # Ids in URLs fit the database's integer: a larger one is a 404, not a database error.
    app.url_map.converters["int"] = BoundedInt
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    security.configure_hasher(app.config.get("ARGON2_PARAMS"))
    register_extensions(app)
    register_security(app)
    register_packages(app)
    check_wiring()
    register_shell(app)
    return app


def register_extensions(app: Flask) -> None:
    from rse import cache, i18n
    from rse.dbtypes import render_alembic_item

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True,
                    render_item=render_alembic_item)
    csrf.init_app(app)
    cache.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, default_translation_directories=str(ROOT / "translations"))
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    # "basic": a phone moving between networks keeps its session; server-side session rows
    # (accounts.UserSession) end sessions on logout, password change and deactivation.
    login_manager.session_protection = "basic"
    i18n.init_app(app)


def register_security(app: Flask) -> None:
    from rse import errors, web

    if app.config["PROXY_COUNT"]:
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)  # type: ignore[method-assign]
    errors.register_error_handlers(app)
    web.init_app(app)

    @app.before_request
    def require_login():
        if request.blueprint == "api" or request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
            return None
        if not current_user.is_authenticated:
            return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
        return None


def register_packages(app: Flask) -> None:
    """Each package wires itself, in dependency order."""
    from rse import accounts, aftercommit, api, audit, communities, digest, documents, feeds, mail, plans, search, slots

    aftercommit.install()
    slots.init_app(app)
    mail.init_app(app)
    audit.init_app(app)
    accounts.init_app(app)
    communities.init_app(app)
    documents.init_app(app)
    feeds.init_app(app)
    plans.init_app(app)
    search.init_app(app)
    digest.init_app(app)
    api.init_app(app)


def check_wiring() -> None:
    """Refuse to start with a gap in what the packages registered (not a LookupError at request time)."""
    from rse import indexing, permissions

    permissions.check_complete()
    indexing.check_complete()


def register_shell(app: Flask) -> None:
    @app.shell_context_processor
    def shell_context():
        from rse.accounts.models import User
        from rse.communities.models import Community, Membership

        return {"db": db, "User": User, "Community": Community, "Membership": Membership}
