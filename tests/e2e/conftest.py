"""The real app over HTTP: waitress serving Bolt, signed requests as Slack sends them, and the
local Slack stand-in behind SLACK_API_URL."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from concurrent.futures import wait as futures_wait
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import Engine

from bot.app import TovholderApp, create_app
from bot.server import ReplayGuard, make_server, make_wsgi_app
from bot.settings import Settings
from models.db import make_session_factory
from tests.conftest import SEASON_NOW
from tests.slack_standin import TEAM_ID, Call, SlackStandIn, standin_settings

SIGNING_SECRET = "e2e-signing-secret"


_TRIGGERS = itertools.count(1)


def trigger_id() -> str:
    """A new trigger id, as Slack gives every command and click (so no two bodies are equal)."""
    return f"13345224609.738474920.{next(_TRIGGERS):031x}"


def sign(body: str, timestamp: int, secret: str = SIGNING_SECRET) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class HttpReply:
    status: int
    body: str

    def json(self) -> dict[str, Any]:
        data = json.loads(self.body)
        assert isinstance(data, dict)
        return data

    @property
    def text(self) -> str:
        return str(self.json()["text"])


class Clock:
    """The bot's clock, settable by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class BotUnderTest:
    url: str
    slack: SlackStandIn
    clock: Clock
    startup_calls: list[Call]
    after_ack: AfterAckWork | None = None

    def wait_for_after_ack(self) -> None:
        """Until what the requests so far handed on after their acks has ended."""
        assert self.after_ack is not None, "this bot does not count its after-ack work"
        self.after_ack.wait_until_idle()

    def post(self, body: str, headers: dict[str, str]) -> HttpReply:
        request = urllib.request.Request(
            self.url + "/slack/events", data=body.encode(), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as resp:
                return HttpReply(resp.status, resp.read().decode())
        except urllib.error.HTTPError as err:
            return HttpReply(err.code, err.read().decode())

    def signed_post(self, body: str, content_type: str, timestamp: int | None = None) -> HttpReply:
        ts = int(time.time()) if timestamp is None else timestamp
        return self.post(
            body,
            {
                "Content-Type": content_type,
                "X-Slack-Request-Timestamp": str(ts),
                "X-Slack-Signature": sign(body, ts),
            },
        )

    def event(self, event: dict[str, Any]) -> HttpReply:
        """An Events API callback exactly as Slack sends it: JSON and signed."""
        body = json.dumps(
            {
                "token": "deprecated-verification-token",
                "team_id": TEAM_ID,
                "api_app_id": "A0TEST0001",
                "event": event,
                "type": "event_callback",
                "event_id": f"Ev{next(_TRIGGERS):012d}",
                "event_time": int(time.time()),
                "authorizations": [{"team_id": TEAM_ID, "user_id": "UBOT000001", "is_bot": True}],
            }
        )
        return self.signed_post(body, "application/json")

    def interaction(self, payload: dict[str, Any]) -> HttpReply:
        """An interactivity request (button click, modal submission) as Slack sends it."""
        payload = {
            "team": {"id": TEAM_ID, "domain": "tovholder-test"},
            "api_app_id": "A0TEST0001",
            "token": "deprecated-verification-token",
            "trigger_id": trigger_id(),
            **payload,
        }
        body = urlencode({"payload": json.dumps(payload)})
        return self.signed_post(body, "application/x-www-form-urlencoded")

    def click(self, user: str, action_id: str, value: str, block_id: str = "b") -> HttpReply:
        return self.interaction(
            {
                "type": "block_actions",
                "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID},
                "container": {
                    "type": "message",
                    "channel_id": "D" + user[1:],
                    "message_ts": "1700000000.000100",
                },
                "channel": {"id": "D" + user[1:], "name": "directmessage"},
                "response_url": self.slack.response_url("action"),
                "actions": [
                    {
                        "type": "button",
                        "action_id": action_id,
                        "block_id": block_id,
                        "value": value,
                        "action_ts": "1700000001.000200",
                    }
                ],
            }
        )

    def submit(self, user: str, view: dict[str, Any], values: dict[str, Any]) -> HttpReply:
        """Submit `view` (as the bot built it) with `values` as the modal's state."""
        return self.interaction(
            {
                "type": "view_submission",
                "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID},
                "view": {
                    "id": "V0TEST0001",
                    "type": "modal",
                    "callback_id": view["callback_id"],
                    "private_metadata": view.get("private_metadata", ""),
                    "state": {"values": values},
                    "hash": "1",
                },
            }
        )

    def command_body(self, command: str, text: str, *, user: str) -> str:
        """A slash command's form body as Slack sends it (each with a new trigger id)."""
        return urlencode(
            {
                "token": "deprecated-verification-token",
                "team_id": TEAM_ID,
                "team_domain": "tovholder-test",
                "channel_id": "C0GENERAL1",
                "channel_name": "general",
                "user_id": user,
                "user_name": user.lower(),
                "command": command,
                "text": text,
                "api_app_id": "A0TEST0001",
                "is_enterprise_install": "false",
                "response_url": self.slack.response_url(),
                "trigger_id": trigger_id(),
            }
        )

    def command(
        self,
        command: str,
        text: str,
        *,
        user: str,
        timestamp: int | None = None,
        secret: str = SIGNING_SECRET,
    ) -> HttpReply:
        """A slash command exactly as Slack sends it: form-encoded and signed."""
        body = self.command_body(command, text, user=user)
        ts = int(time.time()) if timestamp is None else timestamp
        return self.post(body, signed_headers(body, ts, secret))


def signed_headers(
    body: str, timestamp: int, secret: str = SIGNING_SECRET, **extra: str
) -> dict[str, str]:
    content_type = (
        "application/json" if body.startswith(("{", "[")) else ("application/x-www-form-urlencoded")
    )
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": sign(body, timestamp, secret),
        **extra,
    }


