"""Turning what a member typed into values: durations, dates, mentions and the /sparring grammar.

Everything here is pure: it takes the text and "today" (the member's local date) and returns
values or raises InputError with a catalogue key. Slack sends mentions as `<@U123|anna>` or
`<@U123>` (the command has `should_escape` on) and escapes `&`, `<` and `>` in the rest.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from handlers.catalogue import Mrkdwn, escape
from models.base import clean_text
from models.errors import InputError
from models.people import MEMBER_REF_PREFIX

_WORD_END = r"(?![a-zæøå])"
_TOKEN_END = r"(?=$|[\s,;])"
_HOUR_UNITS = r"(?:timer|time|hours|hour|hrs|hr|t|h)"
_MINUTE_UNITS = r"(?:minutter|minut|minutes|minute|mins|min|m)"
_NUMBER = r"\d+(?:[.,]\d+)?"

DURATION_RE = re.compile(
    rf"""(?P<sign>[-−–])?\s*
    (?:
        (?P<hours>{_NUMBER})\s*{_HOUR_UNITS}{_WORD_END}
        (?:\s*(?P<and_minutes>\d+)\s*{_MINUTE_UNITS}{_WORD_END})?
      | (?P<minutes>{_NUMBER})\s*{_MINUTE_UNITS}{_WORD_END}
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# A person in the text: a Slack mention (`<@U123|anna>`), or a member another surface resolved
# (`<@member:42>`: Teams' mentions, see handlers/teams/commands.py). Typed text can make
# neither: `<` and `>` in what was typed arrive escaped.
MENTION_RE = re.compile(r"<@(?P<id>[UW][A-Z0-9]+|member:\d+)(?:\|[^>]*)?>")
UNRESOLVED_NAME_RE = re.compile(r"@[\wæøåÆØÅ.\-]+")
ISO_DATE_RE = re.compile(rf"(?P<y>\d{{4}})-(?P<m>\d{{1,2}})-(?P<d>\d{{1,2}}){_TOKEN_END}")
DAY_MONTH_RE = re.compile(
    rf"(?P<d>\d{{1,2}})[/.](?P<m>\d{{1,2}})(?:[/.](?P<y>\d{{2}}|\d{{4}}))?\.?{_TOKEN_END}"
)
RELATIVE_DATE_RE = re.compile(
    r"(?P<word>i\s*dag|today|i\s*går|i\s*gaar|yesterday|i\s*forgårs|i\s*forgaars)" + _TOKEN_END,
    re.IGNORECASE,
)
WITH_RE = re.compile(r"(?:with|med|w/)" + _TOKEN_END, re.IGNORECASE)
ON_RE = re.compile(r"(?:on|den|d\.|dato)" + _TOKEN_END, re.IGNORECASE)
LIST_GLUE_RE = re.compile(r"\s*(?:,|&amp;|&|\bog\b|\band\b)\s*", re.IGNORECASE)

_DAYS_BACK = {
    "idag": 0,
    "today": 0,
    "igår": 1,
    "igaar": 1,
    "yesterday": 1,
    "iforgårs": 2,
    "iforgaars": 2,
}


class SparringCommand(StrEnum):
    LOG = "log"
    STATUS = "status"
    UNDO = "undo"
    HELP = "help"


SUBCOMMAND_WORDS: dict[str, SparringCommand] = {
    "logged": SparringCommand.LOG,
    "log": SparringCommand.LOG,
    "logget": SparringCommand.LOG,
    "registrer": SparringCommand.LOG,
    "registreret": SparringCommand.LOG,
    "status": SparringCommand.STATUS,
    "undo": SparringCommand.UNDO,
    "fortryd": SparringCommand.UNDO,
    "help": SparringCommand.HELP,
    "hjælp": SparringCommand.HELP,
    "hjaelp": SparringCommand.HELP,
    "?": SparringCommand.HELP,
}


# The option names of `/network add` and `/network meeting` in Danish, and what they mean.
OPTION_WORDS = {
    "dato": "date",
    "tid": "time",
    "sted": "place",
    "vært": "host",
    "vaert": "host",
    "navn": "name",
    "leder": "manager",
    "chef": "manager",
    "sprog": "lang",
    "language": "lang",
    "oplægsholdere": "speakers",
    "oplaegsholdere": "speakers",
    "beskrivelse": "description",
}


def option_name(word: str) -> str:
    """The option a facilitator named, in either language ("sted" → "place")."""
    word = word.lower()
    return OPTION_WORDS.get(word, word)


def member_reference(member_id: int) -> str:
    """A member the bot resolved itself, as the parser reads a mention of them."""
    return f"<@{MEMBER_REF_PREFIX}{member_id}>"


@dataclass(frozen=True)
class ParsedSparring:
    minutes: int
    given_on: date
    receiver_ids: list[str] = field(default_factory=list)
    note: str = ""


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def parse_duration(text: str) -> int:
    """Minutes in `text`, which must be a duration and nothing else ("1t30m", "-2 h", ...)."""
    match = DURATION_RE.fullmatch(text.strip())
    if match is None:
        raise InputError("sparring.error.bad_duration", value=text.strip())
    return _minutes_of(match)


def _minutes_of(match: re.Match[str]) -> int:
    if match["hours"] is not None:
        total = _number(match["hours"]) * 60 + int(match["and_minutes"] or 0)
    else:
        total = _number(match["minutes"])
    minutes = round(total)
    return -minutes if match["sign"] else minutes


def _date_or_none(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _valid_date(year: int, month: int, day: int, raw: str, today: date) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise InputError("sparring.error.bad_date", value=raw, today=today) from None


def parse_date(text: str, *, today: date) -> date:
    """A date the member typed: ISO, "2/10", "2.10.2015", "i dag"/"today", "i går"/"yesterday".

    A day and month without a year means the latest such date that is not after `today`.
    """
    raw = text.strip()
    if m := RELATIVE_DATE_RE.fullmatch(raw):
        key = re.sub(r"\s+", "", m["word"].lower())
        return today - timedelta(days=_DAYS_BACK[key])
    if m := ISO_DATE_RE.fullmatch(raw):
        return _valid_date(int(m["y"]), int(m["m"]), int(m["d"]), raw, today)
    if m := DAY_MONTH_RE.fullmatch(raw):
        day, month = int(m["d"]), int(m["m"])
        if m["y"] is not None:
            year = int(m["y"])
            return _valid_date(year + 2000 if year < 100 else year, month, day, raw, today)
        # No year: the latest such day not after today, unless this year's is within the
        # coming month (then it is a slip, and the member is told the day is in the future).
        upcoming = _date_or_none(today.year, month, day)
        if upcoming is not None and today < upcoming <= today + timedelta(days=31):
            return upcoming
        for year in range(today.year, today.year - 8, -1):
            candidate = _date_or_none(year, month, day)
            if candidate is not None and candidate <= today:
                return candidate
    raise InputError("sparring.error.bad_date", value=raw, today=today)


def _match_date_at(text: str, pos: int) -> re.Match[str] | None:
    for pattern in (RELATIVE_DATE_RE, ISO_DATE_RE, DAY_MONTH_RE):
        if m := pattern.match(text, pos):
            return m
    return None


def _skip_space(text: str, pos: int) -> int:
    """Skip white space and the commas people put between the parts of an entry."""
    while pos < len(text) and (text[pos].isspace() or text[pos] in ",;"):
        pos += 1
    return pos


def _next_word(text: str, pos: int) -> str:
    return text[pos:].split(maxsplit=1)[0] if text[pos:].strip() else ""


def clean_typed(text: str) -> str:
    """What a member typed, without characters that cannot be stored or shown (the same rule
    the database layer applies to every text written), line breaks as newlines."""
    return clean_text(text.replace("\r\n", "\n").replace("\r", "\n"))


def clean_payload(body: dict[str, Any]) -> None:
    """Clean, in place, every text a member typed into a request: a command's text and the
    values of a submitted form's text inputs."""
    if isinstance(body.get("text"), str):
        body["text"] = clean_typed(body["text"])
    values = (body.get("view") or {}).get("state", {}).get("values", {})
    for block in values.values():
        for element in block.values():
            if isinstance(element, dict) and isinstance(element.get("value"), str):
                element["value"] = clean_typed(element["value"])


def excerpt(text: str, limit: int) -> str:
    """The start of a long text for a list or a notice, ending in "…" when it was cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def unescape_slack(text: str) -> str:
    """Plain text from Slack's escaped text; mentions and links stay as Slack tokens."""
    return html.unescape(text)


def escape_slack(text: str, *, mentions: Iterable[str] = ()) -> Mrkdwn:
    """What a member typed, as mrkdwn that cannot become markup (see `catalogue.escape`):
    only mentions of `mentions` (members the bot resolved) stay live."""
    return escape(text, mentions=mentions)


def split_subcommand(text: str) -> tuple[SparringCommand | None, str, str]:
    """(command, first word, rest). A text that starts with a duration is a log entry."""
    stripped = text.strip()
    if not stripped:
        return SparringCommand.STATUS, "", ""
    word = stripped.split(maxsplit=1)[0]
    rest = stripped[len(word) :].strip()
    command = SUBCOMMAND_WORDS.get(word.lower())
    if command is not None:
        return command, word, rest
    if DURATION_RE.match(stripped):
        return SparringCommand.LOG, "", stripped
    return None, word, rest


def parse_sparring_log(text: str, *, today: date) -> ParsedSparring:
    """The arguments of `/sparring logged …`: duration, then receivers and date, then the note."""
    text = text.strip()
    if not text:
        raise InputError("sparring.error.missing_duration")
    duration = _leading_duration(text)
    minutes = _minutes_of(duration)
    receivers: list[str] = []
    given_on: date | None = None
    pos = duration.end()
    while (pos := _skip_space(text, pos)) < len(text):
        step = _read_receivers(text, pos, receivers)
        if step is None and given_on is None and (dated := _read_date(text, pos, today=today)):
            given_on, step = dated
        if step is None:
            break  # the note has started
        pos = step
    # Mentions in the note are receivers too: found before unescaping, as typed `<@U1>`
    # arrives as `&lt;@U1&gt;` and must stay text.
    receivers.extend(m["id"] for m in MENTION_RE.finditer(text, pos))
    note = unescape_slack(text[pos:].strip())
    return ParsedSparring(
        minutes=minutes,
        given_on=given_on or today,
        receiver_ids=list(dict.fromkeys(receivers)),
        note=note,
    )


def _leading_duration(text: str) -> re.Match[str]:
    """The duration a log entry starts with, standing alone as a word."""
    duration = DURATION_RE.match(text)
    if duration is None or (
        duration.end() < len(text)
        and not (text[duration.end()].isspace() or text[duration.end()] in ",;")
    ):
        if MENTION_RE.match(text) or WITH_RE.match(text):
            raise InputError("sparring.error.missing_duration")
        raise InputError("sparring.error.bad_duration", value=_next_word(text, 0))
    return duration


def _read_receivers(text: str, pos: int, receivers: list[str]) -> int | None:
    """At `pos`: "with", or a mention (added to `receivers`, with the "and"/"," after it when
    another mention follows). Where reading goes on, or None when neither is there."""
    if m := WITH_RE.match(text, pos):
        after = _skip_space(text, m.end())
        if not MENTION_RE.match(text, after):
            if name := UNRESOLVED_NAME_RE.match(text, after):
                raise InputError("sparring.error.unresolved_name", value=name.group(0))
            raise InputError("sparring.error.empty_with", value=m.group(0))
        return after
    if m := MENTION_RE.match(text, pos):
        receivers.append(m["id"])
        glue = LIST_GLUE_RE.match(text, m.end())
        return glue.end() if glue and MENTION_RE.match(text, glue.end()) else m.end()
    if m := UNRESOLVED_NAME_RE.match(text, pos):
        raise InputError("sparring.error.unresolved_name", value=m.group(0))
    return None


def _read_date(text: str, pos: int, *, today: date) -> tuple[date, int] | None:
    """At `pos`: a date, with or without "on" before it, and where reading goes on; None when
    there is none ("on the survey design …" starts the note)."""
    if m := ON_RE.match(text, pos):
        after = _skip_space(text, m.end())
        date_match = _match_date_at(text, after)
        if date_match is None:
            if text[after : after + 1].isdigit():
                raise InputError(
                    "sparring.error.bad_date", value=_next_word(text, after), today=today
                )
            return None
        return parse_date(date_match.group(0), today=today), date_match.end()
    if date_match := _match_date_at(text, pos):
        return parse_date(date_match.group(0), today=today), date_match.end()
    return None
