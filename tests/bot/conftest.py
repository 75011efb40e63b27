"""The example network as `python -m bot network import` leaves it in a fresh SQLite file:
made by the real command once per worker, then copied for each test that starts from it
(a copy takes milliseconds; the command, with its start-up and the migrations, seconds)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.bot.test_cli import run_cli
from tests.conftest import EXAMPLE_NETWORK


@pytest.fixture(scope="session")
def imported_example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("imported-example")
    db = folder / "net.db"
    env = {"DATABASE_URL": f"sqlite:///{db}"}
    result = run_cli("network", "import", str(EXAMPLE_NETWORK), cwd=folder, env=env)
    assert result.returncode == 0, result.stderr
    assert "created: 4 meetings, 13 people" in result.stdout
    return db


@pytest.fixture
def example_db(imported_example: Path, tmp_path: Path) -> Callable[[str], Path]:
    """`example_db("net.db")`: the imported example network in tmp_path/net.db, copied with
    SQLite's backup API (which reads through the write-ahead log, as the bot's backup does)."""

    def copy(name: str) -> Path:
        target = tmp_path / name
        with sqlite3.connect(imported_example) as source, sqlite3.connect(target) as copied:
            source.backup(copied)
        source.close()
        copied.close()
        return target

    return copy
