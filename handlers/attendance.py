"""Attendance: "are you coming?" with yes / sending a colleague / can't come, and the head count
for facilitators and the meeting's host contact."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App
from sqlalchemy.orm import Session

from handlers import conversation as c
from handlers.catalogue import markup_join, t
from handlers.context import scope_of
from handlers.conversation import Form, TextInput
from handlers.errors import error_message
from handlers.forms import Submitted, info_form, metadata_of, submit_form
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


def substitute_form(*, member: Member, value: str | None) -> Form | None:
    """The form for the colleague sent instead, to the meeting a button (`value`) names."""
    meeting = _meeting(member, json.loads(value or "{}").get("meeting"))
    return build_substitute_modal(member.lang, meeting.id) if meeting else None


def answer_attendance(
    *, session: Session, member: Member, action: str, value: str | None, now: datetime
) -> str | None:
    """Yes / can't come (`action`) to the meeting a button (`value`) names, saved at once;
    what to tell the member (None: no such meeting of theirs)."""
    lang = member.lang
    meeting = _meeting(member, json.loads(value or "{}").get("meeting"))
    if meeting is None:
        return None
    status = ANSWERS[Action(action)]
    try:
        set_attendance(session=session, member=member, meeting=meeting, status=status, now=now)
    except InputError as error:
        session.rollback()
        return error_message(lang, error)
    session.commit()
    return t(lang, f"attendance.saved.{status.value}", number=meeting.number)


def submit_substitute(
    *,
    session: Session,
    member: Member,
    now: datetime,
    metadata: Mapping[str, Any],
    form: Submitted,
) -> Form:
    """Save the colleague a submitted form names for the meeting in `metadata`; the saved
    view."""
    lang = member.lang
    meeting = _meeting(member, metadata.get("meeting"))
    if meeting is None:
        raise InputError("prep.no_meeting", field=SubstituteField.NAME)
    name, email = form.text(SubstituteField.NAME), form.text(SubstituteField.EMAIL)
    set_attendance(
        session=session,
        member=member,
        meeting=meeting,
        status=AttendanceStatus.SUBSTITUTE,
        substitute_name=name,
        substitute_email=email,
        now=now,
    )
    return info_form(
        Callback.SUBSTITUTE_MODAL,
        t(lang, "attendance.modal.title"),
        t(
            lang,
            "attendance.saved.substitute",
            name=escape_slack(name.strip()),
            number=meeting.number,
        ),
    )


def handle_attendance_button(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    """Yes / can't come: saved at once. Sending a colleague: a form for their name and e-mail."""
    scope = scope_of(context)
    member = scope.require_member()
    action = body["actions"][0]
    value = action.get("value")
    if action["action_id"] == Action.ATTEND_SUBSTITUTE:
        form = substitute_form(member=member, value=value)
        if form is not None:
            open_form(context, member.lang, form)
        ack()
        return
    reply = answer_attendance(
        session=scope.db, member=member, action=action["action_id"], value=value, now=scope.now
    )
    if reply is not None:
        context["reply"] = reply
    ack()


def handle_substitute_submission(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    scope = scope_of(context)
    member = scope.require_member()
    form = Submitted.of(body)
    meta = metadata_of(body)
    submit_form(
        ack,
        scope,
        member.lang,
        form,
        default_field=SubstituteField.NAME,
        save=lambda: submit_substitute(
            session=scope.db, member=member, now=scope.now, metadata=meta, form=form
        ),
        saved_view=lambda saved: saved,
    )


def register(app: App) -> None:
    for action in (Action.ATTEND_YES, Action.ATTEND_NO):
        app.action(action)(ack=handle_attendance_button, lazy=[reply_ephemeral])
    app.action(Action.ATTEND_SUBSTITUTE)(ack=handle_attendance_button, lazy=[open_view])
    app.view(Callback.SUBSTITUTE_MODAL)(handle_substitute_submission)
