"""Tovholder and Microsoft 365 Agents Playground, both running, for the tests that use the
playground as Teams (`playground` fixture in conftest.py): `python -m bot run` with
TEAMS_PLAYGROUND=1 and the example network moved to this season as the README's playground
section has it, and the playground's npm package (pinned below) pointed at it. Skips, saying
why, when node or the playground is not installed: .ci/run installs it into
.cache/playground (git-ignored).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLAYGROUND_VERSION = "0.2.28"  # .ci/run installs this one
PLAYGROUND_CLI = (
    ROOT / ".cache" / "playground" / "node_modules" / "@microsoft" / "m365agentsplayground"
)
PLAYGROUND_USER = "29:1playground-anna-lund"  # currentUser in examples/playground.yml
PLAYGROUND_BOT = "00000000-0000-0000-0000-00000000000011"
PERSONAL_CHAT = "__PERSONAL_CHAT_ID__"  # the playground's own id for the personal chat
STARTUP_S = 60.0  # each process's start, on a busy machine


def _playground_cli() -> Path:
    """The playground's cli.js, or skip saying what is missing."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed (the Agents Playground is a Node.js program)")
    given = os.environ.get("TOVHOLDER_PLAYGROUND_DIR")
    package = Path(given) if given else PLAYGROUND_CLI
    if not (package / "cli.js").is_file():
        pytest.skip(
            f"Microsoft 365 Agents Playground is not installed in {package}; install it with "
            f"`npm install --prefix .cache/playground "
            f"@microsoft/m365agentsplayground@{PLAYGROUND_VERSION}` (.ci/run does)"
        )
    return package / "cli.js"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until(ready: Any, process: subprocess.Popen[str], what: str) -> Any:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{what} exited with {process.returncode}")
        result = ready()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"{what} did not start within {STARTUP_S:.0f} s")


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except OSError:
        return False


def _stop(process: subprocess.Popen[str]) -> str:
    process.terminate()
    try:
        out, _ = process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        out, _ = process.communicate()
    return out or ""


def _readme_awk() -> str:
    """The README's step that gives Anna and Mette the Teams ids of examples/playground.yml."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"--season current \| awk '(.*?)'", readme, re.DOTALL)
    assert match, "the README's playground section no longer adds the Teams ids with awk"
    return match.group(1)


def _run_bot(tmp: Path, env: dict[str, str], port: int) -> subprocess.Popen[str]:
    """`python -m bot run` with the example network moved to this season, as the README's
    playground section has it."""
    if shutil.which("awk") is None:
        pytest.skip("awk is not installed (the README's step 1 uses it)")
    bot = [sys.executable, "-m", "bot"]
    network = subprocess.run(
        [*bot, "network", "example", "--season", "current"],
        cwd=tmp,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    network = subprocess.run(
        ["awk", _readme_awk()], input=network, capture_output=True, text=True, check=True
    ).stdout
    assert f'teams_id = "{PLAYGROUND_USER}"' in network
    (tmp / "network.toml").write_text(network, encoding="utf-8")
    subprocess.run(
        [*bot, "network", "import", "network.toml"], cwd=tmp, env=env, check=True, timeout=60
    )
    process = subprocess.Popen(
        [*bot, "run"], cwd=tmp, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    _wait_until(lambda: _answers(f"http://127.0.0.1:{port}/healthz"), process, "the bot")
    return process


@dataclass(frozen=True)
class Playground:
    """The playground's web page and API (`url`) and the bot's database behind it."""

    url: str
    database_url: str


def running_playground(tmp_path: Path) -> Iterator[Playground]:
    """The bot and the playground talking to each other (the `playground` fixture)."""
    cli = _playground_cli()
    bot_port, playground_port = _free_port(), _free_port()
    base = f"http://localhost:{playground_port}"
    database_url = f"sqlite:///{tmp_path / 'trial.db'}"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SLACK_", "TEAMS_", "DATABASE_URL", "HOST", "PORT"))
    }
    bot_env = env | {
        "TEAMS_PLAYGROUND": "1",
        "TEAMS_SERVICE_URL": f"{base}/_connector/",
        "PORT": str(bot_port),
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "INFO",
    }
    playground_env = env | {
        "TEAMSAPPTESTER_BROWSER": "none",  # no desktop: do not open a browser
        "M365_AGENTS_PLAYGROUND_CONFIG_PATH": str(ROOT / "examples" / "playground.yml"),
        "M365_AGENTS_PLAYGROUND_LOGFILE": str(tmp_path / "playground.log"),
    }
    command = ["node", str(cli), "-e", f"http://127.0.0.1:{bot_port}/api/messages"]
    command += ["-c", "msteams", "-p", str(playground_port), "--disable-telemetry"]
    # The playground starts while the bot's network is imported (it needs the bot only when
    # a page connects).
    tool = subprocess.Popen(
        command,
        cwd=tmp_path,
        env=playground_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    bot: subprocess.Popen[str] | None = None
    try:
        bot = _run_bot(tmp_path, bot_env, bot_port)
        _wait_until(lambda: _answers(f"{base}/_debug/ping"), tool, "the playground")
        yield Playground(base, database_url)
    finally:
        tool_log, bot_log = _stop(tool), _stop(bot) if bot is not None else ""
        print("--- playground ---\n" + tool_log[-4000:] + "\n--- bot ---\n" + bot_log[-4000:])
