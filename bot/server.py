"""HTTP mode: Bolt behind a multi-threaded production WSGI server (waitress).

Before Bolt sees a request, the gate here refuses what is not Slack's: a body over
`MAX_BODY_BYTES` gets 413, a missing or wrong signature or an old or malformed timestamp gets
401 — before anything is parsed or stored, and without logging the body. A signed request
that was handled already (Slack's retry, or an exact replay) is answered once more with an
empty 200 and not handled twice: the gate works out its keys, the app checks and stores them
in the request's own transaction (handlers/context.py).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

import waitress
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse
from sqlalchemy.orm import Session, sessionmaker

from handlers.context import REPLAY_KEYS
from models.replay import first_time_seen, forget_seen_requests, keep_response, stored_response

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
# Slack's requests are a few kilobytes; a modal's full state stays far below this.
MAX_BODY_BYTES = 1024 * 1024
# Slack's rule: a signature older (or newer) than five minutes is refused.
SIGNATURE_MAX_AGE_S = 300
# How often an instance deletes expired replay keys.
REPLAY_PURGE_INTERVAL_S = 60

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
JSON_HEADERS = [("Content-Type", "application/json; charset=utf-8")]


def signature_is_valid(
    *, secret: str, timestamp: str, signature: str, body: bytes, now: float
) -> bool:
    """Slack's v0 request signature over the raw bytes, with a fresh numeric timestamp."""
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        return False
    if abs(now - int(timestamp)) > SIGNATURE_MAX_AGE_S:
        return False
    if not signature.startswith("v0=") or not secret:
        return False
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))


def replay_keys(signature: str, body: bytes, content_type: str) -> list[str]:
    """What makes this request the same as one handled before: its signature (an exact
    replay), and for an Events API callback its event id (Slack's retries re-sign it)."""
    keys = ["sig:" + hashlib.sha256(signature.encode()).hexdigest()]
    if "json" in content_type:
        try:
            data = json.loads(body)
        except ValueError:
            return keys
        if isinstance(data, dict) and isinstance(data.get("event_id"), str):
            keys.append("event:" + data["event_id"][:100])
    return keys


def _view_problem(view: Any) -> str | None:
    if not isinstance(view, dict):
        return "view is not an object"
    for key in ("type", "callback_id"):
        if not isinstance(view.get(key), str):
            return f"view.{key} is not a string"
    if not isinstance(view.get("private_metadata", ""), str):
        return "view.private_metadata is not a string"
    state = view.get("state", {"values": {}})
    values = state.get("values") if isinstance(state, dict) else None
    if not isinstance(values, dict) or not all(
        isinstance(block, dict) and all(isinstance(v, dict) for v in block.values())
        for block in values.values()
    ):
        return "view.state.values is not blocks of fields"
    return None


def _interaction_problem(payload: dict[str, Any]) -> str | None:
    kind = payload.get("type")
    if not isinstance(kind, str):
        return "payload has no type"
    user = payload.get("user")
    if user is not None and not (isinstance(user, dict) and isinstance(user.get("id"), str)):
        return "payload.user is not a user"
    if kind == "block_actions":
        actions = payload.get("actions")
        if not (
            isinstance(actions, list)
            and actions
            and all(isinstance(a, dict) and isinstance(a.get("action_id"), str) for a in actions)
        ):
            return "block_actions without actions"
        if not isinstance(payload.get("trigger_id"), str):
            return "block_actions without trigger_id"
    if kind in ("view_submission", "view_closed") or "view" in payload:
        return _view_problem(payload.get("view"))
    return None


def parse_request(body: str, content_type: str) -> tuple[str | None, dict[str, Any]]:
    """The body of a signed request as Bolt reads it (a JSON object; a form's fields; an
    interaction's `payload`), parsed once, and why it is not a request Slack sends (None
    when it is one): Bolt and the handlers rely on these shapes, so an odd one is answered
    with an ack, not a traceback.

    Unlike Bolt's own parser, a form is an interaction only when it has a `payload` field:
    Bolt takes any body containing the word "payload" for one, and a slash command whose
    text says "payload" reached no listener."""
    if "json" in content_type or body.startswith("{"):
        try:
            data = json.loads(body)
        except ValueError:
            return "body is not JSON", {}
        return (None, data) if isinstance(data, dict) else ("JSON body is not an object", {})
    form = dict(parse_qsl(body, keep_blank_values=True))
    if "payload" in form:
        try:
            payload = json.loads(form["payload"])
        except ValueError:
            return "payload is not JSON", {}
        if not isinstance(payload, dict):
            return "payload is not an object", {}
        return _interaction_problem(payload), payload
    if "command" in form and not form.get("user_id"):
        return "command without user_id", {}
    return None, form


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    """The request's headers by their lower-case names (as Bolt's WSGI adapter reads them)."""
    headers = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers[key[5:].lower().replace("_", "-")] = value
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            headers[key.lower().replace("_", "-")] = value
    return headers


