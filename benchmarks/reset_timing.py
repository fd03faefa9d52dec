"""Password-reset requests over HTTP: does the answer's time tell a known address from an unknown one?

gunicorn (--workers sync workers, 4 by default as in the image) on loopback, SQLite in a fresh
instance folder, mail to a real SMTP server (aiosmtpd) on loopback. One account exists. The
script posts the "forgotten password" form --requests times for that address and --requests
times for an unknown address of the same domain, alternately, from one browser session (its
CSRF token read once from the form), and times each request from sending it to reading the
whole answer. Prints both medians, their ratio (unknown/known, 1.0 = no difference), whether
all answers were the same bytes, and the emails handed to SMTP (one per known request).

The rate limit is turned off for the run (RSE_RATELIMIT_ENABLED=0). --code runs the server from
another checkout (to measure a version without the fix with this same script).

    .venv/bin/python benchmarks/reset_timing.py --requests 200
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.feeds_http import wait_until_up  # noqa: E402
from tests.services import free_port, start_smtp  # noqa: E402

PASSWORD = "correct-horse-battery-staple"
KNOWN = "agathe.lemoine@ght-exemple.fr"
UNKNOWN = "personne.inconnue@ght-exemple.fr"
USER_AGENT = "maillage-benchmark"


def server_env(instance: Path, smtp_url: str, port: int, code: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "RSE_INSTANCE_PATH": str(instance),
        "RSE_DATABASE_URL": f"sqlite:///{instance / 'rse.db'}",
        "RSE_MAIL_URL": smtp_url,
        "RSE_BASE_URL": f"http://127.0.0.1:{port}",
        "RSE_SECRET_KEY": "benchmark-only-secret-key",
        "RSE_INTERNAL_DOMAINS": "ght-exemple.fr",
        "RSE_RATELIMIT_ENABLED": "0",
        "FLASK_APP": "rse:create_app()",
        "PYTHONPATH": str(code),
    })
    return env


def prepare(env: dict[str, str], code: Path) -> None:
    flask = str(Path(sys.executable).parent / "flask")
    subprocess.run([flask, "db", "upgrade"], cwd=code, env=env, check=True, capture_output=True)
    # An administrator is an existing, active account as good as any for a reset.
    subprocess.run([flask, "rse", "create-admin", KNOWN, "--password", PASSWORD, "--name", "Agathe Lemoine"],
                   cwd=code, env=env, check=True, capture_output=True)


def form_session(port: int) -> tuple[str, str]:
    """The session cookie and CSRF token of the forgotten-password form."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/mot-de-passe/oubli", headers={"User-Agent": USER_AGENT})
    response = connection.getresponse()
    page = response.read().decode("utf-8")
    cookie = next(v.split(";", 1)[0] for h, v in response.getheaders()
                  if h.lower() == "set-cookie" and v.startswith("maillage_session="))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page)
    return cookie, token.group(1)


def timed_request(port: int, cookie: str, token: str, email: str) -> tuple[float, bytes]:
    body = urlencode({"csrf_token": token, "email": email})
    headers = {"User-Agent": USER_AGENT, "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.connect()  # the connection is not what is measured
    started = time.perf_counter()
    connection.request("POST", "/mot-de-passe/oubli", body=body, headers=headers)
    response = connection.getresponse()
    page = response.read()
    elapsed = time.perf_counter() - started
    connection.close()
    if response.status != 200:
        raise SystemExit(f"unexpected answer {response.status}: {page[:300]!r}")
    return elapsed, page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per address")
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout whose rse package is served")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--pause-ms", type=float, default=0.0,
                        help="pause after each request (lets a worker finish what follows a response)")
    args = parser.parse_args()
    controller, sink = start_smtp()
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="maillage-reset-") as tmp:
        instance = Path(tmp)
        env = server_env(instance, sink.url, port, args.code.resolve())
        prepare(env, args.code)
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        log = (instance / "gunicorn.log").open("ab")
        server = subprocess.Popen([gunicorn, "-w", str(args.workers), "-b", f"127.0.0.1:{port}", "rse:create_app()"],
                                  cwd=args.code, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until_up(port)
            cookie, token = form_session(port)
            for email in (KNOWN, UNKNOWN) * 5:  # warm-up: templates compiled, connections open
                timed_request(port, cookie, token, email)
            times: dict[str, list[float]] = {KNOWN: [], UNKNOWN: []}
            pages: dict[str, set[bytes]] = {KNOWN: set(), UNKNOWN: set()}
            for _round in range(args.requests):
                for email in (KNOWN, UNKNOWN):
                    elapsed, page = timed_request(port, cookie, token, email)
                    times[email].append(elapsed)
                    pages[email].add(page)
                    time.sleep(args.pause_ms / 1000)
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.close()
        sent = len(sink.wait_for(args.requests + 5, timeout=10))
        controller.stop()
    known, unknown = statistics.median(times[KNOWN]) * 1000, statistics.median(times[UNKNOWN]) * 1000
    print(f"requests per address: {args.requests} (alternating), workers: {args.workers}, "
          f"pause: {args.pause_ms:g} ms, code: {args.code}")
    p90 = {which: statistics.quantiles(times[which], n=10)[-1] * 1000 for which in (KNOWN, UNKNOWN)}
    print(f"known address   median {known:6.1f} ms  p90 {p90[KNOWN]:6.1f} ms")
    print(f"unknown address median {unknown:6.1f} ms  p90 {p90[UNKNOWN]:6.1f} ms")
    print(f"ratio unknown/known: {unknown / known:.2f}")
    print(f"identical answers: {pages[KNOWN] == pages[UNKNOWN] and len(pages[KNOWN]) == 1}")
    print(f"emails handed to SMTP: {sent} (expected {args.requests + 5})")


if __name__ == "__main__":
    main()
