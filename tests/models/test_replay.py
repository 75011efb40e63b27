"""Seen requests: a unique insert recognises a repeat, across sessions (and instances)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from models.replay import SEEN_REQUEST_TTL, SeenRequest, first_time_seen, forget_seen_requests

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def test_a_key_is_new_once(session_factory: sessionmaker[Session]) -> None:
    assert first_time_seen(session_factory, ["sig:a"], NOW)
    assert not first_time_seen(session_factory, ["sig:a"], NOW)
    # A retry re-signed by Slack: new signature, same event id.
    assert first_time_seen(session_factory, ["sig:b", "event:E1"], NOW)
    assert not first_time_seen(session_factory, ["sig:c", "event:E1"], NOW)
    with session_factory() as s:
        keys = set(s.scalars(select(SeenRequest.key)))
    assert keys == {"sig:a", "sig:b", "event:E1"}  # the refused one left nothing


def test_old_keys_are_forgotten(session_factory: sessionmaker[Session]) -> None:
    first_time_seen(session_factory, ["old"], NOW - SEEN_REQUEST_TTL - timedelta(seconds=1))
    first_time_seen(session_factory, ["fresh"], NOW - timedelta(minutes=1))
    with session_factory.begin() as s:
        assert forget_seen_requests(s, NOW) == 1
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(SeenRequest)) == 1
    assert first_time_seen(session_factory, ["old"], NOW)


def test_a_statement_through_a_session_takes_the_sqlite_write_lock(tmp_path: object) -> None:
    """The replay guard's one-statement insert (no flush) queues behind this process's other
    SQLite writers like a flush does, instead of sleeping in SQLite's busy handler."""
    from sqlalchemy import insert

    from models.db import make_engine, make_session_factory, upgrade_schema

    engine = make_engine(f"sqlite:///{tmp_path}/replay.db")
    upgrade_schema(engine)
    factory = make_session_factory(engine)
    with factory() as session:
        session.execute(insert(SeenRequest).values(key="k", seen_at=NOW))
        assert session.info.get("sqlite_write_lock")
        session.commit()
        assert not session.info.get("sqlite_write_lock")
    engine.dispose()
