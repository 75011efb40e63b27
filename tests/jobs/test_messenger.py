"""The clock side sends through the `Messenger` port: it runs against the in-memory fake with
no network at all, and keeps its exactly-once rules whatever the messenger answers."""

from __future__ import annotations

import ast
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from handlers import conversation as c
from handlers.catalogue import current_surface
from jobs.messenger import Ambiguous, RateLimited, Refused
from jobs.nudges import MESSAGE_BUILDERS, refresh_time_zones
from models.nudges import Nudge, NudgeKind, NudgeStatus
from tests.conftest import ANNA, person
from tests.jobs.conftest import Runner
from tests.jobs.fake_messenger import LOST_ANSWER, FakeMessenger, Fault
from tests.jobs.test_nudges import COPENHAGEN_MEMBERS, KICKOFF_CPH

JOBS = Path(__file__).resolve().parents[2] / "jobs"
BEFORE = datetime(2015, 11, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a network connection from Python fails the test."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"a network connection was attempted: {args!r}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.fixture
def since_november(run_fake_pass: Runner, fake: FakeMessenger) -> None:
    """What was due by 2 Nov is sent, so a test sees the kick-off of meeting 2 on its own."""
    run_fake_pass(BEFORE)
    fake.posted.clear()
    fake.calls.clear()


def outbox(session_factory: sessionmaker[Session], kind: NudgeKind) -> list[Nudge]:
    with session_factory() as s:
        return list(s.scalars(select(Nudge).where(Nudge.kind == kind).order_by(Nudge.id)))


def test_the_job_side_runs_against_the_fake_messenger_without_http(
    no_network: None,
    run_fake_pass: Runner,
    fake: FakeMessenger,
    session_factory: sessionmaker[Session],
) -> None:
    run_fake_pass(BEFORE)
    fake.posted.clear()
    report = run_fake_pass(KICKOFF_CPH)
    assert report.outcomes == {"sent": COPENHAGEN_MEMBERS}
    assert len(fake.posted) == COPENHAGEN_MEMBERS  # one message per member
    rows = outbox(session_factory, NudgeKind.PREP_KICKOFF)
    sent = [r for r in rows if r.status is NudgeStatus.SENT]
    assert sorted(t for p in fake.posted for t in p.tags) == [r.id for r in sent]
    for row in sent:  # recorded with the conversation and the messenger's reference
        (message,) = [p for p in fake.posted if row.id in p.tags]
        assert (row.channel_id, row.message_ts) == (message.conversation, message.ref)
        assert row.channel_id == f"D{row.member_id}"
    # Time zones come through the messenger too.
    with session_factory() as s:
        fake.zones[person(s, ANNA).id] = "Europe/London"
        assert refresh_time_zones(session=s, messenger=fake, now=KICKOFF_CPH) > 0
        assert person(s, ANNA).zone.key == "Europe/London"


def test_jobs_speak_to_slack_only_through_the_slack_messenger() -> None:
    importers = []
    for path in sorted(JOBS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            if any(n == "slack_sdk" or n.startswith("slack_sdk.") for n in names):
                importers.append(path.name)
    assert set(importers) == {"slack_messenger.py"}


def test_every_kind_of_nudge_has_a_message_builder() -> None:
    assert set(MESSAGE_BUILDERS) == set(NudgeKind)


@pytest.mark.usefixtures("since_november")
def test_messages_are_built_for_the_surface_the_messenger_sends_on(
    run_fake_pass: Runner, fake: FakeMessenger, session_factory: sessionmaker[Session]
) -> None:
    fake.surface = "teams"  # a Markdown platform: the same message, its text as Markdown
    run_fake_pass(KICKOFF_CPH)
    with session_factory() as s:
        anna = f"D{person(s, ANNA).id}"
    (posted,) = fake.sent_to(anna)
    intro = posted.message.parts[0]
    assert isinstance(intro, c.Paragraph)
    assert intro.text.startswith("**Møde 2 nærmer sig: Klagedrevet innovation**")
    assert current_surface() == "slack"  # only while building


@pytest.mark.usefixtures("since_november")
def test_a_rate_limit_holds_the_message_and_counts_no_attempt(
    run_fake_pass: Runner, fake: FakeMessenger, session_factory: sessionmaker[Session]
) -> None:
    fake.fail_next("post", RateLimited(0.2))
    report = run_fake_pass(KICKOFF_CPH)
    # The pass waited as asked and sent it, without looking first: nothing had been taken.
    assert report.outcomes == {"ratelimited": 1, "sent": COPENHAGEN_MEMBERS}
    assert "find_posted" not in fake.calls
    tags = [t for p in fake.posted for t in p.tags]
    assert len(tags) == len(set(tags)) == COPENHAGEN_MEMBERS
    rows = outbox(session_factory, NudgeKind.PREP_KICKOFF)
    assert all(r.status is NudgeStatus.SENT and r.attempts == 1 for r in rows)


@pytest.mark.usefixtures("since_november")
def test_a_refusal_fails_that_member_for_good(
    run_fake_pass: Runner, fake: FakeMessenger, session_factory: sessionmaker[Session]
) -> None:
    fake.fail_next("post", Refused("account_inactive"))
    report = run_fake_pass(KICKOFF_CPH)
    assert report.outcomes == {"failed": 1, "sent": COPENHAGEN_MEMBERS - 1}
    (failed,) = [
        r for r in outbox(session_factory, NudgeKind.PREP_KICKOFF) if r.status is NudgeStatus.FAILED
    ]
    assert failed.detail == "account_inactive"
    assert run_fake_pass(KICKOFF_CPH + timedelta(hours=1)).claimed == 0


@pytest.mark.usefixtures("since_november")
def test_a_lost_answer_is_looked_for_and_not_posted_twice(
    run_fake_pass: Runner, fake: FakeMessenger, session_factory: sessionmaker[Session]
) -> None:
    fake.fail_next("post", LOST_ANSWER)
    report = run_fake_pass(KICKOFF_CPH)
    assert report.outcomes == {"retry": 1, "sent": COPENHAGEN_MEMBERS - 1}
    assert len(fake.posted) == COPENHAGEN_MEMBERS  # it was taken all the same
    # Looking fails at first (the platform is down): it is tried again later.
    fake.fail_next("find_posted", Ambiguous("ConnectionResetError"))
    assert run_fake_pass(KICKOFF_CPH + timedelta(minutes=3)).outcomes == {"retry": 1}
    later = run_fake_pass(KICKOFF_CPH + timedelta(minutes=30))
    assert later.outcomes == {"sent": 1}
    assert len(fake.posted) == COPENHAGEN_MEMBERS  # found, not posted again
    rows = outbox(session_factory, NudgeKind.PREP_KICKOFF)
    assert [r.detail for r in rows if r.detail] == ["found posted"]
    assert all(r.status is NudgeStatus.SENT for r in rows)


def test_an_unreachable_platform_leaves_time_zones_for_later(
    fake: FakeMessenger, session_factory: sessionmaker[Session], network: object
) -> None:
    fake.fail_next("time_zone", Fault(Ambiguous("TimeoutError")))
    with session_factory() as s:
        assert refresh_time_zones(session=s, messenger=fake, now=KICKOFF_CPH) == 0
        assert person(s, ANNA).slack_timezone_checked_at is None
        assert refresh_time_zones(session=s, messenger=fake, now=KICKOFF_CPH) == 13


@pytest.mark.usefixtures("since_november")
def test_the_member_who_has_waited_longest_hears_first(
    run_fake_pass: Runner, fake: FakeMessenger, session_factory: sessionmaker[Session]
) -> None:
    """A pass delivers in the order it claims: the member whose nudge has waited longest
    first, then by member (not in whatever order the database returns the claimed rows)."""
    from jobs.nudges import plan_due_nudges

    with session_factory() as s:
        plan_due_nudges(session=s, now=KICKOFF_CPH)
        rows = s.scalars(select(Nudge).where(Nudge.kind == NudgeKind.PREP_KICKOFF)).all()
        members = sorted(r.member_id for r in rows if r.due_at == KICKOFF_CPH)
        waited = members[-1]  # the last member's kick-off has waited an hour
        for row in rows:
            if row.member_id == waited:
                row.due_at = KICKOFF_CPH - timedelta(hours=1)
        s.commit()
    run_fake_pass(KICKOFF_CPH)
    order = [int(p.conversation[1:]) for p in fake.posted]
    assert order == [waited, *members[:-1]]
