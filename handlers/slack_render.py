"""The Slack renderer: the neutral conversation (handlers/conversation.py) as Block Kit.

This is the one place that knows Block Kit's shapes and keeps its limits: a section's 3,000
characters (cut at a safe point, never inside an escape or a mention), a header's 150, a
button's 75-character label and 2,000-character value, ten fields in a section, 25 buttons in
an actions block, and through `handlers.blocks.modal` a modal's title, button labels, 100
blocks and metadata.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from handlers import conversation as c
from handlers.blocks import (
    choice_element,
    cut_mrkdwn,
    date_field,
    input_field,
    modal,
    mrkdwn_section,
    option,
    picker,
    plain,
    text_field,
)
from handlers.ids import Field

MAX_HEADER_TEXT = 150
MAX_BUTTON_LABEL = 75
MAX_BUTTON_VALUE = 2000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_ACTIONS = 25
MAX_CONTEXT_TEXT = 3000

Block = dict[str, Any]


def button(b: c.Button) -> Block:
    element: Block = {
        "type": "button",
        "text": plain(b.label[:MAX_BUTTON_LABEL]),
        "action_id": b.action,
        "value": b.value[:MAX_BUTTON_VALUE],
    }
    if b.style:
        element["style"] = b.style
    return element


def _with_id(block: Block, block_id: str | None) -> Block:
    if block_id:
        block["block_id"] = block_id
    return block


def _heading(part: c.Heading) -> list[Block]:
    block = {"type": "header", "text": plain(part.text[:MAX_HEADER_TEXT])}
    return [_with_id(block, part.block)]


def _paragraph(part: c.Paragraph) -> list[Block]:
    block = mrkdwn_section(part.text, part.block)
    if part.button is not None:
        block["accessory"] = button(part.button)
    return [block]


def _facts(part: c.Facts) -> list[Block]:
    """Label in bold over its value, two columns; past ten pairs, another section."""
    fields = [
        {"type": "mrkdwn", "text": cut_mrkdwn(f"*{label}*\n{value}", MAX_FIELD_TEXT)}
        for label, value in part.pairs
    ]
    blocks = [
        {"type": "section", "fields": fields[i : i + MAX_FIELDS]}
        for i in range(0, len(fields), MAX_FIELDS)
    ]
    if blocks:
        _with_id(blocks[0], part.block)
    return blocks


def _buttons(part: c.Buttons) -> list[Block]:
    """A row of buttons; past 25, another row (never dropped)."""
    rows = [part.buttons[i : i + MAX_ACTIONS] for i in range(0, len(part.buttons), MAX_ACTIONS)]
    blocks = [{"type": "actions", "elements": [button(b) for b in row]} for row in rows]
    if blocks:
        _with_id(blocks[0], part.block)
    return blocks


def _note(part: c.Note) -> list[Block]:
    text = cut_mrkdwn(part.text, MAX_CONTEXT_TEXT)
    block = {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}
    return [_with_id(block, part.block)]


def _divider(part: c.Divider) -> list[Block]:
    return [_with_id({"type": "divider"}, part.block)]


_PARTS: dict[type, Callable[[Any], list[Block]]] = {
    c.Heading: _heading,
    c.Paragraph: _paragraph,
    c.Facts: _facts,
    c.Buttons: _buttons,
    c.Note: _note,
    c.Divider: _divider,
}


def blocks(parts: list[c.Part]) -> list[Block]:
    """The parts as Block Kit blocks, in order."""
    out: list[Block] = []
    for part in parts:
        out += _PARTS[type(part)](part)
    return out


def message(msg: c.Message) -> dict[str, Any]:
    """A message's arguments for chat.postMessage / respond: fallback `text` and `blocks`."""
    return {"text": msg.summary, "blocks": blocks(msg.parts)}


def home(view: c.Overview) -> dict[str, Any]:
    """An App Home view."""
    return {"type": "home", "blocks": blocks(view.parts)}


# --- forms ----------------------------------------------------------------------------------


def _text_input(field: c.TextInput) -> Block:
    return text_field(
        field.name,
        field.label,
        max_length=field.max_length,
        initial=field.initial,
        multiline=field.multiline,
        optional=field.optional,
        hint=field.hint,
    )


def _date_input(field: c.DateInput) -> Block:
    if field.initial is not None and not field.optional:
        return date_field(field.name, field.label, initial=field.initial, hint=field.hint)
    element: Block = {"type": "datepicker", "action_id": Field.VALUE}
    if field.initial is not None:
        element["initial_date"] = field.initial.isoformat()
    return input_field(field.name, field.label, element, optional=field.optional, hint=field.hint)


def _choice(field: c.Choice) -> Block:
    options = [option(o.label, o.value) for o in field.options]
    if field.expanded:
        chosen = [o for o in options if o["value"] in field.chosen]
        kind = "checkboxes" if field.multi else "radio_buttons"
        element = choice_element(kind, options, chosen)
    else:
        element = picker(
            options,
            search_action=field.search_action or Field.VALUE,
            multi=field.multi,
            placeholder=field.placeholder or None,
        )
        _preselect(element, options, field)
    return input_field(field.name, field.label, element, optional=field.optional, hint=field.hint)


def _preselect(element: Block, options: list[Block], field: c.Choice) -> None:
    chosen = [o for o in options if o["value"] in field.chosen]
    if not chosen:
        return
    if field.multi:
        element["initial_options"] = chosen
    else:
        element["initial_option"] = chosen[0]


_INPUTS: dict[type, Callable[[Any], Block]] = {
    c.TextInput: _text_input,
    c.DateInput: _date_input,
    c.Choice: _choice,
}


def form_blocks(parts: list[c.FormPart]) -> list[Block]:
    out: list[Block] = []
    for part in parts:
        render_input = _INPUTS.get(type(part))
        out += [render_input(part)] if render_input else _PARTS[type(part)](part)
    return out


def form(lang: str, view: c.Form) -> dict[str, Any]:
    """A form as a modal (a read-only view when it has no `submit`)."""
    return modal(
        lang,
        callback_id=view.kind,
        title=view.title,
        blocks=form_blocks(view.parts),
        submit=view.submit,
        close=view.close,
        metadata=view.metadata,
    )
