"""Reflection after each meeting: the member's short form with the meeting's three questions
(each optional), opened from the day-after message's button or with `/reflection [N]`
(`refleksion` on Teams); the facilitator's collection per meeting (`/network refleksioner
[N]`, anonymous unless the member agreed to be named), with what the sister network shared."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App
from sqlalchemy.orm import Session

from handlers import conversation as c
from handlers.catalogue import Mrkdwn, person, t
from handlers.context import RequestScope, scope_of
from handlers.forms import Submitted, info_form, on_form_button, saving_listener
from handlers.ids import Action, Callback
from handlers.parsing import escape_slack, excerpt
from handlers.replies import answer_command
from handlers.replies import open_view_lazy as open_view
from models.errors import InputError
from models.network import Meeting, Member, Network, sister_of
from models.people import person_of
from models.reflection import (
    MAX_TEXT,
    Consent,
    Reflection,
    ReflectionField,
    ReflectionInput,
    held_meeting,
    own_reflection,
    reflections_on,
    save_reflection,
    shared_by_sister,
)

HELP_WORDS = {"help", "hjælp", "hjaelp", "?"}
SHARED_WORDS = {"shared", "delt", "delte"}
PAGE = 10  # reflections per page of `/network refleksioner`
EXCERPT = 500  # characters of each answer shown in the collection (all of it in the export)


def build_reflection_form(lang: str, meeting: Meeting, row: Reflection | None) -> c.Form:
    """The three questions (each optional) and the two boxes; filled with `row` to edit."""
    chosen = [
        box.value
        for box, on in (
            (Consent.NAMED, row is not None and row.named),
            (Consent.SISTER, row is not None and row.share_with_sister),
        )
        if on
    ]

    def question(field: ReflectionField, key: str, initial: str) -> c.TextInput:
        return c.TextInput(
            field, t(lang, key), MAX_TEXT, initial=initial, multiline=True, optional=True
        )

    return c.Form(
        kind=Callback.REFLECTION_MODAL,
        title=t(lang, "reflection.modal.title"),
        submit=t(lang, "prep.modal.submit"),
        metadata={"meeting": meeting.id},
        parts=[
            c.Paragraph(t(lang, "reflection.modal.intro", number=meeting.number)),
            question(ReflectionField.COMMON, "reflection.common", row.common if row else ""),
            question(ReflectionField.SOME, "reflection.some", row.some if row else ""),
            question(
                ReflectionField.PARTICULAR, "reflection.particular", row.particular if row else ""
            ),
            c.Choice(
                ReflectionField.CONSENT,
                t(lang, "reflection.consent"),
                [
                    c.Option(Consent.NAMED, t(lang, "reflection.consent.named")),
                    c.Option(Consent.SISTER, t(lang, "reflection.consent.sister")),
                ],
                chosen=chosen,
                multi=True,
                expanded=True,
                optional=True,
            ),
        ],
    )


def reflection_form(
    *, session: Session, member: Member, now: datetime, meeting_id: object = None
) -> c.Form:
    """The form for meeting `meeting_id` of the member's network (else the latest held)."""
    meeting = next((m for m in member.network.meetings if m.id == meeting_id), None)
    if meeting is None:
        meeting = held_meeting(member.network, now)
    return build_reflection_form(member.lang, meeting, own_reflection(session, member, meeting))


def meeting_of_button(value: str | None) -> object:
    """The meeting a day-after button names (its value is the sender's to choose: checked)."""
    try:
        data = json.loads(value or "{}")
    except ValueError:
        return None
    return data.get("meeting") if isinstance(data, dict) else None


def reflection_command(scope: RequestScope, text: str) -> str | c.Form | c.Message:
    """`/reflection [N]`: the form for meeting N (else the latest held); `shared [N]` what
    the sister network shared about its meeting N; `help` explains."""
    words = text.lower().split()
    word = words[0] if words else ""
    if word in HELP_WORDS:
        return t(scope.lang, "reflection.help")
    member = scope.require_member()
    if word in SHARED_WORDS:
        return _shared_with_me(scope.db, member, words[1:], scope.now)
    meeting = held_meeting(member.network, scope.now, _number(word))
    return build_reflection_form(member.lang, meeting, own_reflection(scope.db, member, meeting))


def _number(word: str) -> int | None:
    if not word:
        return None
    if not word.isdigit():
        raise InputError("reflection.error.not_a_number", value=word)
    return int(word)


