"""The weekly digest end to end: `flask digest send` (selection, ranking, rendering, SMTP) into a local
aiosmtpd sink, with 1 shard and with 2 shards in parallel, beside a baseline that sends one real
digest, pre-rendered once, to the same sink as many times (the SMTP limit). Prints digests per
second, the ratio to the baseline and the cost per person.

The databases are those of benchmarks/feeds_streams.py (`flask rse seed`, kept in --workdir, one per
backend and size; PostgreSQL as a private cluster in the same folder): seeded there or here on first
use. Each run starts from no digest sent for the week.

    .venv/bin/python benchmarks/digest.py --workdir ~/maillage-bench                       # SQLite, both sizes
    .venv/bin/python benchmarks/digest.py --workdir ~/maillage-bench --backends postgresql --sizes 2000000
"""

from __future__ import annotations

import argparse
import re
import signal
import smtplib
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.feeds_streams import Database, interrupted, prepare_all, stop_cluster  # noqa: E402
from tests.services import free_port  # noqa: E402

FLASK = str(Path(sys.executable).parent / "flask")


def env_for(database: Database, mail_url: str = "") -> dict:
    env = database.env()
    env.update({"RSE_BASE_URL": "https://maillage.example.fr", "RSE_SEARCH_SYNC_INLINE": "0"})
    if mail_url:
        env["RSE_MAIL_URL"] = mail_url
    return env


def reset(database: Database) -> None:
    """No digest sent yet this week (nor before: every person's window is the whole previous week)."""
    subprocess.run([FLASK, "db", "upgrade"], env=env_for(database), check=True, capture_output=True)
    engine = create_engine(database.url)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM digest_deliveries"))
    engine.dispose()


def start_sink() -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                                "-c", "aiosmtpd.handlers.Sink"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            smtplib.SMTP("127.0.0.1", port, timeout=1).quit()
            return process, port
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the aiosmtpd sink did not start")


def run_digest(database: Database, port: int, week: str, shards: int) -> tuple[float, dict[str, int]]:
    env = env_for(database, f"smtp://127.0.0.1:{port}")
    started = time.perf_counter()
    processes = [subprocess.Popen([FLASK, "digest", "send", "--period", week, "--shard", f"{i}/{shards}"], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(shards)]
    outputs = [p.communicate() for p in processes]
    elapsed = time.perf_counter() - started
    counts: dict[str, int] = {}
    for process, (out, err) in zip(processes, outputs, strict=True):
        if process.returncode:
            raise SystemExit(f"flask digest send failed:\n{out}\n{err[-3000:]}")
        for name, value in re.findall(r"(sent|empty|failed|uncertain|skipped) (\d+)", out):
            counts[name] = counts.get(name, 0) + int(value)
    return elapsed, counts


SAMPLE = """
import statistics, sys
from zoneinfo import ZoneInfo
from sqlalchemy import select
from rse import create_app
from rse.accounts.models import User
from rse.dbtypes import utcnow
from rse.digest import periods, rendering, selection, sender
from rse.database import db
app = create_app()
with app.app_context():
    now = utcnow()
    period = periods.parse(sys.argv[1], ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"]))
    people = list(db.session.scalars(select(User).order_by(User.id).limit(400)))
    digests = selection.select_digests(people, period, now)
    messages = sorted((sender.build_message(rendering.render(d), user_id, period, now).data
                       for user_id, d in digests.items() if not d.is_empty), key=len)
    sys.stdout.buffer.write(messages[len(messages) // 2])
"""


def sample_message(database: Database, week: str) -> bytes:
    """A real digest of the run's kind, as sent: the median-sized one of the first 400 people."""
    return subprocess.run([sys.executable, "-c", SAMPLE, week], env=env_for(database), check=True,
                          capture_output=True, cwd=ROOT).stdout


def baseline(port: int, message: bytes, count: int, batch: int = 100) -> float:
    """The same number of messages, one pre-rendered digest sent again and again (its bytes as they
    are, nothing built or encoded per message), one connection per batch: the sink's own limit."""
    started = time.perf_counter()
    sent = 0
    while sent < count:
        with smtplib.SMTP("127.0.0.1", port) as client:
            for _ in range(min(batch, count - sent)):
                client.sendmail("ne-pas-repondre@maillage.example.fr", [f"personne{sent}@ght-exemple.fr"], message)
                sent += 1
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", required=True, help="where the seeded databases are kept between runs")
    parser.add_argument("--backends", default="sqlite", type=lambda v: v.split(","), help="sqlite, postgresql or both")
    parser.add_argument("--sizes", default="200000,2000000", type=lambda v: [int(x) for x in v.split(",")])
    parser.add_argument("--users", type=int, default=30_000)
    parser.add_argument("--communities", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--shards", default="1,2", type=lambda v: [int(x) for x in v.split(",")],
                        help="the runs to time, by shard count")
    parser.add_argument("--no-baseline", action="store_true", help="skip the fixed-message baseline")
    args = parser.parse_args()
    year, week, _day = datetime.now(UTC).astimezone(ZoneInfo("Europe/Paris")).isocalendar()
    period = f"{year}-W{week:02d}"
    signal.signal(signal.SIGTERM, interrupted)
    databases, cluster = prepare_all(args)
    sink, port = start_sink()
    try:
        for database in databases:
            print(f"\n{args.users} users, {args.communities} communities, {database.activities} activities "
                  f"({database.backend}), {period}", flush=True)
            sent = 0
            for shards in args.shards:
                reset(database)
                elapsed, counts = run_digest(database, port, period, shards)
                sent = counts.get("sent", 0)
                people = sent + counts.get("empty", 0)
                rate = sent / elapsed
                print(f"  {shards} shard(s): {elapsed:7.1f} s  {counts}  {rate:6.1f} digests/s  "
                      f"{1000 * elapsed / max(people, 1):.2f} ms per person", flush=True)
            if args.no_baseline:
                continue
            message = sample_message(database, period)
            limit = baseline(port, message, sent)
            print(f"  baseline, {sent} copies of one pre-rendered digest ({len(message):,} bytes): {limit:.1f} s  "
                  f"{sent / limit:6.1f} messages/s;  {args.shards[-1]}-shard digests at {rate / (sent / limit):.0%} "
                  "of it", flush=True)
    finally:
        sink.terminate()
        sink.wait()
        if cluster is not None:
            stop_cluster(cluster)


if __name__ == "__main__":
    main()
