"""The home page over HTTP: gunicorn (4 workers) on loopback serving a seeded database, a reader in
40 communities logged in through the real login form, and wrk on "/" with that session cookie.

Reuses the databases of benchmarks/feeds_streams.py (same --workdir and seed parameters).
Prints requests/s, the latency percentiles wrk reports (p50, p99) and its failures (non-2xx answers
and socket errors: connect, read, write, timeout); the median of --repeat runs. wrk and the server
share the machine's cores. --cache chooses the server's cache (rse/cache.py): a Redis started for
the run, as compose has (the default), each worker's memory, or none (every page drawn cold).

With --pages, first the CPU time each page costs the app: --page-requests requests of each page,
one after another, after 10 per worker to warm them up (templates compiled, statements keyed,
cards kept), and the workers' own CPU time (user + system, from /proc/<pid>/stat) over them,
divided by their number. The pages: the home stream, a community of
the reader, a document there (uploaded for the benchmark), a publication there, a search, the API
feed (with a token of the reader), and /healthz (the floor of the stack: gunicorn and Flask alone).

    .venv/bin/python benchmarks/feeds_http.py --workdir ~/maillage-bench --size 2000000
    .venv/bin/python benchmarks/feeds_http.py --workdir ~/maillage-bench --size 200000 --pages --repeat 1
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from feeds_streams import BACKENDS, PASSWORD, ROOT, Reader, prepare_all, stop_cluster

from tests.services import free_port, start_redis

WORKERS = 4
USER_AGENT = "maillage-benchmark"  # the same for the login and for wrk (Flask-Login ties the session to it)


def wait_until_up(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not answer /healthz")


def request(port: int, method: str, path: str, *, cookie: str = "", body: dict | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"User-Agent": USER_AGENT}
    if cookie:
        headers["Cookie"] = cookie
    data = None
    if body is not None:
        data = urlencode(body)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection.request(method, path, body=data, headers=headers)
    response = connection.getresponse()
    return response, response.read().decode("utf-8", errors="replace")


def session_cookie(response, current: str) -> str:
    for header, value in response.getheaders():
        if header.lower() == "set-cookie" and value.startswith("maillage_session="):
            return value.split(";", 1)[0]
    return current


def log_in(port: int, email: str) -> str:
    """The session cookie after the real login form (its CSRF token included)."""
    response, page = request(port, "GET", "/connexion")
    cookie = session_cookie(response, "")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page)
    if token is None:
        raise SystemExit("no CSRF token in the login form")
    response, page = request(port, "POST", "/connexion", cookie=cookie,
                             body={"csrf_token": token.group(1), "email": email, "password": PASSWORD})
    if response.status != 302:
        raise SystemExit(f"login refused ({response.status}): {page[:300]}")
    return session_cookie(response, cookie)


def to_ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(port: int, cookie: str, args) -> dict:
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s", "--latency",
               "-H", f"Cookie: {cookie}", "-H", f"User-Agent: {USER_AGENT}", f"http://127.0.0.1:{port}/"]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))}
    for label in ("50%", "99%"):
        found = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
        result[label] = to_ms(*found.groups())
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result["errors"] = int(errors.group(1)) if errors else 0
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    result["socket_errors"] = sum(int(n) for n in sockets.groups()) if sockets else 0
    result["requests"] = int(re.search(r"(\d+) requests in", output).group(1))
    return result


def worker_cpu_seconds(server: subprocess.Popen) -> float:
    """The CPU time (user + system) the gunicorn workers of `server` have used so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # a process that ended meanwhile
        if int(fields[1]) == server.pid:  # the parent: a worker of this server
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def page_targets(database, email: str) -> dict[str, tuple[str, dict[str, str]]]:
    """The pages whose CPU is measured, as (path, extra headers): ids read from the database, a
    document uploaded in a community of the reader, an API token issued for them."""
    from datetime import timedelta

    from sqlalchemy import select

    from rse import create_app
    from rse.accounts import service as accounts
    from rse.accounts.models import User
    from rse.communities.models import Community, Membership
    from rse.database import db
    from rse.documents import service as documents
    from rse.feeds.models import Publication
    from rse.uploads import HashingSpool
    from tests.documents.samples import pdf_bytes

    app = create_app(env=database.env())
    with app.test_request_context():
        reader = db.session.scalar(select(User).where(User.email == email))
        community = db.session.scalar(select(Community).join(Membership, Membership.community_id == Community.id)
                                      .where(Membership.user_id == reader.id).order_by(Community.id).limit(1))
        publication_id = db.session.scalar(select(Publication.id).where(
            Publication.community_id == community.id, Publication.deleted_at.is_(None))
            .order_by(Publication.id.desc()).limit(1))
        spool = HashingSpool(app.config["UPLOAD_TMP"], app.config["MAX_UPLOAD_BYTES"])
        try:
            spool.write(pdf_bytes("Protocole d'hygiène des mains"))
            spool.flush()
            document = documents.create_document(reader, community, documents.Upload(spool, "protocole.pdf"),
                                                 {"title": "Protocole d'hygiène des mains"})
        finally:
            spool.close()
        token, _record = accounts.issue_token(reader, kind="personal", name="benchmark", ttl=timedelta(hours=2))
        db.session.commit()
        targets = {
            "home": ("/", {}),
            "community": (f"/espaces/{community.id}", {}),
            "document": (f"/documents/{document.id}", {}),
            "publication": (f"/publications/{publication_id}", {}),
            "search": ("/recherche?q=protocole", {}),
            "API feed": ("/api/v1/feed", {"Authorization": f"Bearer {token}"}),
            "/healthz": ("/healthz", {}),
        }
        db.session.remove()
    return targets