def _bolt_request(environ: dict[str, Any], body: dict[str, Any], keys: list[str]) -> BoltRequest:
    """A Bolt request of a body the gate verified and parsed, with its replay `keys` in its
    context (handlers/context.py). Bolt calls a request whose body comes parsed "socket
    mode"; its only other effect is that a lazy listener's copy of the request keeps the
    parsed body instead of parsing the text again."""
    return BoltRequest(
        body=body,
        query=environ.get("QUERY_STRING", ""),
        headers=_headers(environ),  # type: ignore[arg-type]
        context={REPLAY_KEYS: keys} if keys else None,
        mode="socket_mode",
    )


def _respond(response: BoltResponse, start_response: Callable[..., Any]) -> list[bytes]:
    data = response.body.encode("utf-8")
    status = HTTPStatus(response.status)
    headers = [
        (name, value)
        for name, values in response.headers.items()
        if name.lower() != "content-length"
        for value in values
    ]
    start_response(
        f"{status.value} {status.phrase}", [*headers, ("Content-Length", str(len(data)))]
    )
    return [data]


class ReplayGuard:
    """Turns on the replay check: the gate hands each request's keys to the app, which stores
    them with the request's own commit (handlers/context.py); this deletes expired keys now
    and then (the database is shared, so several instances share the keys)."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory
        self._lock = threading.Lock()
        self._next_purge = 0.0

    def first_time(self, keys: list[str]) -> bool:
        """Whether none of `keys` was seen before, recording them in a transaction of its own:
        for Teams' endpoint, whose handling does not run inside one request transaction."""
        self.purge_if_due()
        return first_time_seen(self._session_factory, keys, datetime.now(UTC))

    def keep_response(self, key: str, response: dict[str, Any]) -> None:
        """Keep an invoke's answer with its key, for a retry of it (`response`)."""
        keep_response(self._session_factory, key, response)

    def response(self, key: str, wait: float) -> dict[str, Any] | None:
        """The answer kept for `key`, waiting up to `wait` seconds while it is being made."""
        return stored_response(self._session_factory, key, wait=wait)

    def purge_if_due(self) -> None:
        with self._lock:
            if time.monotonic() < self._next_purge:
                return
            self._next_purge = time.monotonic() + REPLAY_PURGE_INTERVAL_S
        try:
            with self._session_factory.begin() as session:
                forget_seen_requests(session, datetime.now(UTC))
        except Exception:  # only housekeeping; the next purge tries again
            log.warning("could not delete expired replay keys", exc_info=True)


def _answer(
    start_response: Callable[..., Any], status: str, body: dict[str, Any] | None
) -> list[bytes]:
    data = json.dumps(body).encode() if body is not None else b""
    start_response(status, [*JSON_HEADERS, ("Content-Length", str(len(data)))])
    return [data]


