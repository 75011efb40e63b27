"""Nudges to Teams members through the Teams stand-in: throughput, and none lost or doubled
when the Bot Connector answers 429s, 5xx and timeouts.

    .venv/bin/python bench/bench_teams_nudges.py [--members 500 2000] [--slack] [--postgres URL]

Builds N members on Teams only (one in five without a stored conversation reference, so the
bot opens the 1:1 chat with POST /v3/conversations first), and runs the real nudge pass
(jobs/nudges.py with jobs/teams_messenger.TeamsMessenger) at meeting 1's kick-off, when one
nudge per member is due, under three fault profiles (drawn at random, seeded, for both the
posts and the conversations opened):

- none;
- 429 + 503: 10% HTTP 429 with Retry-After 1 s, 5% HTTP 503 without (nothing taken: sent again);
- 5xx + timeouts: 5% HTTP 500/502/504 (nothing taken, but the bot cannot know) and 2% answers
  that never come after the message was taken (ambiguous).

Passes repeat until nothing is due, and no one sleeps: a pass waits out a short Retry-After
itself (jobs.nudges: at most MAX_PAUSE, with `time.sleep`), and the bench hands jobs.nudges a
`time` whose sleep moves the pass clock on instead (`SkippedWaits`); a longer pause (503
without Retry-After: 60 s; an ambiguous post: a back-off of 2 min) leaves the row for a later
pass, which the bench starts with `now` at the first whole minute after the first row's
`next_attempt_at` (the scheduler triggers a pass every minute). Prints messages/s (over the
real time of the passes), p50/p99 of a post, members reached, the outbox (sent, failed,
unconfirmed), doubles (a nudge id in two delivered activities, from the stand-in's record of
`channelData.tovholder.nudge_ids`) and lost (a due row neither delivered nor settled
failed:unconfirmed), beside the ideal: every row sent exactly once. With --slack, beside
the anchor too: the same members on Slack only, the same faults (the same statuses, and a
reply after the client's timeout) from the Slack stand-in, the real SlackMessenger.

Teams cannot show a bot what it posted, so an ambiguous post is never sent again: its row is
settled failed:unconfirmed (README, "Exactly once on Teams"). The unconfirmed count is
therefore the ambiguous posts, split into those the stand-in did take (the member has it) and
those it did not (the member missed it): never a double. On Slack the pass looks in the DM
(conversations.history) before it sends an ambiguous row again, so none is unconfirmed.
"""

from __future__ import annotations

import argparse
import logging
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, func, insert, select  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

import jobs.nudges as nudges_module  # noqa: E402
from bench.bench_nudges import FIRST_KICKOFF, build  # noqa: E402
from bot.app import make_web_client  # noqa: E402
from bot.teams_server import make_connector  # noqa: E402
from handlers.teams.connector import make_http_client  # noqa: E402
from jobs.messenger import Receipt  # noqa: E402
from jobs.nudges import UNCONFIRMED, run_nudge_pass  # noqa: E402
from jobs.slack_messenger import SlackMessenger  # noqa: E402
from jobs.teams_messenger import TeamsMessenger  # noqa: E402
from models.db import make_engine, make_session_factory, upgrade_schema  # noqa: E402
from models.network import Identity, Member, Platform  # noqa: E402
from models.nudges import Nudge, NudgeStatus  # noqa: E402
from tests.jobs.chaos import nudge_ids_of  # noqa: E402
from tests.pgtemp import temporary_database  # noqa: E402
from tests.slack_standin import FaultPlan, Reply, SlackStandIn, standin_settings  # noqa: E402
from tests.teams_standin import TENANT_ID, Fault, TeamsStandIn  # noqa: E402

READ_TIMEOUT_S = 0.5  # the bot's read timeout here (production: longer); a hang outlasts it
HANG_S = 1.0
WITHOUT_REFERENCE = 5  # every 5th member has no stored conversation: the bot opens one
MEMBERS_PER_NETWORK = 100

