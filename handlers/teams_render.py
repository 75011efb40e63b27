"""The Teams renderer: the neutral conversation (handlers/conversation.py) as Adaptive Cards.

This is the one place that knows Adaptive Cards' shapes and keeps Teams' limits. Build the
model under `catalogue.surface("teams")`: its texts are then Teams Markdown with typed text
escaped (`catalogue.escape_teams`); where a card shows plain text (an input's label, a
button, an option) the renderer undoes that (`catalogue.teams_plain`), as the Slack renderer
does for plain_text.

What maps to what:
- Heading -> TextBlock, bolder, medium, style "heading" (read out as a heading).
- Paragraph -> TextBlock (wrap); with a button, a ColumnSet: the text stretched, the button
  (an ActionSet of one) beside it.
- Facts -> FactSet (Markdown in titles and values, as in a TextBlock).
- Buttons -> ActionSet of Action.Submit; `data` = {"action": id, "value": value}, the key
  the Teams SDK's dialog-submit routing reads. Pressed, Teams sends the bot a message
  activity whose `value` is `data`; a button that opens a form (`opens_form`) adds
  `"msteams": {"type": "task/fetch"}`, and Teams then sends a `task/fetch` invoke with
  `data` and shows the dialog the bot answers with.
- Note -> TextBlock, subtle and small. Divider -> `separator` on what follows it (any
  element can draw the line above itself; an empty Container may be dropped by a client).
- `block` -> the first element's `id`.
- A person on Teams (`catalogue.person`'s mention token) -> `<at>Name</at>` in a TextBlock
  or a fact, with the mention entity in the card's `msteams.entities` (one per person and
  card, so a message split into cards keeps each card's own); their name where a card shows
  plain text; in a dialog's card their name in bold.
- A message -> one activity (`message_activities`): the summary as the notification's plain
  text, then the cards; past what Teams takes in one message, parts that say so.
- TextInput -> Input.Text (label, isRequired, errorMessage, maxLength, isMultiline, value,
  placeholder); DateInput -> Input.Date (value "YYYY-MM-DD"); Choice -> Input.ChoiceSet
  (compact, or expanded for radio buttons / checkboxes; isMultiSelect with the chosen
  values comma-joined in `value`; past 15 options a filtered drop-down, and past 100 with a
  `search_action`, Teams' dynamic typeahead: `choices.data` = Data.Query whose dataset is
  the search action, with the chosen options kept in `choices` so they still show). A hint
  is a subtle line under its field; a field's error a line in attention colour under it.
- A Form -> a card (for a dialog) whose Action.Submit carries {"form": kind, "metadata":
  metadata} (merged by Teams with the inputs' values, keyed by field name) and a close
  that sends {"form": kind, "close": true} without the inputs (associatedInputs "none", so
  a required field does not hold it back). Teams has no `response_action: errors`: the bot
  answers a submit with `form_card(..., errors=..., values=submitted_values(...))`, the
  same card with what was typed kept and each error under its field. `dialog()` wraps it
  as a dialog's task info, the title on the dialog's frame. A form sent in the chat (a
  command typed for it, `in_chat`) has no close: Teams sends its submit as a `message`
  activity, and the bot puts the next card in its place (handlers/teams/actions.py).
- A long text goes on in the next TextBlock (or fact), cut at a line break or a space,
  never inside an escape, never where the next piece would begin a list or heading, a bold
  span closed and reopened; a message too big for one card becomes several
  (`message_cards`) — nothing is cut off. A form cannot be split: too big is a ValueError.

Relied on (Microsoft's Teams platform docs, "Format cards in Microsoft Teams", "Typeahead
search in Adaptive Cards", "Cards and dialogs"; the Adaptive Cards issue tracker): Teams
renders Markdown in TextBlock and in Fact titles/values only — bold, italic, bullet and
numbered lists, links; not headings, tables, images, preformatted text, blockquotes or HTML;
one newline is not a break outside lists (use two); a card-based mention needs `<at>…</at>`
plus a matching entity in the card's `msteams.entities` with the person's Teams user id or
Entra object id, in TextBlock and FactSet only (we never add one for typed text);
a bot message is limited in size (28 KB for incoming webhooks, 40 KB for bots: we keep a
card under 28,000 characters of ASCII-escaped JSON, whatever the serializer); Teams shows at
most six actions in a row and folds the rest into an overflow menu (we start a new row
instead); typeahead: style "filtered" (static), `choices.data` with a Data.Query dataset
answered through the `application/search` invoke (dynamic, at most 15 results shown);
Input.ChoiceSet multi-select values travel comma-joined; inputs have label, isRequired
and errorMessage since schema 1.3; Action.Submit is what a dialog's card submits with (the
docs now suggest Action.Execute for message cards; Submit still works there). Backslash
escapes behave differently on the mobile clients (see `catalogue.escape_teams`). The tests
check every card against Microsoft's own models (the microsoft-teams-cards package), which
know no "$schema" property: cards carry none (hosts ignore it).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from handlers import conversation as c
from handlers.catalogue import (
    MENTION_CLOSE,
    MENTION_OPEN,
    MENTION_RE,
    Mrkdwn,
    mention_names,
    surface,
    t,
    teams_plain,
)

CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
VERSION = "1.5"
MAX_CARD_SIZE = 28_000  # characters of the card as ASCII-escaped JSON (Teams: ~28 KB)
# Characters of a whole message activity as ASCII-escaped JSON (Teams takes 40 KB from a bot;
# the rest is room for the envelope the caller adds: replyToId, channelData).
MAX_ACTIVITY_SIZE = 38_000
MAX_DATA_SIZE = 3_000  # one Action.Submit's data as JSON (what fits Slack's metadata fits)
MAX_ACTIONS = 6  # Teams shows six actions in a row; more go to an overflow menu
MAX_TEXT = 2_000  # characters of one TextBlock (at most 12 each as escaped JSON); more go on
MAX_STATIC_CHOICES = 100  # beyond this a Choice with a search action types ahead remotely
FACTS_SIZE = MAX_CARD_SIZE // 8  # facts in one FactSet, so a card fills up with few gaps
FILTER_FROM = 16  # a single-choice drop-down with more options than this filters as typed
RESERVED = frozenset({"form", "metadata", "close", "action", "value", "msteams"})

Element = dict[str, Any]
Card = dict[str, Any]
FieldValue = str | bool | date | list[str] | None


def plain(text: str) -> str:
    """Catalogue text where a card shows plain text (a person by name)."""
    return teams_plain(text) if isinstance(text, Mrkdwn) else mention_names(text)


def markdown(text: str) -> str:
    """Text for a TextBlock or a fact: every line break kept (one newline is not a break in
    Teams' Markdown outside a list, two are)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return re.sub(r"(?<!\n)\n(?!\n)", "\n\n", text)


def _size(obj: Any) -> int:
    return len(json.dumps(obj))


# --- splitting long text, never inside an escape or a bold span -----------------------------

_MARK_RE = re.compile(r"\\.|\*\*", re.DOTALL)


def _open_bold(text: str) -> bool:
    return sum(m[0] == "**" for m in _MARK_RE.finditer(text)) % 2 == 1


# What may not begin a piece: it would begin a line there, and become a list or a heading.
_MARKER_RE = re.compile(r"[-+#=>|]|\d+[.)]")


def _cut_at(text: str, limit: int) -> int:
    """Where to end a piece of at most `limit` characters: a line break in its second half,
    else a space, else the limit itself moved off an escape's backslash and a `**` — and
    never where the next piece would start with a list or heading marker."""
    for separator, start in (("\n", limit // 2), (" ", 1), ("\n", 1)):
        at = text.rfind(separator, start, limit)
        while at > 0 and _MARKER_RE.match(text[at:].lstrip()):
            at = text.rfind(separator, start, at)
        if at > 0:
            return at
    at = limit
    while at > limit // 2 and (
        _escapes_open(text[:at]) or text[at - 1 : at + 1] == "**" or _MARKER_RE.match(text[at:])
    ):
        at -= 1
    while at > 1 and _escapes_open(text[:at]):  # a run of dashes has no better place
        at -= 1
    return at


def _escapes_open(head: str) -> bool:
    """Whether `head` ends in the backslash of an escape (an odd run of them)."""
    return (len(head) - len(head.rstrip("\\"))) % 2 == 1


def _off_mention(text: str, at: int) -> int:
    """`at` moved before a person's mention token it would cut (or after it, when the token
    starts the text): a token must stay whole to become a mention."""
    start = text.rfind(MENTION_OPEN, 0, at)
    if start < 0 or text.rfind(MENTION_CLOSE, 0, at) > start:
        return at
    return start if start > 0 else text.find(MENTION_CLOSE, at) + 1 or at


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """`text` in pieces of at most `limit` characters (plus a closing `**`), all of it: a
    bold span cut in two is closed and opened again."""
    pieces: list[str] = []
    while len(text) > limit:
        at = _off_mention(text, _cut_at(text, limit - 2))
        head, text = text[:at].rstrip(), text[at:].lstrip()
        if _open_bold(head):
            head, text = head + "**", "**" + text
        pieces.append(head)
    return [*pieces, text]


# --- parts ------------------------------------------------------------------------------------


def _with_id(elements: list[Element], block_id: str | None) -> list[Element]:
    if block_id and elements:
        elements[0]["id"] = block_id
    return elements


def text_block(text: str, **style: Any) -> Element:
    return {"type": "TextBlock", "text": markdown(text), "wrap": True, **style}


def submit(button: c.Button) -> Element:
    data: dict[str, Any] = {"action": button.action, "value": button.value}
    if button.opens_form:  # Teams asks the bot for a dialog (an invoke) instead of a message
        data["msteams"] = {"type": "task/fetch"}
    action: Element = {
        "type": "Action.Submit",
        "title": plain(button.label),
        "data": _data(data),
    }
    if button.style:
        action["style"] = "positive" if button.style == "primary" else "destructive"
    return action


def _data(data: dict[str, Any]) -> dict[str, Any]:
    size = len(json.dumps(data))
    if size > MAX_DATA_SIZE:
        raise ValueError(f"an action's data holds {MAX_DATA_SIZE} characters, not {size}")
    return data


def _heading(part: c.Heading) -> list[Element]:
    blocks = [
        text_block(piece, weight="Bolder", size="Medium", style="heading")
        for piece in split_text(part.text)
    ]
    return _with_id(blocks, part.block)


def _paragraph(part: c.Paragraph) -> list[Element]:
    blocks = [text_block(piece) for piece in split_text(part.text)]
    if part.button is not None:
        beside = {"type": "ActionSet", "actions": [submit(part.button)]}
        blocks[-1] = {
            "type": "ColumnSet",
            "columns": [
                {"type": "Column", "width": "stretch", "items": [blocks[-1]]},
                {
                    "type": "Column",
                    "width": "auto",
                    "verticalContentAlignment": "Center",
                    "items": [beside],
                },
            ],
        }
    return _with_id(blocks, part.block)


def _facts(part: c.Facts) -> list[Element]:
    """One FactSet, or several when the pairs are many; a value too long for one fact goes on
    in facts without a title."""
    facts = [
        {"title": label if i == 0 else "", "value": markdown(piece)}
        for label, value in part.pairs
        for i, piece in enumerate(split_text(value))
    ]
    sets: list[list[Element]] = [[]]
    used = 0
    for fact in facts:
        size = _size(fact)
        if sets[-1] and used + size > FACTS_SIZE:
            sets.append([])
            used = 0
        sets[-1].append(fact)
        used += size
    elements = [{"type": "FactSet", "facts": s} for s in sets if s]
    for more in elements[1:]:
        more["spacing"] = "None"  # one table to the eye, in pieces a card can take
    return _with_id(elements, part.block)


def _buttons(part: c.Buttons) -> list[Element]:
    rows = [part.buttons[i : i + MAX_ACTIONS] for i in range(0, len(part.buttons), MAX_ACTIONS)]
    sets = [{"type": "ActionSet", "actions": [submit(b) for b in row]} for row in rows]
    return _with_id(sets, part.block)


def _note(part: c.Note) -> list[Element]:
    blocks = [text_block(piece, isSubtle=True, size="Small") for piece in split_text(part.text)]
    return _with_id(blocks, part.block)


def _divider(part: c.Divider) -> list[Element]:
    return [_DIVIDER]


_DIVIDER: Element = {"type": "_divider"}  # becomes `separator` on the next element

_PARTS: dict[type, Callable[[Any], list[Element]]] = {
    c.Heading: _heading,
    c.Paragraph: _paragraph,
    c.Facts: _facts,
    c.Buttons: _buttons,
    c.Note: _note,
    c.Divider: _divider,
}


def _separated(elements: list[Element]) -> list[Element]:
    """Dividers as a line above the element after them (one after the last is dropped)."""
    out: list[Element] = []
    line = False
    for element in elements:
        if element is _DIVIDER:
            line = bool(out)
            continue
        if line:
            element["separator"] = True
            element["spacing"] = "Medium"
            line = False
        out.append(element)
    return out


def elements(parts: list[c.Part]) -> list[Element]:
    """The parts as card elements, in order."""
    out: list[Element] = []
    for part in parts:
        out += _PARTS[type(part)](part)
    return _separated(out)


# --- people ------------------------------------------------------------------------------------

Mentions = dict[tuple[str, str], Element]  # (Teams id, name) -> the card's mention entity


def _at(mentions: Mentions | None) -> Callable[[re.Match[str]], str]:
    """How a person's mention token (catalogue.person on Teams) reads in a TextBlock or a
    fact: `<at>Name</at>`, its entity kept in `mentions`; without `mentions` (a dialog)
    their name in bold, as for a person not on Teams."""

    def at(m: re.Match[str]) -> str:
        teams_id, name = m[1], m[2]
        if mentions is None:
            return f"**{name}**"
        text = f"<at>{name}</at>"
        mentions.setdefault(
            (teams_id, name),
            {"type": "mention", "text": text, "mentioned": {"id": teams_id, "name": name}},
        )
        return text

    return at


def _people(node: Any, at: Callable[[re.Match[str]], str], markdown: bool = False) -> Any:
    """`node` (card JSON) with every person's mention token resolved: by `at` where Teams
    renders Markdown (a TextBlock's text, a fact's title and value: the only places a
    mention works), as the name everywhere else (buttons, labels, options)."""
    if isinstance(node, str):
        return MENTION_RE.sub(at, node) if markdown else mention_names(node)
    if isinstance(node, list):
        return [_people(item, at, markdown) for item in node]
    if not isinstance(node, dict):
        return node
    kind = node.get("type")
    return {
        key: value
        if key == "data"  # an action's data is the bot's own, read back as it was
        else _people(
            value,
            at,
            (kind == "TextBlock" and key == "text")
            or (kind == "FactSet" and key == "facts")
            or (markdown and kind is None and key in ("title", "value")),
        )
        for key, value in node.items()
    }


# --- cards ------------------------------------------------------------------------------------


def _card(body: list[Element], fallback: str | None = None, *, mentions: bool = True) -> Card:
    """A card of `body`; the people it names are Teams mentions (`mentions`; a dialog's card
    names them in bold), each with its entity in the card's `msteams.entities`, as Teams
    needs for a mention in a card."""
    card: Card = {"type": "AdaptiveCard", "version": VERSION}  # no "$schema": hosts ignore it
    if fallback:
        card["fallbackText"] = plain(fallback)
    entities: Mentions | None = {} if mentions else None
    card["body"] = _people(body, _at(entities))
    if entities:
        card["msteams"] = {"entities": list(entities.values())}
    return card


def _checked(card: Card) -> Card:
    size = _size(card)
    if size > MAX_CARD_SIZE:
        raise ValueError(f"a Teams card holds {MAX_CARD_SIZE} characters, not {size}")
    return card


def _body(view: c.Message | c.Overview) -> list[Element]:
    body = elements(view.parts)
    if not body and isinstance(view, c.Message):
        body = [text_block(view.summary)]
    return body


def _summary(view: c.Message | c.Overview) -> str | None:
    return view.summary if isinstance(view, c.Message) else None


def card(view: c.Message | c.Overview) -> Card:
    """A message or an overview as one card (ValueError past Teams' size: see
    `message_cards`)."""
    return _checked(_card(_body(view), _summary(view)))


def message_cards(view: c.Message | c.Overview) -> list[Card]:
    """A message as one card or, past Teams' size, as several in a row — never cut."""
    fallback = _summary(view)
    room = MAX_CARD_SIZE - _size(_card([], fallback))
    cards: list[Card] = []
    for body in _packed(_body(view), room):
        if body and body[0].get("separator"):
            body[0] = {k: v for k, v in body[0].items() if k not in ("separator", "spacing")}
        cards.append(_card(body, fallback))
    return cards


def _packed_size(element: Element) -> int:
    """What `element` takes in a card: its JSON with its people as mentions, and their
    entities."""
    entities: Mentions = {}
    resolved = _people(element, _at(entities))
    return _size(resolved) + sum(_size(e) + 2 for e in entities.values())


def _packed(body: list[Element], room: int) -> Iterator[list[Element]]:
    chunk: list[Element] = []
    used = 0
    for element in body:
        size = _packed_size(element) + 2
        if chunk and used + size > room:
            yield chunk
            chunk, used = [], 0
        chunk.append(element)
        used += size
    yield chunk


def attachment(card: Card) -> dict[str, Any]:
    """A card as a message attachment (and as a dialog's `card`)."""
    return {"contentType": CONTENT_TYPE, "content": card}


def message_activities(view: c.Message | c.Form, lang: str | None = None) -> list[dict[str, Any]]:
    """A message (or a form, as its card) as Teams activities: one — its summary as the
    notification's plain text, then its card(s) in order (more than one only when it
    outgrows a card) — unless its cards outgrow what Teams takes in one message. Then as
    many as it takes, never cut: each one's summary says which part it is ("(1/2)"), and
    each but the last ends with a line in `lang` saying the message goes on in the next."""
    pictures: list[dict[str, Any]] = []
    if isinstance(view, c.Form):
        # A form sent as a message is a card in the chat (a dialog's is `form_card`'s own).
        cards, summary = [form_card(lang or "da", view, in_chat=True)], plain(view.title)
    else:
        cards, summary = message_cards(view), plain(view.summary)
        pictures = [picture_attachment(p) for p in view.pictures]  # inline, after the cards
    room = MAX_ACTIVITY_SIZE - _size(_activity(summary + " (99/99)", [_continued(lang, 99, 99)]))
    room -= _size(pictures) if pictures else 0
    groups = list(_packed([attachment(card) for card in cards], room))
    if len(groups) == 1:
        return [_activity(summary, [*groups[0], *pictures])]
    parts = len(groups)
    return [
        _activity(
            f"{summary} ({part}/{parts})",
            [*group, *pictures] if part == parts else [*group, _continued(lang, part, parts)],
        )
        for part, group in enumerate(groups, 1)
    ]


def _activity(summary: str, attachments: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "message", "summary": summary, "attachments": attachments}


def _continued(lang: str | None, part: int, parts: int) -> dict[str, Any]:
    """The line that ends one part of a message sent in several."""
    with surface("teams"):
        text = t(lang, "teams.message.continued", part=part, parts=parts)
    return attachment(_card([text_block(text, isSubtle=True, size="Small")]))


def message_activity(view: c.Message) -> dict[str, Any]:
    """A message as one Teams activity (see `message_activities`): for a message that fits
    one (the outbox splits a bundle before it would not); ValueError otherwise."""
    activities = message_activities(view)
    if len(activities) > 1:
        raise ValueError(f"a message in {len(activities)} Teams activities, not one")
    return activities[0]


def picture_attachment(picture: c.Picture) -> dict[str, Any]:
    """An image shown inline in the message: Teams takes its bytes as a data URI (nothing is
    stored in anyone's OneDrive) and its name. (Its numbers are the message's own text.)"""
    data = base64.b64encode(picture.png).decode("ascii")
    return {
        "contentType": "image/png",
        "contentUrl": f"data:image/png;base64,{data}",
        "name": picture.filename,
    }


def pictures_size(view: c.Message) -> int:
    """How many bytes the message's pictures add to its activity (base64)."""
    return sum(len(picture_attachment(p)["contentUrl"]) for p in view.pictures)


# --- forms ------------------------------------------------------------------------------------


def _field(element: Element, field: c.TextInput | c.DateInput | c.Choice, lang: str) -> Element:
    if field.name in RESERVED:
        raise ValueError(f"a form's field cannot be named {field.name!r} on Teams")
    element["id"] = field.name
    element["label"] = plain(field.label)
    element["isRequired"] = not field.optional
    if not field.optional:
        element["errorMessage"] = plain(t(lang, "form.required"))
    return element


def _text_input(lang: str, field: c.TextInput) -> Element:
    element = _field({"type": "Input.Text"}, field, lang)
    element["maxLength"] = field.max_length
    if field.multiline:
        element["isMultiline"] = True
    if field.initial:
        element["value"] = field.initial
    if field.placeholder:
        element["placeholder"] = plain(field.placeholder)
    return element


def _date_input(lang: str, field: c.DateInput) -> Element:
    element = _field({"type": "Input.Date"}, field, lang)
    if field.initial is not None:
        element["value"] = field.initial.isoformat()
    return element


def _choice(lang: str, field: c.Choice) -> Element:
    element = _field({"type": "Input.ChoiceSet"}, field, lang)
    values = [o.value for o in field.options]
    if field.multi and any("," in v for v in values):
        raise ValueError(f"{field.name}: a multi-select's values travel comma-joined")
    dynamic = len(values) > MAX_STATIC_CHOICES and field.search_action is not None
    shown = [o for o in field.options if o.value in field.chosen] if dynamic else field.options
    element["choices"] = [{"title": plain(o.label), "value": o.value} for o in shown]
    element["style"] = _choice_style(field, len(values))
    if dynamic:
        element["choices.data"] = {"type": "Data.Query", "dataset": field.search_action}
    if field.multi:
        element["isMultiSelect"] = True
    chosen = [v for v in values if v in field.chosen]
    if chosen:
        element["value"] = ",".join(chosen if field.multi else chosen[:1])
    if field.placeholder and not field.expanded:
        element["placeholder"] = plain(field.placeholder)
    element["wrap"] = True
    return element


def _choice_style(field: c.Choice, count: int) -> str:
    if field.expanded:
        return "expanded"
    if count > MAX_STATIC_CHOICES and field.search_action is not None:
        return "filtered"
    return "filtered" if count >= FILTER_FROM and not field.multi else "compact"


_INPUTS: dict[type, Callable[[str, Any], Element]] = {
    c.TextInput: _text_input,
    c.DateInput: _date_input,
    c.Choice: _choice,
}


def _under(field: c.TextInput | c.DateInput | c.Choice, error: str | None) -> list[Element]:
    """What goes under a field: its hint, then its error."""
    out = []
    if field.hint:
        out.append(text_block(field.hint, isSubtle=True, size="Small", spacing="Small"))
    if error:
        out.append(text_block(error, color="Attention", spacing="Small"))
    return out


def _with_values(field: c.Input, value: FieldValue) -> c.Input:
    """`field` showing `value` (what was submitted) instead of its initial value."""
    if isinstance(field, c.TextInput):
        return replace(field, initial=value if isinstance(value, str) else "")
    if isinstance(field, c.DateInput):
        return replace(field, initial=value if isinstance(value, date) else None)
    if isinstance(value, bool):
        chosen = [field.options[0].value] if value and field.options else []
    elif isinstance(value, str):
        chosen = [value]
    else:
        chosen = list(value) if isinstance(value, list) else []
    return replace(field, chosen=chosen)


def form_body(
    lang: str,
    form: c.Form,
    errors: Mapping[str, str] | None = None,
    values: Mapping[str, FieldValue] | None = None,
) -> list[Element]:
    errors = dict(errors or {})
    names = {f.name for f in form.inputs}
    body = [text_block(e, color="Attention") for k, e in errors.items() if k not in names]
    for part in form.parts:
        render_input = _INPUTS.get(type(part))
        if render_input is None:
            body += _PARTS[type(part)](part)
            continue
        field: Any = part
        if values is not None and field.name in values:
            field = _with_values(field, values[field.name])
        body += [render_input(lang, field), *_under(field, errors.get(field.name))]
    return _separated(body)


def form_card(
    lang: str,
    form: c.Form,
    errors: Mapping[str, str] | None = None,
    *,
    values: Mapping[str, FieldValue] | None = None,
    in_chat: bool = False,
) -> Card:
    """A form as a card for a dialog: its fields showing `values` where given (what was
    submitted, when the bot answers with errors), each of `errors` (field -> catalogue text)
    under its field — an error for no field of the form at the top — then send and close
    (a read-only form has only close). `in_chat`: a card in the chat itself (a form typed
    for), which has no dialog to close: send only."""
    actions: list[Element] = []
    if form.submit is not None:
        data = {"form": form.kind, "metadata": dict(form.metadata or {})}
        actions.append(
            {
                "type": "Action.Submit",
                "title": plain(form.submit),
                "style": "positive",
                "data": _data(data),
            }
        )
    if not in_chat:
        actions.append(
            {
                "type": "Action.Submit",
                "title": plain(form.close or t(lang, "prep.modal.close")),
                "data": _data({"form": form.kind, "close": True}),
                "associatedInputs": "none",
            }
        )
    card_ = _card(form_body(lang, form, errors, values), mentions=False)
    if actions:
        card_["actions"] = _people(actions, _at(None))
    return _checked(card_)


def dialog(
    lang: str,
    form: c.Form,
    errors: Mapping[str, str] | None = None,
    *,
    values: Mapping[str, FieldValue] | None = None,
) -> dict[str, Any]:
    """A form as a dialog (the task info a `task/fetch` or `task/submit` answer continues
    with): the form's title on the dialog's frame, the form card inside it."""
    card_ = form_card(lang, form, errors, values=values)
    return {"title": plain(form.title), "card": attachment(card_)}


# --- reading a submission ---------------------------------------------------------------------


def _text_value(field: c.TextInput, raw: Any) -> FieldValue:
    return str(raw or "").replace("\r\n", "\n").replace("\r", "\n")


def _date_value(field: c.DateInput, raw: Any) -> FieldValue:
    try:
        return date.fromisoformat(str(raw)) if raw else None
    except ValueError:
        return None


def _choice_value(field: c.Choice, raw: Any) -> FieldValue:
    """The chosen values the form offered (in its order): a list for a multi-select, a bool
    for a lone checkbox, else one value or None."""
    picked = set(str(raw or "").split(",")) if field.multi else {str(raw or "")}
    chosen = [o.value for o in field.options if picked & {o.value, *o.also}]
    if field.multi and field.expanded and len(field.options) == 1:
        return bool(chosen)
    if field.multi:
        return chosen
    return chosen[0] if chosen else None


_VALUES: dict[type, Callable[[Any, Any], FieldValue]] = {
    c.TextInput: _text_value,
    c.DateInput: _date_value,
    c.Choice: _choice_value,
}


def submitted_values(form: c.Form, data: Mapping[str, Any]) -> dict[str, FieldValue]:
    """An Action.Submit's data (the inputs' values by field name, merged with the action's
    own data) as typed values, one per field of `form`: text (newlines as "\\n"), a date or
    None, a choice among the form's options (anything else is dropped) — a field missing
    from the data reads as empty."""
    return {f.name: _VALUES[type(f)](f, data.get(f.name)) for f in form.inputs}


def is_close(data: Mapping[str, Any]) -> bool:
    """Whether a form's data is its close button's."""
    return data.get("close") is True
