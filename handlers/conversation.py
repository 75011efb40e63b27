"""The neutral conversation: what the bot says and asks, in the product's own terms.

Every builder in `handlers/` returns one of these — a `Message` (a DM, a notice, a reply), a
`Form` (a modal on Slack, a dialog card on Teams) or an `Overview` (Slack's App Home, the
Teams personal tab/overview card) — made of a few kinds of parts: headings, paragraphs
(optionally with one button beside them), facts, a row of buttons, small print, dividers and,
in forms, fields. Nothing here knows a platform: a surface's renderer turns the model into its
format and keeps that platform's limits (`handlers/slack_render.py`: Block Kit;
`handlers/teams_render.py`: Adaptive Cards).

Text in a part is catalogue text rendered for the surface the message is built for (see
`handlers.catalogue.surface`): a builder runs once per surface, the structure is the same.
Ids are members of the enums in `handlers/ids.py` (or a form's field enum in `models/`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

ButtonStyle = Literal["primary", "danger"]


@dataclass(frozen=True, slots=True)
class Button:
    """A button: `action` names what it does, `value` what it is about (kept short, opaque);
    `opens_form` when pressing it opens a form (Teams then asks for a dialog; Slack opens
    the modal from its listener either way)."""

    label: str
    action: str
    value: str = ""
    style: ButtonStyle | None = None
    opens_form: bool = False


@dataclass(frozen=True, slots=True)
class Heading:
    """A title line."""

    text: str
    block: str | None = None


@dataclass(frozen=True, slots=True)
class Paragraph:
    """A piece of text; `button` is shown beside it (an Edit in a list); `block` names it
    where a reply has to find it again."""

    text: str
    button: Button | None = None
    block: str | None = None


@dataclass(frozen=True, slots=True)
class Facts:
    """Label/value pairs shown as a small table ("Hvornår" — "i morgen kl. 9")."""

    pairs: list[tuple[str, str]]
    block: str | None = None


@dataclass(frozen=True, slots=True)
class Buttons:
    """A row of buttons."""

    buttons: list[Button]
    block: str | None = None


@dataclass(frozen=True, slots=True)
class Note:
    """Small print under the rest (how to turn something off, what a button does)."""

    text: str
    block: str | None = None


@dataclass(frozen=True, slots=True)
class Divider:
    """A line between topics."""

    block: str | None = None


Part = Heading | Paragraph | Facts | Buttons | Note | Divider


@dataclass(frozen=True, slots=True)
class File:
    """A file sent with a message (a calendar invitation): its name, bytes and a one-line
    description; `about` says which file it is (kept short, opaque), so a surface that asks
    the person before sending a file (Teams' file consent) can build it again on their yes."""

    name: str
    content: bytes
    description: str
    about: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Picture:
    """An image that goes with a message (a chart): `png` its bytes, `alt` the text that says
    what it shows (with its numbers, for a screen reader and for whoever cannot see it),
    `title` and `filename` what it is called. `plotted` is what was drawn, read back from the
    drawing (series label -> values), so a test can hold it to the text beside it. Slack
    uploads it into the conversation after the message; Teams shows it inline in the same
    message."""

    png: bytes
    alt: str
    title: str
    filename: str
    plotted: Mapping[str, tuple[float, ...]] = field(default_factory=dict)


@dataclass(slots=True)
class Message:
    """Something the bot says: `summary` is the one-line text a notification (and a screen
    reader, and Slack's fallback) shows; `parts` are what the message shows; `files` go
    with it (Slack: in its thread; Teams: each offered with a consent card after it), and so
    do `pictures` (charts: Slack uploads them after it; Teams shows them inline)."""

    summary: str
    parts: list[Part] = field(default_factory=list)
    files: list[File] = field(default_factory=list)
    pictures: list[Picture] = field(default_factory=list)


# --- forms ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Option:
    value: str
    label: str
    also: tuple[str, ...] = ()  # values that pick it too (a form opened before values changed)


@dataclass(frozen=True, slots=True)
class TextInput:
    """Typed text, filled with `initial`; at most `max_length` characters."""

    name: str
    label: str
    max_length: int
    initial: str = ""
    multiline: bool = False
    optional: bool = False
    hint: str = ""
    placeholder: str = ""


@dataclass(frozen=True, slots=True)
class DateInput:
    """A day, showing `initial`."""

    name: str
    label: str
    initial: date | None = None
    optional: bool = False
    hint: str = ""


@dataclass(frozen=True, slots=True)
class Choice:
    """One (or with `multi`, any) of `options`, with `chosen` selected. `expanded` shows
    them all at once (radio buttons / checkboxes) instead of a drop-down. A renderer whose
    platform caps a drop-down's options searches them with `search_action` instead."""

    name: str
    label: str
    options: list[Option]
    chosen: list[str] = field(default_factory=list)
    multi: bool = False
    expanded: bool = False
    optional: bool = False
    hint: str = ""
    placeholder: str = ""
    search_action: str | None = None


Input = TextInput | DateInput | Choice
FormPart = Input | Part


@dataclass(slots=True)
class Form:
    """Something the bot asks: `kind` names the form (its submission comes back under it),
    `submit` labels the send button (None: a read-only view with only `close`), and
    `metadata` comes back with the submission, untouched."""

    kind: str
    title: str
    parts: list[FormPart] = field(default_factory=list)
    submit: str | None = None
    close: str | None = None  # None: the catalogue's "Close"
    metadata: Mapping[str, Any] | None = None

    @property
    def inputs(self) -> list[Input]:
        return [p for p in self.parts if isinstance(p, TextInput | DateInput | Choice)]


@dataclass(slots=True)
class Overview:
    """A person's own page (Slack's App Home; on Teams a card in the personal chat)."""

    parts: list[Part] = field(default_factory=list)


View = Message | Form | Overview
