"""A long-running process checkpoints SQLite's write-ahead log in a thread of its own, so no
request's commit copies the log into the database file (models.db.WalCheckpointer)."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import Engine, text

from models.db import (
    WAL_BACKSTOP_PAGES,
    WalCheckpointer,
    make_engine,
    make_session_factory,
    start_wal_checkpoints,
    upgrade_schema,
)

PAGE = 4096
ROW = "x" * 3000  # about one page per row


def _engine(tmp_path: Path) -> tuple[Engine, Path]:
    path = tmp_path / "x.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE filler (id INTEGER PRIMARY KEY, body TEXT)"))
    return engine, Path(f"{path}-wal")


def _logged_pages(engine: Engine) -> int:
    """The pages in the log since it last started over (asking checkpoints it, too)."""
    with engine.connect() as conn:
        _busy, log_pages, _moved = conn.execute(text("PRAGMA wal_checkpoint(PASSIVE)")).one()
    return int(log_pages)


def _write_pages(engine: Engine, commits: int) -> None:
    for _ in range(commits):
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO filler (body) VALUES (:b)"), {"b": ROW})


def test_by_default_a_commit_checkpoints_once_the_log_passes_a_thousand_pages(
    tmp_path: Path,
) -> None:
    engine, _wal = _engine(tmp_path)
    try:
        _write_pages(engine, 1500)
        # SQLite's default: a commit past 1,000 pages copied them and the log started over.
        assert _logged_pages(engine) < 1000
    finally:
        engine.dispose()


def test_with_the_checkpointer_commits_leave_the_log_to_its_thread(tmp_path: Path) -> None:
    engine, wal = _engine(tmp_path)
    checkpointer = WalCheckpointer(engine, interval=3600).start()  # its thread waits
    try:
        with engine.connect() as conn:
            pragma = conn.execute(text("PRAGMA wal_autocheckpoint")).scalar()
            assert pragma == WAL_BACKSTOP_PAGES
        _write_pages(engine, 1500)
        assert checkpointer.checkpoints == 0
        assert wal.with_name("x.db").stat().st_size < 100 * PAGE  # still all in the log
        assert _logged_pages(engine) >= 1500  # no commit checkpointed
    finally:
        checkpointer.stop()
    assert checkpointer.checkpoints == 1
    assert wal.stat().st_size == 0  # the last checkpoint emptied the log
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM filler")).scalar() == 1500
        # Once stopped, new connections checkpoint by SQLite's default again.
        engine.dispose()
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 1000
    engine.dispose()


def test_the_thread_moves_the_log_into_the_database_file_while_requests_write(
    tmp_path: Path,
) -> None:
    engine, wal = _engine(tmp_path)
    database = wal.with_name("x.db")
    checkpointer = WalCheckpointer(engine, interval=0.05).start()
    try:
        _write_pages(engine, 300)
        # The rows reach the database file itself (a commit did not put them there: the
        # backstop is far off), without anybody asking for a checkpoint. The thread counts a
        # checkpoint once it has ended, after the file grew: wait for both.
        deadline = time.monotonic() + 10
        while (
            database.stat().st_size < 300 * PAGE or checkpointer.checkpoints < 1
        ) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert database.stat().st_size >= 300 * PAGE
        assert checkpointer.checkpoints >= 1
    finally:
        checkpointer.stop()
        engine.dispose()


def test_sessions_and_the_schema_work_as_before_with_the_checkpointer(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'app.db'}")
    upgrade_schema(engine)
    checkpointer = start_wal_checkpoints(engine)
    assert isinstance(checkpointer, WalCheckpointer)
    try:
        with make_session_factory(engine)() as session:
            assert session.execute(text("SELECT count(*) FROM network")).scalar() == 0
    finally:
        checkpointer.stop()
        engine.dispose()


def test_only_a_sqlite_file_gets_a_checkpointer() -> None:
    memory = make_engine("sqlite://")
    assert start_wal_checkpoints(memory) is None
    postgres = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert start_wal_checkpoints(postgres) is None  # never connects
