"""The home stream of a reader in 40 communities: first page and 50th page (through the cursor),
in process, on SQLite and on PostgreSQL, at two sizes of the activities table.

Databases are seeded once with `flask rse seed` and kept in --workdir, one per (backend, size,
seed parameters); PostgreSQL runs as a private cluster kept in the same folder. Each timed call
runs in its own app context with a fresh session, as a request does. Prints p50 and p95 in ms
and the ratio of the large size to the small one (a page costs the logarithm of the table:
the ratio should stay close to 1). Target (issue 4): p95 < 30 ms at 2,000,000 activities.

    .venv/bin/python benchmarks/feeds_streams.py --workdir ~/maillage-bench
    .venv/bin/python benchmarks/feeds_streams.py --workdir ~/maillage-bench --explain   # query plans
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.services import PostgresCluster, _postgres_bin_dir, free_port  # noqa: E402

PASSWORD = "benchmark-password-2026"
SECRET = "benchmark-secret-key"
BACKENDS = ("sqlite", "postgresql")


# --- Databases ---------------------------------------------------------------------------------

def start_cluster(workdir: Path) -> PostgresCluster:
    """The benchmark's own PostgreSQL cluster under workdir/postgres, created on first use."""
    bin_dir = _postgres_bin_dir()
    if bin_dir is None:
        raise SystemExit("PostgreSQL server binaries not found (Debian package postgresql)")
    root = workdir / "postgres"
    data_dir = root / "data"
    run_as = "postgres" if os.geteuid() == 0 else None  # initdb refuses to run as root
    cluster = PostgresCluster(data_dir, free_port(), bin_dir, run_as, root / "postgres.log")
    if not data_dir.exists():
        root.mkdir(parents=True, exist_ok=True)
        if run_as:
            shutil.chown(root, run_as)
        cluster._run("initdb", "-D", str(data_dir), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                     "--locale=C.UTF-8", "--no-instructions")
    elif (data_dir / "postmaster.pid").exists():  # left running by an interrupted run
        with contextlib.suppress(subprocess.CalledProcessError):  # a stale pid file: the start copes with it
            cluster._run("pg_ctl", "-D", str(data_dir), "-m", "fast", "stop")
    socket_dir = root / "socket"
    socket_dir.mkdir(exist_ok=True)
    if run_as:
        shutil.chown(socket_dir, run_as)
    # The settings of the test clusters: loading is faster, reads are unchanged.
    options = (f"-p {cluster.port} -k {socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off "
               "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100")
    cluster._run("pg_ctl", "-D", str(data_dir), "-o", options, "-l", str(cluster.log_file), "-w", "-t", "60", "start")
    return cluster


def stop_cluster(cluster: PostgresCluster) -> None:
    cluster._run("pg_ctl", "-D", str(cluster.data_dir), "-m", "fast", "stop")  # the data stays for the next run


@dataclass
class Database:
    backend: str
    activities: int
    url: str
    instance: Path

    def env(self) -> dict:
        env = {key: value for key, value in os.environ.items() if not key.startswith("RSE_")}
        env.update({"RSE_DATABASE_URL": self.url, "RSE_INSTANCE_PATH": str(self.instance),
                    "RSE_SECRET_KEY": SECRET, "RSE_RATELIMIT_ENABLED": "0", "FLASK_APP": "rse:create_app"})
        return env

    @property
    def seed_log(self) -> Path:
        return self.instance / "seed.log"


def prepare(workdir: Path, backend: str, activities: int, args, cluster: PostgresCluster | None) -> Database:
    """The seeded database for these parameters: reused when seeded before, else made now."""
    key = f"{backend}-u{args.users}-c{args.communities}-a{activities}-s{args.seed}"
    instance = workdir / key
    url = f"sqlite:///{instance / 'rse.db'}" if backend == "sqlite" else cluster.url(key.replace("-", "_"))
    database = Database(backend, activities, url, instance)
    if database.seed_log.exists():
        return database
    shutil.rmtree(instance, ignore_errors=True)
    instance.mkdir(parents=True)
    if backend == "postgresql":
        cluster.create_database(key.replace("-", "_"))
    flask = str(Path(sys.executable).parent / "flask")
    env = database.env()
    subprocess.run([flask, "db", "upgrade"], env=env, check=True, capture_output=True)
    command = [flask, "rse", "seed", "--users", str(args.users), "--communities", str(args.communities),
               "--activities", str(activities), "--seed", str(args.seed), "--password", PASSWORD]
    print(f"seeding {key}: {' '.join(command[1:])}", flush=True)
    result = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    print(result.stdout, flush=True)
    (instance / "seed.partial").write_text(result.stdout)
    (instance / "seed.partial").rename(database.seed_log)
    return database


def prepare_all(args) -> tuple[list[Database], PostgresCluster | None]:
    workdir = Path(args.workdir).expanduser().resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    cluster = start_cluster(workdir) if "postgresql" in args.backends else None
    databases = [prepare(workdir, backend, size, args, cluster) for backend in args.backends for size in args.sizes]
    return databases, cluster


# --- Measurement --------------------------------------------------------------------------------

