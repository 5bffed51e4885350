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
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.fakes import loopback
from tests.fakes.loopback import LoopbackServer, bypass_proxies, replying_handler

MAX_PAGE_SIZE = 1000


class Reply(loopback.Reply):
    """One canned answer, with the bodies the Hub sends when limiting or failing."""

    RATE_LIMITED_BODY = b'{"error": "You have been rate-limited"}'
    ERROR_BODY = b'{"error": "Internal Error"}'
    MALFORMED_BODY = b'[{"_id": "1", "id": "org/cut", "createdAt": "2024-'


@dataclass(frozen=True)
class HubRequest:
    path: str  # raw, query included
    query: dict[str, list[str]]
    authorization: str | None

    @property
    def tag(self) -> str | None:
        return (self.query.get("filter") or [None])[0]


class FakeHub(LoopbackServer):
    """The server's state; `start()` binds a free port and serves from a daemon thread."""

    def __init__(self) -> None:
        self.models: list[dict] = []
        self.requests: list[HubRequest] = []
        self._scripts: dict[tuple[str, int], deque[Reply]] = {}
        self._always: dict[str, Reply] = {}
        self._lock = threading.Lock()

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
        return self.base_url

    def requests_for(self, tag: str) -> list[HubRequest]:
        return [request for request in self.requests if request.tag == tag]

    # -- serving -----------------------------------------------------------------------

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        return replying_handler(
            lambda request: self.answer(request.path, request.headers.get("Authorization")),
            "application/json; charset=utf-8",
        )

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


@pytest.fixture
def hf_hub(monkeypatch) -> Iterator[FakeHub]:
    """A started fake; $HF_ENDPOINT points at it so nothing can reach the real Hub."""
    with FakeHub() as server:
        monkeypatch.setenv("HF_ENDPOINT", server.endpoint)
        bypass_proxies(monkeypatch)
        for name in ("HF_TOKEN", "HF_HUB_OFFLINE"):
            monkeypatch.delenv(name, raising=False)
        yield server
