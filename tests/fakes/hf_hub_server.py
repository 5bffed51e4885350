"""A fake Hugging Face Hub on 127.0.0.1: `GET /api/models` as the Hub answers it.

    hub.add_model("org/bert", "2024-05-03T10:00:00.000Z", ["pytorch", "tf"], "transformers", 12)
    hub.script("tf", Reply.rate_limited(retry_after=3), page=2)   # served before page 2
    hub.always("jax", Reply.rate_limited())
    ... hub.endpoint ...          # "http://127.0.0.1:PORT"
    hub.requests_for("tf")        # every request whose filter was "tf", query parsed

Query parameters honoured as the Hub does: `filter` (repeatable; a model must carry every
one as a tag), `sort=createdAt` with `direction` (-1, the Hub's default, newest first),
`limit` (page size, at most 1000), `expand` (repeatable: only those properties, besides
`_id` and `id`), and `cursor` (opaque, from the next link). Pages are chained with a
`Link: <URL>; rel="next"` header whose URL repeats the query plus a cursor.
"""

from __future__ import annotations

import base64
import json
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

MAX_PAGE_SIZE = 1000


@dataclass(frozen=True)
class Reply:
    """One canned answer: a status, headers and a raw body."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def rate_limited(cls, retry_after: int | str | None = None) -> Reply:
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        return cls(429, b'{"error": "You have been rate-limited"}', headers)

    @classmethod
    def error(cls, status: int = 500) -> Reply:
        return cls(status, b'{"error": "Internal Error"}')

    @classmethod
    def malformed(cls) -> Reply:
        return cls(200, b'[{"_id": "1", "id": "org/cut", "createdAt": "2024-')

    @classmethod
    def json(cls, payload: object) -> Reply:
        return cls(200, json.dumps(payload).encode())


@dataclass(frozen=True)
class HubRequest:
    path: str  # raw, query included
    query: dict[str, list[str]]
    authorization: str | None

    @property
    def tag(self) -> str | None:
        return (self.query.get("filter") or [None])[0]


class FakeHub:
    """The server's state; `start()` binds a free port and serves from a daemon thread."""

    def __init__(self) -> None:
        self.models: list[dict] = []
        self.requests: list[HubRequest] = []
        self._scripts: dict[tuple[str, int], deque[Reply]] = {}
        self._always: dict[str, Reply] = {}
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- arranging ---------------------------------------------------------------------

    def add_model(
        self,
        model_id: str,
        created_at: str,
        tags: list[str],
        library_name: str | None = None,
        downloads: int = 0,
    ) -> None:
        """A model as the Hub stores it; `created_at` is the JSON string, e.g. '...T10:00:00.000Z'."""
        model = {"_id": f"{len(self.models):024x}", "id": model_id, "createdAt": created_at}
        model |= {"tags": list(tags), "downloads": downloads}
        if library_name is not None:  # the Hub leaves the key out when unknown
            model["library_name"] = library_name
        self.models.append(model)

    def script(self, tag: str, *replies: Reply, page: int = 1) -> None:
        """Replies served, in order, to requests for this tag's `page` before its normal answer."""
        with self._lock:
            self._scripts.setdefault((tag, page), deque()).extend(replies)

    def always(self, tag: str, reply: Reply) -> None:
        """Answer every request filtering on this tag with `reply`."""
        self._always[tag] = reply

    @property
    def endpoint(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def requests_for(self, tag: str) -> list[HubRequest]:
        return [request for request in self.requests if request.tag == tag]

    # -- serving -----------------------------------------------------------------------

    def start(self) -> FakeHub:
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

    def answer(self, raw_path: str, authorization: str | None) -> Reply:
        split = urlsplit(raw_path)
        query = parse_qs(split.query, keep_blank_values=True)
        request = HubRequest(raw_path, query, authorization)
        with self._lock:
            self.requests.append(request)
            if split.path != "/api/models":
                return Reply(404, b'{"error": "Not Found"}')
            try:
                limit = min(int(query.get("limit", [MAX_PAGE_SIZE])[0]), MAX_PAGE_SIZE)
                offset = _offset(query.get("cursor", [None])[0])
            except ValueError:
                return Reply(400, b'{"error": "Invalid limit or cursor"}')
            if request.tag in self._always:
                return self._always[request.tag]
            queue = self._scripts.get((request.tag, offset // limit + 1))
            if queue:
                return queue.popleft()
            matching = self._matching(query)
        page = [
            _expanded(model, query.get("expand")) for model in matching[offset : offset + limit]
        ]
        headers = {}
        if offset + limit < len(matching):
            next_query = {k: v for k, v in query.items() if k != "cursor"}
            next_query["cursor"] = [_cursor(offset + limit)]
            next_url = f"{self.endpoint}/api/models?{urlencode(next_query, doseq=True)}"
            headers["Link"] = f'<{next_url}>; rel="next"'
        return Reply(200, json.dumps(page).encode(), headers)

    def _matching(self, query: dict[str, list[str]]) -> list[dict]:
        wanted = query.get("filter", [])
        models = [m for m in self.models if all(tag in m["tags"] for tag in wanted)]
        if query.get("sort", [None])[0] == "createdAt":
            newest_first = query.get("direction", ["-1"])[0] != "1"
            models.sort(key=lambda m: m["createdAt"], reverse=newest_first)
        return models


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def _offset(cursor: str | None) -> int:
    if cursor is None:
        return 0
    try:
        return int(json.loads(base64.urlsafe_b64decode(cursor))["offset"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(cursor) from exc


def _expanded(model: dict, expand: list[str] | None) -> dict:
    if not expand:
        return {k: model[k] for k in ("_id", "id") if k in model}
    return {k: v for k, v in model.items() if k in ("_id", "id", *expand)}


def _handler_for(server: FakeHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            reply = server.answer(self.path, self.headers.get("Authorization"))
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(reply.body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep pytest output clean

    return Handler


@pytest.fixture
def hf_hub(monkeypatch) -> Iterator[FakeHub]:
    """A started fake; $HF_ENDPOINT points at it so nothing can reach the real Hub."""
    server = FakeHub().start()
    monkeypatch.setenv("HF_ENDPOINT", server.endpoint)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    for name in ("HF_TOKEN", "HF_HUB_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    try:
        yield server
    finally:
        server.stop()
