"""The message catalogue: every text the bot shows, in Danish (default) and English.

The texts live in gettext catalogues, handlers/locale/{da,en}/LC_MESSAGES/tovholder.po (see
handlers/locale/__init__.py and `python -m bot i18n`), one entry per key, in a neutral markup
(`**bold**`, `` `code` ``; mentions and links only ever come in as parameters). They are read
once, when this module is imported, and turned into each surface's format: `t()` gives Slack
mrkdwn; `render_text(text, surface)` and `template(lang, key, surface)` serve another surface.

`t(lang, key, **params)` formats an entry. Parameters are rendered for the language (with
Babel's locale data): a `date` as a long date, a `Person` (models.people) as the surface in
force names them (`person()`), a list of people joined with "og"/"and", any parameter
whose name ends in `minutes` as a duration ("1 t 30 min" / "1 h 30 min"), and a number
with a plural spec picks the language's plural form: `{count:# medlem|# medlemmer}`
(one|other; `#` is the number).

Text a person typed is data, never markup: every `str` parameter is escaped (`&`, `<`, `>`)
unless it is already `Mrkdwn` — a catalogue text, escaped text or a mention the bot resolved
itself. `t()` returns `Mrkdwn`; `plain_text()` turns it back for plain_text fields.
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_skeleton
from babel.lists import format_list as babel_format_list
from babel.numbers import format_currency, format_decimal

from handlers import locale as catalogues
from models.network import FORGOTTEN_PREFIX
from models.people import Person

DEFAULT_LANGUAGE = "da"

# Babel locales for dates, numbers, currency, lists and plural rules.
LOCALES = {"da": "da_DK", "en": "en_GB"}

# key -> text in the neutral markup, per language; read once, here (no file is read per call).
MESSAGES: dict[str, dict[str, str]] = {lang: catalogues.load(lang) for lang in catalogues.LANGUAGES}

_BOLD_RE = re.compile(r"\*\*(.+?)\*\*")


def _escape_all(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _rebuild(text: str, literal: Callable[[str], str]) -> str:
    """`text` (a format string) with `literal` applied to the text between its placeholders."""
    parts = []
    for text_part, field, spec, conversion in string.Formatter().parse(text):
        parts.append(literal(text_part).replace("{", "{{").replace("}", "}}"))
        if field is not None:
            parts.append(
                "{"
                + field
                + (f"!{conversion}" if conversion else "")
                + (f":{spec}" if spec else "")
                + "}"
            )
    return "".join(parts)


def slack_text(text: str) -> str:
    """Neutral markup as Slack mrkdwn: `**bold**` -> `*bold*` (`code` is the same), and the
    text's own `&`, `<`, `>` escaped so it can never become a link or a mention."""
    return _BOLD_RE.sub(r"*\1*", _rebuild(text, _escape_all))


def markdown_text(text: str) -> str:
    """Neutral markup as Markdown (what Teams and most others read): it is Markdown already."""
    return text


_MARKDOWN_SPECIAL_RE = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~&])")


def escape_markdown(text: str) -> str:
    """Typed text as Markdown that shows exactly what was typed: every character Markdown
    (or HTML) could read as markup is backslash-escaped, so nothing becomes a link."""
    return _MARKDOWN_SPECIAL_RE.sub(r"\\\1", text)


