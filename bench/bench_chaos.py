"""Delivery on a bad Slack day: every chaos mode against the stand-in, with the real sender.

    .venv/bin/python bench/bench_chaos.py [--members 100] [--rate 20] [--postgres URL]

For each fault mode (tests/jobs/chaos.py) it drives the sender through five busy moments of a
season and prints what Slack accepted: messages, the outbox rows they carry, rows doubled and
rows lost (targets: 0 and 0), and the real time it took. Then throughput against a stand-in
that allows `--rate` messages a second and answers the rest 429 with `Retry-After: 1`: ours
against the rate allowed, so the cost of a 429 storm is visible.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import delete  # noqa: E402

from bot.app import make_web_client  # noqa: E402
from jobs.nudges import run_nudge_pass  # noqa: E402
from jobs.slack_messenger import SlackMessenger  # noqa: E402
from models.base import Base  # noqa: E402
from models.db import make_engine, make_session_factory, upgrade_schema  # noqa: E402
from models.network_import import import_network_file  # noqa: E402
from tests.jobs.chaos import (  # noqa: E402
    CLIENT_TIMEOUT_S,
    MODES,
    MOMENTS,
    FakeClock,
    add_members,
    apply_mode,
    drive,
    tally,
)
from tests.pgtemp import temporary_database  # noqa: E402
from tests.slack_standin import Reply, SlackStandIn, standin_settings  # noqa: E402

EXAMPLE = ROOT / "examples" / "network-2015-16.toml"


def fresh(url: str, members: int) -> None:
    engine = make_engine(url)
    upgrade_schema(engine)
    factory = make_session_factory(engine)
    with factory.begin() as s:
        for table in reversed(Base.metadata.sorted_tables):
            s.execute(delete(table))
        import_network_file(s, EXAMPLE, now=MOMENTS[0])
    with factory() as s:
        add_members(s, members, MOMENTS[0])
    engine.dispose()


def client_for(slack: SlackStandIn, timeout: float = CLIENT_TIMEOUT_S):  # type: ignore[no-untyped-def]
    return make_web_client(
        standin_settings(slack.url, log_level="WARNING"), retry_ambiguous=False, timeout=timeout
    )


def bench_modes(url: str, members: int) -> None:
    print(f"{'mode':<14} {'messages':>8} {'rows':>5} {'doubled':>7} {'lost':>4} {'seconds':>7}")
    for mode in MODES:
        fresh(url, members)
        engine = make_engine(url)
        factory = make_session_factory(engine)
        slack = SlackStandIn().start()
        clock = FakeClock(MOMENTS[0])
        slack.clock = clock.seconds
        apply_mode(slack, mode)
        start = time.perf_counter()
        drive(factory, client_for(slack), clock)
        seconds = time.perf_counter() - start
        result = tally(factory, slack)
        slack.stop()
        engine.dispose()
        print(
            f"{mode:<14} {result.accepted:>8} {result.rows:>5} {result.doubled:>7} "
            f"{result.lost:>4} {seconds:>7.1f}"
        )


def allow_rate(slack: SlackStandIn, per_second: float) -> None:
    """chat.postMessage at most `per_second` (a token bucket), else 429 / Retry-After: 1."""
    lock = threading.Lock()
    state = {"tokens": per_second, "at": time.monotonic()}
    limited = Reply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"})

    def plan(_call: int) -> Reply | None:
        with lock:
            now = time.monotonic()
            state["tokens"] = min(per_second, state["tokens"] + (now - state["at"]) * per_second)
            state["at"] = now
            if state["tokens"] >= 1:
                state["tokens"] -= 1
                return None
            return limited

    slack.plan("chat.postMessage", plan)


def bench_rate(url: str, members: int, rate: float) -> None:
    fresh(url, members)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    slack = SlackStandIn().start()
    allow_rate(slack, rate)
    start = time.perf_counter()
    report = run_nudge_pass(
        session_factory=factory,
        messenger=SlackMessenger(client_for(slack, timeout=10)),
        now=MOMENTS[0],
        refresh_zones=False,
    )
    seconds = time.perf_counter() - start
    accepted = len(slack.accepted())
    refused = slack.faults_served
    slack.stop()
    engine.dispose()
    print(
        f"rate-limited to {rate:.0f}/s: {accepted} messages in {seconds:.1f} s = "
        f"{accepted / seconds:.1f}/s (allowed {rate:.0f}/s, {accepted / seconds / rate:.0%}); "
        f"429s answered {refused}; outcomes {report.outcomes}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--postgres", metavar="URL", help="also run on this PostgreSQL server")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # each fault is logged; the table says it all
    with ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        targets = [("sqlite", f"sqlite:///{tmp}/chaos.db")]
        if args.postgres:
            targets.append(
                ("postgresql", stack.enter_context(temporary_database(args.postgres, "chaos")))
            )
        for name, url in targets:
            print(f"{name}: {args.members} extra members, moments {len(MOMENTS)}")
            bench_modes(url, args.members)
            bench_rate(url, args.members, args.rate)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
