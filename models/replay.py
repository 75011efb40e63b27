"""Requests already handled: a Slack retry or an exact replay is recognised, across instances.

Each handled request leaves a key (its signature, or an event's id) with a unique insert; a
second instance or a second thread inserting the same key loses the race and knows it is a
repeat. Keys expire after Slack's five-minute signature window (older requests are refused
by their timestamp anyway).

A Teams invoke (a dialog's next step, a search's results) wants its answer in the HTTP
response, also when Teams sends it again: its answer is kept with its key
(`keep_response`), so that the repeat — on this instance or another — gets the same answer
(`stored_response`) while the work is still done once.

A request's keys go in with the request's own first commit (`remember_on_commit`): what the
handler wrote and the keys are stored together or not at all, so a handler that fails
leaves no key behind and Slack's retry is handled, and a request whose write is stored is
never handled again.
"""

from __future__ import annotations

import json
import time
from contextlib import nullcontext
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    String,
    Text,
    and_,
    bindparam,
    delete,
    event,
    exists,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from models.base import Base, utc_now
from models.db import core_connection, core_write_connection, sqlite_write_lock
from models.network import Member, Platform, people_of_rows, people_reached_on, people_rows_after

# Slack refuses to sign requests older than five minutes; keep keys a little longer.
SEEN_REQUEST_TTL = timedelta(minutes=10)
# A key for something answered once for good (a Teams file consent card), not a request:
# kept longer, as the thing can be answered again long after (from a card not yet updated).
KEPT_PREFIX = "kept:"
KEPT_TTL = timedelta(days=30)


class SeenRequest(Base):
    __tablename__ = "seen_request"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(index=True)
    # A Teams invoke's answer as JSON ({"status", "body"}), for Teams' retry of it; the
    # erasure of a member empties every one (an answer can name people).
    response: Mapped[str | None] = mapped_column(Text, default=None)


class AlreadyHandledError(Exception):
    """The request's keys were stored by another transaction first: it is a repeat, handled
    (or being handled) elsewhere; this transaction must not be committed."""


# Core, not the ORM entity: the ORM bulk-insert path costs more than the insert itself.
_INSERT_SEEN = insert(Base.metadata.tables[SeenRequest.__tablename__])
# Built once: every request with keys asks it before it is handled. Two keys at a time (a
# request has one or two), so the statement is compiled once, not for each count of keys.
_ONE_OF_TWO_SEEN = (
    select(SeenRequest.key).where(SeenRequest.key.in_([bindparam("a"), bindparam("b")])).limit(1)
)
_KEYS = "replay_keys"
_IN_TRANSACTION = "replay_keys_in_transaction"


def first_time_seen(session_factory: sessionmaker[Session], keys: list[str], now: datetime) -> bool:
    """Record `keys` in a transaction of their own; False when any of them was recorded
    before (the request is a repeat). For work that has no request session; a request
    records its keys with its own commit (`remember_on_commit`).

    One statement inserts them all, on a connection under the same SQLite write lock as
    sessions: either every key is new and stored, or none is stored."""
    engine = session_factory.kw["bind"]
    lock = sqlite_write_lock(engine)
    rows = [{"key": key, "seen_at": now} for key in keys]
    try:
        with lock or nullcontext(), engine.begin() as connection:
            connection.execute(_INSERT_SEEN, rows)
    except IntegrityError:
        return False
    return True


def keep_response(
    session_factory: sessionmaker[Session], key: str, response: dict[str, Any]
) -> None:
    """Keep `response` (an invoke's answer) with the key recorded for its request."""
    engine = session_factory.kw["bind"]
    statement = update(SeenRequest).where(SeenRequest.key == key)
    with sqlite_write_lock(engine) or nullcontext(), engine.begin() as connection:
        connection.execute(statement.values(response=json.dumps(response)))


RESPONSE_POLL_S = 0.1


def stored_response(
    session_factory: sessionmaker[Session], key: str, *, wait: float = 0.0
) -> dict[str, Any] | None:
    """The answer kept for `key`; while the first request is still being handled (its key
    stored, no answer yet), waited for up to `wait` seconds. None: no answer (yet)."""
    engine = session_factory.kw["bind"]
    query = select(SeenRequest.response).where(SeenRequest.key == key)
    deadline = time.monotonic() + wait
    while True:
        with engine.connect() as connection:
            kept = connection.scalar(query)
        if kept is not None:
            answer = json.loads(kept)
            return answer if isinstance(answer, dict) else None
        if time.monotonic() >= deadline:
            return None
        time.sleep(RESPONSE_POLL_S)


def forget_responses(session: Session) -> None:
    """Empty every kept answer (they may name someone who is being erased); the keys stay,
    so nothing is handled twice."""
    session.execute(
        update(SeenRequest).where(SeenRequest.response.is_not(None)).values(response=None)
    )