# Teams. What an Adaptive Card's TextBlock (and FactSet) renders of Markdown, by Microsoft's
# card-formatting reference: **bold**, _italic_, lists ("- x", "1. x") and [links](url); no
# headings, code, quotes, tables, images or HTML, and a mention only where the card's
# msteams.entities names that exact `<at>…</at>` text. The clients' parsers differ: desktop
# reads CommonMark escapes; the mobile one (Adaptive Cards' shared C++ model) drops a
# backslash before `[`, `]`, `)` (and, since a 2023 fix, `*`, `_`) but shows it before
# anything else. So typed text is escaped where markup could start, not everywhere: inline
# markup characters always; `&` only where it begins an entity reference (`&lt;` would be
# decoded). A list or heading marker at the start of a line ("17. nov.", "- x", "# x",
# "---") gets no backslash, which the mobile clients would show: a word joiner (U+2060,
# invisible, no space to any parser) after the marker, so that the marker is no longer
# followed by a space or the line's end — no list, heading, rule or underline in CommonMark
# or the mobile parser. A word joiner typed after a marker character is doubled, so that
# `teams_plain` (which drops one after each) gives back exactly what was typed.
_TEAMS_INLINE_RE = re.compile(r"([\\`*_\[\]<>~]|&(?=#?\w+;))")
_TEAMS_LINE_START_RE = re.compile(
    r"(?:^|(?<=\r))([ \t]*)([-+#=](?=[-#= \t\r\n]|$)|\d+[.)](?=[ \t\r\n]|$))",
    re.MULTILINE,
)
JOINER = "\u2060"  # WORD JOINER: keeps a line's "1." or "-" from starting a list
_AFTER_MARKER_RE = re.compile(f"([-+#=.)]){JOINER}")
_TEAMS_MARKUP_RE = re.compile(r"\*\*(.+?)\*\*|`([^`\n]*)`")
_BOLD_MARK = "\ue000"  # stands for `**` while the template's own text is escaped
_HELD = "\ue001"  # marks where a person goes in typed text while it is escaped


def _teams_line_starts(text: str) -> str:
    return _TEAMS_LINE_START_RE.sub(lambda m: f"{m[1]}{m[2]}{JOINER}", text)


# The catalogue's own "1. Forventninger" (a title, not a list): a no-break space after the
# marker is no list or heading to any client's parser, and shows no backslash on any.
_TEAMS_MARKER_SPACE_RE = re.compile(r"(?:^|(?<=\r))([ \t]*(?:[-+#]|\d+[.)])) ", re.MULTILINE)


# A person on Teams whom a card can mention: `teams_render` makes `<at>Name</at>` of this
# token, with the mention entity (their Teams id) the card's msteams.entities must carry;
# where a card shows plain text, and on every other surface, it is just the name. Typed
# text cannot hold one: `escape_teams` drops these three characters (private use, so
# nothing anyone means to type).
_AT_OPEN, _AT_ID, _AT_CLOSE = "\ue002", "\ue003", "\ue004"
MENTION_OPEN, MENTION_CLOSE = _AT_OPEN, _AT_CLOSE
_AT_MARKS = f"{_AT_OPEN}-{_AT_CLOSE}"
MENTION_RE = re.compile(f"{_AT_OPEN}([^{_AT_MARKS}]+){_AT_ID}([^{_AT_MARKS}]+){_AT_CLOSE}")
_AT_MARKS_RE = re.compile(f"[{_AT_MARKS}]")


def teams_mention(teams_id: str, name: str) -> Mrkdwn:
    """A Teams mention of the person `teams_id` (a Teams user id or an Entra object id, both
    of which Teams takes), shown as `name` — a name that needs no escaping."""
    return Mrkdwn(f"{_AT_OPEN}{teams_id}{_AT_ID}{name}{_AT_CLOSE}")


def mention_names(text: str) -> str:
    """`text` with each Teams mention as the person's name (plain text)."""
    return MENTION_RE.sub(r"\2", text)


def escape_teams(text: str) -> str:
    """Typed text as a Teams card shows it, inert: no link, bold, italic, list, heading,
    code or `<at>` mention can start in it (see the rules above)."""
    text = _AT_MARKS_RE.sub("", text)  # no mention token from typed text
    doubled = _AFTER_MARKER_RE.sub(f"\\1{JOINER}{JOINER}", text)  # see `teams_plain`
    return _teams_line_starts(_TEAMS_INLINE_RE.sub(r"\\\1", doubled))


def teams_text(text: str) -> str:
    """Neutral markup for a Teams TextBlock: `**bold**` stays (Teams renders it), a code
    span becomes its plain words (TextBlock has no code), and every other character of the
    template is literal — escaped like typed text (a line's "1. " kept apart by a no-break
    space instead), placeholders untouched."""

    def protect(m: re.Match[str]) -> str:
        return f"{_BOLD_MARK}{m[1]}{_BOLD_MARK}" if m[1] is not None else m[2]

    protected = _TEAMS_MARKER_SPACE_RE.sub("\\1\u00a0", _TEAMS_MARKUP_RE.sub(protect, text))
    escaped = _rebuild(protected, lambda part: _TEAMS_INLINE_RE.sub(r"\\\1", part))
    return _teams_line_starts(escaped).replace(_BOLD_MARK, "**")


