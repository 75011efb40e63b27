"""PostgreSQL's pool: a connection is pinged before use only after lying idle, so a request
costs no extra round trip, and a connection that died while idle never reaches a request."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

import models.db
from models.db import make_engine

pytestmark = pytest.mark.postgres


def _backend(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(url: str, pid: int) -> None:
    admin = make_engine(url)
    with admin.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()


def test_a_connection_that_died_while_idle_is_replaced_before_use(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(models.db, "PING_AFTER_IDLE_S", 0.0)  # every checkout counts as idle
    engine = make_engine(postgres_url, pool_size=1, max_overflow=0)
    try:
        first = _backend(engine)
        _terminate(postgres_url, first)
        assert _backend(engine) != first  # pinged, found dead, replaced: no error
    finally:
        engine.dispose()


def test_a_connection_in_steady_use_is_not_pinged(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the ping a dead connection fails one statement; SQLAlchemy sees the
    disconnect, retires the pool's older connections, and the next checkout works."""
    monkeypatch.setattr(models.db, "PING_AFTER_IDLE_S", 3600.0)
    engine = make_engine(postgres_url, pool_size=1, max_overflow=0)
    try:
        first = _backend(engine)
        _terminate(postgres_url, first)
        with pytest.raises(OperationalError):
            _backend(engine)
        assert _backend(engine) != first
    finally:
        engine.dispose()
