"""A server that answers slowly: a loopback TCP proxy that holds every byte of the answers a few
seconds before passing it on (the requests go through at once).

Between the engine and a real node, it makes each answer late by `delay` seconds, as a server
busy merging, collecting garbage or behind a congested network would be, with nothing else changed.
"""

from __future__ import annotations

import queue
import socket
import threading
import time
from urllib.parse import urlsplit


class SlowProxy:
    """Listens on a free loopback port (`url`) and forwards each connection to `upstream`."""

    def __init__(self, upstream: str, delay: float):
        target = urlsplit(upstream)
        self.upstream = (target.hostname, target.port)
        self.delay = delay
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, name="slow-proxy", daemon=True).start()

    @property
    def url(self) -> str:
        host, port = self.listener.getsockname()[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self.listener.close()
        with self.lock:
            for sock in self.sockets:
                sock.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:  # stopped
                return
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets += [client, server]
            threading.Thread(target=_pipe, args=(client, server), daemon=True).start()
            held: queue.Queue[tuple[float, bytes]] = queue.Queue()
            threading.Thread(target=_read_into, args=(server, held), daemon=True).start()
            threading.Thread(target=self._send_late, args=(held, client), daemon=True).start()

    def _send_late(self, held: queue.Queue[tuple[float, bytes]], client: socket.socket) -> None:
        """Each piece of the answer `delay` seconds after it arrived."""
        while True:
            arrived, data = held.get()
            time.sleep(max(0.0, arrived + self.delay - time.monotonic()))
            try:
                if not data:
                    client.shutdown(socket.SHUT_WR)
                    return
                client.sendall(data)
            except OSError:
                return


def _pipe(source: socket.socket, target: socket.socket) -> None:
    while True:
        try:
            data = source.recv(65536)
            if not data:
                target.shutdown(socket.SHUT_WR)
                return
            target.sendall(data)
        except OSError:
            return


def _read_into(source: socket.socket, held: queue.Queue[tuple[float, bytes]]) -> None:
    while True:
        try:
            data = source.recv(65536)
        except OSError:
            data = b""
        held.put((time.monotonic(), data))
        if not data:
            return
