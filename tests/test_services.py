"""The test services stop with the run: a pytest killed by SIGTERM or Ctrl+C leaves no server behind.

Each case starts pytest in a child process on a probe test that holds the PostgreSQL cluster,
the S3 server and the OpenSearch node, signals it once all are up, and checks that their
processes are gone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PROBE = '''
import os
import time
from pathlib import Path


def test_hold_the_services(postgres_cluster, seaweedfs, opensearch_node):
    postmaster = (postgres_cluster.data_dir / "postmaster.pid").read_text().split()[0]
    ready = Path(os.environ["RSE_TEST_PROBE_READY"])
    ready.with_suffix(".tmp").write_text(f"{postmaster} {seaweedfs.process.pid} {opensearch_node.process.pid} "
                                         f"{opensearch_node.root} {postgres_cluster.data_dir}")
    ready.with_suffix(".tmp").rename(ready)
    time.sleep(300)  # until the signal
'''


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in _state(pid)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return ""


def _wait_for(path: Path, child: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if child.poll() is not None:
            output = child.stdout.read() if child.stdout else ""
            pytest.fail(f"the probe run ended before its services were up:\n{output}")
        if time.monotonic() > deadline:
            child.kill()
            pytest.fail("the probe run did not bring its services up in time")
        time.sleep(0.1)


@pytest.mark.outage
@pytest.mark.postgresql
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signalled_run_stops_its_servers(tmp_path, signum):
    if os.environ.get("RSE_TEST_DATABASE_URL"):
        pytest.skip("an external PostgreSQL server is in use: the run starts no cluster")
    probe = tmp_path / "test_probe.py"
    probe.write_text(PROBE)
    ready = tmp_path / "ready"
    # tests.conftest as a plugin: the real fixtures and hooks, on the probe alone.
    command = [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-p", "no:cacheprovider", "-q",
               "--rootdir", str(ROOT), "-c", str(ROOT / "pyproject.toml"), str(probe)]
    # The child answers Ctrl+C as a terminal's foreground run does, even when this run was started
    # with SIGINT ignored (a background job of a non-interactive shell, as CI may start it): Python
    # turns SIGINT into KeyboardInterrupt only if it finds the default disposition at start.
    child = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "RSE_TEST_PROBE_READY": str(ready)},
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        _wait_for(ready, child, timeout=120)
        postmaster, weed, node, node_dir, data_dir = ready.read_text().split(maxsplit=4)
        assert _alive(int(postmaster)) and _alive(int(weed)) and _alive(int(node))
        child.send_signal(signum)
        try:
            output, _ = child.communicate(timeout=120)  # stopping the servers takes seconds; more on a loaded CI
        except subprocess.TimeoutExpired:
            child.kill()
            output, _ = child.communicate()
            raise AssertionError(f"the run did not end within 120 s of {signum.name}:\n{output}") from None
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode != 0, output
    deadline = time.monotonic() + 10
    while any(_alive(int(pid)) for pid in (postmaster, weed, node)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(int(postmaster)), f"PostgreSQL still runs after {signum.name}:\n{output}"
    assert not _alive(int(weed)), f"SeaweedFS still runs after {signum.name}:\n{output}"
    assert not _alive(int(node)), f"OpenSearch still runs after {signum.name}:\n{output}"
    assert not Path(node_dir).exists(), "the OpenSearch node's files were left behind"
    assert not Path(data_dir).exists(), "the cluster's files were left behind"