def make_settings(slack: SlackStandIn) -> Settings:
    return standin_settings(slack.url, slack_signing_secret=SIGNING_SECRET)


class AfterAckWork:
    """What the app's listeners hand to its executor to do after their ack (uploads, a Home
    tab, an ephemeral reply): counted, so a test can wait until none is left. On the shared
    server, work left running at a test's end would otherwise call the stand-in in the next
    test, after its call log was reset."""

    def __init__(self, app: TovholderApp) -> None:
        self._pending: set[Future[Any]] = set()
        self._lock = threading.Lock()
        executor = app.listener_executor
        submit = executor.submit

        def counted(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
            future = submit(fn, *args, **kwargs)
            with self._lock:
                self._pending.add(future)
            future.add_done_callback(self._done)
            return future

        executor.submit = counted  # type: ignore[method-assign]

    def _done(self, future: Future[Any]) -> None:
        with self._lock:
            self._pending.discard(future)

    def wait_until_idle(self, timeout: float = 15) -> None:
        """Until nothing handed over is left (also what that work handed over in turn)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                pending = list(self._pending)
            if not pending:
                return
            left = deadline - time.monotonic()
            done, _ = futures_wait(pending, timeout=max(0.0, left))
            if len(done) < len(pending) and time.monotonic() >= deadline:
                raise AssertionError(f"{len(pending) - len(done)} after-ack task(s) still running")


@dataclass
class RunningServer:
    url: str
    slack: SlackStandIn
    clock: Clock
    startup_calls: list[Call]
    after_ack: AfterAckWork


@pytest.fixture(scope="session")
def running_server(
    engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    """One real server per database backend for the whole run (starting and stopping waitress
    per test is slow and racy); each test gets a clean database, clock and call log."""
    slack = SlackStandIn().start()
    clock = Clock(SEASON_NOW)
    session_factory = make_session_factory(engine)
    app = create_app(make_settings(slack), session_factory, clock=clock)
    after_ack = AfterAckWork(app)
    wsgi = make_wsgi_app(
        app, signing_secret=SIGNING_SECRET, replay_guard=ReplayGuard(session_factory)
    )
    server = make_server(wsgi, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    startup_calls = list(slack.calls)
    try:
        yield RunningServer(
            f"http://127.0.0.1:{server.effective_port}", slack, clock, startup_calls, after_ack
        )
    finally:
        time.sleep(0.2)  # let worker threads finish their last responses
        server.close()
        server.task_dispatcher.shutdown(timeout=5)
        thread.join(timeout=5)
        slack.stop()


@pytest.fixture
def bot(running_server: RunningServer, network: object) -> Iterator[BotUnderTest]:
    running_server.clock.now = SEASON_NOW
    running_server.slack.reset()
    yield BotUnderTest(
        running_server.url,
        running_server.slack,
        running_server.clock,
        running_server.startup_calls,
        running_server.after_ack,
    )
    # What the test's requests still do after their acks ends in this test, not the next.
    running_server.after_ack.wait_until_idle()
