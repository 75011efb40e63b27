"""Requests already handled: a Slack retry or an exact replay is recognised, across instances.

Each handled request leaves a key (its signature, or an event's id) with a unique insert; a
second instance or a second thread inserting the same key loses the race and knows it is a
repeat. Keys expire after Slack's five-minute signature window (older requests are refused
by their timestamp anyway).
"""

from __future__ import annotations

from contextlib import nullcontext
from datetime import datetime, timedelta

from sqlalchemy import String, delete, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from models.base import Base
from models.db import sqlite_write_lock

# Slack refuses to sign requests older than five minutes; keep keys a little longer.
SEEN_REQUEST_TTL = timedelta(minutes=10)


class SeenRequest(Base):
    __tablename__ = "seen_request"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(index=True)


# Core, not the ORM entity: the ORM bulk-insert path costs more than the insert itself.
_INSERT_SEEN = insert(Base.metadata.tables[SeenRequest.__tablename__])


def first_time_seen(session_factory: sessionmaker[Session], keys: list[str], now: datetime) -> bool:
    """Record `keys`; False when any of them was recorded before (the request is a repeat).

    One statement inserts them all (it is on every request's path, so it skips the session
    and runs on a connection, under the same SQLite write lock as sessions): either every key
    is new and stored, or none is stored."""
    engine = session_factory.kw["bind"]
    lock = sqlite_write_lock(engine)
    rows = [{"key": key, "seen_at": now} for key in keys]
    try:
        with lock or nullcontext(), engine.begin() as connection:
            connection.execute(_INSERT_SEEN, rows)
    except IntegrityError:
        return False
    return True


def forget_seen_requests(session: Session, now: datetime) -> int:
    """Delete keys older than the window; returns how many."""
    result = session.execute(
        delete(SeenRequest).where(SeenRequest.seen_at < now - SEEN_REQUEST_TTL)
    )
    return int(getattr(result, "rowcount", 0) or 0)
