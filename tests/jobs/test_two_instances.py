"""Two bot processes on one PostgreSQL database, passing at the same moment: every nudge is
sent exactly once."""

from __future__ import annotations

import ast
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from models.base import Base
from models.db import make_engine, make_session_factory, upgrade_schema
from models.network import Member, Network, Role
from models.network_import import import_network_file
from models.nudges import Nudge, NudgeKind, NudgeStatus
from tests.conftest import EXAMPLE_NETWORK, SEASON_NOW
from tests.jobs.test_nudges import KICKOFF_CPH
from tests.slack_standin import SlackStandIn, explode

ROOT = Path(__file__).resolve().parents[2]
EXTRA_MEMBERS = 300


@pytest.fixture
def pg_factory(postgres_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(postgres_url)
    upgrade_schema(engine)
    factory = make_session_factory(engine)
    with factory.begin() as s:
        for table in reversed(Base.metadata.sorted_tables):
            s.execute(delete(table))
        import_network_file(s, EXAMPLE_NETWORK, now=SEASON_NOW)
        network = s.query(Network).one()
        for i in range(EXTRA_MEMBERS):
            s.add(
                Member(
                    network=network,
                    slack_user_id=f"U9{i:08d}",
                    role=Role.MEMBER,
                    name=f"Medlem {i}",
                    organisation="Kommune",
                    manager_name="Chef",
                    created_at=SEASON_NOW,
                    updated_at=SEASON_NOW,
                )
            )
    yield factory
    with factory.begin() as s:
        for table in reversed(Base.metadata.sorted_tables):
            s.execute(delete(table))
    engine.dispose()


def test_two_processes_send_each_nudge_once(
    pg_factory: sessionmaker[Session], postgres_url: str, slack: SlackStandIn
) -> None:
    start_at = time.time() + 2.0
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.jobs.nudge_worker",
                postgres_url,
                slack.url,
                KICKOFF_CPH.isoformat(),
                f"{start_at}",
                name,
                "3",
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("instance-a", "instance-b")
    ]
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        results.append(ast.literal_eval(out.strip().splitlines()[-1]))
    delivered = [
        p["metadata"]["event_payload"]["nudge_id"]
        for ms in slack.posted.values()
        for m in ms
        for p in explode(m)
    ]
    with pg_factory() as s:
        sent = s.scalars(select(Nudge).where(Nudge.status == NudgeStatus.SENT)).all()
    # Everyone in Copenhagen's zone gets meeting 2's kick-off at 09:00 (and, as the bot only
    # starts now, the halfway nudges still open from meeting 1).
    kickoffs = [n for n in sent if n.kind is NudgeKind.PREP_KICKOFF]
    assert len(kickoffs) == 9 + EXTRA_MEMBERS
    assert sorted(delivered) == sorted(n.id for n in sent)  # each sent nudge reached Slack …
    assert Counter(delivered).most_common(1)[0][1] == 1  # … once
    sent_by = [r.get("sent", 0) for r in results]
    assert sum(sent_by) == len(sent)
    assert all(n > 0 for n in sent_by), sent_by  # both really took part
