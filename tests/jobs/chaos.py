"""Slack on a bad day, for the chaos suite and its bench: fault modes for the stand-in, a
driver that runs the real sender through a few busy moments of the season, and the tally of
what Slack accepted — per member and kind, doubled and lost."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from jobs.nudges import run_nudge_pass
from jobs.slack_messenger import SlackMessenger
from models.network import Member, Network, Role
from models.nudges import FINAL_STATUSES, Nudge, NudgeStatus
from models.sparring import log_sparring
from tests.slack_standin import Reply, SlackStandIn

CLIENT_TIMEOUT_S = 0.25  # the sender's client in the chaos suite: "slow" is slower than this
# Busy moments of the 2015 season (UTC): halfway after meeting 1, meeting 2's kick-off,
# reminder + attendance, head counts, last call + agenda + Monday digest.
MOMENTS = (
    datetime(2015, 11, 2, 12, 0, tzinfo=UTC),
    datetime(2015, 11, 3, 8, 0, tzinfo=UTC),
    datetime(2015, 11, 12, 8, 0, tzinfo=UTC),
    datetime(2015, 11, 13, 8, 0, tzinfo=UTC),
    datetime(2015, 11, 16, 8, 0, tzinfo=UTC),
)
PASS_EVERY = timedelta(minutes=3)
MAX_PASSES = 40  # per moment: two hours of passes, far more than any mode needs


def _every(n: int, reply: Reply) -> Callable[[int], Reply | None]:
    return lambda call: reply if call % n == 0 else None


def _bursts(reply: Callable[[int], Reply]) -> Callable[[int], Reply | None]:
    """Eight calls in a row out of every forty."""
    return lambda call: reply(call) if call % 40 < 8 else None


RATELIMITED = Reply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "0.05"})
DROP = Reply(accept=True, drop=True)
ACCEPT_500 = Reply(500, {"ok": False, "error": "internal_error"}, accept=True)
SLOW = Reply(accept=True, delay=CLIENT_TIMEOUT_S + 0.1)
UNAVAILABLE = Reply(503, {"ok": False, "error": "service_unavailable"})


def _5xx(call: int) -> Reply:
    return Reply(503, {"ok": False, "error": "service_unavailable"}, accept=call % 2 == 0)


def apply_mode(slack: SlackStandIn, mode: str) -> None:
    """Make the stand-in misbehave as `mode` says (each mode as Slack has been seen to)."""
    post = "chat.postMessage"
    if mode == "drop":  # accepted, then the connection closes without an answer
        slack.plan(post, _every(7, DROP))
    elif mode == "accept-500":
        slack.plan(post, _every(7, ACCEPT_500))
    elif mode == "slow":  # accepted, answered after the client gave up (every 9th)
        slack.plan(post, _every(9, SLOW))
    elif mode == "429-storm":  # every third call of every method: "later", Retry-After
        for method in (post, "conversations.open", "conversations.history", "users.info"):
            slack.plan(method, _every(3, RATELIMITED))
    elif mode == "5xx-burst":  # bursts of 503, half of them after the post was made
        slack.plan(post, _bursts(_5xx))
    elif mode == "history-lag":  # lost answers, and history shows a post only 90 s later
        slack.plan(post, _every(5, DROP))
        slack.history_lag = 90.0
    elif mode == "history-down":  # lost answers, and history is unavailable for a while
        slack.plan(post, _every(5, DROP))
        slack.plan("conversations.history", lambda call: UNAVAILABLE if call <= 12 else None)
    elif mode != "calm":
        raise ValueError(mode)


MODES = (
    "calm",
    "drop",
    "accept-500",
    "slow",
    "429-storm",
    "5xx-burst",
    "history-lag",
    "history-down",
)


def add_members(session: Session, n: int, now: datetime) -> None:
    """`n` more members in the example network (Copenhagen), and sparring notices for some."""
    network = session.scalars(select(Network)).first()
    assert network is not None
    people = [
        Member(
            network=network,
            slack_user_id=f"U7{i:08d}",
            role=Role.MEMBER,
            name=f"Medlem {i}",
            organisation="Kommune",
            manager_name="Leder",
            created_at=now,
            updated_at=now,
        )
        for i in range(n)
    ]
    session.add_all(people)
    session.flush()
    for giver, receiver in zip(people[::3], people[1::3], strict=False):
        assert receiver.slack_user_id is not None  # every member above has one
        log_sparring(
            session=session,
            member=giver,
            minutes=30,
            given_on=date(2015, 11, 2),
            receiver_ids=[receiver.slack_user_id],
            note="Godt sparret",
            now=datetime(2015, 11, 2, 11, 0, tzinfo=UTC),
        )
    session.commit()


class FakeClock:
    """The clock the driver moves; the stand-in reads it too (for a lagging history)."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def seconds(self) -> float:
        return self.now.timestamp()


