"""Lazy listeners every feature shares: open the form the ack built, reply to a click."""

from __future__ import annotations

from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient

from handlers import slack_render
from handlers.conversation import Form


def open_form(context: dict[str, Any], lang: str, form: Form) -> None:
    """Have `open_view_lazy` open `form` (a modal needs the request acknowledged first)."""
    context["view_to_open"] = slack_render.form(lang, form)


def open_view_lazy(body: dict[str, Any], client: WebClient, context: dict[str, Any]) -> None:
    """Lazy listener: open the modal the ack step built, with the request's trigger_id."""
    view = context.get("view_to_open")
    if view is not None:
        client.views_open(trigger_id=body["trigger_id"], view=view)


def reply_ephemeral(respond: Respond, context: dict[str, Any]) -> None:
    """Lazy listener: tell the member what their click did."""
    if context.get("reply"):
        respond(text=context["reply"], response_type="ephemeral", replace_original=False)
