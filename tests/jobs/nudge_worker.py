"""One bot instance's nudge passes, as a separate process (used by the two-instance test).

python -m tests.jobs.nudge_worker DATABASE_URL SLACK_API_URL NOW START_AT INSTANCE PASSES
"""

from __future__ import annotations

import sys
import time
from datetime import datetime

from bot.app import make_web_client
from jobs.nudges import run_nudge_pass
from jobs.slack_messenger import SlackMessenger
from models.db import make_engine, make_session_factory
from tests.slack_standin import standin_settings


def main(argv: list[str]) -> None:
    database_url, slack_url, now_iso, start_at, instance, passes = argv
    client = make_web_client(
        standin_settings(slack_url, database_url=database_url, log_level="WARNING"),
        retry_ambiguous=False,
    )
    messenger = SlackMessenger(client)
    session_factory = make_session_factory(make_engine(database_url))
    now = datetime.fromisoformat(now_iso)
    time.sleep(max(0.0, float(start_at) - time.time()))  # both instances start together
    total = {}
    for _ in range(int(passes)):
        report = run_nudge_pass(
            session_factory=session_factory,
            messenger=messenger,
            now=now,
            instance=instance,
            refresh_zones=False,
        )
        for outcome, n in report.outcomes.items():
            total[outcome] = total.get(outcome, 0) + n
    print(total, flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
