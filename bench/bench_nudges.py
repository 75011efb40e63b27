"""Nudges at scale: a planning pass over 10,000 members in 100 networks, and delivering 10,000
nudges to a local Slack stand-in with and without HTTP 429s.

    .venv/bin/python bench/bench_nudges.py [--members 10000] [--networks 100] [--postgres URL]

Prints the time and the SQL statements of a planning pass (the count must not grow with the
number of members) and the delivery throughput; checks that no nudge is lost or doubled.
Targets: one planning pass under 2 s on SQLite and PostgreSQL.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, delete, event, func, insert, select  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from bot.app import make_web_client  # noqa: E402
from jobs.nudges import plan_due_nudges, run_nudge_pass  # noqa: E402
from jobs.slack_messenger import SlackMessenger  # noqa: E402
from models.base import Base  # noqa: E402
from models.db import make_engine, make_session_factory, upgrade_schema  # noqa: E402
from models.network import Identity, Meeting, Member, Network, Platform, Role  # noqa: E402
from models.nudges import Nudge, NudgeStatus  # noqa: E402
from tests.pgtemp import temporary_database  # noqa: E402
from tests.slack_standin import Reply, SlackStandIn, standin_settings  # noqa: E402

KICKOFF = datetime(2015, 11, 3, 8, 0, tzinfo=UTC)  # 09:00 in Copenhagen, 14 days before meeting 2
# For delivery: meeting 1's kick-off, when exactly one nudge per member is due.
FIRST_KICKOFF = datetime(2015, 9, 7, 7, 0, tzinfo=UTC)
MEETINGS = [
    (datetime(2015, 9, 21, 8, tzinfo=UTC), datetime(2015, 9, 21, 11, tzinfo=UTC)),
    (datetime(2015, 11, 17, 9, tzinfo=UTC), datetime(2015, 11, 17, 12, tzinfo=UTC)),
    (datetime(2016, 3, 3, 9, tzinfo=UTC), datetime(2016, 3, 3, 12, tzinfo=UTC)),
    (datetime(2016, 4, 28, 8, tzinfo=UTC), datetime(2016, 4, 28, 11, tzinfo=UTC)),
]


class StatementCounter:
    def __init__(self, engine: Engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *_args: Any) -> None:
        self.count += 1

    @contextmanager
    def measure(self) -> Any:
        start_count, start = self.count, time.perf_counter()
        result: dict[str, float] = {}
        yield result
        result["seconds"] = time.perf_counter() - start
        result["statements"] = self.count - start_count


def build(session_factory: sessionmaker[Session], networks: int, members: int) -> None:
    """`networks` networks of the 2015–16 season sharing `members` members between them."""
    per_network = members // networks
    with session_factory.begin() as s:
        for table in reversed(Base.metadata.sorted_tables):
            s.execute(delete(table))
        for n in range(networks):
            network = Network(
                key=f"net-{n}",
                name=f"Netværk {n}",
                timezone="Europe/Copenhagen",
                country="DK",
                language="da",
                season_start=datetime(2015, 9, 1).date(),
                season_end=datetime(2016, 5, 31).date(),
                sparring_target_minutes=120,
                created_at=KICKOFF,
                updated_at=KICKOFF,
            )
            network.meetings = [
                Meeting(
                    number=i + 1,
                    theme=f"Tema {i + 1}",
                    starts_at=a,
                    ends_at=b,
                    host="Vært",
                    place="Sted",
                )
                for i, (a, b) in enumerate(MEETINGS)
            ]
            s.add(network)
        s.flush()
        ids = s.scalars(select(Network.id).order_by(Network.id)).all()
        rows = [
            {
                "network_id": nid,
                "role": Role.MEMBER,
                "name": f"Medlem {n}-{i}",
                "organisation": "Kommune",
                "manager_name": "Chef",
                "active": True,
                "created_at": KICKOFF,
                "updated_at": KICKOFF,
            }
            for n, nid in enumerate(ids)
            for i in range(per_network)
        ]
        s.execute(insert(Member), rows)
        s.execute(
            insert(Identity),
            [
                {
                    "member_id": mid,
                    "network_id": nid,
                    "platform": Platform.SLACK,
                    "external_id": f"U{mid:09d}",
                    "created_at": KICKOFF,
                }
                for mid, nid in s.execute(select(Member.id, Member.network_id))
            ],
        )


def bench_planning(
    engine: Engine, factory: sessionmaker[Session], networks: int, members: int
) -> None:
    counter = StatementCounter(engine)
    moments = [
        ("meeting 1 kick-off, 1 nudge a member", FIRST_KICKOFF),
        ("meeting 2 kick-off and meeting 1's halfway, 3 a member", KICKOFF),
    ]
    for label, moment in moments:
        print(f"  at {label}:")
        for size in sorted({max(networks, members // 10), members}):
            build(factory, networks, size)
            with factory() as s, counter.measure() as first:
                planned = plan_due_nudges(session=s, now=moment)
            with factory() as s, counter.measure() as steady:
                again = plan_due_nudges(session=s, now=moment + timedelta(minutes=1))
            print(
                f"    {size:>6} members: first pass {first['seconds']:.3f} s, "
                f"{first['statements']:.0f} statements ({planned} nudges planned); "
                f"next pass {steady['seconds']:.3f} s, {steady['statements']:.0f} statements "
                f"({again} new)"
            )
    event.remove(engine, "before_cursor_execute", counter._count)


def bench_delivery(
    factory: sessionmaker[Session], networks: int, members: int, inject_429: bool
) -> None:
    build(factory, networks, members)
    slack = SlackStandIn().start()
    if inject_429:  # every 500th message is refused with "Retry-After: 1", then retried
        slack.fail_every(
            "chat.postMessage",
            500,
            Reply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"}),
        )
    client = make_web_client(
        standin_settings(slack.url, log_level="WARNING"),
        retry_ambiguous=False,
    )
    start = time.perf_counter()
    report = run_nudge_pass(
        session_factory=factory,
        messenger=SlackMessenger(client),
        now=FIRST_KICKOFF,
        refresh_zones=False,
    )
    seconds = time.perf_counter() - start
    delivered = [
        m["metadata"]["event_payload"]["nudge_id"] for ms in slack.posted.values() for m in ms
    ]
    limited_calls = slack.faults_served
    slack.stop()
    with factory() as s:
        sent = s.scalar(select(func.count()).where(Nudge.status == NudgeStatus.SENT))
    doubled = sum(1 for n in Counter(delivered).values() if n > 1)
    label = "with 429s" if inject_429 else "no faults"
    print(
        f"  {label}: {len(delivered)} delivered in {seconds:.1f} s = "
        f"{len(delivered) / seconds:.0f} nudges/s; outcomes {report.outcomes}; "
        f"sent in outbox {sent}; lost {members - len(set(delivered))}, doubled {doubled}"
        + (f"; 429s answered {limited_calls}" if inject_429 else "")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--networks", type=int, default=100)
    parser.add_argument("--postgres", metavar="URL", help="also run on this PostgreSQL server")
    parser.add_argument("--skip-delivery", action="store_true")
    args = parser.parse_args()
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
            engine = make_engine(url)
            upgrade_schema(engine)
            factory = make_session_factory(engine)
            print(f"{name}: planning pass, {args.networks} networks")
            bench_planning(engine, factory, args.networks, args.members)
            if not args.skip_delivery:
                print(f"{name}: delivering {args.members} nudges to the local Slack stand-in")
                bench_delivery(factory, args.networks, args.members, inject_429=False)
                bench_delivery(factory, args.networks, args.members, inject_429=True)
            engine.dispose()


if __name__ == "__main__":
    main()