def open_work(session_factory: sessionmaker[Session], now: datetime) -> int:
    """Rows that are due and not settled yet."""
    with session_factory() as s:
        rows = s.scalars(
            select(Nudge.id).where(
                Nudge.status.in_([NudgeStatus.PENDING, NudgeStatus.SENDING]), Nudge.due_at <= now
            )
        ).all()
    return len(rows)


def drive(
    session_factory: sessionmaker[Session],
    client: WebClient,
    clock: FakeClock,
    *,
    instance: str = "chaos",
    moments: tuple[datetime, ...] = MOMENTS,
) -> int:
    """Passes at each moment, every three (fake) minutes, until nothing due is left open;
    returns how many passes it took."""
    passes = 0
    for moment in moments:
        clock.now = moment
        for _ in range(MAX_PASSES):
            run_nudge_pass(
                session_factory=session_factory,
                messenger=SlackMessenger(client),
                now=clock.now,
                instance=instance,
                refresh_zones=False,
            )
            passes += 1
            if not open_work(session_factory, clock.now):
                break
            clock.now += PASS_EVERY
    return passes


def nudge_ids_of(message: dict[str, Any]) -> list[int]:
    """The outbox rows one accepted message carries (one, or several bundled)."""
    payload = (message.get("metadata") or {}).get("event_payload") or {}
    if "nudge_ids" in payload:
        return [int(i) for i in payload["nudge_ids"]]
    return [int(payload["nudge_id"])] if "nudge_id" in payload else []


@dataclass
class Tally:
    accepted: int  # messages Slack took
    rows: int  # outbox rows that should have reached the member
    doubled: int  # rows that reached Slack more than once (extra copies)
    lost: int  # rows that should have reached the member and did not
    by_member_kind: Counter[tuple[str | None, str]]  # (member, kind) -> extra copies

    def line(self) -> str:
        return (
            f"accepted {self.accepted:4d}  rows {self.rows:4d}  "
            f"doubled {self.doubled:3d}  lost {self.lost:3d}"
        )


def tally(session_factory: sessionmaker[Session], slack: SlackStandIn) -> Tally:
    messages = slack.accepted()
    copies = Counter(i for m in messages for i in nudge_ids_of(m))
    doubled = 0
    lost = 0
    rows = 0
    per: Counter[tuple[str | None, str]] = Counter()
    with session_factory() as s:
        for nudge in s.scalars(select(Nudge)):
            extra = max(0, copies[nudge.id] - 1)
            doubled += extra
            if extra:
                per[(nudge.member.slack_user_id, nudge.kind.value)] += extra
            if nudge.status in (NudgeStatus.SKIPPED, NudgeStatus.SUPERSEDED):
                continue
            if nudge.status is NudgeStatus.STALE and not nudge.attempts:
                continue  # it was never due while the bot ran (not part of a moment)
            rows += 1
            sent = nudge.status is NudgeStatus.SENT and copies[nudge.id] >= 1
            if not sent or nudge.status not in FINAL_STATUSES:
                lost += 1
    return Tally(len(messages), rows, doubled, lost, per)


def apply_mixed(slack: SlackStandIn) -> None:
    """Several faults at once, for the runs with several instances."""
    post = "chat.postMessage"
    faults = {0: DROP, 3: RATELIMITED, 5: ACCEPT_500, 9: SLOW}
    slack.plan(post, lambda call: faults.get(call % 11))
    slack.plan("conversations.history", _every(4, RATELIMITED))
