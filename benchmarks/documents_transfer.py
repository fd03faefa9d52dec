"""Upload then download a large file through the app (gunicorn on loopback) into a real S3 server
(SeaweedFS), and the same file put and got directly with the minio SDK, in one run.

Prints MB/s of each, the app/direct ratios, and the web worker's peak resident memory.
Targets (issue 3): upload ratio >= 0.7, download ratio >= 0.8, worker peak RSS < 150 MB.

    .venv/bin/python benchmarks/documents_transfer.py --size-mib 1024
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.services import free_port, start_seaweedfs  # noqa: E402

BLOCK = 16 * 1024 * 1024
PASSWORD = "benchmark-password-2026"


def make_file(path: Path, size: int) -> str:
    """A file of `size` bytes that does not compress (random blocks); returns its sha256."""
    digest = hashlib.sha256()
    block = os.urandom(BLOCK)
    with path.open("wb") as handle:
        written = 0
        while written < size:
            chunk = block[: min(BLOCK, size - written)]
            # Vary each block so that no layer can deduplicate them.
            chunk = written.to_bytes(8, "big") + chunk[8:]
            handle.write(chunk)
            digest.update(chunk)
            written += len(chunk)
    return digest.hexdigest()


def app_env(instance: Path, storage_url: str, port: int) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith("RSE_")}
    env.update({
        "RSE_INSTANCE_PATH": str(instance), "RSE_SECRET_KEY": "benchmark", "RSE_STORAGE_URL": storage_url,
        "RSE_BASE_URL": f"http://127.0.0.1:{port}", "RSE_MAX_UPLOAD_BYTES": str(8 * 1024**3),
        "RSE_RATELIMIT_ENABLED": "0", "RSE_PROCESS_INLINE": "0", "FLASK_APP": "rse:create_app",
    })
    return env


def prepare_instance(env: dict) -> tuple[str, int]:
    """Schema, one user and one community; returns (API token, community id)."""
    flask = str(Path(sys.executable).parent / "flask")
    subprocess.run([flask, "db", "upgrade"], env=env, check=True, capture_output=True)
    script = (
        "from datetime import timedelta\n"
        "from rse import create_app\n"
        "from rse.database import db\n"
        "from rse.accounts.service import create_user, issue_token\n"
        "from rse.communities.service import create_community\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        f"    user = create_user(email='bench@ght-exemple.fr', name='Bench', password='{PASSWORD}', role='staff')\n"
        "    community = create_community(user, {'name': 'Banc d essai', 'visibility': 'private'})\n"
        "    token, _ = issue_token(user, kind='login', name='bench', ttl=timedelta(hours=2))\n"
        "    db.session.commit()\n"
        "    print(token, community.id)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], env=env, check=True, capture_output=True, text=True)
    token, community_id = out.stdout.split()
    return token, int(community_id)


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    """Until the worker answers /healthz (so it has loaded the app)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class RssSampler(threading.Thread):
    """The highest resident memory of a process, sampled every 20 ms while transfers run."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.running = pid, 0.0, True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, rss_mb(self.pid))
            time.sleep(0.02)

    def stop(self) -> float:
        self.running = False
        self.join()
        return self.peak


def vary(path: Path, round_number: int) -> str:
    """Make the file's bytes new for this round (content addressing would skip a known blob)."""
    with path.open("r+b") as handle:
        handle.write(f"round {round_number:06d} ".encode())
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(BLOCK):
            digest.update(chunk)
    return digest.hexdigest()


def upload_through_app(port: int, token: str, community_id: int, path: Path) -> tuple[float, dict]:
    boundary = "maillage-benchmark-boundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nBenchmark\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"benchmark.bin\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    size = path.stat().st_size
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    start = time.perf_counter()
    connection.putrequest("POST", f"/api/v1/communities/{community_id}/documents")
    connection.putheader("Authorization", f"Bearer {token}")
    connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    connection.putheader("Content-Length", str(len(head) + size + len(tail)))
    connection.endheaders()
    connection.send(head)
    with path.open("rb") as handle:
        while chunk := handle.read(BLOCK):
            connection.send(chunk)
    connection.send(tail)
    response = connection.getresponse()
    body = json.loads(response.read())
    elapsed = time.perf_counter() - start
    if response.status != 201:
        raise RuntimeError(f"upload failed: {response.status} {body}")
    return elapsed, body


