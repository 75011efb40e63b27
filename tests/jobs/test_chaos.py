"""The chaos suite: the real sender against a stand-in Slack on a bad day. Whatever the fault,
what Slack accepted holds every message once — 0 doubled, 0 lost, per member and kind."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.jobs.chaos import (
    CLIENT_TIMEOUT_S,
    MODES,
    MOMENTS,
    FakeClock,
    add_members,
    apply_mode,
    drive,
    tally,
)
from tests.jobs.conftest import standin_client
from tests.slack_standin import SlackStandIn

EXTRA = 20


@pytest.mark.parametrize("mode", MODES)
def test_each_message_once_whatever_slack_does(
    mode: str, session_factory: sessionmaker[Session], slack: SlackStandIn, network: object
) -> None:
    with session_factory() as s:
        add_members(s, EXTRA, MOMENTS[0])
    clock = FakeClock(MOMENTS[0])
    slack.clock = clock.seconds
    apply_mode(slack, mode)
    drive(session_factory, standin_client(slack, timeout=CLIENT_TIMEOUT_S), clock)
    result = tally(session_factory, slack)
    assert result.rows > 100  # every moment had work for everyone
    assert (result.doubled, result.lost) == (0, 0), (mode, result.line(), result.by_member_kind)
