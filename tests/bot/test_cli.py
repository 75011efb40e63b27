"""The command line as an administrator runs it: real processes, real exit codes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

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


def test_db_upgrade(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/up.db"}
    result = run_cli("db", "upgrade", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout
    assert run_cli("db", "upgrade", cwd=tmp_path, env=env).returncode == 0


def test_nudges_preview_prints_the_plan(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/p.db"}
    assert run_cli("network", "import", str(EXAMPLE_NETWORK), cwd=tmp_path, env=env).returncode == 0
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
