"""The command line as an administrator runs it: real processes, real exit codes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import EXAMPLE_NETWORK
from tests.slack_standin import Reply, SlackStandIn


def run_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_run_without_credentials_says_what_to_set(tmp_path: Path) -> None:
    result = run_cli("run", cwd=tmp_path)
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN" in result.stderr
    assert "README.md, section 'Create the Slack app'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data").exists()  # stopped before touching anything


def test_run_reads_dotenv_and_reports_a_rejected_token(tmp_path: Path, slack: SlackStandIn) -> None:
    slack.script("auth.test", Reply(body={"ok": False, "error": "invalid_auth"}))
    (tmp_path / ".env").write_text(
        "SLACK_BOT_TOKEN=xoxb-wrong\nSLACK_SIGNING_SECRET=secret\n"
        f"SLACK_API_URL={slack.url}\nDATABASE_URL=sqlite:///{tmp_path}/t.db\n",
        encoding="utf-8",
    )
    result = run_cli("run", cwd=tmp_path)
    assert result.returncode == 3, result.stderr
    assert "Slack did not accept SLACK_BOT_TOKEN" in result.stderr
    assert "invalid_auth" in result.stderr
    assert "Traceback" not in result.stderr
    assert slack.calls_to("auth.test")[0].headers["Authorization"] == "Bearer xoxb-wrong"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_run_serves_http_with_the_sqlite_default(tmp_path: Path, slack: SlackStandIn) -> None:
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))},
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "secret",
        "SLACK_API_URL": slack.url,
        "PORT": str(port),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert proc.poll() is None, proc.communicate()[0]
                assert time.monotonic() < deadline, "the bot did not start listening in 30 s"
                time.sleep(0.2)
        # The schema was created in the default SQLite file, in WAL mode.
        db = tmp_path / "data" / "tovholder.db"
        assert db.exists()
        with create_engine(f"sqlite:///{db}").connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        proc.terminate()
        output = proc.communicate(timeout=10)[0]
    assert "Tovholder listening on" in output


def test_network_import_twice_then_a_bad_file(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/net.db"}
    first = run_cli("network", "import", str(EXAMPLE_NETWORK), cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    assert "created: 4 meetings, 13 people" in first.stdout
    second = run_cli("network", "import", str(EXAMPLE_NETWORK), cwd=tmp_path, env=env)
    assert "already up to date; nothing changed" in second.stdout

    bad = tmp_path / "bad.toml"
    bad.write_text(
        EXAMPLE_NETWORK.read_text(encoding="utf-8").replace("organisation =", "organization =", 1),
        encoding="utf-8",
    )
    third = run_cli("network", "import", str(bad), cwd=tmp_path, env=env)
    assert third.returncode == 4
    assert 'members[1] (slack_id "U0ANNA0001", "Anna Lund"): unknown field "organization"' in (
        third.stderr
    )
    assert 'missing field "organisation"' in third.stderr
    assert "nothing was changed" in third.stderr
    assert "Traceback" not in third.stderr


def _without(text_: str, *, meetings_from: int, members_kept: int) -> str:
    """The example file with meetings from `meetings_from` on and all but the first
    `members_kept` members left out (a file cut short, still valid)."""
    head, *blocks = text_.split("\n[[")
    kept, members = [head], 0
    for block in blocks:
        if block.startswith("meetings]]") and f"number = {meetings_from}" in block:
            meetings_from += 1
            continue
        if block.startswith("members]]"):
            members += 1
            if members > members_kept:
                continue
        kept.append(block)
    return "\n[[".join(kept)


def _count(db: Path, table: str, where: str = "1=1") -> int:
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        found = conn.execute(text(f"SELECT count(*) FROM {table} WHERE {where}")).scalar()
    engine.dispose()
    return int(found or 0)


def test_network_import_shows_the_diff_and_applies_deletions_only_with_apply(
    tmp_path: Path, example_db: Callable[[str], Path]
) -> None:
    db = example_db("net.db")  # `network import` of the example, as above
    env = {"DATABASE_URL": f"sqlite:///{db}"}
    cut = tmp_path / "cut.toml"
    cut.write_text(
        _without(EXAMPLE_NETWORK.read_text(encoding="utf-8"), meetings_from=3, members_kept=3),
        encoding="utf-8",
    )
    refused = run_cli("network", "import", str(cut), cwd=tmp_path, env=env)
    assert refused.returncode == 6, refused.stderr
    assert '- meeting 3 "Design som problemløsning" (2016-03-03): DELETED with' in refused.stdout
    assert refused.stdout.count("DEACTIVATED (no more reminders; kept:") == 7
    assert "run again with --apply" in refused.stderr
    assert _count(db, "meeting") == 4 and _count(db, "member", "active") == 13  # untouched
    dry = run_cli("network", "import", str(cut), "--dry-run", cwd=tmp_path, env=env)
    assert dry.returncode == 0 and "Dry run: nothing was changed." in dry.stdout
    assert _count(db, "meeting") == 4
    applied = run_cli("network", "import", str(cut), "--apply", cwd=tmp_path, env=env)
    assert applied.returncode == 0, applied.stderr
    assert "meetings +0 ~0 -2; people +0 ~0 -7 (deactivated)" in applied.stdout
    assert _count(db, "meeting") == 2 and _count(db, "member", "active") == 6
    again = run_cli("network", "import", str(cut), cwd=tmp_path, env=env)
    assert "already up to date; nothing changed" in again.stdout  # idempotent


def test_network_import_refuses_a_second_key_for_the_same_people(
    tmp_path: Path, example_db: Callable[[str], Path]
) -> None:
    db = example_db("net.db")  # `network import` of the example
    env = {"DATABASE_URL": f"sqlite:///{db}"}
    typo = tmp_path / "typo.toml"
    typo.write_text(
        EXAMPLE_NETWORK.read_text(encoding="utf-8").replace(
            'key = "coi-spredning-2015-16"', 'key = "coi-spreding-2015-16"'
        ),
        encoding="utf-8",
    )
    refused = run_cli("network", "import", str(typo), cwd=tmp_path, env=env)
    assert refused.returncode == 4
    assert "already active members of another network in the same season" in refused.stderr
    assert "coi-spredning-2015-16" in refused.stderr and "--allow-shared-members" in refused.stderr
    assert _count(db, "network") == 1
    allowed = run_cli(
        "network", "import", str(typo), "--allow-shared-members", cwd=tmp_path, env=env
    )
    assert allowed.returncode == 0, allowed.stderr
    assert _count(db, "network") == 2


def test_network_import_asks_on_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io

    from bot.cli import main

    db = tmp_path / "net.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{db}")
    assert main(["network", "import", str(EXAMPLE_NETWORK)]) == 0
    cut = tmp_path / "cut.toml"
    cut.write_text(
        _without(EXAMPLE_NETWORK.read_text(encoding="utf-8"), meetings_from=5, members_kept=8),
        encoding="utf-8",
    )

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdin", Terminal("no\n"))
    assert main(["network", "import", str(cut)]) == 6
    assert _count(db, "member", "active") == 13
    monkeypatch.setattr("sys.stdin", Terminal("yes\n"))
    assert main(["network", "import", str(cut)]) == 0
    assert _count(db, "member", "active") == 11
    assert "Type yes to apply" in capsys.readouterr().out


def test_db_upgrade(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/up.db"}
    result = run_cli("db", "upgrade", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout
    assert run_cli("db", "upgrade", cwd=tmp_path, env=env).returncode == 0


def test_nudges_preview_prints_the_plan(tmp_path: Path, example_db: Callable[[str], Path]) -> None:
    env = {"DATABASE_URL": f"sqlite:///{example_db('p.db')}"}  # `network import` of the example
    result = run_cli(
        "nudges", "preview", "--from", "2016-04-21", "--to", "2016-04-21", cwd=tmp_path, env=env
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    # Meeting 4's reminder (moved from Sat 23 Apr over Store Bededag on Fri 22 Apr) and, a week
    # before meeting 4, the closing of the period after meeting 3: ten members each.
    reminders = [ln for ln in lines if "prep_reminder" in ln]
    closings = [ln for ln in lines if "period_closing" in ln]
    assert len(lines) == 20 and len(reminders) == len(closings) == 10
    assert reminders[0].split() == [
        "2016-04-21",
        "09:00",
        "Europe/Copenhagen",
        "Anna",
        "Lund",
        "(U0ANNA0001)",
        "prep_reminder",
        "meeting",
        "4",
        "[planned]",
    ]
    assert lines[-1].startswith("2016-04-21 09:00 America/New_York  Jens Hald (U0JENS0010)")
    bad = run_cli("nudges", "preview", "--from", "21/4", cwd=tmp_path, env=env)
    assert bad.returncode == 2 and "not a date: '21/4' (use YYYY-MM-DD)" in bad.stderr
    empty = run_cli("nudges", "preview", "--from", "2017-01-01", cwd=tmp_path, env=env)
    assert empty.stdout == "" and "No nudges in that period." in empty.stderr


def test_network_example_for_this_season_imports_cleanly(tmp_path: Path) -> None:
    import tomllib
    from datetime import date

    example = run_cli("network", "example", "--season", "current", cwd=tmp_path)
    assert example.returncode == 0, example.stderr
    (tmp_path / "my-network.toml").write_text(example.stdout)
    net = tomllib.loads(example.stdout)["network"]
    today = date.today()
    assert today <= net["season_end"] and net["season_start"] <= date(today.year + 1, 1, 1)
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'try.db'}"}
    imported = run_cli("network", "import", "my-network.toml", cwd=tmp_path, env=env)
    assert imported.returncode == 0, imported.stderr
    assert f"Network '{net['key']}'" in imported.stdout
    preview = run_cli("nudges", "preview", cwd=tmp_path, env=env)
    assert preview.returncode == 0, preview.stderr
    assert str(net["season_start"].year) in preview.stdout


def test_network_example_refuses_an_unknown_season(tmp_path: Path) -> None:
    result = run_cli("network", "example", "--season", "last", cwd=tmp_path)
    assert result.returncode == 4
    assert "use current, next or a start year like 2027" in result.stderr
