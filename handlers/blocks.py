"""Block Kit primitives every feature's builders share."""

from __future__ import annotations

from typing import Any

from handlers.catalogue import plain_text, t
from handlers.ids import Field

MAX_SECTION_TEXT = 3000
MAX_MODAL_TITLE = 24
MAX_OPTIONS = 100  # a static select, or one answer to a type-ahead search
MAX_OPTION_TEXT = 75
MAX_GROUP_LABEL = 75


def plain(text: str) -> dict[str, Any]:
    """A plain_text object; mrkdwn from the catalogue is shown as the text it stands for."""
    return {"type": "plain_text", "text": plain_text(text), "emoji": True}


def option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(plain_text(text)[:MAX_OPTION_TEXT]), "value": value}


def picker(
    options: list[dict[str, Any]],
    *,
    search_action: str,
    multi: bool = False,
    placeholder: str | None = None,
) -> dict[str, Any]:
    """A select of `options`: all of them when they fit in Slack's 100, else a type-ahead
    (`external_select`) whose options request, `search_action`, offers every one."""
    element: dict[str, Any]
    if len(options) <= MAX_OPTIONS:
        kind = "multi_static_select" if multi else "static_select"
        element = {"type": kind, "action_id": Field.VALUE, "options": options}
    else:
        kind = "multi_external_select" if multi else "external_select"
        element = {"type": kind, "action_id": search_action, "min_query_length": 0}
    if placeholder:
        element["placeholder"] = plain(placeholder)
    return element


def search_options(lang: str, options: list[dict[str, Any]], typed: str) -> dict[str, Any]:
    """The answer to a type-ahead: the options whose text contains what was typed; past
    Slack's 100 the list says how many there are and to type more."""
    wanted = typed.strip().casefold()
    found = [o for o in options if wanted in o["text"]["text"].casefold()]
    if len(found) <= MAX_OPTIONS:
        return {"options": found}
    label = t(lang, "picker.more", shown=MAX_OPTIONS, total=len(found))
    return {
        "option_groups": [
            {"label": plain(plain_text(label)[:MAX_GROUP_LABEL]), "options": found[:MAX_OPTIONS]}
        ]
    }


def element_state(values: dict[str, Any], block_id: str) -> dict[str, Any]:
    """The submitted state of a form's input block, whichever element (and action_id) it has."""
    block = values.get(block_id) or {}
    return dict(next(iter(block.values()), {}))


def cut_mrkdwn(text: str, limit: int) -> str:
    """`text` in at most `limit` characters, ending in "…" when cut — never inside an escape
    (`&amp;`) or a mention (`<@U…>`), which would show as debris."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    token, escape = cut.rfind("<"), cut.rfind("&")
    if token > cut.rfind(">"):
        cut = cut[:token]
    if escape > cut.rfind(";"):
        cut = cut[:escape]
    return cut + "…"


def mrkdwn_section(text: str, block_id: str | None = None) -> dict[str, Any]:
    """A section of mrkdwn text, cut to Slack's 3,000 characters."""
    text = cut_mrkdwn(text, MAX_SECTION_TEXT)
    block: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
    if block_id:
        block["block_id"] = block_id
    return block