def page_costs(server: subprocess.Popen, port: int, cookie: str, targets: dict, requests: int) -> dict[str, float]:
    """CPU ms per request of each page, its requests sent one after another on one connection."""
    costs = {}
    for name, (path, extra) in targets.items():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"User-Agent": USER_AGENT, **({} if "Authorization" in extra else {"Cookie": cookie}), **extra}

        def get(path=path, headers=headers, connection=connection, name=name) -> None:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise SystemExit(f"{name} ({path}) answered {response.status}")

        for _warmup in range(10 * WORKERS):  # every worker draws the page a few times first (templates, caches)
            get()
        before = worker_cpu_seconds(server)
        for _request in range(requests):
            get()
        costs[name] = (worker_cpu_seconds(server) - before) * 1000 / requests
        connection.close()
    return costs


def serve(database, port: int, cache_url: str) -> subprocess.Popen:
    env = database.env()
    env["RSE_BASE_URL"] = f"http://127.0.0.1:{port}"
    env["RSE_CACHE_URL"] = cache_url
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    log = (database.instance / "gunicorn.log").open("ab")
    process = subprocess.Popen([gunicorn, "-w", str(WORKERS), "-b", f"127.0.0.1:{port}", "rse:create_app()"],
                               cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    return process


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--backends", default=",".join(BACKENDS), type=lambda v: v.split(","))
    parser.add_argument("--size", type=int, default=2_000_000, help="activities of the seeded database")
    parser.add_argument("--users", type=int, default=30_000)
    parser.add_argument("--communities", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=int, default=30, help="seconds per wrk run")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pages", action="store_true", help="first, the CPU time of each page (see above)")
    parser.add_argument("--page-requests", type=int, default=200, help="requests of each page, with --pages")
    parser.add_argument("--cache", choices=("redis", "memory", "none"), default="redis",
                        help="RSE_CACHE_URL of the server: a Redis started here (as in compose), each worker's "
                             "memory, or none (every page drawn cold)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found (Debian package wrk)")
    args.sizes = [args.size]

    databases, cluster = prepare_all(args)
    summary, costs = [], []
    redis = None
    if args.cache == "redis":
        redis = start_redis()
        if isinstance(redis, str):
            raise SystemExit(redis)
    cache_url = redis.url if redis is not None else {"memory": "", "none": "none"}[args.cache]
    try:
        for database in databases:
            email = Reader(database).email
            targets = page_targets(database, email) if args.pages else {}
            port = free_port()
            server = serve(database, port, cache_url)
            try:
                wait_until_up(port)
                cookie = log_in(port, email)
                if targets:
                    found = page_costs(server, port, cookie, targets, args.page_requests)
                    costs.append((database, found))
                    print(f"{database.backend}: CPU per request, " + ", ".join(
                        f"{name} {ms:.1f} ms" for name, ms in found.items()), flush=True)
                response, page = request(port, "GET", "/", cookie=cookie)
                if response.status != 200 or 'class="home-stream"' not in page:
                    raise SystemExit(f"the home page is not the stream ({response.status})")
                cards = page.count('class="feed-card ')
                print(f"{database.backend}: {email}, home page {len(page):,} bytes, {cards} cards", flush=True)
                runs = []
                for round_number in range(args.repeat):
                    result = run_wrk(port, cookie, args)
                    runs.append(result)
                    print(f"  round {round_number + 1}: {result['rps']:.1f} req/s, p50 {result['50%']:.1f} ms, "
                          f"p99 {result['99%']:.1f} ms, {result['requests']} requests, "
                          f"{result['errors']} non-2xx, {result['socket_errors']} socket errors", flush=True)
                summary.append((database, runs))
            finally:
                server.send_signal(signal.SIGTERM)
                server.wait(timeout=30)
    finally:
        if cluster is not None:
            stop_cluster(cluster)
        if redis is not None:
            redis.stop()
    print(f"\nwrk -t{args.threads} -c{args.connections} -d{args.duration}s, gunicorn {WORKERS} workers, "
          f"cache {args.cache}; median of {args.repeat} runs\n")
    print("| database | activities | requests/s | p50 | p99 | non-2xx | socket errors |")
    print("|---|---|---|---|---|---|---|")
    for database, runs in summary:
        print(f"| {database.backend} | {database.activities:,} | {statistics.median(r['rps'] for r in runs):.1f} | "
              f"{statistics.median(r['50%'] for r in runs):.1f} ms | {statistics.median(r['99%'] for r in runs):.1f} ms"
              f" | {sum(r['errors'] for r in runs)} | {sum(r['socket_errors'] for r in runs)} |")
    if costs:
        names = list(costs[0][1])
        print(f"\nCPU ms per request, {args.page_requests} requests of each page one after another\n")
        print("| database | activities | " + " | ".join(names) + " |")
        print("|---|---|" + "---|" * len(names))
        for database, found in costs:
            print(f"| {database.backend} | {database.activities:,} | " + " | ".join(
                f"{found[name]:.1f}" for name in names) + " |")


if __name__ == "__main__":
    main()