_TEAMS_PLAIN_RE = re.compile(r"\\(.)|\*\*", re.DOTALL)


def teams_plain(text: str) -> str:
    """What Teams text from `t()` reads as where a card shows plain text (a label, a
    button, an option): escapes undone, bold marks dropped, the word joiner after a marker
    taken out. Every backslash in such text is an escape (a typed one was doubled), and so
    is one word joiner after a marker character, so this is exact. A mention reads as the
    person's name."""
    unescaped = _TEAMS_PLAIN_RE.sub(lambda m: m[1] or "", text)
    return mention_names(_AFTER_MARKER_RE.sub(r"\1", unescaped))


@dataclass(frozen=True)
class Surface:
    """How one chat platform shows text: the catalogue's neutral markup in its format
    (`text`, applied to a whole template) and typed text made inert (`escape`)."""

    text: Callable[[str], str]
    escape: Callable[[str], str]


# Every surface the catalogue renders for; a new platform adds its entry here.
SURFACES: dict[str, Surface] = {
    "slack": Surface(text=slack_text, escape=_escape_all),
    "markdown": Surface(text=markdown_text, escape=escape_markdown),
    "teams": Surface(text=teams_text, escape=escape_teams),
}

_SURFACE: ContextVar[str] = ContextVar("surface", default="slack")


@contextmanager
def surface(name: str) -> Iterator[None]:
    """Build texts for surface `name` inside this block (t() and everything built on it)."""
    if name not in SURFACES:
        raise ValueError(f"unknown surface {name!r}")
    token = _SURFACE.set(name)
    try:
        yield
    finally:
        _SURFACE.reset(token)


def current_surface() -> str:
    return _SURFACE.get()


def render_text(text: str, surface: str = "slack") -> str:
    """A neutral catalogue text (or template) in the format of `surface`."""
    return SURFACES[surface].text(text)


# The slash commands the texts name, and each one's key for the word that starts the same
# command on a surface where commands are typed words (Teams: `sparring 2t`, `opfølgning`).
SLASH_COMMANDS = ("sparring", "prep", "followup", "spread", "reflection", "network")
_SLASH_COMMAND_RE = re.compile(r"(?<![\w/])/(" + "|".join(SLASH_COMMANDS) + r")(?![\w-])")
# Surfaces whose people type a command as a word (key "<surface>.command.<command>").
COMMAND_WORD_SURFACES = frozenset({"teams"})


def command_word(lang: str | None, command: str, surface: str = "slack") -> str:
    """How a person starts `command` on `surface`: `/sparring` on Slack, `sparring` on
    Teams (in the language: `opfølgning` for `/followup` in Danish)."""
    if surface not in COMMAND_WORD_SURFACES:
        return f"/{command}"
    return MESSAGES[language(lang)][f"{surface}.command.{command}"]


def with_command_words(lang: str | None, text: str, surface: str) -> str:
    """`text` naming the commands as `surface` takes them: the texts name Slack's slash
    commands; on Teams `/followup status` reads `opfølgning status`. Only the template's
    own words change (placeholders are filled later), so typed text is never touched."""
    if surface not in COMMAND_WORD_SURFACES:
        return text
    return _SLASH_COMMAND_RE.sub(lambda m: command_word(lang, m[1], surface), text)


@functools.cache
def template(lang: str | None, key: str, surface: str = "slack") -> str:
    """The text of `key` in `lang` for `surface`, placeholders unfilled, commands named as
    that surface takes them (see `with_command_words`). Where a text names the platform
    itself, the surface's own entry `<key>.<surface>` is taken instead."""
    texts = MESSAGES[language(lang)]
    text = texts.get(f"{key}.{surface}", texts[key])  # a text that names the platform
    return render_text(with_command_words(lang, text, surface), surface)


# The Slack templates, made once: `t()` is on every request's path.
_SLACK: dict[str, dict[str, str]] = {
    lang: {key: slack_text(text) for key, text in texts.items()} for lang, texts in MESSAGES.items()
}


def language(lang: str | None) -> str:
    return lang if lang in MESSAGES else DEFAULT_LANGUAGE


