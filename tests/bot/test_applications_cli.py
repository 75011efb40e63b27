"""`python -m bot applications import FILE` as an administrator runs it: a good CSV twice (the
second changes nothing), the same as XLSX, a bad file naming every problem by row and
column and importing nothing (exit code 4)."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook

from tests.bot.test_cli import _count, run_cli

HEADER = [
    "network",
    "name",
    "email",
    "workplace",
    "about",
    "tasks",
    "competencies",
    "wants",
    "contributes",
    "confirmed_time",
    "confirmed_binding",
    "slack_id",
]
KEY = "coi-spredning-2015-16"


def _row(name: str, email: str, **changes: str) -> list[str]:
    values = {
        "network": KEY,
        "name": name,
        "email": email,
        "workplace": "Aarhus Kommune",
        "about": "Projektleder.",
        "tasks": "Velfærdsteknologi.",
        "competencies": "design; data",
        "wants": "Ideer.",
        "contributes": "Erfaringer.",
        "confirmed_time": "ja",
        "confirmed_binding": "x",
        "slack_id": "",
    } | changes
    return [values[h] for h in HEADER]


def _csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter=";")
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def env(example_db: Callable[[str], Path]) -> dict[str, str]:
    """The example network, imported by `python -m bot network import` (tests/bot/conftest.py)."""
    return {"DATABASE_URL": f"sqlite:///{example_db('apps.db')}"}


def test_a_good_file_twice_then_as_xlsx(tmp_path: Path, env: dict[str, str]) -> None:
    rows = [
        _row("Ida Holm", "ida@aarhus.dk"),
        _row("Ole Berg", "Ole@Aarhus.dk", slack_id="U0OLE00002"),
    ]
    good = _csv(tmp_path / "good.csv", rows)
    first = run_cli("applications", "import", str(good), cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    assert "Applications: 2 added, 0 changed, 0 unchanged." in first.stdout
    second = run_cli("applications", "import", str(good), cwd=tmp_path, env=env)
    assert "Applications: 0 added, 0 changed, 2 unchanged." in second.stdout
    db = tmp_path / "apps.db"
    assert _count(db, "application") == 2
    assert _count(db, "member", "role = 'applicant'") == 2
    assert _count(db, "identity", "external_id = 'U0OLE00002'") == 1

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    sheet.append(_row("Ida Holm", "ida@aarhus.dk", wants="Mange ideer."))
    book.save(tmp_path / "mail.xlsx")
    third = run_cli("applications", "import", str(tmp_path / "mail.xlsx"), cwd=tmp_path, env=env)
    assert "Applications: 0 added, 1 changed, 0 unchanged." in third.stdout, third.stderr
    assert _count(db, "application", "wants = 'Mange ideer.'") == 1


def test_a_bad_file_names_every_problem_and_imports_nothing(
    tmp_path: Path, env: dict[str, str]
) -> None:
    rows = [
        _row("Ida Holm", "ida@aarhus.dk"),
        _row("", "ole@", confirmed_time="måske"),
        _row("Eva", "eva@gribskov.dk", network="vest", about="x" * 2400, confirmed_binding="nej"),
        _row("Ida igen", "IDA@aarhus.dk"),
    ]
    bad = _csv(tmp_path / "bad.csv", rows)
    result = run_cli("applications", "import", str(bad), cwd=tmp_path, env=env)
    assert result.returncode == 4
    err = result.stderr
    assert "7 problem(s), nothing was imported" in err
    assert 'row 3, column "name": Please fill this in.' in err
    assert 'row 3, column "email": "ole@" is not an e-mail address' in err
    assert 'row 3, column "confirmed_time": Write yes or no (ja/nej), not "måske".' in err
    assert 'row 4, column "network": No network has the key "vest".' in err
    assert 'row 4, column "confirmed_binding": Tick both boxes' in err
    assert 'row 4, column "about": Half a page is 2400 characters' in err
    assert 'row 5, column "email": The same e-mail address for the same network as in row 2.' in err
    assert "Traceback" not in err
    assert _count(tmp_path / "apps.db", "application") == 0

    header = [*HEADER[:-1], "telefon"]
    odd = _csv(tmp_path / "odd.csv", [[*_row("Ida", "ida@aarhus.dk")[:-1], "1234"]], header)
    columns = run_cli("applications", "import", str(odd), cwd=tmp_path, env=env)
    assert columns.returncode == 4
    assert 'row 1, column "telefon": Unknown column' in columns.stderr
    missing = run_cli("applications", "import", str(tmp_path / "none.csv"), cwd=tmp_path, env=env)
    assert missing.returncode == 4 and "cannot read the file" in missing.stderr
