"""Runs Maillage's periodic `flask` commands: the scheduler service of compose.yaml.

Each job runs in its own process; a job that fails or hangs never stops the others. Calendar
jobs (the weekly digest, the nightly clean-ups) remember the last slot that succeeded in a
state file, so a slot missed while the service was down runs once when it comes back. The
commands themselves are idempotent (the digest is sent at most once per user and period), so
running one again after a failure is safe. Run exactly one scheduler per installation.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

log = logging.getLogger("scheduler")

MINUTE = timedelta(minutes=1)


@dataclass
class Job:
    name: str
    command: list[str]
    timeout: timedelta
    every: timedelta | None = None  # an interval job ...
    at: tuple[int, int] | None = None  # ... or a calendar job: local time (hour, minute)
    weekday: int | None = None  # 0 = Monday; None = every day
    # Run-time state.
    process: subprocess.Popen | None = field(default=None, repr=False)
    output: threading.Thread | None = field(default=None, repr=False)
    started_at: float = 0.0
    ended_at: float = 0.0
    slot: datetime | None = None
    last_start: datetime | None = None
    not_before: datetime | None = None
    failures: int = 0

    def last_slot(self, now: datetime) -> datetime:
        """The most recent calendar time of this job at or before `now` (local, aware)."""
        hour, minute = self.at
        slot = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
        if self.weekday is not None:
            slot -= timedelta(days=(now.weekday() - self.weekday) % 7)
            step = timedelta(days=7)
        else:
            step = timedelta(days=1)
        if slot > now:
            slot -= step
        # Wall-clock arithmetic across a DST change: normalise through UTC.
        return slot.astimezone(UTC).astimezone(now.tzinfo)


JOBS = [
    Job("mail", ["flask", "mail", "send"], every=MINUTE, timeout=timedelta(minutes=15)),
    Job("documents-process", ["flask", "documents", "process"], every=MINUTE, timeout=timedelta(minutes=30)),
    # Every day at RSE_DIGEST_HOUR: daily subscribers get theirs, and on RSE_DIGEST_WEEKDAY the command
    # also sends the weekly ones (it decides, so that a run missed on that day still knows its week).
    Job("digest", ["flask", "digest", "send"], at=(int(os.environ.get("RSE_DIGEST_HOUR") or 7), 0),
        timeout=timedelta(hours=6)),
    # Before the digest: a writer reminded by email today is not told again by this morning's digest.
    Job("documents-remind-reviews", ["flask", "documents", "remind-reviews"], at=(6, 30), timeout=timedelta(hours=1)),
    # Owners reminded of their actions' due dates, and the late ones announced, before the working day.
    Job("plans-remind", ["flask", "plans", "remind"], at=(6, 45), timeout=timedelta(hours=1)),
    Job("documents-gc", ["flask", "documents", "gc"], at=(3, 30), timeout=timedelta(hours=2)),
    Job("documents-purge", ["flask", "documents", "purge"], at=(4, 0), timeout=timedelta(hours=2)),
]


class State:
    """The last calendar slot that succeeded, per job, in a small JSON file."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self.data = json.loads(path.read_text())
        except FileNotFoundError:
            self.data = {}
        except (OSError, ValueError) as exc:
            log.warning("state file %s unreadable (%s): starting afresh", path, exc)
            self.data = {}

    def get(self, name: str) -> datetime | None:
        value = self.data.get(name)
        return datetime.fromisoformat(value) if value else None

    def set(self, name: str, slot: datetime) -> None:
        self.data[name] = slot.astimezone(UTC).isoformat()
        tmp = self.path.with_suffix(".tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(self.data, indent=1, sort_keys=True))
            os.replace(tmp, self.path)
        except OSError as exc:
            log.error("cannot write state file %s: %s", self.path, exc)


def retry_delay(failures: int) -> timedelta:
    """2, 4, 8, 16 then 30 minutes between attempts after consecutive failures."""
    return min(timedelta(minutes=2 ** min(failures, 5)), timedelta(minutes=30))


def forward_output(job: Job, stream) -> None:
    for line in stream:
        log.info("[%s] %s", job.name, line.rstrip())
    job.ended_at = time.monotonic()  # end of output: the process has exited (or closed it)


class Scheduler:
    def __init__(self, jobs: list[Job], state: State, tz: ZoneInfo, tick: float = 5.0):
        self.jobs, self.state, self.tz = jobs, state, tz
        self.tick = tick  # seconds between two looks at the jobs
        self.stopping = threading.Event()
        now = datetime.now(tz)
        for job in jobs:
            if job.at is not None and state.get(job.name) is None:
                # First start: the schedule begins now; past slots are not run.
                state.set(job.name, job.last_slot(now))

    def due(self, job: Job, now: datetime) -> bool:
        if job.not_before is not None and now < job.not_before:
            return False
        if job.every is not None:
            return job.last_start is None or now - job.last_start >= job.every
        return self.state.get(job.name) < job.last_slot(now)

    def start(self, job: Job, now: datetime) -> None:
        job.last_start = now
        job.slot = job.last_slot(now) if job.at is not None else None
        job.started_at, job.ended_at = time.monotonic(), 0.0
        log.info("[%s] start: %s", job.name, " ".join(job.command))
        try:
            job.process = subprocess.Popen(job.command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                           stdin=subprocess.DEVNULL, text=True, errors="replace")
        except OSError as exc:
            log.error("[%s] cannot start: %s", job.name, exc)
            self.finished(job, now, ok=False)
            return
        job.output = threading.Thread(target=forward_output, args=(job, job.process.stdout), daemon=True)
        job.output.start()

    def check(self, job: Job, now: datetime) -> None:
        """Reap a finished job, or stop one that overran its timeout."""
        code = job.process.poll()
        if code is None:
            if time.monotonic() - job.started_at > job.timeout.total_seconds():
                log.error("[%s] still running after %s: stopping it", job.name, job.timeout)
                stop_processes([job.process])
                code = job.process.returncode
            else:
                return
        job.output.join(5)  # the last lines of output come before the verdict
        if not job.output.is_alive():  # (one still reading holds the pipe: it closes with it)
            job.process.stdout.close()
        job.process = job.output = None
        if code == 0:
            log.info("[%s] done in %.1f s", job.name, (job.ended_at or time.monotonic()) - job.started_at)
        else:
            log.error("[%s] failed with exit status %s", job.name, code)
        self.finished(job, now, ok=code == 0)

    def finished(self, job: Job, now: datetime, *, ok: bool) -> None:
        if ok:
            job.failures, job.not_before = 0, None
            if job.slot is not None:
                self.state.set(job.name, job.slot)
            return
        job.failures += 1
        job.not_before = now + retry_delay(job.failures)
        log.warning("[%s] next attempt at %s", job.name, job.not_before.strftime("%Y-%m-%d %H:%M %Z"))

    def run(self) -> None:
        log.info("scheduler started (%s): %s", self.tz.key, ", ".join(j.name for j in self.jobs))
        while not self.stopping.is_set():
            now = datetime.now(self.tz)
            for job in self.jobs:
                if job.process is not None:
                    self.check(job, now)
                if job.process is None and not self.stopping.is_set() and self.due(job, now):
                    self.start(job, now)
            self.stopping.wait(self.tick)
        running = [job for job in self.jobs if job.process is not None]
        for job in running:
            log.info("[%s] stopping", job.name)
        stop_processes([job.process for job in running])
        log.info("scheduler stopped")

    def stop(self, signum, frame) -> None:
        self.stopping.set()


def stop_processes(processes: list[subprocess.Popen], grace: float = 20.0) -> None:
    """SIGTERM, then SIGKILL for whatever is still running after `grace` seconds."""
    for process in processes:
        process.terminate()
    deadline = time.monotonic() + grace
    for process in processes:
        try:
            process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class LocalTimeFormatter(logging.Formatter):
    """Log times in the scheduler's time zone, the one its plans are written in."""

    def __init__(self, tz: ZoneInfo):
        super().__init__("%(asctime)s %(levelname)s %(message)s")
        self.tz = tz

    def formatTime(self, record, datefmt=None):
        return datetime.fromtimestamp(record.created, self.tz).strftime("%Y-%m-%d %H:%M:%S %Z")


def main() -> int:
    tz = ZoneInfo(os.environ.get("RSE_TIMEZONE") or "Europe/Paris")
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(LocalTimeFormatter(tz))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    instance = Path(os.environ.get("RSE_INSTANCE_PATH") or "instance")
    state = State(Path(os.environ.get("SCHEDULER_STATE") or instance / "scheduler" / "state.json"))
    scheduler = Scheduler(JOBS, state, tz)
    signal.signal(signal.SIGTERM, scheduler.stop)
    signal.signal(signal.SIGINT, scheduler.stop)
    scheduler.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
