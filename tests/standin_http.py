"""The HTTP plumbing the local stand-ins share (tests/slack_standin.py for Slack's Web API,
tests/teams_standin.py for Microsoft's side of Teams).

- `StandInServer`: a threaded HTTP server on a free loopback port, in a daemon thread, that
  hands every request (any method) to the stand-in as a `Request` and sends the `Answer` it
  gets back — JSON, or bytes as they are; after a delay, or never (the connection closed
  without an answer: the client's timeout, after the work may have been done). A client that
  gave up waiting is not an error.
- `Faults`: what to answer the next requests of a kind with instead of the usual — queued
  faults first, one each, then a plan by the kind's request number (1, 2, …), e.g. every
  tenth, or a share at random for a bench; every request of a kind is counted.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Generic, TypeVar

F = TypeVar("F")


@dataclass
class Request:
    """One request as it came: the path undecoded, the headers as sent."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str:
        """A header's value by its name in any case ("" when not sent)."""
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), "")

    def text(self) -> str:
        return self.body.decode("utf-8")


@dataclass
class Answer:
    """What to answer: `body` as JSON (bytes as they are), after `delay` seconds; with `drop`,
    no answer at all (the connection closes after the delay)."""

    status: int = 200
    body: dict[str, Any] | bytes = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False


Handle = Callable[[Request], Answer]


class StandInServer:
    """`handle` serving HTTP on 127.0.0.1 at a free port, once started."""

    def __init__(self, handle: Handle) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.handle = handle  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        """http://127.0.0.1:<port>, without a slash at the end."""
        host, port = self._server.server_address[:2]
        assert isinstance(host, str)  # an IPv4 address, as the server was bound
        return f"http://{host}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class _Handler(BaseHTTPRequestHandler):
    """Hands each request to the server's `handle` and writes its answer."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        request = Request(self.command, self.path, dict(self.headers), body)
        answer: Answer = self.server.handle(request)  # type: ignore[attr-defined]
        if answer.delay:
            time.sleep(answer.delay)
        if answer.drop:  # no answer: the client sees the connection close
            self.close_connection = True
            return
        self.send_response(answer.status)
        if isinstance(answer.body, bytes):
            payload = answer.body
        else:
            payload = json.dumps(answer.body).encode()
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in answer.headers.items():
            self.send_header(name, value)
        try:
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a timeout): the work is done all the same

    do_GET = do_POST = do_PUT = _serve


class Faults(Generic[F]):
    """Faults of type F by kind of request (a Slack method, a Teams connector call): queued
    ones first, then the kind's plan by request number; None for the usual answer."""

    def __init__(self) -> None:
        self._queued: dict[str, list[F]] = {}
        self._plans: dict[str, Callable[[int], F | None]] = {}
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def queue(self, kind: str, *faults: F) -> None:
        """The next requests of `kind` get these, one each, in order."""
        with self._lock:
            self._queued.setdefault(kind, []).extend(faults)

    def plan(self, kind: str, plan: Callable[[int], F | None]) -> None:
        """Requests of `kind` get `plan(request number)` once none is queued."""
        with self._lock:
            self._plans[kind] = plan

    def reset(self) -> None:
        with self._lock:
            self._queued.clear()
            self._plans.clear()
            self._counts.clear()

    def count(self, kind: str) -> int:
        """Count a request of `kind`: its number (1, 2, …)."""
        with self._lock:
            self._counts[kind] = self._counts.get(kind, 0) + 1
            return self._counts[kind]

    def take(self, kind: str, number: int) -> F | None:
        """The fault for request `number` of `kind`: the next queued one, else the plan's."""
        with self._lock:
            queued = self._queued.get(kind)
            if queued:
                return queued.pop(0)
            plan = self._plans.get(kind)
            return plan(number) if plan is not None else None

    def next(self, kind: str) -> F | None:
        """Count a request of `kind` and give its fault."""
        return self.take(kind, self.count(kind))
