"""SQLite's page cache is bounded per connection, so memory levels off as the database grows
(the growth bench/bench_soak.py measured came from the default 2 MB cache per connection)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from models.db import SQLITE_CACHE_KIB, make_engine


def test_every_sqlite_connection_has_a_small_page_cache(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        with engine.connect() as first, engine.connect() as second:
            for conn in (first, second):
                assert conn.execute(text("PRAGMA cache_size")).scalar() == -SQLITE_CACHE_KIB
    finally:
        engine.dispose()
    assert SQLITE_CACHE_KIB <= 512