class SlackGate:
    """`POST /slack/events` for Slack behind the gate, `GET /healthz` for load balancers and
    Docker; anything else goes to Bolt's own WSGI adapter (which answers 404)."""

    def __init__(
        self,
        app: App,
        signing_secret: str,
        replay_guard: ReplayGuard | None,
        health: Callable[[], tuple[bool, str]] | None,
    ) -> None:
        self.app = app
        self.signing_secret = signing_secret
        self.replay_guard = replay_guard
        self.health = health
        self.fallback = SlackRequestHandler(app, path=EVENTS_PATH)

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path == HEALTH_PATH and method == "GET":
            return self.healthz(start_response)
        if path != EVENTS_PATH or method != "POST":
            result: Iterable[bytes] = self.fallback(environ, start_response)
            return result
        return self.event(environ, start_response)

    def healthz(self, start_response: Callable[..., Any]) -> list[bytes]:
        ok, detail = self.health() if self.health is not None else (True, "ok")
        status = "200 OK" if ok else "503 Service Unavailable"
        start_response(status, [("Content-Type", "text/plain; charset=utf-8")])
        return [(detail + "\n").encode()]

    def event(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        """Refuse what is not Slack's, parse the body once, hand it to Bolt with its keys."""
        body, refusal = self.signed_body(environ)
        if refusal is not None:
            status, error = refusal
            return _answer(start_response, status, {"error": error} if error else None)
        content_type = environ.get("CONTENT_TYPE", "")
        problem, parsed = parse_request(body.decode("utf-8"), content_type)
        if problem is not None:
            log.warning("acknowledged a signed request Slack would not send (%s)", problem)
            return _answer(start_response, "200 OK", None)
        keys: list[str] = []
        if self.replay_guard is not None:
            self.replay_guard.purge_if_due()
            signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
            keys = replay_keys(signature, body, content_type)
        return _respond(self.app.dispatch(_bolt_request(environ, parsed, keys)), start_response)

    def signed_body(self, environ: dict[str, Any]) -> tuple[bytes, tuple[str, str] | None]:
        """The body, or why it is refused (status, error): too large, not signed by Slack,
        not UTF-8 — before anything is parsed or stored, and without logging the body."""
        peer = environ.get("REMOTE_ADDR", "?")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            log.warning(
                "refused a request of %s bytes from %s (limit %s)", length, peer, MAX_BODY_BYTES
            )
            return b"", ("413 Payload Too Large", "too large")
        body = environ["wsgi.input"].read(length) if length else b""
        if not signature_is_valid(
            secret=self.signing_secret,
            timestamp=environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", ""),
            signature=environ.get("HTTP_X_SLACK_SIGNATURE", ""),
            body=body,
            now=time.time(),
        ):
            # One line, never the body: whoever sent it controls it.
            log.info(
                "refused a request without a valid Slack signature from %s (%s bytes)",
                peer,
                len(body),
            )
            return body, ("401 Unauthorized", "invalid request")
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            log.warning("refused a signed request whose body is not UTF-8 (%s bytes)", len(body))
            return body, ("400 Bad Request", "body is not UTF-8")
        return body, None


def make_wsgi_app(
    app: App,
    *,
    signing_secret: str,
    replay_guard: ReplayGuard | None = None,
    health: Callable[[], tuple[bool, str]] | None = None,
) -> WSGIApp:
    """`POST /slack/events` for Slack, `GET /healthz` for load balancers and Docker."""
    return SlackGate(app, signing_secret, replay_guard, health)


def mount(
    routes: dict[str, WSGIApp],
    fallback: WSGIApp | None,
    *,
    health: Callable[[], tuple[bool, str]] | None = None,
) -> WSGIApp:
    """Another platform's endpoints beside Slack's: a request for one of `routes`' paths goes
    to its app, any other to `fallback` (Slack's `make_wsgi_app`, which also answers /healthz);
    without Slack (`fallback` None) /healthz is answered here and anything else is 404."""

    def not_found(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH and environ.get("REQUEST_METHOD") == "GET":
            ok, detail = health() if health is not None else (True, "ok")
            status = "200 OK" if ok else "503 Service Unavailable"
            start_response(status, [("Content-Type", "text/plain; charset=utf-8")])
            return [(detail + "\n").encode()]
        start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
        return [b"not found\n"]

    rest: WSGIApp = fallback or not_found

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        route = routes.get(environ.get("PATH_INFO", ""))
        return (route or rest)(environ, start_response)

    return wsgi


def server_options(threads: int) -> dict[str, Any]:
    """The waitress settings we serve with (also used by the benchmark's bare app)."""
    return {
        "threads": threads,
        "connection_limit": 200,
        "channel_timeout": 30,
        "ident": "tovholder",
        "clear_untrusted_proxy_headers": True,
        # waitress refuses longer bodies itself (413), before buffering them
        "max_request_body_size": MAX_BODY_BYTES,
    }


def make_server(wsgi: WSGIApp, *, host: str, port: int, threads: int, **extra: Any) -> Any:
    """A waitress server bound to host:port (port 0 picks a free one); call `.run()`."""
    return waitress.create_server(
        wsgi, host=host, port=port, **{**server_options(threads), **extra}
    )
