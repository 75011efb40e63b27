"""Block Kit primitives: the pieces the Slack renderer (handlers/slack_render.py) builds with,
including a modal's skeleton and its input fields."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from handlers.catalogue import plain_text, t
from handlers.ids import Field

MAX_SECTION_TEXT = 3000
MAX_MODAL_TITLE = 24
MAX_OPTIONS = 100  # a static select, or one answer to a type-ahead search
MAX_OPTION_TEXT = 75
MAX_GROUP_LABEL = 75
MAX_BUTTON_TEXT = 24  # a modal's submit and close labels
MAX_METADATA = 3000  # private_metadata
MAX_MODAL_BLOCKS = 100


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


# --- a modal's skeleton and its fields -----------------------------------------------------


def modal(
    lang: str,
    *,
    callback_id: str,
    title: str,
    blocks: list[dict[str, Any]],
    submit: str | None = None,
    close: str | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A modal within Slack's limits: a form when it has a `submit` label, else a read-only view
    with only Close. `metadata` comes back with the submission (as `private_metadata`)."""
    if len(blocks) > MAX_MODAL_BLOCKS:
        raise ValueError(f"a modal holds {MAX_MODAL_BLOCKS} blocks, not {len(blocks)}")
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title[:MAX_MODAL_TITLE]),
    }
    if submit is not None:
        view["submit"] = plain(submit[:MAX_BUTTON_TEXT])
    view["close"] = plain((close or t(lang, "prep.modal.close"))[:MAX_BUTTON_TEXT])
    if metadata is not None:
        text = json.dumps(dict(metadata))
        if len(text) > MAX_METADATA:
            raise ValueError(f"private_metadata holds {MAX_METADATA} characters, not {len(text)}")
        view["private_metadata"] = text
    view["blocks"] = blocks
    return view


def input_field(
    block_id: str,
    label: str,
    element: dict[str, Any],
    *,
    optional: bool = False,
    hint: str = "",
) -> dict[str, Any]:
    """One field of a form: its block id names it (the element's action_id is `Field.VALUE`,
    or a type-ahead's search action)."""
    block: dict[str, Any] = {"type": "input", "block_id": block_id}
    if optional:
        block["optional"] = True
    block["label"] = plain(label)
    block["element"] = element
    if hint:
        block["hint"] = plain(hint)
    return block


def text_field(
    block_id: str,
    label: str,
    *,
    max_length: int,
    initial: str = "",
    multiline: bool = False,
    optional: bool = False,
    hint: str = "",
) -> dict[str, Any]:
    """A typed-text field, filled with `initial` (cut to what the field can hold)."""
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": Field.VALUE}
    if multiline:
        element["multiline"] = True
    element["max_length"] = max_length
    if initial:
        element["initial_value"] = initial[:max_length]
    return input_field(block_id, label, element, optional=optional, hint=hint)


def date_field(block_id: str, label: str, *, initial: date, hint: str = "") -> dict[str, Any]:
    """A date picker, showing `initial`."""
    element = {"type": "datepicker", "action_id": Field.VALUE, "initial_date": initial.isoformat()}
    return input_field(block_id, label, element, hint=hint)


def choice_element(
    kind: str, options: list[dict[str, Any]], chosen: list[dict[str, Any]]
) -> dict[str, Any]:
    """Radio buttons (one of `options`) or checkboxes (any), with `chosen` selected."""
    element: dict[str, Any] = {"type": kind, "action_id": Field.VALUE, "options": options}
    if kind == "radio_buttons" and chosen:
        element["initial_option"] = chosen[0]
    elif chosen:
        element["initial_options"] = chosen
    return element
