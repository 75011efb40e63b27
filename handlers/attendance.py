"""Attendance: "are you coming?" with yes / sending a colleague / can't come, and the head count
for facilitators and the meeting's host contact."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, App

from handlers import conversation as c
from handlers.catalogue import markup_join, t
from handlers.context import scope_of
from handlers.conversation import Form, TextInput
from handlers.errors import error_message
from handlers.forms import Submitted, info_form, metadata_of, reject, submit_form
from handlers.ids import Action, Block, Callback
from handlers.parsing import escape_slack
from handlers.prep import render_when
from handlers.replies import open_form, reply_ephemeral
from handlers.replies import open_view_lazy as open_view
from models.attendance import (
    EMAIL_MAX,
    NAME_MAX,
    AttendanceStatus,
    HeadCount,
    SubstituteField,
    set_attendance,
)
from models.errors import InputError
from models.network import Meeting, Member

ANSWERS = {
    Action.ATTEND_YES: AttendanceStatus.YES,
    Action.ATTEND_NO: AttendanceStatus.NO,
}


def build_attendance_nudge(
    lang: str, *, member: Member, meeting: Meeting, nudge_id: int
) -> c.Message:
    value = json.dumps({"nudge": nudge_id, "meeting": meeting.id})
    buttons = [
        c.Button(t(lang, "attendance.yes"), Action.ATTEND_YES, value, "primary"),
        c.Button(
            t(lang, "attendance.substitute"), Action.ATTEND_SUBSTITUTE, value, opens_form=True
        ),
        c.Button(t(lang, "attendance.no"), Action.ATTEND_NO, value),
    ]
    ask = t(
        lang,
        "attendance.ask",
        number=meeting.number,
        theme=escape_slack(meeting.theme),
        when=render_when(lang, meeting, member),
        place=escape_slack(meeting.place),
    )
    return c.Message(
        t(lang, "attendance.text", number=meeting.number),
        [
            c.Paragraph(ask, block="attendance_ask"),
            c.Buttons(buttons, block=Block.ATTENDANCE_ANSWERS),
        ],
    )


def _names(lang: str, names: list[str]) -> str:
    return (
        markup_join(", ", (escape_slack(n) for n in names))
        if names
        else t(lang, "headcount.nobody")
    )


def build_head_count(lang: str, *, member: Member, count: HeadCount) -> c.Message:
    meeting = count.meeting
    return c.Message(
        t(lang, "headcount.text", number=meeting.number, total=count.total),
        [c.Paragraph(render_head_count(lang, member=member, count=count), block=Block.HEAD_COUNT)],
    )


def render_head_count(lang: str, *, member: Member, count: HeadCount) -> str:
    """Who comes to a meeting (and who instead), for the organisers and the host contact."""
    meeting = count.meeting
    lines = [
        t(
            lang,
            "headcount.header",
            number=meeting.number,
            theme=escape_slack(meeting.theme),
            when=render_when(lang, meeting, member),
        ),
        t(
            lang,
            "headcount.total",
            total=count.total,
            members=len(count.coming),
            subs=len(count.substitutes),
        ),
        t(lang, "headcount.coming", names=_names(lang, [m.name for m in count.coming])),
        t(
            lang,
            "headcount.substitutes",
            names=_names(
                lang,
                [
                    f"{a.substitute_name} ({a.substitute_email}) ↔ {a.member.name}"
                    for a in count.substitutes
                ],
            ),
        ),
        t(lang, "headcount.not_coming", names=_names(lang, [m.name for m in count.not_coming])),
        t(lang, "headcount.no_answer", names=_names(lang, [m.name for m in count.no_answer])),
    ]
    return "\n".join(lines)


def build_substitute_modal(lang: str, meeting_id: int) -> Form:
    """The form for the colleague a member sends in their place."""
    return Form(
        kind=Callback.SUBSTITUTE_MODAL,
        title=t(lang, "attendance.modal.title"),
        submit=t(lang, "prep.modal.submit"),
        metadata={"meeting": meeting_id},
        parts=[
            TextInput(SubstituteField.NAME, t(lang, "attendance.modal.name"), NAME_MAX),
            TextInput(SubstituteField.EMAIL, t(lang, "attendance.modal.email"), EMAIL_MAX),
        ],
    )


def _meeting(member: Member, meeting_id: Any) -> Meeting | None:
    return next((m for m in member.network.meetings if m.id == meeting_id), None)


def handle_attendance_button(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    """Yes / can't come: saved at once. Sending a colleague: a form for their name and e-mail."""
    scope = scope_of(context)
    member = scope.require_member()
    lang = member.lang
    action = body["actions"][0]
    meeting = _meeting(member, json.loads(action.get("value") or "{}").get("meeting"))
    if meeting is None:
        ack()
        return
    if action["action_id"] == Action.ATTEND_SUBSTITUTE:
        open_form(context, lang, build_substitute_modal(lang, meeting.id))
        ack()
        return
    status = ANSWERS[Action(action["action_id"])]
    try:
        set_attendance(
            session=scope.db, member=member, meeting=meeting, status=status, now=scope.now
        )
    except InputError as error:
        scope.db.rollback()
        context["reply"] = error_message(lang, error)
        ack()
        return
    scope.db.commit()
    context["reply"] = t(lang, f"attendance.saved.{status.value}", number=meeting.number)
    ack()


def handle_substitute_submission(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    scope = scope_of(context)
    member = scope.require_member()
    lang = member.lang
    form = Submitted.of(body)
    meeting = _meeting(member, metadata_of(body).get("meeting"))
    if meeting is None:
        reject(ack, lang, SubstituteField.NAME, "prep.no_meeting")
        return
    name, email = form.text(SubstituteField.NAME), form.text(SubstituteField.EMAIL)
    submit_form(
        ack,
        scope,
        lang,
        form,
        default_field=SubstituteField.NAME,
        save=lambda: set_attendance(
            session=scope.db,
            member=member,
            meeting=meeting,
            status=AttendanceStatus.SUBSTITUTE,
            substitute_name=name,
            substitute_email=email,
            now=scope.now,
        ),
        saved_view=info_form(
            Callback.SUBSTITUTE_MODAL,
            t(lang, "attendance.modal.title"),
            t(
                lang,
                "attendance.saved.substitute",
                name=escape_slack(name.strip()),
                number=meeting.number,
            ),
        ),
    )


def register(app: App) -> None:
    for action in (Action.ATTEND_YES, Action.ATTEND_NO):
        app.action(action)(ack=handle_attendance_button, lazy=[reply_ephemeral])
    app.action(Action.ATTEND_SUBSTITUTE)(ack=handle_attendance_button, lazy=[open_view])
    app.view(Callback.SUBSTITUTE_MODAL)(handle_substitute_submission)
