"""The example library: `/network eksempler [ord] [type=…] [møde=…] [arbejdsplads=…]
[medlem=…]` lists the network's examples (a page at a time, each with an Open button); an
opened example shows its full text with two buttons: ask its owner for sparring, take it home
(a spreading action). The same calls serve Slack's listeners and Teams' buttons."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slack_bolt import Ack, App, Respond
from sqlalchemy.orm import Session

from handlers import conversation as c
from handlers import slack_render
from handlers.catalogue import t
from handlers.context import scope_of
from handlers.ids import Action, Block
from handlers.parsing import excerpt
from handlers.replies import reply_ephemeral
from models.errors import InputError
from models.library import (
    ExampleSparringAsk,
    ask_for_sparring,
    library_example,
    parse_query,
    search_library,
    take_home,
)
from models.network import Member
from models.people import person_of
from models.prep import ExampleKind, PrepExample

PAGE_SIZE = 8  # examples (each with its Open button) in one reply
EXCERPT = 160


def kind_label(lang: str, kind: ExampleKind | None) -> str:
    return t(lang, f"library.kind.{kind.value}") if kind else ""


def _line(lang: str, example: PrepExample) -> c.Paragraph:
    owner = example.member
    text = t(
        lang,
        "library.line",
        title=excerpt(example.title, EXCERPT),
        kind=kind_label(lang, example.kind) or "—",
        person=person_of(owner),
        organisation=owner.organisation or "",
        number=example.meeting.number,
        theme=example.meeting.theme,
    )
    button = c.Button(t(lang, "library.button.open"), Action.LIBRARY_OPEN, str(example.id))
    return c.Paragraph(text, button=button)


def library_parts(
    *, session: Session, member: Member, lang: str, words: list[str], command: str, now: datetime
) -> list[c.Part]:
    """The examples that match, newest meeting first, a page at a time: the rest counted, with
    the command for the next page. Bad input: what was wrong and the right form."""
    try:
        query = parse_query(words)
    except InputError as error:
        return [
            c.Paragraph(t(lang, error.key, **error.params)),
            c.Paragraph(t(lang, "library.usage")),
        ]
    found = search_library(session=session, member=member, query=query, now=now)
    if not found:
        return [c.Paragraph(t(lang, "library.none")), c.Paragraph(t(lang, "library.usage"))]
    start = (query.page - 1) * PAGE_SIZE
    shown = found[start : start + PAGE_SIZE]
    parts: list[c.Part] = [c.Paragraph(t(lang, "library.header", count=len(found)))]
    parts += [_line(lang, e) for e in shown]
    left = len(found) - start - len(shown)
    if left > 0:
        asked = words[:-1] if words and words[-1].isdigit() else words
        more = " ".join([command, *asked, str(query.page + 1)])
        parts.append(c.Note(t(lang, "library.more", count=left, command=more)))
    return parts


def example_message(lang: str, example: PrepExample) -> c.Message:
    """One example in full, with the buttons to ask its owner for sparring and take it home."""
    owner, meeting = example.member, example.meeting
    header = t(lang, "library.open.header", title=example.title)
    facts: list[tuple[str, str]] = [
        (t(lang, "library.open.owner"), t(lang, "library.open.person", person=person_of(owner))),
        (t(lang, "library.open.workplace"), owner.organisation or "—"),
        (
            t(lang, "library.open.meeting"),
            t(lang, "library.open.meeting_value", number=meeting.number, theme=meeting.theme),
        ),
        (t(lang, "library.open.kind"), kind_label(lang, example.kind) or "—"),
    ]
    parts: list[c.Part] = [c.Heading(header), c.Facts(facts)]
    for key, text in (
        ("library.open.idea", example.idea),
        ("library.open.effect", example.effect),
        ("library.open.learning", example.learning),
    ):
        if text:
            parts.append(c.Paragraph(t(lang, key, text=text)))
    if example.did_not_work:
        parts.append(c.Note(t(lang, "library.open.did_not_work")))
    value = str(example.id)
    parts.append(
        c.Buttons(
            [
                c.Button(t(lang, "library.button.sparring"), Action.LIBRARY_SPARRING, value),
                c.Button(
                    t(lang, "library.button.take_home"), Action.LIBRARY_TAKE_HOME, value, "primary"
                ),
            ],
            block=Block.LIBRARY_EXAMPLE,
        )
    )
    return c.Message(header, parts)


def open_example(
    *, session: Session, member: Member, value: str | None, now: datetime
) -> c.Message:
    """The Open button: the example in full, or a short error (not one of the network's)."""
    lang = member.lang
    try:
        example = library_example(session=session, member=member, example_id=value, now=now)
    except InputError as error:
        text = t(lang, error.key, **error.params)
        return c.Message(text, [c.Paragraph(text)])
    return example_message(lang, example)


def press_sparring(*, session: Session, member: Member, value: str | None, now: datetime) -> str:
    """ "Ask for sparring": the owner is told once; what happened, in the member's language."""
    lang = member.lang
    try:
        ask, new = ask_for_sparring(session=session, member=member, example_id=value, now=now)
    except InputError as error:
        session.rollback()
        return t(lang, error.key, **error.params)
    session.commit()
    key = "library.sparring.asked" if new else "library.sparring.already"
    return t(lang, key, person=person_of(ask.example.member), title=ask.example.title)


def press_take_home(*, session: Session, member: Member, value: str | None, now: datetime) -> str:
    """ "Take it home": a spreading action linked to the owner (told once)."""
    lang = member.lang
    try:
        action = take_home(session=session, member=member, example_id=value, now=now)
    except InputError as error:
        session.rollback()
        return t(lang, error.key, **error.params)
    session.commit()
    return t(lang, "library.taken_home", title=action.solution)


def build_sparring_ask(lang: str, *, ask: ExampleSparringAsk) -> c.Message:
    """The notice to an example's owner: who asks for sparring about which example."""
    asker = ask.member
    text = t(
        lang,
        "notice.example_sparring",
        person=person_of(asker),
        organisation=asker.organisation or "",
        title=ask.example.title,
    )
    return c.Message(
        t(lang, "notice.example_sparring.text", title=ask.example.title),
        [c.Paragraph(text, block=Block.LIBRARY_NOTICE)],
    )


# --- Slack listeners ------------------------------------------------------------------------------


def handle_open_button(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    scope = scope_of(context)
    member = scope.require_member()
    message = open_example(
        session=scope.db, member=member, value=body["actions"][0].get("value"), now=scope.now
    )
    context["library_message"] = slack_render.message(message)
    ack()


def respond_message(respond: Respond, context: dict[str, Any]) -> None:
    """Lazy listener: the opened example, as an ephemeral reply."""
    rendered = context.get("library_message")
    if rendered:
        respond(response_type="ephemeral", replace_original=False, **rendered)


def handle_press(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    scope = scope_of(context)
    member = scope.require_member()
    action = body["actions"][0]
    press = press_sparring if action["action_id"] == Action.LIBRARY_SPARRING else press_take_home
    context["reply"] = press(
        session=scope.db, member=member, value=action.get("value"), now=scope.now
    )
    ack()


def register(app: App) -> None:
    app.action(Action.LIBRARY_OPEN)(ack=handle_open_button, lazy=[respond_message])
    for action in (Action.LIBRARY_SPARRING, Action.LIBRARY_TAKE_HOME):
        app.action(action)(ack=handle_press, lazy=[reply_ephemeral])