def _shared_with_me(session: Session, member: Member, args: list[str], now: datetime) -> c.Message:
    """What the sister network's members shared about their meeting N (else the number of
    the latest meeting held here)."""
    number = _number(args[0]) if args else None
    if number is None:
        number = held_meeting(member.network, now).number
    parts = _sister_parts(session, member.lang, member.network, number)
    if not parts:
        text = t(member.lang, "reflection.shared.none", number=number)
        return c.Message(text, [c.Paragraph(text)])
    heading = parts[1]
    assert isinstance(heading, c.Paragraph)
    return c.Message(heading.text, parts[1:])


def submit_reflection(
    *,
    session: Session,
    member: Member,
    now: datetime,
    metadata: Mapping[str, Any],
    form: Submitted,
) -> c.Form:
    """Save a submitted reflection form for the meeting its metadata names."""
    lang = member.lang
    meeting = next((m for m in member.network.meetings if m.id == metadata.get("meeting")), None)
    if meeting is None:
        raise InputError("reflection.error.unknown_meeting")
    boxes = form.choices(ReflectionField.CONSENT)
    save_reflection(
        session=session,
        member=member,
        meeting=meeting,
        data=ReflectionInput(
            form.text(ReflectionField.COMMON),
            form.text(ReflectionField.SOME),
            form.text(ReflectionField.PARTICULAR),
            named=Consent.NAMED in boxes,
            share_with_sister=Consent.SISTER in boxes,
        ),
        now=now,
    )
    return info_form(
        Callback.REFLECTION_MODAL,
        t(lang, "reflection.modal.title"),
        t(lang, "reflection.modal.saved", number=meeting.number),
    )


# --- the facilitator's collection ------------------------------------------------------------


def _who(lang: str, row: Reflection) -> str:
    """The member's name only when they agreed (an erased member is never named)."""
    if not row.named:
        return t(lang, "reflection.anonymous")
    return person(lang, person_of(row.member))


def render_reflection(lang: str, row: Reflection) -> str:
    """One member's answers, the empty ones left out."""
    answers = [
        t(lang, f"reflection.line.{key}", text=escape_slack(excerpt(text, EXCERPT)))
        for key, text in (
            ("common", row.common),
            ("some", row.some),
            ("particular", row.particular),
        )
        if text
    ]
    who, text = Mrkdwn(_who(lang, row)), Mrkdwn("\n".join(answers))
    return t(lang, "reflection.entry", who=who, answers=text)


def reflections_parts(
    session: Session, lang: str, network: Network, args: list[str], now: datetime
) -> list[c.Part]:
    """`/network refleksioner [N] [side P]`: the members' reflections on meeting N (else the
    latest held), a page at a time, then what the sister network shared about its meeting N."""
    number = int(args[0]) if args and args[0].isdigit() else None
    if args and number is None:
        raise InputError("reflection.error.not_a_number", value=args[0])
    page = _page(args[1:])
    meeting = held_meeting(network, now, number)
    rows = reflections_on(session, meeting)
    parts: list[c.Part] = [
        c.Paragraph(t(lang, "reflection.collected", number=meeting.number, count=len(rows)))
    ]
    shown = rows[(page - 1) * PAGE : page * PAGE]
    parts += [c.Paragraph(render_reflection(lang, row)) for row in shown]
    if len(rows) > page * PAGE:
        parts.append(
            c.Note(
                t(
                    lang,
                    "reflection.more",
                    count=len(rows) - page * PAGE,
                    number=meeting.number,
                    page=page + 1,
                )
            )
        )
    return parts + _sister_parts(session, lang, network, meeting.number)


def _page(args: list[str]) -> int:
    digits = [a for a in args if a.isdigit()]
    return max(int(digits[0]), 1) if digits else 1


def _sister_parts(session: Session, lang: str, network: Network, number: int) -> list[c.Part]:
    sister = sister_of(session, network)
    if sister is None:
        return []
    shared = shared_by_sister(session, sister, number)
    if not shared:
        return []
    head = t(lang, "reflection.sister", network=escape_slack(sister.name), count=len(shared))
    rows = [c.Paragraph(render_reflection(lang, r)) for r in shared[:PAGE]]
    return [c.Divider(), c.Paragraph(head), *rows]


# --- Slack -----------------------------------------------------------------------------------


def handle_reflection_command(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    scope = scope_of(context)
    answer_command(ack, context, scope.lang, reflection_command(scope, str(body.get("text", ""))))


handle_reflection_submission = saving_listener(
    ReflectionField.COMMON, submit_reflection, with_metadata=True
)


def register(app: App) -> None:
    app.command("/reflection")(ack=handle_reflection_command, lazy=[open_view])
    on_form_button(
        app,
        Action.OPEN_REFLECTION,
        lambda scope, member, value: reflection_form(
            session=scope.db, member=member, now=scope.now, meeting_id=meeting_of_button(value)
        ),
    )
    app.view(Callback.REFLECTION_MODAL)(handle_reflection_submission)
