"""The weekly digest end to end: `flask digest send` (selection, ranking, rendering, SMTP) into a local
aiosmtpd sink, with 1 shard and with 2 shards in parallel, beside a baseline that sends a fixed
pre-rendered message of the same kind to the same sink (the SMTP limit). Prints digests per second,
the ratio to the baseline and the cost per person.

Databases are seeded once with `flask rse seed` (SQLite) and kept in --workdir, one per size; a database
seeded by benchmarks/feeds_streams.py can be reused with --from (it is copied, never changed). Each run
starts from no digest sent for the week.

    .venv/bin/python benchmarks/digest.py --workdir ~/maillage-bench --sizes 200000 2000000
    .venv/bin/python benchmarks/digest.py --workdir ~/maillage-bench --from ~/feeds-bench   # reuse its seeds
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import smtplib
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.services import free_port  # noqa: E402

PASSWORD = "benchmark-password-2026"
SECRET = "benchmark-secret-key"
FLASK = str(Path(sys.executable).parent / "flask")


def env_for(instance: Path, mail_url: str = "") -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RSE_")}
    env.update({"RSE_INSTANCE_PATH": str(instance), "RSE_DATABASE_URL": f"sqlite:///{instance / 'rse.db'}",
                "RSE_SECRET_KEY": SECRET, "RSE_BASE_URL": "https://maillage.example.fr", "FLASK_APP": "rse:create_app",
                "RSE_SEARCH_SYNC_INLINE": "0"})
    if mail_url:
        env["RSE_MAIL_URL"] = mail_url
    return env


def prepare(workdir: Path, size: int, args) -> Path:
    key = f"sqlite-u{args.users}-c{args.communities}-a{size}-s{args.seed}"
    instance = workdir / key
    if not (instance / "seed.log").exists():
        shutil.rmtree(instance, ignore_errors=True)
        instance.mkdir(parents=True)
        source = Path(args.seeded).expanduser() / key if args.seeded else None
        if source is not None and (source / "seed.log").exists():
            print(f"copying {source}", flush=True)
            shutil.copy(source / "rse.db", instance / "rse.db")
            subprocess.run([FLASK, "db", "upgrade"], env=env_for(instance), check=True, capture_output=True)
            shutil.copy(source / "seed.log", instance / "seed.log")
        else:
            subprocess.run([FLASK, "db", "upgrade"], env=env_for(instance), check=True, capture_output=True)
            command = [FLASK, "rse", "seed", "--users", str(args.users), "--communities", str(args.communities),
                       "--activities", str(size), "--seed", str(args.seed), "--password", PASSWORD]
            print(f"seeding {key}", flush=True)
            result = subprocess.run(command, env=env_for(instance), check=True, capture_output=True, text=True)
            (instance / "seed.log").write_text(result.stdout)
    subprocess.run([FLASK, "db", "upgrade"], env=env_for(instance), check=True, capture_output=True)
    return instance


def reset(instance: Path) -> None:
    """No digest sent yet this week (nor before: every person's window is the whole previous week)."""
    with sqlite3.connect(instance / "rse.db") as connection:
        connection.execute("DELETE FROM digest_deliveries")


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


def run_digest(instance: Path, port: int, week: str, shards: int) -> tuple[float, dict[str, int]]:
    env = env_for(instance, f"smtp://127.0.0.1:{port}")
    started = time.perf_counter()
    processes = [subprocess.Popen([FLASK, "digest", "send", "--period", week, "--shard", f"{i}/{shards}"], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(shards)]
    outputs = [p.communicate() for p in processes]
    elapsed = time.perf_counter() - started
    counts: dict[str, int] = {}
    for process, (out, err) in zip(processes, outputs):
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
from rse.digest import periods, rendering, selection, sending
from rse.extensions import db
app = create_app()
with app.app_context():
    now = utcnow()
    period = periods.parse(sys.argv[1], ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"]))
    people = list(db.session.scalars(select(User).order_by(User.id).limit(400)))
    messages = sorted((sending.build_message(rendering.render(d), user_id, period, now).data
                       for user_id, d in selection.select_digests(people, period, now).items() if not d.is_empty), key=len)
    sys.stdout.buffer.write(messages[len(messages) // 2])
"""


def sample_message(instance: Path, week: str) -> bytes:
    """A real digest of the run's kind, as sent: the median-sized one of the first 400 people."""
    return subprocess.run([sys.executable, "-c", SAMPLE, week], env=env_for(instance), check=True,
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
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--from", dest="seeded", help="a folder of databases seeded by feeds_streams.py")
    parser.add_argument("--users", type=int, default=30_000)
    parser.add_argument("--communities", type=int, default=1_000)
    parser.add_argument("--sizes", type=int, nargs="+", default=[200_000, 2_000_000])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--shards", type=int, nargs="+", default=[1, 2], help="the runs to time, by shard count")
    parser.add_argument("--no-baseline", action="store_true", help="skip the fixed-message baseline")
    args = parser.parse_args()
    workdir = Path(args.workdir).expanduser().resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    year, week, _day = datetime.now(UTC).astimezone(ZoneInfo("Europe/Paris")).isocalendar()
    period = f"{year}-W{week:02d}"
    sink, port = start_sink()
    try:
        for size in args.sizes:
            instance = prepare(workdir, size, args)
            print(f"\n{args.users} users, {args.communities} communities, {size} activities (SQLite), {period}")
            sent = 0
            for shards in args.shards:
                reset(instance)
                elapsed, counts = run_digest(instance, port, period, shards)
                sent = counts.get("sent", 0)
                people = sent + counts.get("empty", 0)
                print(f"  {shards} shard(s): {elapsed:7.1f} s  {counts}  {sent / elapsed:6.1f} digests/s  "
                      f"{1000 * elapsed / max(people, 1):.2f} ms per person", flush=True)
                rate = sent / elapsed
            if args.no_baseline:
                continue
            message = sample_message(instance, period)
            limit = baseline(port, message, sent)
            print(f"  baseline, {sent} copies of one pre-rendered digest ({len(message):,} bytes): {limit:.1f} s  "
                  f"{sent / limit:6.1f} messages/s;  {args.shards[-1]}-shard digests at {rate / (sent / limit):.0%} of it")
    finally:
        sink.terminate()
        sink.wait()


if __name__ == "__main__":
    main()
