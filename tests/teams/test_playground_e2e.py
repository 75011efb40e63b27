"""Tovholder with a Teams client nobody here wrote: Microsoft 365 Agents Playground.

`python -m bot run` with TEAMS_PLAYGROUND=1 and the example network, the real playground
(its npm package, pinned in playground.py) pointed at it, and this test in the place of the
playground's web page: it writes `hjælp` as Anna (examples/playground.yml) through the HTTP
API the page uses, and reads what the page would show from the playground's conversation
stream (the WebSocket the page listens on); test_playground_browser_e2e.py drives the page
itself. Skips, saying why, when node or the playground is not installed: .ci/run installs
it into .cache/playground (git-ignored).
"""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import struct
import urllib.request
from typing import Any

from handlers.catalogue import template
from tests.teams.playground import PERSONAL_CHAT, PLAYGROUND_BOT, PLAYGROUND_USER, Playground


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


def test_help_and_welcome_in_the_agents_playground(playground: Playground) -> None:
    stream = ConversationStream(playground.url)
    try:
        _write(playground.url, "hjælp")
        answer = _shown(_bot_message(stream))
        _install(playground.url)
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