def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Reader:
    """Calls streams.home for one user as a request would: a new app context (and session) each time."""

    def __init__(self, database: Database):
        from rse import create_app

        self.app = create_app(env=database.env())
        from benchmarks.seeding import generate as seed
        from rse.database import db

        with self.app.app_context():
            reader = seed.pick_heavy_reader()
            if reader is None:
                raise SystemExit(f"no reader in {seed.HEAVY_MEMBERSHIPS} communities in {database.url}")
            self.user_id, self.email = reader.id, reader.email
            db.session.remove()
        self.cursor_50 = self._cursor_of_page(50)

    def _cursor_of_page(self, number: int) -> str:
        cursor = None
        for _page in range(number - 1):
            _items, cursor = self.home(cursor)[1:]
            if cursor is None:
                raise SystemExit(f"the stream ends before page {number}")
        return cursor

    def home(self, cursor: str | None) -> tuple[float, int, str | None]:
        """(seconds, items, next cursor) of one call."""
        from rse.accounts.models import User
        from rse.database import db
        from rse.feeds.streams import service as streams

        with self.app.app_context():
            user = db.session.get(User, self.user_id)  # what Flask-Login loads before the view
            started = time.perf_counter()
            page = streams.home(user, cursor=cursor)
            elapsed = time.perf_counter() - started
            db.session.remove()
        return elapsed, len(page.items), page.next_cursor


def measure(database: Database, runs: int, warmup: int) -> dict[str, list[float]]:
    """Timings in ms of the first and of the 50th page, interleaved."""
    reader = Reader(database)
    cursors = {"first": None, "50th": reader.cursor_50}
    for _ in range(warmup):
        for cursor in cursors.values():
            reader.home(cursor)
    timings: dict[str, list[float]] = {name: [] for name in cursors}
    for _ in range(runs):
        for name, cursor in cursors.items():
            seconds, items, _next = reader.home(cursor)
            if items != 20:
                raise SystemExit(f"{name} page has {items} items, not 20")
            timings[name].append(seconds * 1000)
    with reader.app.app_context():
        from rse.database import db

        db.engine.dispose()
    return timings


# --- Query plans ----------------------------------------------------------------------------------

def explain(database: Database) -> None:
    """Each statement of one call of the 50th page: its time, then its plan."""
    from sqlalchemy import event

    from rse.database import db

    reader = Reader(database)
    statements: list[tuple[str, object, float]] = []
    with reader.app.app_context():
        engine = db.engine

        def before(conn, cursor, statement, parameters, context, executemany):
            conn.info["started"] = time.perf_counter()

        def after(conn, cursor, statement, parameters, context, executemany):
            statements.append((statement, parameters, (time.perf_counter() - conn.info["started"]) * 1000))

        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
    reader.home(reader.cursor_50)
    with reader.app.app_context():
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
        prefix = "EXPLAIN QUERY PLAN " if database.backend == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
        print(f"\n## {database.backend}, {database.activities:,} activities: {len(statements)} statements, "
              f"{sum(s[2] for s in statements):.1f} ms in the database")
        for statement, parameters, ms in statements:
            print(f"\n-- {ms:.2f} ms\n{statement[:600]}{' …' if len(statement) > 600 else ''}")
            connection = db.session.connection()
            rows = connection.exec_driver_sql(prefix + statement, parameters).all()
            lines = [str(row[-1]) for row in rows]
            for line in lines[:40] + (["…"] + lines[-3:] if len(lines) > 43 else lines[40:]):
                print("   ", line)
        db.session.remove()
        db.engine.dispose()


# --- Main -----------------------------------------------------------------------------------------

def interrupted(signum, frame) -> None:
    raise SystemExit(f"stopped by signal {signum}")  # so that the cluster is stopped on the way out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", required=True, help="where the seeded databases are kept between runs")
    parser.add_argument("--backends", default=",".join(BACKENDS), type=lambda v: v.split(","))
    parser.add_argument("--sizes", default="200000,2000000", type=lambda v: [int(x) for x in v.split(",")])
    parser.add_argument("--users", type=int, default=30_000)
    parser.add_argument("--communities", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--runs", type=int, default=200, help="timed calls per page and repeat")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3, help="rounds over every database; medians are reported")
    parser.add_argument("--explain", action="store_true", help="print each statement's time and plan, no timing")
    parser.add_argument("--prepare-only", action="store_true", help="seed the databases that are missing, then stop")
    args = parser.parse_args()

    signal.signal(signal.SIGTERM, interrupted)
    databases, cluster = prepare_all(args)
    try:
        if args.prepare_only:
            return
        if args.explain:
            for database in databases:
                explain(database)
            return
        results: dict[tuple[str, int, str], list[tuple[float, float]]] = {}
        for round_number in range(args.repeat):
            for database in databases:
                timings = measure(database, args.runs, args.warmup)
                for page, values in timings.items():
                    p50, p95 = percentile(values, 0.5), percentile(values, 0.95)
                    results.setdefault((database.backend, database.activities, page), []).append((p50, p95))
                    print(f"round {round_number + 1}: {database.backend:10} {database.activities:>9,} {page:5} "
                          f"p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  (load {os.getloadavg()[0]:.2f})", flush=True)
        report(results, args)
    finally:
        if cluster is not None:
            stop_cluster(cluster)


def report(results: dict, args) -> None:
    print(f"\nmedian over {args.repeat} rounds of {args.runs} calls each (ms); load average now "
          f"{os.getloadavg()[0]:.2f}\n")
    print("| database | activities | page | p50 | p95 |")
    print("|---|---|---|---|---|")
    medians = {}
    for (backend, size, page), values in results.items():
        p50 = statistics.median(v[0] for v in values)
        p95 = statistics.median(v[1] for v in values)
        medians[backend, size, page] = (p50, p95)
        print(f"| {backend} | {size:,} | {page} | {p50:.2f} | {p95:.2f} |")
    small, large = min(args.sizes), max(args.sizes)
    if small != large:
        print(f"\n| database | page | p50 ratio {large:,} / {small:,} | p95 ratio |")
        print("|---|---|---|---|")
        for backend in args.backends:
            for page in ("first", "50th"):
                a, b = medians.get((backend, small, page)), medians.get((backend, large, page))
                if a and b:
                    print(f"| {backend} | {page} | {b[0] / a[0]:.2f} | {b[1] / a[1]:.2f} |")


if __name__ == "__main__":
    main()
