"""The slash commands that later features fill in; for now they say what is coming."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from handlers.catalogue import t
from handlers.context import scope_of

COMING_SOON = ("/network",)


def handle_coming_soon_command(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    command = str(body.get("command", ""))
    lang = scope_of(context).lang
    what = t(lang, f"coming_soon.{command.lstrip('/')}")
    ack(response_type="ephemeral", text=t(lang, "coming_soon", command=command, what=what))


def register(app: App) -> None:
    for command in COMING_SOON:
        app.command(command)(handle_coming_soon_command)
