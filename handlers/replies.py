"""What every feature shares on Slack: answer a command, open the form the ack built (a lazy
listener), reply to a click."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from handlers import slack_render
from handlers.conversation import Form, Message

# What a command's platform-neutral core answers: a text, a message, or a form to open.
CommandReply = str | Message | Form


def open_form(context: dict[str, Any], lang: str, form: Form) -> None:
    """Have `open_view_lazy` open `form` (a modal needs the request acknowledged first)."""
    context["view_to_open"] = slack_render.form(lang, form)


def answer_command(ack: Ack, context: dict[str, Any], lang: str, reply: CommandReply) -> None:
    """A slash command's answer on Slack: a form opens as a modal (after the ack, see
    `open_view_lazy`); a text or a message is the ephemeral reply."""
    if isinstance(reply, Form):
        open_form(context, lang, reply)
        ack()
    elif isinstance(reply, Message):
        ack(response_type="ephemeral", **slack_render.message(reply))
    else:
        ack(response_type="ephemeral", text=reply)


def open_view_lazy(body: dict[str, Any], client: WebClient, context: dict[str, Any]) -> None:
    """Lazy listener: open the modal the ack step built, with the request's trigger_id."""
    view = context.get("view_to_open")
    if view is not None:
        client.views_open(trigger_id=body["trigger_id"], view=view)


def reply_ephemeral(respond: Respond, context: dict[str, Any]) -> None:
    """Lazy listener: tell the member what their click did."""
    if context.get("reply"):
        respond(text=context["reply"], response_type="ephemeral", replace_original=False)
