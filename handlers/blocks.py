"""Block Kit primitives every feature's builders share."""

from __future__ import annotations

from typing import Any

from handlers.catalogue import plain_text, t

MAX_SECTION_TEXT = 3000
MAX_MODAL_TITLE = 24


def plain(text: str) -> dict[str, Any]:
    """A plain_text object; mrkdwn from the catalogue is shown as the text it stands for."""
    return {"type": "plain_text", "text": plain_text(text), "emoji": True}


def mrkdwn_section(text: str, block_id: str | None = None) -> dict[str, Any]:
    """A section of mrkdwn text, cut to Slack's 3,000 characters."""
    if len(text) > MAX_SECTION_TEXT:
        text = text[: MAX_SECTION_TEXT - 1] + "…"
    block: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
    if block_id:
        block["block_id"] = block_id
    return block


def section_with_button(
    text: str, *, block_id: str, action_id: str, label: str, value: str
) -> dict[str, Any]:
    """A line of text with a button beside it (an Edit / Update in a list)."""
    block = mrkdwn_section(text, block_id)
    block["accessory"] = {
        "type": "button",
        "action_id": action_id,
        "text": plain(label),
        "value": value,
    }
    return block


def info_modal(lang: str, *, callback_id: str, title: str, text: str) -> dict[str, Any]:
    """A modal that only says something (after a form is saved), with a Close button."""
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title[:MAX_MODAL_TITLE]),
        "close": plain(t(lang, "prep.modal.close")),
        "blocks": [mrkdwn_section(text)],
    }