def locale_of(lang: str | None) -> str:
    return LOCALES[language(lang)]


def format_number(lang: str, number: int | float) -> str:
    """ "2.460.000" / "2,460,000"."""
    if isinstance(number, int) and -1000 < number < 1000:
        return str(number)  # no separators to place: spare Babel the work (it adds up)
    return format_decimal(number, locale=locale_of(lang))


def format_decimal_for(lang: str, number: float) -> str:
    """A figure with at most one decimal: "1,5" / "1.5", "12" / "12"."""
    return format_decimal(round(number, 1), format="#,##0.#", locale=locale_of(lang))


def format_money(lang: str, kroner: int) -> str:
    """Danish kroner without øre: "2.460.000 kr." / "DKK 2,460,000"."""
    pattern = "#,##0 ¤" if language(lang) == "da" else "¤ #,##0"
    return format_currency(
        kroner, "DKK", format=pattern, currency_digits=False, locale=locale_of(lang)
    )


@functools.cache
def _locale(name: str) -> Locale:
    return Locale.parse(name)


def plural(lang: str, count: int, forms: str) -> str:
    """`forms` is "one|other" (`#` stands for the number), chosen by the language's rules."""
    one, _, other = forms.partition("|")
    form = _locale(locale_of(lang)).plural_form(count)
    chosen = one if form == "one" or not other else other
    return chosen.replace("#", format_number(lang, count))


def format_minutes(lang: str, minutes: int) -> str:
    """A duration for people: "2 t", "1 t 30 min", "45 min" (Danish) / "2 h", "45 min"."""
    return _format_minutes(language(lang), minutes)


@functools.lru_cache(maxsize=4096)
def _format_minutes(lang: str, minutes: int) -> str:
    # Every sparring reply shows three durations; Babel's number formatting is slow-ish.
    hours, rest = divmod(abs(minutes), 60)
    sign = "-" if minutes < 0 else ""
    h, m = _SLACK[lang]["unit.hours"], _SLACK[lang]["unit.minutes"]
    hours_text, rest_text = format_number(lang, hours), format_number(lang, rest)
    if hours and rest:
        return f"{sign}{hours_text} {h} {rest_text} {m}"
    if hours:
        return f"{sign}{hours_text} {h}"
    return f"{sign}{rest_text} {m}"


def format_date(lang: str, day: date, *, short: bool = False) -> str:
    """ "2. oktober 2015" / "2 October 2015"; short: "2. okt." / "2 Oct"."""
    return _format_date(locale_of(lang), day, short)


@functools.lru_cache(maxsize=4096)
def _format_date(locale: str, day: date, short: bool) -> str:
    # Summaries and lists repeat the same few dates many times; Babel is slow-ish per call.
    if short:
        return format_skeleton("dMMM", day, locale=locale)
    return babel_format_date(day, "long", locale=locale)


def format_weekday(lang: str, day: date) -> str:
    """ "fredag den 6. november" / "Friday 6 November"."""
    pattern = "EEEE 'den' d. MMMM" if language(lang) == "da" else "EEEE d MMMM"
    return babel_format_date(day, pattern, locale=locale_of(lang))


def relative_day(lang: str, days: int, *, capital: bool = False) -> str:
    """When something is, counted in the member's calendar days from the moment of sending:
    "i dag", "i morgen", "om 3 dage" / "today", "tomorrow", "in 3 days"."""
    if days <= 0:
        text = t(lang, "when.today")
    elif days == 1:
        text = t(lang, "when.tomorrow")
    else:
        text = t(lang, "when.in_days", days=days)
    return text[:1].upper() + text[1:] if capital else text


def example_dates(today: date) -> dict[str, str]:
    """Dates for the examples in help and hints, from this season rather than a fixed year: a
    recent past day (for sparring) and a day some weeks ahead (for moving a meeting)."""
    past = today - timedelta(days=3)
    ahead = today + timedelta(days=28)
    return {
        "example_iso": past.isoformat(),
        "example_day_month": f"{past.day}/{past.month}",
        "example_dotted": f"{past.day}.{past.month}.{past.year}",
        "example_ahead_iso": ahead.isoformat(),
    }


