"""The chaos suite: the real sender against a stand-in Slack on a bad day. Whatever the fault,
what Slack accepted holds every message once — 0 doubled, 0 lost, per member and kind."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from jobs.nudges import LEASE, run_nudge_pass
from jobs.slack_messenger import SlackMessenger
from models.db import make_engine, make_session_factory
from tests.jobs.chaos import (
    CLIENT_TIMEOUT_S,
    MAX_PASSES,
    MODES,
    MOMENTS,
    PASS_EVERY,
    FakeClock,
    add_members,
    apply_mixed,
    apply_mode,
    drive,
    open_work,
    tally,
)
from tests.jobs.conftest import standin_client
from tests.slack_standin import SlackStandIn

EXTRA = 10
ROOT = Path(__file__).resolve().parents[2]


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


# Several instances share a PostgreSQL database; SQLite is one process, so PostgreSQL only.
@pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_three_instances_on_postgresql(
    database_url: str, session_factory: sessionmaker[Session], slack: SlackStandIn, network: object
) -> None:
    """Three senders, each with its own connections, pass at the same moments while Slack drops
    answers, rate-limits, answers late and fails after posting."""
    assert database_url.startswith("postgresql")
    with session_factory() as s:
        add_members(s, EXTRA, MOMENTS[0])
    clock = FakeClock(MOMENTS[0])
    slack.clock = clock.seconds
    apply_mixed(slack)
    engines = [make_engine(database_url) for _ in range(3)]
    senders = [
        (make_session_factory(e), standin_client(slack, timeout=CLIENT_TIMEOUT_S)) for e in engines
    ]
    errors: list[BaseException] = []

    def one_pass(index: int) -> None:
        factory, client = senders[index]
        try:
            run_nudge_pass(
                session_factory=factory,
                messenger=SlackMessenger(client),
                now=clock.now,
                instance=f"instance-{index}",
                refresh_zones=False,
            )
        except BaseException as exc:  # reported below
            errors.append(exc)

    try:
        for moment in MOMENTS:
            clock.now = moment
            for _ in range(MAX_PASSES):
                threads = [threading.Thread(target=one_pass, args=(i,)) for i in range(3)]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                assert not errors, errors
                if not open_work(session_factory, clock.now):
                    break
                clock.now += PASS_EVERY
    finally:
        for engine in engines:
            engine.dispose()
    result = tally(session_factory, slack)
    assert result.rows > 100
    assert (result.doubled, result.lost) == (0, 0), (result.line(), result.by_member_kind)


def test_kill_9_at_random_points_and_restart(
    database_url: str, session_factory: sessionmaker[Session], slack: SlackStandIn, network: object
) -> None:
    """A sender process is killed (SIGKILL) after a random number of posts, at each moment, while
    Slack drops answers; a restart after the lease finishes the work."""
    with session_factory() as s:
        add_members(s, EXTRA, MOMENTS[0])
    clock = FakeClock(MOMENTS[0])
    slack.clock = clock.seconds
    apply_mode(slack, "drop")
    rng = random.Random(13)
    client = standin_client(slack, timeout=CLIENT_TIMEOUT_S)
    killed = 0
    for moment in MOMENTS[1:4]:
        clock.now = moment
        posts_before = len(slack.calls_to("chat.postMessage"))
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.jobs.nudge_worker",
                database_url,
                slack.url,
                moment.isoformat(),
                "0",
                "doomed",
                "3",
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        kill_after = rng.randint(1, 15)
        try:  # kill it after a random number of posts (or when it is done)
            deadline = time.monotonic() + 30
            while worker.poll() is None and time.monotonic() < deadline:
                if len(slack.calls_to("chat.postMessage")) >= posts_before + kill_after:
                    break
                time.sleep(0.002)
        finally:
            killed += worker.poll() is None
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
        # The restart comes after the lease of what the dead one held.
        drive(session_factory, client, clock, moments=(moment + LEASE + PASS_EVERY,))
    assert killed >= 2  # it died mid-work, not after it
    result = tally(session_factory, slack)
    assert (result.doubled, result.lost) == (0, 0), (result.line(), result.by_member_kind)
