"""A fake file host on 127.0.0.1 for dump downloads, speaking HTTP caching as servers do.

    server = FakeDumpServer().start()
    server.publish("/links.json.gz", content)      # ETag and Last-Modified per content
    server.drop_next("/links.json.gz", after=100)  # next GET: full Content-Length, 100 bytes, hang up
    ... server.url("/links.json.gz") ...
    server.requests                                 # [(path, status, request headers)]

A GET carrying the current ETag in If-None-Match (or, without it, the current
Last-Modified in If-Modified-Since) is answered 304 with no body.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler

import pytest

from tests.fakes.loopback import LoopbackServer, QuietHandler, bypass_proxies


class FakeDumpServer(LoopbackServer):
    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, str, str]] = {}  # path -> (content, etag, modified)
        self.requests: list[tuple[str, int, dict[str, str]]] = []
        self._drops: dict[str, int] = {}
        self._lock = threading.Lock()
        self._published = 0

    def publish(self, path: str, content: bytes) -> None:
        with self._lock:
            self._published += 1
            etag = '"' + hashlib.sha256(content).hexdigest()[:16] + '"'
            modified = formatdate(1_700_000_000 + self._published * 86_400, usegmt=True)
            self.files[path] = (content, etag, modified)

    def drop_next(self, path: str, after: int) -> None:
        """The next GET of `path` announces the whole file but sends `after` bytes, then hangs up."""
        self._drops[path] = after

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def statuses(self, path: str) -> list[int]:
        return [status for p, status, _ in self.requests if p == path]

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        return _handler_for(self)


def _handler_for(server: FakeDumpServer) -> type[BaseHTTPRequestHandler]:
    class Handler(QuietHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            headers = {name.lower(): value for name, value in self.headers.items()}
            with server._lock:
                found = server.files.get(self.path)
                drop = server._drops.pop(self.path, None)
            if found is None:
                return self._reply(404, b"Not Found", headers)
            content, etag, modified = found
            if headers.get("if-none-match") == etag or (
                "if-none-match" not in headers and headers.get("if-modified-since") == modified
            ):
                return self._reply(304, b"", headers, etag, modified)
            if drop is not None:
                self._record(200, headers)
                self.send_response(200)
                self.send_header("Content-Length", str(len(content)))
                self.send_header("ETag", etag)
                self.end_headers()
                self.wfile.write(content[:drop])
                self.wfile.flush()
                self.close_connection = True
                return None
            return self._reply(200, content, headers, etag, modified)

        def _reply(self, status, body, headers, etag=None, modified=None) -> None:
            self._record(status, headers)
            self.send_response(status)
            if etag:
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", modified)
            if status != 304:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _record(self, status: int, headers: dict[str, str]) -> None:
            with server._lock:
                server.requests.append((self.path, status, headers))

    return Handler


@pytest.fixture
def dump_server(monkeypatch) -> Iterator[FakeDumpServer]:
    with FakeDumpServer() as server:
        bypass_proxies(monkeypatch)
        yield server