class Mrkdwn(str):
    """Text that is safe to send on the surface it was made for (Slack mrkdwn by default):
    the catalogue's own texts with their parameters escaped, escaped member text, and
    mentions the bot resolved itself."""

    __slots__ = ()


SLACK_USER_ID_RE = re.compile(r"[UW][A-Z0-9]+")
_USER_MENTION_RE = re.compile(r"<@(?P<id>[UW][A-Z0-9]+)(?:\|[^<>]*)?>")


def escape(text: str, *, mentions: Iterable[str] = ()) -> Mrkdwn:
    """`text` as mrkdwn that shows exactly what was typed: `&`, `<` and `>` escaped, so no
    link, @channel or user group comes alive. Only `<@U…>` mentions of the `mentions` given
    (people the bot resolved itself) stay live."""
    if isinstance(text, Mrkdwn):
        return text
    name = _SURFACE.get()
    if name != "slack":
        return Mrkdwn(SURFACES[name].escape(text))
    allowed = set(mentions)
    out, last = [], 0
    for m in _USER_MENTION_RE.finditer(text) if allowed else ():
        if m["id"] in allowed:
            out.append(_escape_all(text[last : m.start()]))
            out.append(f"<@{m['id']}>")
            last = m.end()
    out.append(_escape_all(text[last:]))
    return Mrkdwn("".join(out))


def plain_text(text: str) -> str:
    """What mrkdwn from `t()` reads as in a plain_text field (a label, an option, a form
    error): the escapes undone, as Slack shows plain_text as it is."""
    if not isinstance(text, Mrkdwn):
        return text
    return str.__str__(text).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def markup_join(separator: str, parts: Iterable[str]) -> Mrkdwn:
    """Join texts that are each mrkdwn already (catalogue texts, escaped text)."""
    return Mrkdwn(separator.join(escape(p) for p in parts))


def mention(slack_user_id: str | None) -> Mrkdwn:
    """A live mention of a Slack user the bot knows (never built from typed text)."""
    if slack_user_id is None:  # a person not on Slack
        return Mrkdwn("")
    if _SURFACE.get() != "slack" or not SLACK_USER_ID_RE.fullmatch(slack_user_id):
        return escape(slack_user_id)  # no live Slack markup off Slack: the id, inert
    return Mrkdwn(f"<@{slack_user_id}>")


def person_mention(lang: str, slack_user_id: str | None) -> Mrkdwn:
    """A member as a Slack mention; an erased member as the words "an erased member"."""
    if slack_user_id is not None and slack_user_id.startswith(FORGOTTEN_PREFIX):
        return t(lang, "network.forget.erased_person")
    return mention(slack_user_id)


def _mentionable(name: str, shown: str, teams_id: str) -> bool:
    """Whether a Teams mention can show `name` (`shown` escaped) as it is: nothing in it is
    escaped, it is one line, and the id holds no mention mark."""
    return shown == name and "\n" not in name and not _AT_MARKS_RE.search(teams_id)


def person(lang: str, who: Person) -> Mrkdwn:
    """A person a text names, as the surface in force shows them: on Slack a live mention
    when they are on Slack, on Teams a Teams mention when they are on Teams (and their name
    needs no escaping: the mention shows it as it is), else their name in bold, escaped (it
    is typed text); an erased person as the words "an erased member", everywhere."""
    if who.erased:
        return t(lang, "network.forget.erased_person")
    name = _SURFACE.get()
    if name == "slack" and who.slack_id is not None:
        return mention(who.slack_id)
    if not who.name:  # someone the bot does not know: no id shown, whatever was sent
        return t(lang, "people.unknown")
    shown = escape(who.name)
    if name == "teams" and who.teams_id and _mentionable(who.name, shown, who.teams_id):
        return teams_mention(who.teams_id, who.name)
    if name == "slack":  # mrkdwn has no escape for `*`: such a name is shown without bold
        return shown if "*" in who.name else Mrkdwn(f"*{shown}*")
    return Mrkdwn(f"**{shown}**")


def name_of(lang: str, who: Person) -> Mrkdwn:
    """A person's name as plain text (escaped); an erased person as "an erased member",
    someone the bot does not know as "the person picked"."""
    if who.erased or not who.name:
        return t(lang, "network.forget.erased_person" if who.erased else "people.unknown")
    return escape(who.name)


