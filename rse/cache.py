"""The cache: what pages would otherwise compute again for every reader (rendered stream cards),
kept across requests, and across workers when it is Redis.

It is never a source of truth. Every value is derived from the database and stored under a key
made of everything it was derived from (rse/fragments.py), so a change in the database makes a new
key rather than needing anyone to delete the old one, and an entry is never wrong, only unused.
Losing the cache, or its server going down, makes pages slower and loses nothing: a Redis error
is logged, the call answers as if nothing were cached, and Redis is left alone for a few seconds
so that pages do not each wait for its timeout.

`RSE_CACHE_URL`:
- empty: in this process (the embedded default: one worker; at most 20,000 entries, some 50 MB);
- `redis://host:6379/0` (or `rediss://` for TLS): one Redis shared by every worker;
- `none`: nothing kept (to measure pages cold).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import cast

from flask import Flask, current_app

log = logging.getLogger(__name__)

PREFIX = "maillage:"
DEFAULT_TTL = 24 * 3600  # an entry unused for a day goes (Redis), or when the memory cache is full
RETRY_AFTER = 5.0  # seconds Redis is left alone after an error


class Cache:
    """Nothing kept: every read misses."""

    url = "none"

    def get_many(self, keys: list[str]) -> list[str | None]:
        return [None] * len(keys)

    def set_many(self, values: Mapping[str, str], ttl: int = DEFAULT_TTL) -> None:
        return None

    def clear(self) -> None:
        return None

    def ping(self) -> bool:
        """The cache answers (the health check): always, but for Redis."""
        return True


class MemoryCache(Cache):
    """In this process: a bounded LRU (the least recently read entries go first)."""

    url = "memory"

    def __init__(self, max_entries: int = 20_000):
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get_many(self, keys: list[str]) -> list[str | None]:
        now = time.monotonic()
        found: list[str | None] = []
        with self._lock:
            for key in keys:
                entry = self._entries.get(key)
                if entry is None or entry[0] < now:
                    found.append(None)
                    continue
                self._entries.move_to_end(key)
                found.append(entry[1])
        return found

    def set_many(self, values: Mapping[str, str], ttl: int = DEFAULT_TTL) -> None:
        expires = time.monotonic() + ttl
        with self._lock:
            for key, value in values.items():
                self._entries[key] = (expires, value)
                self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class RedisCache(Cache):
    """One Redis for every worker. Errors are logged and answered as misses (see the module)."""

    def __init__(self, url: str, *, timeout: float = 0.25):
        import redis

        self.url = url
        self._errors = (redis.RedisError, OSError)
        self._client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout,
                                            health_check_interval=30)
        self._down_until = 0.0

    def _available(self) -> bool:
        return time.monotonic() >= self._down_until

    def _failed(self, action: str, error: Exception) -> None:
        if self._available():
            log.warning("cache: Redis did not answer (%s: %s); pages go on without it for %.0f s",
                        action, error, RETRY_AFTER)
        self._down_until = time.monotonic() + RETRY_AFTER

    def get_many(self, keys: list[str]) -> list[str | None]:
        if not keys or not self._available():
            return [None] * len(keys)
        try:
            values = cast(list[bytes | None], self._client.mget([PREFIX + key for key in keys]))
        except self._errors as error:
            self._failed("read", error)
            return [None] * len(keys)
        return [value.decode() if value is not None else None for value in values]

    def set_many(self, values: Mapping[str, str], ttl: int = DEFAULT_TTL) -> None:
        if not values or not self._available():
            return
        try:
            with self._client.pipeline(transaction=False) as pipe:
                for key, value in values.items():
                    pipe.set(PREFIX + key, value.encode(), ex=ttl)
                pipe.execute()
        except self._errors as error:
            self._failed("write", error)

    def ping(self) -> bool:
        try:
            return bool(self._client.ping())
        except self._errors as error:
            self._failed("ping", error)
            return False

    def clear(self) -> None:
        """Every entry of this application (other keys of the same Redis are left alone)."""
        try:
            keys = list(self._client.scan_iter(match=PREFIX + "*", count=1000))
            for start in range(0, len(keys), 1000):
                self._client.delete(*keys[start:start + 1000])
        except self._errors as error:
            self._failed("clear", error)


def from_url(url: str) -> Cache:
    if url in ("", "memory"):
        return MemoryCache()
    if url == "none":
        return Cache()
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisCache(url)
    raise ValueError(f"RSE_CACHE_URL: unknown cache {url!r} (empty, none, or redis://host:port/db)")


def init_app(app: Flask) -> None:
    from rse.web import register_health_check

    app.extensions["rse.cache"] = from_url(app.config["CACHE_URL"])
    register_health_check(app, "cache", lambda: app.extensions["rse.cache"].ping())


def cache() -> Cache:
    return current_app.extensions["rse.cache"]


def get_many(keys: Iterable[str]) -> list[str | None]:
    return cache().get_many(list(keys))


def set_many(values: Mapping[str, str], ttl: int = DEFAULT_TTL) -> None:
    cache().set_many(values, ttl)
