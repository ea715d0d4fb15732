"""A scriptable stand-in for SendGrid's POST /v3/mail/send on 127.0.0.1 (a random free port).

    with FakeSendGrid() as fake:
        fake.script(rate_limited(reset=time.time() + 1), server_error(), hang(), drop())
        backend = SendGridBackend(api_key="SG.test", host=fake.url, timeout=0.5)
        ...
        fake.requests  # every request: its JSON body, headers, path, and what the fake answered

Scripted answers are used in order, one per request; when the script runs out, every request gets `accepted()`
(202, empty body, like SendGrid). Prism validates the shape of a request against SendGrid's OpenAPI; this
server is for what Prism cannot do: fail on purpose, count, time out, and remember.
"""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


@dataclass(frozen=True)
class Reply:
    """One scripted behaviour: answer `status` with `body` and `headers`, after `delay` seconds; or, with
    `drop`, close the connection without answering (after reading the request)."""

    status: int = 202
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False

    @property
    def label(self) -> str:
        if self.drop:
            return "drop"
        return f"{self.status}" + (f" after {self.delay:g}s" if self.delay else "")


def _errors(message: str, field: str | None = None) -> bytes:
    return json.dumps({"errors": [{"message": message, "field": field, "help": None}]}).encode()


_MESSAGE_IDS = itertools.count(1)


def accepted() -> Reply:
    """202 with an X-Message-Id, as SendGrid answers a request it took."""
    return Reply(202, headers={"X-Message-Id": f"fake-{next(_MESSAGE_IDS):06d}-Xa9bC"})


def rate_limited(reset: float | None = None) -> Reply:
    """429 as SendGrid sends it; `reset` is the epoch second the limit resets (X-RateLimit-Reset)."""
    headers = {"Content-Type": "application/json", "X-RateLimit-Limit": "600", "X-RateLimit-Remaining": "0"}
    if reset is not None:
        headers["X-RateLimit-Reset"] = str(int(reset))
    return Reply(429, _errors("too many requests"), headers)


def server_error(status: int = 500) -> Reply:
    return Reply(status, _errors("internal server error"), {"Content-Type": "application/json"})


def bad_request(message: str = "The from email does not contain a valid address.",
                field: str | None = "from.email", status: int = 400) -> Reply:
    return Reply(status, _errors(message, field), {"Content-Type": "application/json"})


def hang(seconds: float = 5.0) -> Reply:
    """Answer 202 only after `seconds`: longer than the client's timeout, so the client gives up first."""
    return Reply(202, delay=seconds)


def drop() -> Reply:
    """Read the request, then close the connection without a word."""
    return Reply(drop=True)


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any  # the parsed JSON (None when the body was not JSON)
    raw: bytes
    answer: str  # the label of the Reply used
    at: float  # time.monotonic() when the request had been read


class FakeSendGrid:
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self._lock = threading.Lock()
        self._script: deque[Reply] = deque()
        self._requests: list[Recorded] = []
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-sendgrid", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # releases requests still hanging
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- scripting and records -----------------------------------------------------------------------------

    def script(self, *replies: Reply) -> FakeSendGrid:
        with self._lock:
            self._script.extend(replies)
        return self

    def reset(self) -> None:
        with self._lock:
            self._script.clear()
            self._requests.clear()

    @property
    def requests(self) -> list[Recorded]:
        with self._lock:
            return list(self._requests)

    def personalization_counts(self) -> list[int]:
        return [len(r.body.get("personalizations", [])) if isinstance(r.body, dict) else 0
                for r in self.requests]

    def _next(self) -> Reply:
        with self._lock:
            return self._script.popleft() if self._script else accepted()

    def _record(self, entry: Recorded) -> None:
        with self._lock:
            self._requests.append(entry)

    # -- HTTP ----------------------------------------------------------------------------------------------

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read `requests`
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = None
                reply = fake._next()
                fake._record(Recorded(self.command, self.path, dict(self.headers.items()), body, raw,
                                      reply.label, time.monotonic()))
                if self.path.split("?")[0] != "/v3/mail/send":
                    reply = Reply(404, _errors("not found"), {"Content-Type": "application/json"})
                if reply.drop:
                    self.close_connection = True
                    try:
                        self.connection.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    return
                if reply.delay and fake._stopping.wait(reply.delay):
                    self.close_connection = True
                    return
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    if reply.body:
                        self.wfile.write(reply.body)
                except OSError:  # the client gave up (timed out) before we answered
                    self.close_connection = True


        return Handler
