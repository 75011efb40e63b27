"""A local stand-in for Slack's Web API (and for response URLs), reached via SLACK_API_URL.

It answers every method with `{"ok": true}` plus a sensible body for the methods the bot uses,
records each call so tests can read what the bot said, and can be told to answer differently.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from bot.settings import Settings
from tests.standin_http import Answer, Faults, Request, StandInServer

BOT_USER_ID = "UBOT000001"
TEAM_ID = "T0TEST0001"

_MESSAGE_NUMBERS = itertools.count(1)


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    headers: dict[str, str]


@dataclass
class Reply:
    status: int = 200
    body: dict[str, Any] = field(default_factory=lambda: {"ok": True})
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (the work is already done)
    # Do the work as usual first (post the message), then answer with this reply anyway:
    # Slack accepted the request but the answer says otherwise (an HTTP 500 after the post).
    accept: bool = False
    # Close the connection without any answer (with `accept`: the message was posted).
    drop: bool = False


# A fault plan: from the method's call number (1, 2, …) to the reply to give, or None for usual.
FaultPlan = Callable[[int], Reply | None]


def _default_body(
    method: str,
    params: dict[str, Any],
    posted: dict[str, list[dict[str, Any]]],
    visible_before: float | None = None,
) -> dict[str, Any]:
    if method == "auth.test":
        return {
            "ok": True,
            "url": "https://tovholder-test.slack.com/",
            "team": "Tovholder test",
            "user": "tovholder",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": "B0TEST0001",
        }
    if method == "conversations.open":
        return {"ok": True, "channel": {"id": dm_channel(str(params.get("users", "X")))}}
    if method == "chat.postMessage":
        channel = str(params.get("channel"))
        # Unique and increasing for the stand-in's life, as Slack's are: a reset of what was
        # posted must not hand out a ts again (the outbox counts messages by their ts).
        ts = f"{1700000000 + next(_MESSAGE_NUMBERS)}.000100"
        message = {"type": "message", "ts": ts, "text": params.get("text", "")}
        if params.get("metadata"):
            message["metadata"] = params["metadata"]
        if params.get("blocks"):
            message["blocks"] = params["blocks"]
        posted.setdefault(channel, []).append({**message, "_posted_at": params["_posted_at"]})
        return {"ok": True, "channel": channel, "ts": ts, "message": message}
    if method == "conversations.history":
        # Newest first, as Slack returns them. (`oldest` is not applied: tests use old clocks.)
        # `visible_before`: a lagging history shows only what was posted before that moment.
        messages = [
            {k: v for k, v in m.items() if k != "_posted_at"}
            for m in posted.get(str(params.get("channel")), [])
            if visible_before is None or m["_posted_at"] <= visible_before
        ]
        return {"ok": True, "messages": list(reversed(messages))}
    if method == "files.completeUploadExternal":
        files = params.get("files")
        files = json.loads(files) if isinstance(files, str) else files
        return {"ok": True, "files": files}
    if method == "apps.connections.open":
        # A WebSocket address where nothing listens: as if a firewall blocked wss://.
        return {"ok": True, "url": "ws://127.0.0.1:9/link/?ticket=standin"}
    if method == "users.info":
        return {"ok": True, "user": {"id": params.get("user"), "tz": "Europe/Copenhagen"}}
    return {"ok": True}


def explode(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The topics of one posted message, each as if sent alone: the nudge sender bundles what
    is due for a member at one moment into one message, a divider (block id `nudge_part_N`)
    before each further topic and one line of fallback text per topic."""
    blocks = message.get("blocks") or []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    groups: list[list[dict[str, Any]]] = [[]]
    for block in blocks:
        if block.get("type") == "divider" and str(block.get("block_id", "")).startswith(
            "nudge_part_"
        ):
            groups.append([])
        else:
            groups[-1].append(block)
    if len(groups) == 1:
        return [message]
    texts = str(message.get("text", "")).split("\n")
    assert len(texts) == len(groups), "one fallback line per bundled topic"
    metadata = message.get("metadata") or {}
    ids = (metadata.get("event_payload") or {}).get("nudge_ids") or []
    parts = []
    for i, (text, group) in enumerate(zip(texts, groups, strict=True)):
        part = {**message, "text": text, "blocks": group}
        if ids:
            part["metadata"] = {**metadata, "event_payload": {"nudge_id": ids[i]}}
        parts.append(part)
    return parts


def dm_channel(user_id: str) -> str:
    return "D" + user_id[1:]


