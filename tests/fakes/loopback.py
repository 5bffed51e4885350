"""What every fake server here shares: a ThreadingHTTPServer on 127.0.0.1 and canned replies.

    class FakeThing(LoopbackServer):
        def _handler_class(self) -> type[BaseHTTPRequestHandler]:
            return replying_handler(lambda request: self.answer(request.path), "text/plain")

    with FakeThing() as server:      # or server = FakeThing().start() ... server.stop()
        ... server.base_url ...      # "http://127.0.0.1:PORT" + the subclass's base_path

`start()` binds a free port and serves from a daemon thread; `stop()` shuts it down and
closes the socket, and may be called twice.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar, Self

import pytest

LOOPBACK = "127.0.0.1"


class LoopbackServer:
    """A fake's HTTP server; subclasses supply the handler class through `_handler_class()`."""

    base_path: ClassVar[str] = ""  # appended to "http://127.0.0.1:PORT" in base_url
    block_on_close: ClassVar[bool] = True  # False: stop() does not wait for open connections
    thread_name: ClassVar[str | None] = None

    _httpd: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        raise NotImplementedError

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}{self.base_path}"

    def start(self) -> Self:
        httpd = ThreadingHTTPServer((LOOPBACK, 0), self._handler_class())
        httpd.daemon_threads = True
        httpd.block_on_close = self.block_on_close
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=self.thread_name,
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that keeps pytest's output clean."""

    def log_message(self, format: str, *args: object) -> None:
        pass  # silence the default stderr log


def replying_handler(
    answer: Callable[[BaseHTTPRequestHandler], Reply], content_type: str | Callable[[Reply], str]
) -> type[BaseHTTPRequestHandler]:
    """A handler answering each GET with `answer(request)`, labelled with `content_type`."""

    class Handler(QuietHandler):
        def do_GET(self) -> None:
            reply = answer(self)
            self.send_response(reply.status)
            kind = content_type(reply) if callable(content_type) else content_type
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(reply.body)

    return Handler


@dataclass(frozen=True)
class Reply:
    """One canned answer: a status, headers and a raw body.

    A fake subclasses it to set the bodies its real service sends when rate limited, failing
    or cut short.
    """

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    RATE_LIMITED_BODY: ClassVar[bytes] = b""
    ERROR_BODY: ClassVar[bytes] = b""
    MALFORMED_BODY: ClassVar[bytes] = b""

    @classmethod
    def rate_limited(cls, retry_after: int | str | None = None) -> Self:
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        return cls(429, cls.RATE_LIMITED_BODY, headers)

    @classmethod
    def error(cls, status: int = 500) -> Self:
        return cls(status, cls.ERROR_BODY)

    @classmethod
    def malformed(cls) -> Self:
        return cls(200, cls.MALFORMED_BODY)

    @classmethod
    def json(cls, payload: object) -> Self:
        return cls(200, json.dumps(payload).encode())


def bypass_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep an ambient HTTP proxy from intercepting requests to the loopback fakes."""
    monkeypatch.setenv("NO_PROXY", LOOPBACK)
    monkeypatch.setenv("no_proxy", LOOPBACK)
