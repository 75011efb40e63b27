"""TEAMS_PLAYGROUND=1: unsigned requests are let in only from this machine, directly, for a
connector on this machine; the mode is refused wherever it could let in someone else."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path
from typing import Any

import pytest

import bot.teams_server as teams_server
from bot.settings import (
    DEFAULT_PLAYGROUND_SERVICE_URL,
    README_PLAYGROUND,
    ConfigError,
    settings_from_env,
)
from bot.teams_server import PlaygroundAuth, make_connector, make_teams_endpoint

LOCAL_SERVICE = "http://localhost:56150/_connector"


def _env(**extra: str) -> dict[str, str]:
    return {"TEAMS_PLAYGROUND": "1", **extra}


def test_playground_runs_teams_alone_on_this_machine() -> None:
    settings = settings_from_env(_env())
    assert settings.teams is not None and settings.teams.playground
    assert not settings.slack
    assert settings.host == "127.0.0.1"
    assert settings.teams.service_url == DEFAULT_PLAYGROUND_SERVICE_URL
    assert settings_from_env(_env(HOST="localhost")).teams is not None


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"HOST": "0.0.0.0"}, "HOST=127.0.0.1"),
        ({"HOST": "192.168.1.20"}, "HOST=127.0.0.1"),
        ({"HOST": "127.0.0.1.attacker.example"}, "HOST=127.0.0.1"),
        ({"TEAMS_APP_ID": "8f0e2c1a-5b7d-4c3e-9a61-2d4f6b8e0c17"}, "TEAMS_APP_ID"),
        ({"TEAMS_APP_PASSWORD": "secret"}, "TEAMS_APP_PASSWORD"),
        ({"SLACK_BOT_TOKEN": "xoxb-1-real", "SLACK_APP_TOKEN": "xapp-1-real"}, "Slack"),
        ({"TEAMS_SERVICE_URL": "https://smba.trafficmanager.net/teams/"}, "TEAMS_SERVICE_URL"),
        ({"TEAMS_PLAYGROUND": "on"}, "TEAMS_PLAYGROUND must be 1 or 0"),
    ],
)
def test_playground_is_refused_where_it_could_let_in_others(
    extra: dict[str, str], named: str
) -> None:
    with pytest.raises(ConfigError, match=named):
        settings_from_env(_env(**extra))


def test_run_host_cannot_open_the_playground_to_the_network() -> None:
    """`python -m bot run --host 0.0.0.0` replaces the host after the settings are read."""
    settings = settings_from_env(_env())
    with pytest.raises(ConfigError, match="this machine only"):
        dataclasses.replace(settings, host="0.0.0.0")


def test_the_playground_connector_never_logs_in() -> None:
    teams = settings_from_env(_env()).teams
    assert teams is not None
    assert make_connector(teams).tokens.token() == "playground"


def _activity(service_url: str = LOCAL_SERVICE) -> dict[str, Any]:
    return {
        "type": "message",
        "id": "1",
        "text": "hjælp",
        "serviceUrl": service_url,
        "from": {"id": "29:1playground-anna-lund"},
        "conversation": {"id": "personal-chat"},
    }


def _post(endpoint: Any, activity: dict[str, Any], peer: str = "127.0.0.1", **headers: str) -> str:
    body = json.dumps(activity).encode()
    environ = {
        "REQUEST_METHOD": "POST",
        "REMOTE_ADDR": peer,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        **headers,
    }
    statuses: list[str] = []
    endpoint(environ, lambda status, _headers: statuses.append(status))
    return statuses[0]


@pytest.fixture
def handled(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    monkeypatch.setattr(
        teams_server, "handle_activity", lambda activity, **_: seen.append(activity)
    )
    return seen


@pytest.fixture
def endpoint(handled: list[dict[str, Any]]) -> Any:
    return make_teams_endpoint(
        session_factory=lambda: _NoSession(),  # type: ignore[arg-type,return-value]
        connector=None,  # type: ignore[arg-type]
        auth=PlaygroundAuth(),
        replay_guard=None,
        clock=lambda: None,  # type: ignore[arg-type,return-value]
    )


class _NoSession:
    def __enter__(self) -> _NoSession:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def test_the_playground_is_let_in_without_a_token(
    endpoint: Any, handled: list[dict[str, Any]]
) -> None:
    assert _post(endpoint, _activity()).startswith("200")
    assert _post(endpoint, _activity("http://127.0.0.1:56150/_connector"), "::1").startswith("200")
    assert _post(endpoint, _activity("http://[::1]:56150/_connector"), "::ffff:127.0.0.1")[:3] == (
        "200"
    )
    assert [a["text"] for a in handled] == ["hjælp", "hjælp", "hjælp"]


@pytest.mark.parametrize(
    ("activity", "peer", "headers"),
    [
        (_activity(), "10.0.0.7", {}),  # from another machine
        (_activity(), "127.0.0.1", {"HTTP_X_FORWARDED_FOR": "203.0.113.9"}),  # via a proxy
        (_activity(), "127.0.0.1", {"HTTP_FORWARDED": "for=203.0.113.9"}),
        (_activity("https://smba.trafficmanager.net/teams/"), "127.0.0.1", {}),  # answer away
        (_activity("http://localhost.attacker.example/_connector"), "127.0.0.1", {}),
        (_activity("http://127.0.0.1.attacker.example/_connector"), "127.0.0.1", {}),
        (_activity("http://[::ffff:10.0.0.7]/_connector"), "127.0.0.1", {}),
        (_activity(), "::ffff:10.0.0.7", {}),
        (_activity(), "127.0.0.1.attacker.example", {}),
    ],
)
def test_anything_else_is_refused_unhandled(
    endpoint: Any,
    handled: list[dict[str, Any]],
    activity: dict[str, Any],
    peer: str,
    headers: dict[str, str],
) -> None:
    assert _post(endpoint, activity, peer, **headers).startswith("401")
    assert handled == []


def test_the_refusals_point_to_a_readme_section_that_exists() -> None:
    section = README_PLAYGROUND.split("section ", 1)[1].strip("'")
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert f"\n### {section}\n" in readme
