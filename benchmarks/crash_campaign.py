"""Crash campaigns: `flask digest send` over 3,000 people, and `flask mail send` over 1,000 waiting
emails, each killed with SIGKILL (the whole process group: the run and its sender process) at
random points while it sends, then run until done. Counts, at a real SMTP server in a process of
its own, how many messages each person got: every person must get exactly one, 0 duplicates, 0
skipped (see the README's "Sending under faults").

The SMTP server records each message before it answers the last line, as a real server queues it
before answering. Each kill lands at a random time after the run's first message reached the
server: within the sending, where the record and the server can disagree.

    .venv/bin/python benchmarks/crash_campaign.py --workdir ~/maillage-bench            # both, SQLite
    .venv/bin/python benchmarks/crash_campaign.py --workdir ~/maillage-bench --backends sqlite,postgresql
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.feeds_streams import Database, prepare, start_cluster, stop_cluster  # noqa: E402
from rse.dbtypes import utcnow  # noqa: E402
from rse.digest import periods  # noqa: E402
from tests.services import LineSmtpServer, free_port  # noqa: E402

FLASK = str(Path(sys.executable).parent / "flask")


# --- The SMTP server: a process of its own, one line per message accepted -------------------------

def serve_sink(port: int, record: Path) -> None:
    """The SMTP server of the campaign (`tests.services.LineSmtpServer`): it takes a message at its
    end of data, as Postfix and Exchange do, recording its recipients (flushed) before answering the
    last line; a client gone by then does not undo it. (aiosmtpd, the test suite's usual server,
    drops such a message: see docs/BENCHMARKS.md.) How each connection ended early goes to
    `<record>.events`."""
    handle = record.open("a", buffering=1)
    events = record.with_suffix(".events").open("a", buffering=1)

    def on_message(recipients: list[str]) -> None:
        handle.write("".join(r + "\n" for r in recipients))
        handle.flush()

    with LineSmtpServer(port, on_message=on_message, on_event=lambda text: events.write(text + "\n")):
        signal.sigwait({signal.SIGTERM, signal.SIGINT})


class Sink:
    def __init__(self, workdir: Path):
        self.record = workdir / "sink.txt"
        self.record.write_text("")
        self.record.with_suffix(".events").write_text("")
        self.port = free_port()
        self.process = subprocess.Popen([sys.executable, __file__, "--serve-sink", str(self.port), str(self.record)])
        for _ in range(200):
            try:
                import smtplib

                smtplib.SMTP("127.0.0.1", self.port, timeout=1).quit()
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("the SMTP sink did not start")

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def count(self) -> int:
        with self.record.open("rb") as handle:
            return sum(1 for _line in handle)

    def received(self) -> Counter:
        return Counter(self.record.read_text().split())

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


# --- A campaign ------------------------------------------------------------------------------------

def env_for(database: Database, sink: Sink) -> dict:
    env = database.env()
    env.update({"RSE_BASE_URL": "https://maillage.example.fr", "RSE_SEARCH_SYNC_INLINE": "0",
                "RSE_MAIL_URL": sink.url})
    return env


def killed_runs(command: list[str], env: dict, sink: Sink, kills: int, window: float,
                rng: random.Random) -> list[str]:
    """Start `command` again and again, killing each run (its process group) at a random time within
    `window` seconds after its first message reached the server, `kills` times; then run it until a
    run ends on its own having sent nothing. What each run did, a line each."""
    log = []
    done_kills = 0
    while True:
        before = sink.count()
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True, start_new_session=True)
        killed = False
        if done_kills < kills:
            while process.poll() is None and sink.count() == before:
                time.sleep(0.002)
            if process.poll() is None:
                time.sleep(rng.uniform(0, window))
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGKILL)
                    killed = True
                    done_kills += 1
        output, _ = process.communicate()
        sent = sink.count() - before
        last = output.strip().splitlines()[-1:] or [""]
        log.append(f"{'killed' if killed else 'ended '} exit {process.returncode:>3}  {sent:>5} received  "
                   f"{last[0][:110]}")
        if not killed and sent == 0 and process.returncode in (0, 1):
            return log
        if len(log) > kills + 20:
            raise SystemExit("the runs do not come to an end:\n" + "\n".join(log))


def digest_campaign(database: Database, sink: Sink, kills: int, window: float, rng: random.Random) -> dict:
    engine = create_engine(database.url)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM digest_deliveries"))
    env = env_for(database, sink)
    period = periods.current("weekly", utcnow(), ZoneInfo("Europe/Paris")).key
    started = time.perf_counter()
    log = killed_runs([FLASK, "digest", "send", "--period", period], env, sink, kills, window, rng)
    elapsed = time.perf_counter() - started
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT lower(u.email), d.status FROM digest_deliveries d JOIN users u ON u.id = d.user_id "
            "WHERE d.period = :period"), {"period": period}).all()
    engine.dispose()
    statuses = dict(rows)
    delivered = {email for email, status in statuses.items() if status in ("sent", "claimed", "uncertain")}
    expected = {email for email, status in statuses.items() if status != "empty"}  # nothing new: no email
    return tally("digest", log, sink.received(), expected, delivered, statuses, elapsed)


def mail_campaign(database: Database, sink: Sink, kills: int, window: float, rng: random.Random,
                  count: int = 1000) -> dict:
    engine = create_engine(database.url)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM outbound_emails"))
        now = "now()" if engine.dialect.name == "postgresql" else "CURRENT_TIMESTAMP"
        for n in range(count):
            connection.execute(text(
                "INSERT INTO outbound_emails (kind, recipient, subject, text_body, html_body, headers, created_at, "
                f"next_attempt_at, attempts, last_error) VALUES ('campaign', :to, :subject, :body, :html, '{{}}', "
                f"{now}, {now}, 0, '')"),
                {"to": f"personne{n:04d}@ght-exemple.fr", "subject": f"Message {n}",
                 "body": "Bonjour,\n" + "Une ligne du message.\n" * 40, "html": "<p>Bonjour</p>" * 40})
    env = env_for(database, sink)
    started = time.perf_counter()
    log = killed_runs([FLASK, "mail", "send", "--now"], env, sink, kills, window, rng)
    elapsed = time.perf_counter() - started
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT lower(recipient), CASE WHEN sent_at IS NOT NULL THEN 'sent' WHEN failed_at IS NOT NULL "
            "THEN 'failed' ELSE 'waiting' END FROM outbound_emails WHERE kind = 'campaign'")).all()
    engine.dispose()
    statuses = dict(rows)
    delivered = {email for email, status in statuses.items() if status == "sent"}
    return tally("mail", log, sink.received(), set(statuses), delivered, statuses, elapsed)


def tally(kind: str, log: list[str], received: Counter, expected: set[str], delivered: set[str], statuses: dict,
          elapsed: float) -> dict:
    """`expected`: the people who must have exactly one message; `delivered`: those recorded so."""
    duplicates = {email: n for email, n in received.items() if n > 1}
    skipped = sorted(email for email in expected if received[email] == 0)
    strays = sorted(email for email in received if email not in delivered)  # received, recorded as not sent
    return {"kind": kind, "log": log, "kills": sum(line.startswith("killed") for line in log),
            "runs": len(log), "people": len(statuses), "expected": len(expected), "delivered": len(delivered),
            "messages": sum(received.values()),
            "statuses": Counter(statuses.values()), "duplicates": duplicates, "skipped": skipped, "strays": strays,
            "elapsed": elapsed}


def report(result: dict, backend: str) -> None:
    print(f"\n== {result['kind']} on {backend}: {result['kills']} kills over {result['runs']} runs "
          f"({result['elapsed']:.1f} s)")
    for line in result["log"]:
        print("   ", line)
    print(f"    records: {dict(result['statuses'])}")
    print(f"    people owed one message: {result['expected']}; recorded as delivered: {result['delivered']}; "
          f"messages at the server: {result['messages']}")
    print(f"    duplicates: {len(result['duplicates'])}  skipped: {len(result['skipped'])}  "
          f"received but recorded as not sent: {len(result['strays'])}")
    for name in ("duplicates", "skipped", "strays"):
        if result[name]:
            print(f"    {name}: {list(result[name])[:10]}")


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--serve-sink":
        serve_sink(int(sys.argv[2]), Path(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--backends", default="sqlite", type=lambda v: v.split(","))
    parser.add_argument("--campaigns", default="digest,mail", type=lambda v: v.split(","))
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=1, help="campaigns of each kind, one after the other")
    parser.add_argument("--digest-window", type=float, default=0.5,
                        help="seconds after a run's first message within which it is killed")
    parser.add_argument("--mail-window", type=float, default=0.15)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    workdir = Path(args.workdir).expanduser().resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    seeding = SimpleNamespace(users=3000, communities=100, seed=args.seed)
    cluster = start_cluster(workdir) if "postgresql" in args.backends else None
    rng = random.Random(args.seed)
    failures = 0
    try:
        for backend in args.backends:
            database = prepare(workdir, backend, 20_000, seeding, cluster)
            subprocess.run([FLASK, "db", "upgrade"], env=database.env(), check=True, capture_output=True)
            sink = Sink(workdir)
            try:
                for _ in range(args.repeat):
                    for kind in args.campaigns:
                        sink.record.write_text("")
                        if kind == "digest":
                            result = digest_campaign(database, sink, args.kills, args.digest_window, rng)
                        else:
                            result = mail_campaign(database, sink, args.kills, args.mail_window, rng)
                        report(result, backend)
                        failures += bool(result["duplicates"] or result["skipped"] or result["strays"])
            finally:
                sink.stop()
    finally:
        if cluster is not None:
            stop_cluster(cluster)
    print(f"\n{failures} campaign(s) with a message lost or sent twice")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
