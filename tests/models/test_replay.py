"""Seen requests: a unique insert recognises a repeat, across sessions (and instances)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from models.db import make_session_factory
from models.network import Network, Platform, find_people
from models.replay import (
    KEPT_PREFIX,
    KEPT_TTL,
    SEEN_REQUEST_TTL,
    AlreadyHandledError,
    SeenRequest,
    claim_once,
    first_time_seen,
    forget_seen_requests,
    keep_response,
    record_keys_on_commit,
    release,
    remember_on_commit,
    remembered,
    seen_and_people,
    seen_before,
    store_remembered_keys,
    stored_response,
)
from tests.conftest import ANNA, delete_rows

# Keys are stored as seen now, as the gate stores them: any purge of expired keys that runs
# on this worker's database meanwhile (a server another test started) leaves them alone.
# With a fixed past time they were expired, and a PostgreSQL run once lost one.
NOW = datetime.now(UTC).replace(microsecond=0)


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


def test_a_claim_holds_once_is_kept_longer_and_can_be_given_back(
    session_factory: sessionmaker[Session],
) -> None:
    key = f"{KEPT_PREFIX}teams-consent:x"
    with session_factory() as s:
        assert claim_once(s, key)
    with session_factory() as s:  # another session (or instance): already claimed
        assert not claim_once(s, key)
        release(s, key)
        assert claim_once(s, key)
    claimed = datetime.now(UTC)  # claims are stamped with the wall clock
    with session_factory.begin() as s:  # a request's window is long past: still kept
        assert forget_seen_requests(s, claimed + SEEN_REQUEST_TTL * 10) == 0
    with session_factory.begin() as s:
        assert forget_seen_requests(s, claimed + KEPT_TTL + timedelta(seconds=1)) == 1


def test_an_answer_is_kept_with_its_key(session_factory: sessionmaker[Session]) -> None:
    assert first_time_seen(session_factory, ["teams:1"], NOW)
    assert stored_response(session_factory, "teams:1") is None  # not answered yet
    keep_response(session_factory, "teams:1", {"status": 200, "body": {"x": "æ"}})
    assert stored_response(session_factory, "teams:1", wait=5) == {
        "status": 200,
        "body": {"x": "æ"},
    }


def test_a_statement_through_a_session_takes_the_sqlite_write_lock(tmp_path: object) -> None:
    """The replay guard's one-statement insert (no flush) queues behind this process's other
    SQLite writers like a flush does, instead of sleeping in SQLite's busy handler."""
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


def _keys_stored(session_factory: sessionmaker[Session]) -> set[str]:
    with session_factory() as s:
        return set(s.scalars(select(SeenRequest.key)))


def _write(session: Session, key: str) -> None:
    """Stands for what a handler writes (any row in the request's transaction)."""
    session.add(SeenRequest(key=key, seen_at=NOW))


def test_keys_go_in_with_the_requests_own_commit(session_factory: sessionmaker[Session]) -> None:
    record_keys_on_commit(session_factory)
    with session_factory() as s:
        assert not seen_before(s, ["sig:a", "event:E1"])
        remember_on_commit(s, ["sig:a", "event:E1"], NOW)
        assert not remembered(s)
        _write(s, "the handler's row")
        s.commit()
        assert remembered(s)
    assert _keys_stored(session_factory) == {"sig:a", "event:E1", "the handler's row"}
    with session_factory() as s:
        assert seen_before(s, ["sig:b", "event:E1"])  # Slack's retry: same event, new signature
        assert not seen_before(s, ["sig:b"])


def test_a_request_that_does_not_commit_leaves_no_key(
    session_factory: sessionmaker[Session],
) -> None:
    """A handler that fails rolls back: its retry is not taken for a repeat."""
    record_keys_on_commit(session_factory)
    with session_factory() as s:
        remember_on_commit(s, ["sig:a"], NOW)
        _write(s, "half-done")
        s.rollback()
    assert _keys_stored(session_factory) == set()


def test_a_repeat_that_commits_second_stores_nothing(
    session_factory: sessionmaker[Session],
) -> None:
    """Two copies of one request handled at the same time: the second commit is refused
    whole, its own write included."""
    record_keys_on_commit(session_factory)
    record_keys_on_commit(session_factory)  # registering twice still inserts once
    first, second = session_factory(), session_factory()
    try:
        for s in (first, second):
            assert not seen_before(s, ["sig:a"])
            remember_on_commit(s, ["sig:a"], NOW)
        _write(first, "first's row")
        first.commit()
        _write(second, "second's row")
        with pytest.raises(AlreadyHandledError):
            second.commit()
    finally:
        first.close()
        second.close()
    assert _keys_stored(session_factory) == {"sig:a", "first's row"}


