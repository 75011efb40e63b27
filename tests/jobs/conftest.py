from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from bot.app import make_web_client
from jobs.nudges import PassReport, run_nudge_pass
from jobs.slack_messenger import SlackMessenger
from tests.jobs.fake_messenger import FakeMessenger
from tests.slack_standin import SlackStandIn, standin_settings


def standin_client(slack: SlackStandIn, timeout: float = 10) -> WebClient:
    """The nudge sender's Web API client, as the bot builds it, pointed at the stand-in."""
    return make_web_client(
        standin_settings(slack.url, slack_bot_token="xoxb-jobs"),
        retry_ambiguous=False,
        timeout=timeout,
    )


Runner = Callable[..., PassReport]


@pytest.fixture
def run_pass(
    session_factory: sessionmaker[Session], slack: SlackStandIn, network: object
) -> Runner:
    client = standin_client(slack)

    def run(
        now: datetime, *, client_: WebClient | None = None, instance: str = "test-1"
    ) -> PassReport:
        return run_nudge_pass(
            session_factory=session_factory,
            messenger=SlackMessenger(client_ or client),
            now=now,
            instance=instance,
            refresh_zones=False,
        )

    return run


@pytest.fixture
def fake() -> FakeMessenger:
    return FakeMessenger()


@pytest.fixture
def run_fake_pass(
    session_factory: sessionmaker[Session], fake: FakeMessenger, network: object
) -> Runner:
    """A nudge pass that sends through the in-memory messenger (no HTTP)."""

    def run(now: datetime, *, instance: str = "test-1") -> PassReport:
        return run_nudge_pass(
            session_factory=session_factory,
            messenger=fake,
            now=now,
            instance=instance,
            refresh_zones=False,
        )

    return run