Profile = list[tuple[float, list[Fault]]]  # (share of requests, faults drawn from evenly)
PROFILES: dict[str, Profile] = {
    "none": [],
    "429+503": [(0.10, [Fault(429, {"Retry-After": "1"})]), (0.05, [Fault(503)])],
    "5xx+timeouts": [
        (0.05, [Fault(500), Fault(502), Fault(504)]),
        (0.02, [Fault(accept=True, hang=HANG_S)]),
    ],
}


def planned_faults(profile: Profile, seed: int) -> Any:
    """A stand-in fault plan answering each request with a fault of `profile` at random."""
    rng = random.Random(seed)

    def plan(_call: int) -> Fault | None:
        draw = rng.random()
        for share, faults in profile:
            if draw < share:
                return rng.choice(faults)
            draw -= share
        return None

    return plan


def build_teams(factory: sessionmaker[Session], members: int, service_url: str) -> None:
    """bench_nudges' season with its members on Teams only: a Teams user id each, and a stored
    conversation reference for all but every WITHOUT_REFERENCE-th."""
    build(factory, max(1, members // MEMBERS_PER_NETWORK), members)
    with factory.begin() as s:
        s.execute(delete(Identity))
        rows = []
        for mid, nid in s.execute(select(Member.id, Member.network_id).order_by(Member.id)):
            user = f"29:1member-{mid:08d}"
            reference = None
            if mid % WITHOUT_REFERENCE:
                reference = {
                    "conversation_id": f"a:stored-{mid}",
                    "service_url": service_url,
                    "tenant_id": TENANT_ID,
                    "user_id": user,
                }
            rows.append(
                {
                    "member_id": mid,
                    "network_id": nid,
                    "platform": Platform.TEAMS,
                    "external_id": user,
                    "conversation": reference,
                    "created_at": FIRST_KICKOFF,
                }
            )
        s.execute(insert(Identity), rows)


class Timed:
    """A messenger (Teams' or Slack's, the real one) whose posts are timed, whatever their
    outcome; everything else is the messenger's own."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.surface = inner.surface
        self.post_seconds: list[float] = []
        self.outcomes: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def route(self, person: Member) -> Timed:
        return self

    def post(self, conversation: str, message: Any, tags: list[int]) -> Receipt:
        start = time.perf_counter()
        receipt: Receipt = self.inner.post(conversation, message, tags)
        self.post_seconds.append(time.perf_counter() - start)
        self.outcomes[type(receipt).__name__] += 1
        return receipt


class SkippedWaits:
    """The `time` jobs.nudges sees: its in-pass waits (a Retry-After, at most MAX_PAUSE) move
    its pass clock on instead of sleeping. The stand-in does not check that the bot waited, so
    what is sent is the same; the bench only does not spend the seconds."""

    def __init__(self) -> None:
        self.skipped = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self.skipped

    def sleep(self, seconds: float) -> None:
        self.skipped += max(0.0, seconds)


@dataclass
class Drive:
    passes: int = 0
    seconds: float = 0.0  # real time in the passes
    clock_moved: float = 0.0  # seconds the pass clock was moved on instead of sleeping
    outcomes: Counter[str] = field(default_factory=Counter)


def next_moment(factory: sessionmaker[Session]) -> datetime | None:
    """When the first row still to send may go (None: nothing left to send)."""
    with factory() as s:
        left = s.scalar(
            select(func.count()).where(Nudge.status.in_([NudgeStatus.PENDING, NudgeStatus.SENDING]))
        )
        if not left:
            return None
        return s.scalar(
            select(func.min(Nudge.next_attempt_at)).where(Nudge.status == NudgeStatus.PENDING)
        )


def drive(factory: sessionmaker[Session], messenger: Timed) -> Drive:
    """Passes until nothing is due; between passes the clock moves to the next row's turn."""
    result = Drive()
    now = FIRST_KICKOFF
    waits = SkippedWaits()
    with patch.object(nudges_module, "time", waits):
        _passes(factory, messenger, result, now, waits)
    return result


def _passes(
    factory: sessionmaker[Session],
    messenger: Timed,
    result: Drive,
    now: datetime,
    waits: SkippedWaits,
) -> None:
    while result.passes < 50:
        start, skipped = time.perf_counter(), waits.skipped
        report = run_nudge_pass(
            session_factory=factory, messenger=messenger, now=now, refresh_zones=False
        )
        spent, in_pass = time.perf_counter() - start, waits.skipped - skipped
        result.passes += 1
        result.seconds += spent
        result.outcomes.update(report.outcomes)
        # Where the pass clock ended: the time spent and the waits it skipped.
        after = now + timedelta(seconds=spent + in_pass)
        result.clock_moved += in_pass
        moment = next_moment(factory)
        if moment is None:
            break
        # The scheduler triggers a pass every minute: the first whole minute it is due by.
        moment = max(moment, after)
        moment = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
        result.clock_moved += (moment - after).total_seconds()
        now = moment


@dataclass
class Tally:
    rows: int
    sent: int
    failed: int
    unconfirmed: int
    unconfirmed_arrived: int
    members_reached: int
    delivered: int  # activities the stand-in took
    doubles: int
    lost: int


def tally(factory: sessionmaker[Session], carried: Counter[int], delivered: int) -> Tally:
    """The outbox against what the platform took (`carried`: nudge id -> messages with it)."""
    with factory() as s:
        rows = s.execute(select(Nudge.id, Nudge.member_id, Nudge.status, Nudge.detail)).all()
    status = Counter(r.status for r in rows)
    unconfirmed = {r.id for r in rows if r.status is NudgeStatus.FAILED and r.detail == UNCONFIRMED}
    return Tally(
        rows=len(rows),
        sent=status[NudgeStatus.SENT],
        failed=status[NudgeStatus.FAILED],
        unconfirmed=len(unconfirmed),
        unconfirmed_arrived=len(unconfirmed & set(carried)),
        members_reached=len({r.member_id for r in rows if r.id in carried}),
        delivered=delivered,
        doubles=sum(1 for n in carried.values() if n > 1),
        lost=sum(1 for r in rows if r.id not in carried and r.id not in unconfirmed),
    )


def teams_run(factory: sessionmaker[Session], members: int, profile: Profile, seed: int) -> Any:
    teams = TeamsStandIn().start()
    build_teams(factory, members, teams.service_url)
    for kind in ("send", "create"):
        teams.plan(kind, planned_faults(profile, seed))
    settings = teams.settings()
    messenger = Timed(
        TeamsMessenger(
            make_connector(settings, make_http_client(read_timeout=READ_TIMEOUT_S)),
            factory,
            app_id=settings.app_id,
            tenant_id=settings.tenant_id,
            service_url=settings.service_url,
        )
    )
    result = drive(factory, messenger)
    # The nudges' messages: those that say which outbox rows they carry (a kick-off's
    # calendar file follows its message as a file consent card of its own).
    posted = [m for m in teams.messages() if "tovholder" in m.get("channelData", {})]
    carried = Counter(i for m in posted for i in m["channelData"]["tovholder"]["nudge_ids"])
    t = tally(factory, carried, len(posted))
    opened = sum(1 for s in teams.sent if s.path == "/teams/v3/conversations")
    teams.stop()
    return messenger, result, t, f"POST /v3/conversations taken {opened}"


def slack_reply(fault: Fault) -> Reply:
    """The Slack stand-in's answer for a Teams fault: the same status (or timeout)."""
    if fault.hang:
        return Reply(accept=True, delay=fault.hang)
    if fault.status == 429:
        return Reply(429, {"ok": False, "error": "ratelimited"}, fault.headers)
    return Reply(fault.status, {"ok": False, "error": "internal_error"}, fault.headers)


def _replying(plan: Any) -> FaultPlan:
    """The stand-in's plan of Slack replies for a plan of faults."""

    def reply(call: int) -> Reply | None:
        fault = plan(call)
        return slack_reply(fault) if fault else None

    return reply


def slack_run(factory: sessionmaker[Session], members: int, profile: Profile, seed: int) -> Any:
    """The anchor: the same members on Slack, the same faults, against the Slack stand-in."""
    build(factory, max(1, members // MEMBERS_PER_NETWORK), members)
    slack = SlackStandIn().start()
    for method in ("chat.postMessage", "conversations.open"):
        plan = planned_faults(profile, seed)
        slack.plan(method, _replying(plan))
    client = make_web_client(
        standin_settings(slack.url, log_level="WARNING"),
        retry_ambiguous=False,
        timeout=READ_TIMEOUT_S,
    )
    messenger = Timed(SlackMessenger(client))
    result = drive(factory, messenger)
    accepted = slack.accepted()
    carried = Counter(i for m in accepted for i in nudge_ids_of(m))
    t = tally(factory, carried, len(accepted))
    looked = len(slack.calls_to("conversations.history"))
    slack.stop()
    return messenger, result, t, f"conversations.history calls {looked}"


def run_profile(url: str, members: int, name: str, seed: int, platform: str) -> None:
    engine = make_engine(url)
    factory = make_session_factory(engine)
    run = teams_run if platform == "teams" else slack_run
    messenger, result, t, extra = run(factory, members, PROFILES[name], seed)
    engine.dispose()
    posts = sorted(messenger.post_seconds)
    p50 = statistics.median(posts) * 1000
    p99 = posts[min(len(posts) - 1, int(len(posts) * 0.99))] * 1000
    print(
        f"  {platform:<5} {name:<13} {t.delivered / result.seconds:>4.0f} msg/s  "
        f"p50 {p50:5.1f} ms  p99 {p99:5.1f} ms  reached {t.members_reached:>4}/{members}  "
        f"rows {t.rows}: sent {t.sent}, failed {t.failed} (unconfirmed {t.unconfirmed}: "
        f"{t.unconfirmed_arrived} arrived, {t.unconfirmed - t.unconfirmed_arrived} not)  "
        f"doubles {t.doubles}  lost {t.lost}"
    )
    print(
        f"  {'':<19} {result.passes} passes, {result.seconds:.1f} s real, pass clock moved on "
        f"{result.clock_moved:.0f} s; posts {dict(messenger.outcomes)}; {extra}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, nargs="+", default=[500, 2000])
    parser.add_argument("--profiles", nargs="+", default=list(PROFILES), choices=list(PROFILES))
    parser.add_argument("--slack", action="store_true", help="the anchor: also on Slack")
    parser.add_argument("--seed", type=int, default=2015)
    parser.add_argument("--postgres", metavar="URL", help="also run on this PostgreSQL server")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # each ambiguous post is logged; the figures say it all
    with ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        targets = [("sqlite", f"sqlite:///{tmp}/bench.db")]
        if args.postgres:
            targets.append(
                (
                    "postgresql",
                    stack.enter_context(temporary_database(args.postgres, "tovholder_bench")),
                )
            )
        for name, url in targets:
            upgrade_schema(make_engine(url))
            for members in args.members:
                print(
                    f"{name}: {members} members on Teams "
                    f"({members // WITHOUT_REFERENCE} without a stored conversation); "
                    f"ideal: {members} rows sent once each, 0 unconfirmed, 0 doubles, 0 lost"
                )
                for profile in args.profiles:
                    run_profile(url, members, profile, args.seed, "teams")
                    if args.slack:
                        run_profile(url, members, profile, args.seed, "slack")


if __name__ == "__main__":
    main()
