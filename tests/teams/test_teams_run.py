"""`python -m bot run` as a real process with Teams configured: Teams only, or beside Slack in
Socket Mode — the same port answers /api/messages, /healthz, and SIGTERM still exits 0."""

from __future__ import annotations

import json
import os
import signal
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import EXIT_UNREACHABLE
from tests.bot.test_run import finish, free_port, get, start_bot, wait_for_health
from tests.conftest import ROOT
from tests.slack_standin import SlackStandIn
from tests.teams_standin import TeamsStandIn


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    standin = SlackStandIn().start()
    yield standin
    standin.stop()


@pytest.fixture
def teams() -> Iterator[TeamsStandIn]:
    standin = TeamsStandIn().start()
    yield standin
    standin.stop()


def teams_env(tmp_path: Path, teams: TeamsStandIn, port: int, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "TEAMS_", "DATABASE_", "PORT"))
    }
    settings = teams.settings()
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "TEAMS_APP_ID": settings.app_id,
            "TEAMS_APP_PASSWORD": settings.app_password,
            "TEAMS_TENANT_ID": settings.tenant_id or "",
            "TEAMS_OPENID_METADATA_URL": settings.openid_metadata_url,
            "TEAMS_TOKEN_URL": settings.token_url,
            "TEAMS_SERVICE_URL": settings.service_url,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
            "HOST": "127.0.0.1",
            "PORT": str(port),
            **extra,
        }
    )
    return env


def post_activity(port: int, teams: TeamsStandIn, text: str) -> int:
    activity = {
        "type": "message",
        "id": "1000000000001",
        "text": text,
        "serviceUrl": teams.service_url,
        "from": {"id": "29:1stranger"},
        "conversation": {"id": "a:1on1-stranger", "conversationType": "personal"},
        "recipient": {"id": "28:bot"},
    }
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/messages",
        data=json.dumps(activity).encode(),
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {teams.token_for()}",
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        return int(resp.status)


def test_teams_only_serves_api_messages_and_health(tmp_path: Path, teams: TeamsStandIn) -> None:
    port = free_port()
    proc = start_bot(tmp_path, teams_env(tmp_path, teams, port))
    assert wait_for_health(port, proc) == "ok\n"
    assert post_activity(port, teams, "hjælp") == 200
    assert [m["text"][:3] for m in teams.messages("a:1on1-stranger")] == ["Hej"]
    assert get(f"http://127.0.0.1:{port}/slack/events")[0] == 404  # no Slack here
    proc.send_signal(signal.SIGTERM)
    code, err = finish(proc)
    assert code == 0, err
    assert "/api/messages" in err and "Traceback" not in err and "Warning" not in err


def test_teams_beside_slack_in_socket_mode_answers_on_the_health_port(
    tmp_path: Path, teams: TeamsStandIn, slack: SlackStandIn
) -> None:
    """Socket Mode has no Slack endpoint: Teams' endpoint is served on the health port. (The
    stand-in's WebSocket address leads nowhere, so the bot exits after SLACK_CONNECT_TIMEOUT,
    as before Teams.)"""
    port = free_port()
    env = teams_env(
        tmp_path,
        teams,
        port,
        SLACK_BOT_TOKEN="xoxb-test-token",
        SLACK_APP_TOKEN="xapp-1-test",
        SLACK_API_URL=slack.url,
        SLACK_CONNECT_TIMEOUT="4",
    )
    proc = start_bot(tmp_path, env)
    wait_for_health(port, proc, want=503)  # not connected to Slack
    assert post_activity(port, teams, "help") == 200
    assert len(teams.messages("a:1on1-stranger")) == 1
    code, err = finish(proc)
    assert code == EXIT_UNREACHABLE, err
    assert "Traceback" not in err


def test_half_a_teams_configuration_is_a_friendly_error(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TEAMS_", "PORT"))}
    env.update({"PYTHONPATH": str(ROOT), "TEAMS_APP_ID": "8f0e2c1a-5b7d-4c3e-9a61-2d4f6b8e0c17"})
    proc = start_bot(tmp_path, env)
    code, err = finish(proc)
    assert code == 2
    assert "TEAMS_APP_PASSWORD" in err and "Traceback" not in err
