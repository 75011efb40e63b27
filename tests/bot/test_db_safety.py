"""Data safety: a second process on the SQLite file, an online backup, and a restore that
does not make the bot send again what it had sent."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from jobs.nudges import reconcile_after_restore, run_nudge_pass
from jobs.slack_messenger import SlackMessenger
from models.db import make_engine, make_session_factory, upgrade_schema
from models.network import Member
from models.network_import import import_network_file
from models.nudges import Nudge, NudgeStatus
from tests.bot.test_cli import run_cli
from tests.conftest import EXAMPLE_NETWORK
from tests.jobs.conftest import standin_client
from tests.slack_standin import SlackStandIn, explode

KICKOFF = datetime(2015, 11, 3, 8, 0, tzinfo=UTC)


def _imported(path: Path) -> str:
    url = f"sqlite:///{path}"
    result = run_cli("network", "import", str(EXAMPLE_NETWORK), cwd=path.parent, env=_env(url))
    assert result.returncode == 0, result.stderr
    return url


def _env(url: str) -> dict[str, str]:
    return {"DATABASE_URL": url, "TOVHOLDER_SQLITE_BUSY_MS": "300"}


def test_a_second_process_waits_or_is_refused_clearly(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    # Another process holds the write lock longer than we wait: a clear refusal.
    holder = sqlite3.connect(tmp_path / "bot.db")
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("BEGIN IMMEDIATE")
    refused = run_cli("network", "import", str(EXAMPLE_NETWORK), cwd=tmp_path, env=_env(url))
    holder.rollback()
    holder.close()
    assert refused.returncode == 7, refused.stderr
    assert "database file is busy" in refused.stderr
    assert "Traceback" not in refused.stderr
    url = _imported(tmp_path / "bot.db")  # and once it is free, the same command works
    # The bot passing while an import runs: both get their work done.
    engine = make_engine(url)
    factory = make_session_factory(engine)
    slack = SlackStandIn().start()
    done: list[object] = []

    def passes() -> None:
        for i in range(20):
            run_nudge_pass(
                session_factory=factory,
                messenger=SlackMessenger(standin_client(slack)),
                now=KICKOFF + timedelta(minutes=i),
                refresh_zones=False,
            )
        done.append(True)

    thread = threading.Thread(target=passes)
    thread.start()
    imported = run_cli(
        "network", "import", str(EXAMPLE_NETWORK), cwd=tmp_path, env={"DATABASE_URL": url}
    )
    thread.join()
    slack.stop()
    engine.dispose()
    assert imported.returncode == 0, imported.stderr
    assert done == [True]


def test_online_backup_and_postgres_advice(
    tmp_path: Path, example_db: Callable[[str], Path]
) -> None:
    url = f"sqlite:///{example_db('bot.db')}"  # `network import` of the example
    result = run_cli("db", "backup", str(tmp_path / "copy.db"), cwd=tmp_path, env=_env(url))
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(tmp_path / "copy.db") as copy:
        assert copy.execute("SELECT count(*) FROM member").fetchone()[0] > 10
    again = run_cli("db", "backup", str(tmp_path / "copy.db"), cwd=tmp_path, env=_env(url))
    assert again.returncode == 4 and "exists already" in again.stderr
    pg = run_cli(
        "db",
        "backup",
        "x.dump",
        cwd=tmp_path,
        env={"DATABASE_URL": "postgresql+psycopg://u@127.0.0.1:1/db"},
    )
    assert pg.returncode == 4 and "pg_dump --format=custom" in pg.stderr


def test_after_restoring_an_older_backup_nothing_is_sent_twice(
    tmp_path: Path, slack: SlackStandIn
) -> None:
    live, backup = tmp_path / "bot.db", tmp_path / "backup.db"
    engine = make_engine(f"sqlite:///{live}")
    upgrade_schema(engine)
    factory = make_session_factory(engine)
    with factory.begin() as s:
        import_network_file(s, EXAMPLE_NETWORK, now=KICKOFF - timedelta(days=30))
    with sqlite3.connect(live) as source, sqlite3.connect(backup) as copy:
        source.backup(copy)  # last night's backup: before the kick-off went out
    messenger = SlackMessenger(standin_client(slack))
    run_nudge_pass(session_factory=factory, messenger=messenger, now=KICKOFF, refresh_zones=False)
    sent_before = len(slack.accepted())
    assert sent_before > 0
    engine.dispose()
    # Restored (as the README says: the bot stopped, the backup copied back in with SQLite's
    # backup API, which also settles the write-ahead log): the outbox does not know what
    # went out.
    with sqlite3.connect(backup) as source, sqlite3.connect(live) as target:
        source.backup(target)
    engine = make_engine(f"sqlite:///{live}")
    factory = make_session_factory(engine)
    later = KICKOFF + timedelta(hours=2)
    with factory() as s:
        assert reconcile_after_restore(session=s, now=later) > 0
    run_nudge_pass(session_factory=factory, messenger=messenger, now=later, refresh_zones=False)
    ids = [p["metadata"]["event_payload"]["nudge_id"] for m in slack.accepted() for p in explode(m)]
    assert len(slack.accepted()) == sent_before  # nothing went out again …
    with factory() as s:
        sent = s.scalar(
            select(func.count()).select_from(Nudge).where(Nudge.status == NudgeStatus.SENT)
        )
        assert sent == len(ids)  # … and the restored outbox knows it was sent
        assert s.scalar(select(func.count()).select_from(Member)) > 10
    engine.dispose()
