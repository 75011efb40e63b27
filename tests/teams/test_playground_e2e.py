"""Tovholder with a Teams client nobody here wrote: Microsoft 365 Agents Playground.

`python -m bot run` with TEAMS_PLAYGROUND=1 and the example network, the real playground
(its npm package, pinned below) pointed at it, and this test in the place of the playground's
web page: it writes `hjælp` as Anna (examples/playground.yml) through the HTTP API the page
uses, and reads what the page would show from the playground's conversation stream (the
WebSocket the page listens on). Skips, saying why, when node or the playground is not
installed: .ci/run installs it into .cache/playground (git-ignored).
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from handlers.catalogue import template

ROOT = Path(__file__).resolve().parents[2]
PLAYGROUND_VERSION = "0.2.28"  # .ci/run installs this one
PLAYGROUND_CLI = (
    ROOT / ".cache" / "playground" / "node_modules" / "@microsoft" / "m365agentsplayground"
)
PLAYGROUND_USER = "29:1playground-anna-lund"  # currentUser in examples/playground.yml
PLAYGROUND_BOT = "00000000-0000-0000-0000-00000000000011"
PERSONAL_CHAT = "__PERSONAL_CHAT_ID__"  # the playground's own id for the personal chat
STARTUP_S = 30.0


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


@pytest.fixture
def playground(tmp_path: Path) -> Iterator[str]:
    """The bot and the playground talking to each other; the playground's base URL."""
    cli = _playground_cli()
    bot_port, playground_port = _free_port(), _free_port()
    base = f"http://localhost:{playground_port}"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SLACK_", "TEAMS_", "DATABASE_URL", "HOST", "PORT"))
    }
    bot_env = env | {
        "TEAMS_PLAYGROUND": "1",
        "TEAMS_SERVICE_URL": f"{base}/_connector/",
        "PORT": str(bot_port),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'trial.db'}",
        "LOG_LEVEL": "INFO",
    }
    bot = _run_bot(tmp_path, bot_env, bot_port)
    playground_env = env | {
        "TEAMSAPPTESTER_BROWSER": "none",  # no desktop: do not open a browser
        "M365_AGENTS_PLAYGROUND_CONFIG_PATH": str(ROOT / "examples" / "playground.yml"),
        "M365_AGENTS_PLAYGROUND_LOGFILE": str(tmp_path / "playground.log"),
    }
    command = ["node", str(cli), "-e", f"http://127.0.0.1:{bot_port}/api/messages"]
    command += ["-c", "msteams", "-p", str(playground_port), "--disable-telemetry"]
    tool = subprocess.Popen(
        command,
        cwd=tmp_path,
        env=playground_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_until(lambda: _answers(f"{base}/_debug/ping"), tool, "the playground")
        yield base
    finally:
        tool_log, bot_log = _stop(tool), _stop(bot)
        print("--- playground ---\n" + tool_log[-4000:] + "\n--- bot ---\n" + bot_log[-4000:])


class ConversationStream:
    """The playground's conversation WebSocket, as its web page reads it (RFC 6455, text
    frames from the server; the client sends nothing but the handshake)."""

    def __init__(self, base: str) -> None:
        host, port = re.match(r"http://([^:/]+):(\d+)", base).groups()  # type: ignore[union-attr]
        self._sock = socket.create_connection((host, int(port)), timeout=20)
        key = base64.b64encode(os.urandom(16)).decode()
        self._sock.sendall(
            (
                "GET /_ws_conversation/v1/conversations/stream HTTP/1.1\r\n"
                f"Host: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        self._buf = b""
        while b"\r\n\r\n" not in self._buf:
            self._read_more()
        head, self._buf = self._buf.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 101"), head[:80]

    def _read_more(self) -> None:
        chunk = self._sock.recv(65536)
        if not chunk:
            raise AssertionError("the playground closed its conversation stream")
        self._buf += chunk

    def _take(self, n: int) -> bytes:
        while len(self._buf) < n:
            self._read_more()
        data, self._buf = self._buf[:n], self._buf[n:]
        return data

    def next_action(self) -> dict[str, Any]:
        parts: list[bytes] = []
        while True:
            first, second = self._take(2)
            length = second & 0x7F
            if length == 126:
                (length,) = struct.unpack(">H", self._take(2))
            elif length == 127:
                (length,) = struct.unpack(">Q", self._take(8))
            payload = self._take(length)
            if first & 0x0F in (0, 1):  # text or its continuation
                parts.append(payload)
                if first & 0x80:
                    action: dict[str, Any] = json.loads(b"".join(parts))
                    return action

    def close(self) -> None:
        self._sock.close()


def _write(base: str, text: str) -> None:
    """What the page does when Anna sends `text` in her personal chat with the bot."""
    body = {"from": {"id": PLAYGROUND_USER}, "text": text, "textFormat": "plain"}
    request = urllib.request.Request(
        f"{base}/_conversation/v1/conversations/{PERSONAL_CHAT}/messages",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def _install(base: str) -> None:
    """What the page does to install the app in the personal chat (Teams' installationUpdate
    and conversationUpdate to the bot)."""
    request = urllib.request.Request(
        f"{base}/_debug/conversation/{PERSONAL_CHAT}/installation",
        data=b"{}",
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def _shown(message: dict[str, Any]) -> str:
    """A message's text and cards, as the page renders them."""
    cards = json.dumps(message.get("attachments", []), ensure_ascii=False)
    return str(message.get("text", "")) + cards


def _bot_message(stream: ConversationStream) -> dict[str, Any]:
    """The next message the bot posts in Anna's chat (what the page shows as the bot's)."""
    while True:
        action = stream.next_action()
        message = action.get("message") or {}
        if (
            action.get("action") == "createMessage"
            and action.get("actionConversationId") == PERSONAL_CHAT
            and message.get("from", {}).get("id") == PLAYGROUND_BOT
        ):
            return dict(message)


def test_help_and_welcome_in_the_agents_playground(playground: str) -> None:
    stream = ConversationStream(playground)
    try:
        _write(playground, "hjælp")
        answer = _shown(_bot_message(stream))
        _install(playground)
        welcome = _shown(_bot_message(stream))
    finally:
        stream.close()
    # Anna is recognised (by the Teams id the playground gives her) and `hjælp` understood:
    # the help names the commands; installing the app welcomes her as a member.
    assert "sparring" in answer
    for shown in (answer, welcome):
        assert shown.strip()
        for refusal in ("teams.stranger", "teams.not_understood"):
            assert template("da", refusal, "markdown") not in shown
    assert welcome != answer
