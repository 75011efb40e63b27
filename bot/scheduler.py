"""The clock: APScheduler triggers the nudge pass; what is due and what was sent live in the
database, never in the scheduler, so a restart or a second instance changes nothing."""

from __future__ import annotations

import logging
from datetime import UTC

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.orm import Session, sessionmaker

from handlers.context import Clock
from jobs.messenger import Messenger
from jobs.nudges import run_nudge_pass

log = logging.getLogger(__name__)

NUDGE_JOB_ID = "nudges"
NUDGE_INTERVAL_S = 60
# A pass that could not start on time (the process was busy or suspended) still runs if it is
# at most this late; later than that the next regular pass does the same work anyway.
MISFIRE_GRACE_S = 120


def nudge_job(session_factory: sessionmaker[Session], messenger: Messenger, clock: Clock) -> None:
    report = run_nudge_pass(session_factory=session_factory, messenger=messenger, now=clock())
    if report.claimed or report.planned:
        log.info("nudge pass: planned %s, %s", report.planned, report.outcomes)


def start_scheduler(
    *, session_factory: sessionmaker[Session], messenger: Messenger, clock: Clock
) -> BackgroundScheduler:
    """Run the nudge pass now (catching up on anything due while the bot was down), then
    every minute. One job id, replaced on restart; coalesced, never two at once."""
    scheduler = BackgroundScheduler(timezone=UTC)
    scheduler.add_job(
        nudge_job,
        trigger=IntervalTrigger(seconds=NUDGE_INTERVAL_S, timezone=UTC),
        id=NUDGE_JOB_ID,
        name="plan and send due nudges",
        kwargs={"session_factory": session_factory, "messenger": messenger, "clock": clock},
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=MISFIRE_GRACE_S,
        next_run_time=clock(),
    )
    scheduler.start()
    return scheduler
