"""The real server over HTTP with Teams mounted beside Slack: activities signed by the Teams
stand-in's key (as the Bot Framework signs them), and the stand-in as the Bot Connector."""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.app import create_app
from bot.server import ReplayGuard, make_server, make_wsgi_app, mount
from bot.teams_server import MESSAGES_PATH, teams_endpoint
from models.db import make_session_factory
from models.network import Member, Network, Platform
from tests.conftest import ANNA, BO, SEASON_NOW
from tests.e2e.conftest import SIGNING_SECRET, Clock, HttpReply
from tests.slack_standin import SlackStandIn, standin_settings
from tests.teams.playground import Playground, running_playground
from tests.teams_standin import TENANT_ID, TeamsStandIn

ANNA_TEAMS = "29:1anna-teams-user-id"
ANNA_AAD = "aaaaaaaa-0000-4000-8000-00000000a001"
BO_AAD = "bbbbbbbb-0000-4000-8000-00000000b002"  # Bo is known by his Entra object id
BO_TEAMS = "29:1bo-teams-user-id"
STRANGER = "29:1someone-not-in-a-network"
BOT = "28:00000000-0000-4000-8000-0000000a11d0"

_IDS = itertools.count(1)


def personal_conversation(user: str) -> str:
    return f"a:1on1-{user[-8:]}"


@dataclass
class TeamsBot:
    url: str
    teams: TeamsStandIn
    clock: Clock
    session_factory: sessionmaker[Session]

    def post(self, body: bytes, headers: dict[str, str]) -> HttpReply:
        request = urllib.request.Request(
            self.url + MESSAGES_PATH, data=body, headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as resp:
                return HttpReply(resp.status, resp.read().decode())
        except urllib.error.HTTPError as err:
            return HttpReply(err.code, err.read().decode())

    def activity(self, user: str, aad: str | None = None, **fields: Any) -> dict[str, Any]:
        """An activity as Teams sends it in a personal chat (a message unless `type` says)."""
        sender: dict[str, Any] = {"id": user, "name": "Someone"}
        if aad:
            sender["aadObjectId"] = aad
        return {
            "type": "message",
            "id": f"1{next(_IDS):012d}",
            "timestamp": "2015-10-05T08:00:00.000Z",
            "serviceUrl": self.teams.service_url,
            "channelId": "msteams",
            "from": sender,
            "conversation": {
                "conversationType": "personal",
                "tenantId": TENANT_ID,
                "id": personal_conversation(user),
            },
            "recipient": {"id": BOT, "name": "Tovholder"},
            "channelData": {"tenant": {"id": TENANT_ID}},
            "locale": "da-DK",
            **fields,
        }

    def send(self, activity: dict[str, Any], token: str | None = None) -> HttpReply:
        """`activity` with a valid token for its serviceUrl (or `token`)."""
        token = token or self.teams.token_for(service_url=activity.get("serviceUrl"))
        return self.post(
            json.dumps(activity).encode(),
            {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )

    def conversation_of(self, slack_id: str) -> dict[str, Any] | None:
        with self.session_factory() as session:
            member = session.scalars(select(Member).where(Member.slack_user_id == slack_id)).one()
            identity = member.identity(Platform.TEAMS)
            return identity.conversation if identity else None


@dataclass
class RunningTeams:
    url: str
    teams: TeamsStandIn
    clock: Clock
    session_factory: sessionmaker[Session]


@pytest.fixture(scope="session")
def teams_server(engine: Engine) -> Iterator[RunningTeams]:
    """The server as `python -m bot run` builds it with Slack and Teams both configured."""
    slack = SlackStandIn().start()
    teams = TeamsStandIn().start()
    clock = Clock(SEASON_NOW)
    session_factory = make_session_factory(engine)
    settings = standin_settings(
        slack.url, slack_signing_secret=SIGNING_SECRET, teams=teams.settings()
    )
    app = create_app(settings, session_factory, clock=clock)
    guard = ReplayGuard(session_factory)
    slack_wsgi = make_wsgi_app(app, signing_secret=SIGNING_SECRET, replay_guard=guard)
    assert settings.teams is not None
    endpoint = teams_endpoint(settings.teams, session_factory, replay_guard=guard, clock=clock)
    wsgi = mount({MESSAGES_PATH: endpoint}, slack_wsgi)
    server = make_server(wsgi, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield RunningTeams(
            f"http://127.0.0.1:{server.effective_port}", teams, clock, session_factory
        )
    finally:
        time.sleep(0.2)
        server.close()
        server.task_dispatcher.shutdown(timeout=5)
        thread.join(timeout=5)
        slack.stop()
        teams.stop()


def give_teams_ids(session_factory: sessionmaker[Session]) -> None:
    """Anna is on Teams by her Teams user id, Bo by his Entra object id (as a network file
    may give either)."""
    with session_factory.begin() as session:
        for slack_id, teams_id in ((ANNA, ANNA_TEAMS), (BO, BO_AAD)):
            member = session.scalars(select(Member).where(Member.slack_user_id == slack_id)).one()
            member.teams_user_id = teams_id


@pytest.fixture
def teams_bot(teams_server: RunningTeams, network: Network) -> TeamsBot:
    teams_server.clock.now = SEASON_NOW
    teams_server.teams.reset()
    give_teams_ids(teams_server.session_factory)
    return TeamsBot(
        teams_server.url, teams_server.teams, teams_server.clock, teams_server.session_factory
    )


@pytest.fixture
def playground(tmp_path: Path) -> Iterator[Playground]:
    """Tovholder in playground mode and Microsoft 365 Agents Playground talking to each other
    (skips, saying why, without node or the playground): tests/teams/playground.py."""
    yield from running_playground(tmp_path)
