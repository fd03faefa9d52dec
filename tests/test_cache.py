"""The cache (rse/cache.py): the same contract in this process and on a real Redis; a Redis that
stops answering slows pages and breaks nothing; the rate limiter counts in the same Redis."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rse import cache
from rse.config import load_config

ROOT = Path(__file__).resolve().parent.parent


def test_what_is_set_is_read_back_and_the_rest_misses(shared_cache):
    shared_cache.set_many({"a": "première", "b": "<p>deux</p>"})
    assert shared_cache.get_many(["a", "missing", "b"]) == ["première", None, "<p>deux</p>"]
    assert shared_cache.get_many([]) == []


def test_a_value_is_replaced_and_an_entry_expires(shared_cache):
    shared_cache.set_many({"a": "old"})
    shared_cache.set_many({"a": "new"})
    shared_cache.set_many({"short": "x"}, ttl=1)
    assert shared_cache.get_many(["a", "short"]) == ["new", "x"]
    time.sleep(1.2)
    assert shared_cache.get_many(["a", "short"]) == ["new", None]


def test_clear_empties_it(shared_cache):
    shared_cache.set_many({"a": "1", "b": "2"})
    shared_cache.clear()
    assert shared_cache.get_many(["a", "b"]) == [None, None]


def test_the_memory_cache_drops_the_least_recently_read_when_full():
    kept = cache.MemoryCache(max_entries=2)
    kept.set_many({"a": "1", "b": "2"})
    assert kept.get_many(["a"]) == ["1"]  # "b" is now the least recently read
    kept.set_many({"c": "3"})
    assert kept.get_many(["a", "b", "c"]) == ["1", None, "3"]


def test_none_keeps_nothing():
    kept = cache.from_url("none")
    kept.set_many({"a": "1"})
    assert kept.get_many(["a"]) == [None]


def test_an_unknown_cache_url_is_refused_at_start():
    with pytest.raises(ValueError, match="RSE_CACHE_URL"):
        cache.from_url("memcached://127.0.0.1")


def test_redis_entries_are_namespaced_and_clear_leaves_other_keys(redis_server):
    import redis

    kept = cache.RedisCache(redis_server.url)
    client = redis.Redis.from_url(redis_server.url)
    client.set("someone-else", "kept")
    kept.set_many({"a": "1"})
    assert client.get(cache.PREFIX + "a") == b"1"
    assert 0 < client.ttl(cache.PREFIX + "a") <= cache.DEFAULT_TTL
    kept.clear()
    assert client.get(cache.PREFIX + "a") is None
    assert client.get("someone-else") == b"kept"
    client.delete("someone-else")


def test_a_stopped_redis_reads_as_empty_then_is_tried_again(redis_server, monkeypatch, caplog):
    kept = cache.RedisCache(redis_server.url)
    kept.set_many({"a": "1"})
    redis_server.stop()
    try:
        assert kept.get_many(["a"]) == [None]
        kept.set_many({"b": "2"})  # no error: nothing is lost but time
        assert "Redis did not answer" in caplog.text
        # Left alone for a while: the next reads do not wait for a connection at all.
        calls = []
        monkeypatch.setattr(kept._client, "mget", lambda keys: calls.append(keys))
        assert kept.get_many(["a"]) == [None]
        assert calls == []
        monkeypatch.undo()
    finally:
        assert redis_server.start() is None
    kept._down_until = 0.0  # the pause is over
    kept.set_many({"a": "again"})
    assert kept.get_many(["a"]) == ["again"]
    kept.clear()


def test_the_limiter_counts_in_the_caches_redis_unless_told_otherwise():
    assert load_config({"RSE_CACHE_URL": "redis://cache:6379/0"})["RATELIMIT_STORAGE_URI"] == "redis://cache:6379/0"
    assert load_config({"RSE_CACHE_URL": "redis://cache:6379/0", "RSE_RATELIMIT_STORAGE_URL": "memory://"})[
        "RATELIMIT_STORAGE_URI"] == "memory://"
    assert load_config({})["RATELIMIT_STORAGE_URI"] == "memory://"
    assert load_config({})["CACHE_URL"] == ""


WORKER = """
import sys
from flask_migrate import upgrade
from rse import create_app
app = create_app({"ARGON2_PARAMS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}})
with app.app_context():
    upgrade()
client = app.test_client()
for number in range(int(sys.argv[1])):  # a new address each time: the lockout of an account is another rule
    answer = client.post("/api/v1/tokens", json={"email": f"{sys.argv[2]}{number}@ght-exemple.fr", "password": "wrong"})
    print(answer.status_code)
"""


def _worker(tmp_path, redis_url: str, requests: int, name: str) -> list[int]:
    """A process of its own (a gunicorn worker's view): its own app, the same database and Redis."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("RSE_")}
    env.update({"RSE_INSTANCE_PATH": str(tmp_path), "RSE_SECRET_KEY": "test", "RSE_CACHE_URL": redis_url})
    done = subprocess.run([sys.executable, "-c", WORKER, str(requests), name], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return [int(line) for line in done.stdout.split()]


@pytest.mark.slow
def test_two_workers_share_their_rate_limits_through_redis(redis_server, tmp_path):
    import redis

    client = redis.Redis.from_url(redis_server.url)
    client.flushdb()
    try:
        # POST /api/v1/tokens: 10 a minute from one address, counted over both processes.
        first = _worker(tmp_path, redis_server.url, 6, "a")
        second = _worker(tmp_path, redis_server.url, 5, "b")
        assert 429 not in first + second[:4]
        assert second[4] == 429
        assert any(client.scan_iter(match="*LIMIT*"))  # the counters are in Redis
        redis_server.stop()
        # Redis down: the limiter counts in memory and the requests are answered as before.
        assert _worker(tmp_path, redis_server.url, 2, "c") == [401, 401]
    finally:
        if redis_server.process.poll() is not None:
            assert redis_server.start() is None
        client.flushdb()