def claim_once(session: Session, key: str) -> bool:
    """Record `key` (committed with the session's transaction, which this commits); False
    when it was recorded before — by this instance or another: the thing was answered.
    Stamped with the wall clock, as the purge that expires keys reads it: stamped with a
    handler's clock (a test's, years back) the claim was purged as old at the next request
    and the thing answered again."""
    try:
        with session.begin_nested():
            claim_with_next_commit(session, key)
    except IntegrityError:
        return False
    session.commit()
    return True


def claim_with_next_commit(session: Session, key: str) -> None:
    """Add `key` to the session's transaction: stored by its next commit, with whatever that
    commit stores, or taken out again by a rollback (wall-clock stamped, as `claim_once`)."""
    session.add(SeenRequest(key=key, seen_at=utc_now()))


def release(session: Session, key: str) -> None:
    """Forget `key` (what it claimed did not happen after all), and commit."""
    session.execute(delete(SeenRequest).where(SeenRequest.key == key))
    session.commit()


def seen_before(session: Session, keys: list[str]) -> bool:
    """Whether any of `keys` was stored by a request handled before (a read, no lock)."""
    connection = core_connection(session)
    return any(
        connection.scalar(_ONE_OF_TWO_SEEN, {"a": pair[0], "b": pair[-1]}) is not None
        for pair in (keys[i : i + 2] for i in range(0, len(keys), 2))
    )


# Whether either of two keys was seen, as a one-row query to put before the people query.
_SEEN_FLAG = select(
    exists().where(SeenRequest.key.in_([bindparam("a"), bindparam("b")])).label("seen")
).subquery("asked")
_SEEN_AND_PEOPLE = people_rows_after(_SEEN_FLAG)


def seen_and_people(
    session: Session, keys: list[str], platform: Platform, external_id: str | None
) -> tuple[bool, list[Member]]:
    """`seen_before` and `people_reached_on` (nobody when `external_id` is None) in one
    statement: what every request with keys asks first."""
    if not keys or len(keys) > 2:
        seen = seen_before(session, keys)
        return seen, people_reached_on(session, platform, external_id) if external_id else []
    params = {"a": keys[0], "b": keys[-1], "platform": platform, "external_id": external_id}
    rows = core_connection(session).execute(_SEEN_AND_PEOPLE, params).all()
    return bool(rows[0][0]), people_of_rows(session, rows, skip=1)


def remember_on_commit(session: Session, keys: list[str], now: datetime) -> None:
    """Store `keys` in the transaction of the session's next successful commit (see
    `record_keys_on_commit`); `remembered` tells afterwards whether they went in."""
    session.info[_KEYS] = [{"key": key, "seen_at": now} for key in keys]


def remembered(session: Session) -> bool:
    """True once the keys given to `remember_on_commit` are committed; also when none were
    given."""
    return not session.info.get(_KEYS)


def _store_keys(session: Session) -> None:
    rows = session.info.get(_KEYS)
    if not rows or session.info.get(_IN_TRANSACTION):
        return
    connection = core_write_connection(session)  # flushes: its errors are the handler's
    try:
        connection.execute(_INSERT_SEEN, rows)
    except IntegrityError as error:
        raise AlreadyHandledError(", ".join(row["key"] for row in rows)) from error
    session.info[_IN_TRANSACTION] = True


def _kept(session: Session) -> None:
    if session.info.pop(_IN_TRANSACTION, False):
        session.info.pop(_KEYS, None)


def _rolled_back(session: Session) -> None:
    # A commit that failed after the keys went in (its flush broke a unique key, say) took
    # them out again: they wait for the next commit.
    session.info.pop(_IN_TRANSACTION, None)


_HOOKS = (("before_commit", _store_keys), ("after_commit", _kept), ("after_rollback", _rolled_back))


_RECORDING = "_tovholder_records_replay_keys"


def record_keys_on_commit(factory: sessionmaker[Session]) -> None:
    """Let sessions of `factory` carry replay keys into their next commit (idempotent).

    Marked on the factory's own Session class, not asked of `event.contains`: SQLAlchemy's
    event registry knows a sessionmaker by its id, so a new factory at a freed one's address
    was taken for already listening, and its sessions stored no keys (a test saw a repeat
    go through, one run in ten)."""
    session_class = factory.class_
    if session_class.__dict__.get(_RECORDING):
        return
    for name, hook in _HOOKS:
        event.listen(session_class, name, hook)
    setattr(session_class, _RECORDING, True)


def store_remembered_keys(session: Session) -> None:
    """Commit the keys of a request that committed nothing itself."""
    if not remembered(session):
        _store_keys(session)
        session.commit()
        _kept(session)


def forget_seen_requests(session: Session, now: datetime) -> int:
    """Delete keys older than the window (`KEPT_PREFIX` keys: older than `KEPT_TTL`);
    returns how many."""
    kept = SeenRequest.key.startswith(KEPT_PREFIX, autoescape=True)
    result = session.execute(
        delete(SeenRequest).where(
            or_(
                and_(SeenRequest.seen_at < now - SEEN_REQUEST_TTL, ~kept),
                SeenRequest.seen_at < now - KEPT_TTL,
            )
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
