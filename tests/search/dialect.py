"""The OpenSearch node, as Elasticsearch 8's client expects to hear it: two headers rewritten.

Elasticsearch's Python client refuses a server that does not say it is Elasticsearch (the
`X-Elastic-Product` answer header) and sends its versioned media type
(`application/vnd.elasticsearch+json; compatible-with=8`), which OpenSearch answers with a 406.
Bodies, paths and statuses pass unchanged: what answers is the node's Lucene, so the engine's
Elasticsearch path (`clients.ElasticsearchCluster`) runs against a real search engine in every
test run, not only when a developer has an Elasticsearch at hand (RSE_TEST_ELASTICSEARCH_URL).
"""

from __future__ import annotations

import http.client
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

_VERSIONED = re.compile(r"application/vnd\.elasticsearch\+(json|x-ndjson)\s*;\s*compatible-with=\d+")
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}


class ElasticDialect:
    """A loopback HTTP server in a thread that forwards every request to `upstream`."""

    def __init__(self, upstream: str):
        target = urlsplit(upstream)
        self.upstream = (target.hostname, target.port)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.upstream))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="elastic-dialect", daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _plain(value: str) -> str:
    return _VERSIONED.sub(lambda found: f"application/{found.group(1)}", value)


def _handler(upstream: tuple[str, int]) -> type[BaseHTTPRequestHandler]:
    class Forward(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {name: _plain(value) for name, value in self.headers.items()
                       if name.lower() not in _HOP_BY_HOP | {"host"}}
            connection = http.client.HTTPConnection(*upstream, timeout=60)
            try:
                connection.request(self.command, self.path, body=body, headers=headers)
                answer = connection.getresponse()
                data = answer.read()
            finally:
                connection.close()
            self.send_response(answer.status)
            for name, value in answer.getheaders():
                if name.lower() not in _HOP_BY_HOP:
                    self.send_header(name, value)
            self.send_header("X-Elastic-Product", "Elasticsearch")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

        def log_message(self, format, *args) -> None:
            pass

    return Forward
