"""Settings from RSE_* environment variables, with the embedded defaults."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise RuntimeError(f"{name} must be a whole number, not {raw!r}") from exc


def _secret_key(env: Mapping[str, str], instance_path: Path) -> str:
    """The session key: from RSE_SECRET_KEY, or generated once into the instance folder."""
    if env.get("RSE_SECRET_KEY"):
        return env["RSE_SECRET_KEY"]
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # Created with 0600 so that the key is readable by the service account only.
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


# Seconds a new PostgreSQL connection may take: a server that is unreachable (a host gone, a network
# cut) fails the request within seconds, rather than after the system's TCP timeout (minutes).
DATABASE_CONNECT_TIMEOUT = 5


def _engine_options(database_url: str) -> dict[str, Any]:
    options: dict[str, Any] = {"pool_pre_ping": True}  # a connection the server dropped is replaced, not used
    if database_url.startswith("postgresql") and "connect_timeout=" not in database_url:
        options["connect_args"] = {"connect_timeout": DATABASE_CONNECT_TIMEOUT}
    return options


def load_config(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Build the Flask configuration from the environment (RSE_* variables only)."""
    env = os.environ if env is None else env
    instance_path = Path(env.get("RSE_INSTANCE_PATH") or "instance").resolve()
    base_url = (env.get("RSE_BASE_URL") or "http://127.0.0.1:5000").rstrip("/")
    https = base_url.startswith("https://")
    database_url = env.get("RSE_DATABASE_URL") or f"sqlite:///{instance_path / 'rse.db'}"
    cache_url = (env.get("RSE_CACHE_URL") or "").strip()
    return {
        "INSTANCE_PATH": str(instance_path),
        "SECRET_KEY": _secret_key(env, instance_path),
        "BASE_URL": base_url,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(database_url),
        "STORAGE_URL": env.get("RSE_STORAGE_URL") or f"file://{instance_path / 'storage'}",
        # The engine: sqlite:///path (embedded FTS5), http(s)://host:9200 (Elasticsearch 8), or
        # opensearch://host:9200 / opensearch+https://host:443 (OpenSearch 3; user:password@ in the
        # URL for basic auth).
        "SEARCH_URL": env.get("RSE_SEARCH_URL") or f"sqlite:///{instance_path / 'search.db'}",
        # Elasticsearch, OpenSearch: the alias searched (each full reindex builds `<name>-<time>` behind it).
        "SEARCH_INDEX": env.get("RSE_SEARCH_INDEX") or "maillage",
        # Index changes right after each commit; off where a `flask search sync --watch` worker runs.
        "SEARCH_SYNC_INLINE": _bool(env.get("RSE_SEARCH_SYNC_INLINE"), True),
        "MAIL_URL": env.get("RSE_MAIL_URL") or f"file://{instance_path / 'outbox'}",
        "MAIL_FROM": env.get("RSE_MAIL_FROM") or "Maillage <ne-pas-repondre@maillage.localhost>",
        # Addresses in these domains become staff accounts; every other one a partner.
        "INTERNAL_DOMAINS": tuple(
            d.strip().lower().lstrip("@")
            for d in (env.get("RSE_INTERNAL_DOMAINS") or "ght-exemple.fr").split(",")
            if d.strip()
        ),
        # Emails (notifications, digest) show a short excerpt of the content, or titles and links
        # only; a sensitive community's content never leaves but as titles.
        "MAIL_EXCERPTS": _bool(env.get("RSE_MAIL_EXCERPTS"), False),
        # The weekly digest goes out on this weekday (0 = Monday) at this local hour; daily ones every day.
        "DIGEST_WEEKDAY": _int(env, "RSE_DIGEST_WEEKDAY", 0),
        "DIGEST_HOUR": _int(env, "RSE_DIGEST_HOUR", 7),
        "INVITATION_TTL_DAYS": _int(env, "RSE_INVITATION_TTL_DAYS", 7),
        "PASSWORD_RESET_TTL_MINUTES": _int(env, "RSE_PASSWORD_RESET_TTL_MINUTES", 60),
        "API_TOKEN_TTL_HOURS": _int(env, "RSE_API_TOKEN_TTL_HOURS", 24),
        "LOGIN_MAX_FAILURES": _int(env, "RSE_LOGIN_MAX_FAILURES", 5),
        "LOGIN_FAILURE_WINDOW_MINUTES": _int(env, "RSE_LOGIN_FAILURE_WINDOW_MINUTES", 15),
        "PROXY_COUNT": _int(env, "RSE_PROXY_COUNT", 0),
        # Rendered stream cards and the like (rse/cache.py): empty in this process, redis://host:6379/0
        # shared by every worker, none for nothing kept.
        "CACHE_URL": cache_url,
        # The limiter counts in the cache's Redis when there is one (shared by every worker), else
        # per process; while its storage does not answer it counts in memory rather than refuse.
        "RATELIMIT_STORAGE_URI": env.get("RSE_RATELIMIT_STORAGE_URL")
        or (cache_url if cache_url.startswith(("redis://", "rediss://")) else "memory://"),
        "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_ENABLED": _bool(env.get("RSE_RATELIMIT_ENABLED"), True),
        "RATELIMIT_HEADERS_ENABLED": True,
        "MAX_CONTENT_LENGTH": _int(env, "RSE_MAX_REQUEST_BYTES", 16 * 1024 * 1024),
        "MAX_UPLOAD_BYTES": _int(env, "RSE_MAX_UPLOAD_BYTES", 1024 * 1024 * 1024),
        "UPLOAD_TMP": env.get("RSE_UPLOAD_TMP") or str(instance_path / "tmp"),
        "TRASH_RETENTION_DAYS": _int(env, "RSE_TRASH_RETENTION_DAYS", 90),
        # Text extraction and thumbnails right after the upload commits; off where the
        # scheduler runs `flask documents process` (compose.yaml).
        "PROCESS_INLINE": _bool(env.get("RSE_PROCESS_INLINE"), True),
        "SESSION_COOKIE_NAME": "maillage_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": https,
        "PREFERRED_URL_SCHEME": "https" if https else "http",
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "fr",
        "BABEL_DEFAULT_TIMEZONE": env.get("RSE_TIMEZONE") or "Europe/Paris",
        "LANGUAGES": ("fr", "en"),
        "DEMO_ADMIN_EMAIL": env.get("RSE_DEMO_ADMIN_EMAIL") or "admin@ght-exemple.fr",
    }