def test_keys_wait_for_the_next_commit_when_a_commit_fails(
    session_factory: sessionmaker[Session],
) -> None:
    """A handler whose commit breaks a unique key, rolls back and answers anyway (a double
    click) was handled: its keys go in after it, not lost with the failed commit."""
    record_keys_on_commit(session_factory)
    with session_factory.begin() as s:
        _write(s, "taken")
    with session_factory() as s:
        remember_on_commit(s, ["sig:a"], NOW)
        _write(s, "taken")
        with pytest.raises(IntegrityError):
            s.commit()
        s.rollback()
        assert not remembered(s)
        store_remembered_keys(s)
        assert remembered(s)
    assert _keys_stored(session_factory) == {"taken", "sig:a"}


def test_keys_of_a_request_that_wrote_nothing_are_stored_after_it(
    session_factory: sessionmaker[Session],
) -> None:
    record_keys_on_commit(session_factory)
    with session_factory() as s:
        remember_on_commit(s, ["sig:a"], NOW)
        store_remembered_keys(s)
        assert remembered(s)
        store_remembered_keys(s)  # once only
    assert _keys_stored(session_factory) == {"sig:a"}


def test_a_core_write_takes_the_sqlite_write_lock_and_sees_pending_changes(
    tmp_path: object,
) -> None:
    """A Core statement on the session's connection (the request path's) flushes what is
    pending first, as the session would, and a write queues behind this process's other
    SQLite writers until the session's transaction ends."""
    from models.db import (
        core_connection,
        core_write_connection,
        make_engine,
        make_session_factory,
        sqlite_write_lock,
        upgrade_schema,
    )

    engine = make_engine(f"sqlite:///{tmp_path}/core.db")
    upgrade_schema(engine)
    factory = make_session_factory(engine)
    lock = sqlite_write_lock(engine)
    assert lock is not None
    with factory() as session:
        session.add(SeenRequest(key="pending", seen_at=NOW))
        assert core_connection(session).scalar(select(func.count(SeenRequest.key))) == 1
        session.commit()
        core_write_connection(session).execute(insert(SeenRequest).values(key="k", seen_at=NOW))
        assert session.info.get("sqlite_write_lock")
        assert not _another_thread_can_take(lock)
        session.commit()
        assert not session.info.get("sqlite_write_lock")
        assert _another_thread_can_take(lock)
    engine.dispose()


def _another_thread_can_take(lock: threading.RLock) -> bool:
    got: list[bool] = []

    def try_it() -> None:
        got.append(lock.acquire(blocking=False))
        if got[0]:
            lock.release()

    thread = threading.Thread(target=try_it)
    thread.start()
    thread.join()
    return got[0]


def test_seen_and_people_answer_both_questions_in_one_statement(
    session_factory: sessionmaker[Session], network: Network
) -> None:
    record_keys_on_commit(session_factory)
    with session_factory.begin() as s:
        remember_on_commit(s, ["sig:old"], NOW)
    with session_factory() as s:
        seen, people = seen_and_people(s, ["sig:new"], Platform.SLACK, ANNA)
        assert not seen
        assert [p.slack_user_id for p in people] == [ANNA]
        assert [p.id for p in people] == [p.id for p in find_people(s, ANNA)]
        assert seen_and_people(s, ["sig:new", "sig:old"], Platform.SLACK, ANNA)[0]
        assert seen_and_people(s, ["sig:old"], Platform.SLACK, "U0NOBODY00") == (True, [])
        assert seen_and_people(s, ["sig:new"], Platform.SLACK, None) == (False, [])
        many = ["sig:a", "sig:b", "sig:old"]  # more than two keys: asked the long way
        assert seen_and_people(s, many, Platform.SLACK, ANNA)[0]


def test_a_new_factory_at_a_freed_ones_address_records_keys_too(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLAlchemy's event registry knows a sessionmaker by its id: a new factory at a freed
    one's address was taken for one already listening, and its sessions stored no keys.
    (CPython usually gives the freed address to the next factory; the registry's answer is
    also forced to that stale "yes", so the case is tested whatever the allocator does.)"""
    import models.replay

    first = make_session_factory(engine)
    record_keys_on_commit(first)
    del first
    factory = make_session_factory(engine)
    monkeypatch.setattr(models.replay.event, "contains", lambda *_args: True)
    record_keys_on_commit(factory)
    try:
        with factory() as s:
            remember_on_commit(s, ["sig:reused"], NOW)
            s.commit()
            assert remembered(s)
        assert _keys_stored(factory) == {"sig:reused"}
    finally:
        delete_rows(engine)
