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

import threading
from collections import deque
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler
from urllib.parse import unquote, urlsplit

import pytest

from tests.fakes import loopback
from tests.fakes.loopback import LoopbackServer, bypass_proxies, replying_handler


class Reply(loopback.Reply):
    """One canned answer, with the bodies pypistats.org sends when limiting or failing."""

    RATE_LIMITED_BODY = b'{"message": "Too Many Requests"}'
    ERROR_BODY = b"<html><body>Internal Server Error</body></html>"
    MALFORMED_BODY = b'{"data": [{"category": "without_mirrors", "date": "2024-'


class FakePypistats(LoopbackServer):
    """The server's state; `start()` binds a free port and serves from a daemon thread."""

    base_path = "/api/"

    def __init__(self) -> None:
        self.downloads: dict[str, dict[date, int]] = {}
        self.paths: list[str] = []
        self._scripts: dict[str, deque[Reply]] = {}
        self._always: dict[str, Reply] = {}
        self._lock = threading.Lock()

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

    def requests_for(self, name: str) -> list[str]:
        """Request paths whose project segment decodes to `name`."""
        return [path for path in self.paths if _route(path)[0] == name]

    # -- serving -----------------------------------------------------------------------

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        return replying_handler(lambda request: self.answer(request.path), _content_type)

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


def _content_type(reply: Reply) -> str:
    return "application/json" if reply.body[:1] == b"{" else "text/html"


@pytest.fixture
def pypistats_server(monkeypatch) -> Iterator[FakePypistats]:
    """A started fake; $UPTAKE_PYPISTATS_URL points at it so nothing can reach the real site."""
    with FakePypistats() as server:
        monkeypatch.setenv("UPTAKE_PYPISTATS_URL", server.base_url)
        bypass_proxies(monkeypatch)
        yield server