def download_through_app(port: int, token: str, url: str) -> tuple[float, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    digest = hashlib.sha256()
    start = time.perf_counter()
    connection.request("GET", url, headers={"Authorization": f"Bearer {token}"})
    response = connection.getresponse()
    while chunk := response.read(BLOCK):
        digest.update(chunk)
    elapsed = time.perf_counter() - start
    if response.status != 200:
        raise RuntimeError(f"download failed: {response.status}")
    return elapsed, digest.hexdigest()


def direct(server, path: Path, name: str) -> tuple[float, float, str]:
    """The same file put and got with the minio SDK alone (the baseline), with its default settings."""
    from minio import Minio

    client = Minio(server.endpoint, access_key=server.access_key, secret_key=server.secret_key, secure=False)
    if not client.bucket_exists("direct"):
        client.make_bucket("direct")
    start = time.perf_counter()
    client.fput_object("direct", name, str(path))
    put = time.perf_counter() - start
    digest = hashlib.sha256()
    start = time.perf_counter()
    response = client.get_object("direct", name)
    try:
        for chunk in response.stream(BLOCK):
            digest.update(chunk)
    finally:
        response.close()
        response.release_conn()
    get = time.perf_counter() - start
    return put, get, digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; medians are reported")
    args = parser.parse_args()
    size = args.size_mib * 1024 * 1024
    with tempfile.TemporaryDirectory(prefix="rse-bench-") as scratch:
        scratch = Path(scratch)
        server = start_seaweedfs(scratch / "seaweedfs")
        if isinstance(server, str):
            sys.exit(f"SeaweedFS unavailable: {server}")
        gunicorn = None
        try:
            source = scratch / "payload.bin"
            make_file(source, size)
            port = free_port()
            env = app_env(scratch / "instance", server.url("maillage"), port)
            token, community_id = prepare_instance(env)
            log = (scratch / "gunicorn.log").open("w")
            gunicorn = subprocess.Popen(
                [str(Path(sys.executable).parent / "gunicorn"), "-w", "1", "-b", f"127.0.0.1:{port}",
                 "--timeout", "600", "rse:create_app()"], env=env, cwd=ROOT, stdout=log, stderr=log)
            wait_for_port(port)
            [worker] = worker_pids(gunicorn.pid)
            rss_idle = rss_mb(worker)  # after a first request: the app is loaded
            sampler = RssSampler(worker)
            sampler.start()
            timings = {"app_put": [], "direct_put": [], "app_get": [], "direct_get": []}
            for round_number in range(args.rounds):
                expected = vary(source, round_number)
                # Each round uploads the file anew (same bytes: the app stores them once more
                # under the same content address; S3 overwrites), side by side with the SDK.
                direct_put, direct_get, direct_sha = direct(server, source, f"benchmark-{round_number}.bin")
                app_put, body = upload_through_app(port, token, community_id, source)
                app_get, app_sha = download_through_app(port, token, body["current"]["content_url"])
                for key, value in (("app_put", app_put), ("direct_put", direct_put), ("app_get", app_get),
                                   ("direct_get", direct_get)):
                    timings[key].append(value)
                assert body["current"]["sha256"] == expected, "the app stored other bytes"
                assert app_sha == expected and direct_sha == expected, "a download differs from the upload"
            rss_peak = sampler.stop()
            rss_hwm = rss_mb(worker, "VmHWM")
        except Exception:
            print((scratch / "gunicorn.log").read_text()[-3000:], file=sys.stderr)
            raise
        finally:
            if gunicorn is not None:
                gunicorn.send_signal(signal.SIGTERM)
                gunicorn.wait(timeout=30)
            server.stop()
    median = {key: statistics.median(values) for key, values in timings.items()}
    mb = size / 1e6
    rows = [
        ("upload via app", "app_put"), ("upload direct (minio SDK)", "direct_put"),
        ("download via app", "app_get"), ("download direct (minio SDK)", "direct_get"),
    ]
    print(f"file: {args.size_mib} MiB, SeaweedFS on loopback, gunicorn 1 sync worker, "
          f"median of {args.rounds} interleaved rounds")
    for label, key in rows:
        seconds = median[key]
        spread = ", ".join(f"{v:.2f}" for v in timings[key])
        print(f"  {label:30s} {seconds:7.2f} s  {mb / seconds:7.1f} MB/s   (runs: {spread})")
    print(f"  upload ratio app/direct        {median['direct_put'] / median['app_put']:.2f}   (target >= 0.7)")
    print(f"  download ratio app/direct      {median['direct_get'] / median['app_get']:.2f}   (target >= 0.8)")
    print(f"  worker RSS idle {rss_idle:.0f} MB, peak during transfers {rss_peak:.0f} MB, "
          f"high-water mark {rss_hwm:.0f} MB   (target < 150 MB)")


if __name__ == "__main__":
    main()