def escape_naming(lang: str, text: str, people: Iterable[Person]) -> Mrkdwn:
    """Typed Slack text (a note) that may hold `<@U…>` mentions of `people`: on Slack those
    stay live mentions (and every other `<…>` is escaped); on another surface each becomes
    the person as that surface names them, and the rest is escaped typed text."""
    known = {p.slack_id: p for p in people if p.slack_id is not None}
    if _SURFACE.get() == "slack":
        return escape(text, mentions=known)
    named: list[Mrkdwn] = []

    def hold(m: re.Match[str]) -> str:  # escaped as a whole, so line starts stay line starts
        if m["id"] not in known:
            return m[0]
        named.append(person(lang, known[m["id"]]))
        return f"{_HELD}{len(named) - 1}{_HELD}"

    held = escape(_USER_MENTION_RE.sub(hold, text.replace(_HELD, "")))
    return Mrkdwn(re.sub(f"{_HELD}(\\d+){_HELD}", lambda m: named[int(m[1])], held))


def _named(lang: str, item: Person | str) -> Mrkdwn:
    """A list item that names a person: a Person, or (older callers) a Slack user id."""
    return person(lang, item) if isinstance(item, Person) else person_mention(lang, item)


def format_list(lang: str, items: list[str]) -> Mrkdwn:
    """ "a", "a og b", "a, b og c" in the language (items are escaped unless mrkdwn)."""
    if not items:
        return Mrkdwn("")
    return Mrkdwn(babel_format_list([escape(i) for i in items], locale=locale_of(lang)))


class _Count(int):
    """An integer parameter: plain as `{n}`, in the plural form as `{n:# dag|# dage}`."""

    lang: str

    def __format__(self, spec: str) -> str:
        if "|" in spec or "#" in spec:
            return plural(self.lang, int(self), spec)
        return format(int(self), spec)


def _count(lang: str, value: int) -> _Count:
    count = _Count(value)
    count.lang = lang
    return count


def _render(lang: str, name: str, value: Any) -> Any:
    if isinstance(value, Mrkdwn):
        return value
    if isinstance(value, Person):
        return person(lang, value)
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, date):
        return format_date(lang, value)
    if isinstance(value, list):
        return format_list(lang, [_named(lang, v) for v in value])
    if name.endswith("minutes") and isinstance(value, int):
        return format_minutes(lang, value)
    if isinstance(value, int) and not isinstance(value, bool):
        return _count(lang, value)
    return value


# Parameter types whose text depends on nothing but their value (and the language and
# surface): a text made of only these is kept and made once. A person or a list is rendered
# every time (how a person is shown may do more than return text, e.g. note a mention).
_PURE_TYPES = frozenset({str, Mrkdwn, int, bool, date, type(None)})


def t(lang: str | None, key: str, **params: Any) -> Mrkdwn:
    """The catalogue text for `key` in `lang` (Danish when unknown), with `params` filled in
    (and escaped: see the module's docstring). A `today` parameter (a date) provides the
    `example_*` dates of help texts and hints."""
    lang = language(lang)
    name = _SURFACE.get()
    values = tuple(params.values())
    types = tuple(map(type, values))
    if _PURE_TYPES.issuperset(types):
        # The types are part of the key: Mrkdwn("a") equals "a" but is not escaped.
        return _t_pure(lang, name, key, tuple(params), types, values)
    return _t(lang, name, key, params)


@functools.lru_cache(maxsize=8192)
def _t_pure(
    lang: str,
    name: str,
    key: str,
    names: tuple[str, ...],
    _types: tuple[type, ...],
    values: tuple[Any, ...],
) -> Mrkdwn:
    # Replies repeat the same few texts (a period, a total against the target) all day.
    return _t(lang, name, key, dict(zip(names, values, strict=True)))


def _t(lang: str, name: str, key: str, params: dict[str, Any]) -> Mrkdwn:
    text = _SLACK[lang][key] if name == "slack" else template(lang, key, name)
    today = params.pop("today", None)
    if isinstance(today, date):  # help and hints show dates of this season
        params = {**example_dates(today), **params}
    return Mrkdwn(text.format(**{name: _render(lang, name, v) for name, v in params.items()}))
