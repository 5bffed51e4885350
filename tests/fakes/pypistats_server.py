"""A fake pypistats.org on 127.0.0.1, speaking the real JSON shapes, scriptable per project.

    server.add_project("alpha", {date(2024, 5, 1): 10, date(2024, 5, 2): 12})
    server.script("alpha", Reply.rate_limited(retry_after=3), Reply.error(500))
    server.always("beta", Reply.rate_limited())
    ... server.base_url ...   # "http://127.0.0.1:PORT/api/"
    server.paths              # raw request paths as received, query included

A project's scripted replies are served first, one per request, then its real data (or
404 when the project was never added). Only /api/packages/{name}/overall and /recent exist.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

import pytest


@dataclass(frozen=True)
class Reply:
    """One canned answer: a status, headers and a raw body."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def rate_limited(cls, retry_after: int | str | None = None) -> Reply:
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        return cls(429, b'{"message": "Too Many Requests"}', headers)

    @classmethod
    def error(cls, status: int = 500) -> Reply:
        return cls(status, b"<html><body>Internal Server Error</body></html>")

    @classmethod
    def malformed(cls) -> Reply:
        return cls(200, b'{"data": [{"category": "without_mirrors", "date": "2024-')

    @classmethod
    def json(cls, payload: object) -> Reply:
        return cls(200, json.dumps(payload).encode())


class FakePypistats:
    """The server's state; `start()` binds a free port and serves from a daemon thread."""

    def __init__(self) -> None:
        self.downloads: dict[str, dict[date, int]] = {}
        self.paths: list[str] = []
        self._scripts: dict[str, deque[Reply]] = {}
        self._always: dict[str, Reply] = {}
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- arranging ---------------------------------------------------------------------

    def add_project(self, name: str, downloads: dict[date, int]) -> None:
        """Daily downloads without mirrors; with_mirrors is served as a larger number."""
        self.downloads[name] = dict(downloads)

    def script(self, name: str, *replies: Reply) -> None:
        """Replies served, in order, before the project's normal answer."""
        with self._lock:
            self._scripts.setdefault(name, deque()).extend(replies)

    def always(self, name: str, reply: Reply) -> None:
        """Answer every request for this project with `reply`."""
        self._always[name] = reply

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/api/"

    def requests_for(self, name: str) -> list[str]:
        """Request paths whose project segment decodes to `name`."""
        return [path for path in self.paths if _route(path)[0] == name]

    # -- serving -----------------------------------------------------------------------

    def start(self) -> FakePypistats:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join(timeout=5)
            self._httpd = None

    def answer(self, raw_path: str) -> Reply:
        with self._lock:
            self.paths.append(raw_path)
            name, endpoint = _route(raw_path)
            if name is None:
                return Reply(404, b"Not Found")
            if name in self._always:
                return self._always[name]
            queue = self._scripts.get(name)
            if queue:
                return queue.popleft()
        if name not in self.downloads or endpoint not in ("overall", "recent"):
            return Reply(404, b"<html><body>Not Found</body></html>")
        return Reply.json(self._payload(name, endpoint))

    def _payload(self, name: str, endpoint: str) -> dict:
        days = sorted(self.downloads[name].items())
        if endpoint == "recent":
            counts = [n for _, n in days]
            data = {
                "last_day": sum(counts[-1:]),
                "last_week": sum(counts[-7:]),
                "last_month": sum(counts[-30:]),
            }
            return {"data": data, "package": name, "type": "recent_downloads"}
        rows = [
            {"category": category, "date": day.isoformat(), "downloads": n + extra}
            for category, extra in (("with_mirrors", 1000), ("without_mirrors", 0))
            for day, n in days
        ]
        return {"data": rows, "package": name, "type": "overall_downloads"}


def _route(raw_path: str) -> tuple[str | None, str | None]:
    """(project, endpoint) of /api/packages/{quoted name}/{endpoint}, split before decoding."""
    parts = urlsplit(raw_path).path.split("/")
    if len(parts) != 5 or parts[:3] != ["", "api", "packages"]:
        return None, None
    return unquote(parts[3]), parts[4]


def _handler_for(server: FakePypistats) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            reply = server.answer(self.path)
            self.send_response(reply.status)
            content_type = "application/json" if reply.body[:1] == b"{" else "text/html"
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(reply.body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep pytest output clean

    return Handler


@pytest.fixture
def pypistats_server(monkeypatch) -> Iterator[FakePypistats]:
    """A started fake; $UPTAKE_PYPISTATS_URL points at it so nothing can reach the real site."""
    server = FakePypistats().start()
    monkeypatch.setenv("UPTAKE_PYPISTATS_URL", server.base_url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    try:
        yield server
    finally:
        server.stop()