class SlackStandIn:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.posted: dict[str, list[dict[str, Any]]] = {}
        self.uploads: dict[str, bytes] = {}  # file id -> the bytes uploaded
        self.shared_files: list[dict[str, Any]] = []  # files.completeUploadExternal calls
        self.faults_served = 0
        self._every: dict[str, tuple[int, Reply]] = {}
        self._faults: Faults[Reply] = Faults()  # scripted replies, plans; calls counted
        self._slow: dict[str, float] = {}
        # The stand-in's clock (seconds); a test can share its own fake clock with the sender.
        self.clock: Callable[[], float] = time.time
        self.history_lag = 0.0  # conversations.history shows a post only this long after it
        self.unreachable: set[str] = set()  # channels whose posts fail (HTTP 500, not posted)
        self._lock = threading.Lock()
        self._server = StandInServer(self._handle)

    @property
    def url(self) -> str:
        return f"{self._server.url}/api/"

    def response_url(self, name: str = "cmd") -> str:
        return f"{self._server.url}/response/{name}"

    def start(self) -> SlackStandIn:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.posted.clear()
            self._faults.reset()
            self._every.clear()
            self._slow.clear()
            self.history_lag = 0.0
            self.unreachable.clear()
            self.uploads.clear()
            self.shared_files.clear()
            self.faults_served = 0

    def script(self, method: str, *replies: Reply) -> None:
        """Answer the next calls of `method` with `replies`, in order, then as usual."""
        self._faults.queue(method, *replies)

    def slow_down(self, method: str, seconds: float) -> None:
        """Do the next call of `method` as usual, but answer only after `seconds` (a timeout
        for a client that waits less: Slack has the message, the client does not know)."""
        with self._lock:
            self._slow[method] = seconds

    def fail_every(self, method: str, n: int, reply: Reply) -> None:
        """Answer every `n`-th call of `method` with `reply` (e.g. a 429), the rest as usual."""
        with self._lock:
            self._every[method] = (n, reply)

    def plan(self, method: str, plan: FaultPlan) -> None:
        """Answer the calls of `method` as `plan(call number)` says (None: as usual)."""
        self._faults.plan(method, plan)

    def accepted(self) -> list[dict[str, Any]]:
        """Every message Slack took (whatever the client was told), oldest first."""
        with self._lock:
            return [m for messages in self.posted.values() for m in messages]

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """The calls to `method` once there are at least `count` (work after an ack is async)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            calls = self.calls_to(method)
            if len(calls) >= count:
                return calls
            time.sleep(0.01)
        raise AssertionError(f"expected {count} call(s) to {method}, got {self.calls_to(method)}")

    def _next_reply(
        self, method: str, params: dict[str, Any], headers: dict[str, str] | None = None
    ) -> Reply:
        with self._lock:
            self.calls.append(Call(method, params, headers or {}))
            number = self._faults.count(method)
            if method == "chat.postMessage" and params.get("channel") in self.unreachable:
                self.faults_served += 1
                return Reply(500, {"ok": False, "error": "internal_error"})
            planned = self._faults.take(method, number)  # scripted first, then the plan
            if planned is not None:
                self.faults_served += 1
                return self._accepting(method, params, planned)
            if method in self._every:
                n, reply = self._every[method]
                if number % n == 0:
                    self.faults_served += 1
                    return self._accepting(method, params, reply)
            delay = self._slow.pop(method, 0.0)
            if method == "files.getUploadURLExternal":
                file_id = f"F{number:08d}"
                return Reply(
                    body={
                        "ok": True,
                        "file_id": file_id,
                        "upload_url": f"{self._server.url}/upload/{file_id}",
                    }
                )
            if method == "files.completeUploadExternal":
                self.shared_files.append(params)
            return Reply(body=self._do(method, params), delay=delay)

    def _do(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """The usual work and answer of `method` (under the lock)."""
        now = self.clock()
        params = {**params, "_posted_at": now} if method == "chat.postMessage" else params
        visible = now - self.history_lag if self.history_lag else None
        return _default_body(method, params, self.posted, visible)

    def _accepting(self, method: str, params: dict[str, Any], reply: Reply) -> Reply:
        if reply.accept:
            self._do(method, params)
        return reply

    def _handle(self, request: Request) -> Answer:
        """Every request: a file's bytes to its upload URL, or a Web API method (or a
        response URL), its parameters as JSON or a form."""
        if request.path.startswith("/upload/"):
            with self._lock:
                self.uploads[request.path[len("/upload/") :]] = request.body
            return Answer(body=b"OK")
        raw = request.text()
        if "json" in request.header("Content-Type"):
            params = json.loads(raw or "{}")
        else:
            params = dict(parse_qsl(raw))
        if request.path.startswith("/api/"):
            method = request.path[len("/api/") :].split("?")[0]
        else:
            method = request.path
        reply = self._next_reply(method, params, request.headers)
        return Answer(reply.status, reply.body, reply.headers, reply.delay, reply.drop)


def standin_settings(slack_url: str, **overrides: Any) -> Settings:
    """Bot settings for talking to a stand-in at `slack_url` (HTTP mode, no real tokens)."""
    values: dict[str, Any] = {
        "slack_bot_token": "xoxb-test-token",
        "slack_signing_secret": "test-signing-secret",
        "slack_app_token": None,
        "slack_api_url": slack_url,
        "database_url": "unused",
        "port": 0,
        "server_threads": 4,
        "log_level": "INFO",
    }
    values.update(overrides)
    return Settings(**values)
