"""Briefs the member owns: texts to forward themselves — the bot never writes to a manager or
a colleague.

- `/prep brief` (`prep brief` on Teams): before the next meeting, for the manager: the
  meeting, what the member wants from it (agreed under P1), their questions and examples;
  and when a colleague goes instead (attendance), a brief for that colleague: the meeting,
  place and time in the member's zone, theme and speakers, the member's questions (and whom
  each is for), examples, and who asked the member what.
- `/followup brief` (`opfølgning brief`): after the last meeting, for the manager: what the
  member brought home (their follow-ups since, B2) and what their colleague brought back.
- The day after a meeting a colleague went to, the between-meetings message asks the member
  what their colleague brought back (a small form; stored with the attendance).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from slack_bolt import App
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from handlers import conversation as c
from handlers.calendar import meeting_details
from handlers.catalogue import format_date, markup_join, name_of, t
from handlers.conversation import Form, TextInput
from handlers.forms import Submitted, info_form, on_form_button, saving_listener
from handlers.ids import Action, Block, Callback
from handlers.parsing import escape_slack
from handlers.prep import BRIEF_WORDS, render_when
from models.attendance import (
    REPORT_MAX,
    Attendance,
    AttendanceStatus,
    SubstituteField,
    attendance_of,
    save_substitute_report,
)
from models.errors import InputError
from models.followup import ManagerFollowUp
from models.network import Meeting, Member
from models.people import person_of
from models.prep import PrepQuestion, prep_status

__all__ = ["BRIEF_WORDS"]

MAX_LINES = 20  # of each list in a brief (a longer one says so)


def _bullets(lang: str, lines: Sequence[str]) -> str:
    shown = [f"• {line}" for line in lines[:MAX_LINES]]
    if len(lines) > MAX_LINES:
        shown.append(t(lang, "brief.more", count=len(lines) - MAX_LINES))
    return markup_join("\n", shown)


def _meeting_line(lang: str, member: Member, meeting: Meeting) -> str:
    return t(
        lang,
        "brief.meeting",
        number=meeting.number,
        network=meeting.network.name,
        when=render_when(lang, meeting, member),
        place=meeting.place,
        host=meeting.host,
        theme=meeting.theme,
    )


def _section(lang: str, key: str, lines: Sequence[str]) -> list[c.Part]:
    return [c.Paragraph(markup_join("\n", [t(lang, key), _bullets(lang, lines)]))] if lines else []


def manager_brief(session: Session, member: Member, meeting: Meeting) -> list[c.Part]:
    """Before `meeting`: what the member wants from it, their questions and examples."""
    lang = member.lang
    status = prep_status(session=session, member=member, meeting=meeting)
    if status.manager_agreed:
        want = t(lang, "brief.manager.want", agreed=status.manager_agreed)
    else:
        want = t(lang, "brief.manager.not_agreed")
    return [
        c.Heading(t(lang, "brief.manager.title", number=meeting.number)),
        c.Paragraph(markup_join("\n", [_meeting_line(lang, member, meeting), want])),
        *_section(lang, "brief.questions", [escape_slack(q.text) for q in status.questions]),
        *_section(lang, "brief.examples", [escape_slack(e.title) for e in status.examples]),
    ]


def substitute_brief(
    session: Session, member: Member, meeting: Meeting, attendance: Attendance
) -> list[c.Part]:
    """For the colleague who goes instead: everything they need to stand in."""
    lang = member.lang
    status = prep_status(session=session, member=member, meeting=meeting)
    mine = [
        t(
            lang,
            "brief.question_for",
            text=q.text,
            primary=name_of(lang, person_of(q.primary)),
            secondary=name_of(lang, person_of(q.secondary)),
        )
        for q in status.questions
    ]
    asked = [
        t(lang, "brief.asked_by", asker=name_of(lang, person_of(q.member)), text=q.text)
        for q in _questions_for(session, member, meeting)
    ]
    title = t(
        lang,
        "brief.substitute.title",
        colleague=attendance.substitute_name or "",
        number=meeting.number,
    )
    details = [_meeting_line(lang, member, meeting), *meeting_details(lang, meeting)]
    return [
        c.Heading(title),
        c.Paragraph(markup_join("\n", details)),
        *_section(lang, "brief.substitute.questions", mine),
        *_section(lang, "brief.examples", [escape_slack(e.title) for e in status.examples]),
        *_section(lang, "brief.substitute.asked", asked),
    ]


def _questions_for(session: Session, member: Member, meeting: Meeting) -> list[PrepQuestion]:
    """The questions others bring to `meeting` for `member` (as first or second choice)."""
    return [
        q
        for q in session.scalars(
            select(PrepQuestion)
            .where(
                PrepQuestion.meeting_id == meeting.id,
                or_(PrepQuestion.primary_id == member.id, PrepQuestion.secondary_id == member.id),
            )
            .order_by(PrepQuestion.member_id, PrepQuestion.position)
        )
        if q.member.active
    ]


def prep_brief(session: Session, member: Member, meeting: Meeting) -> c.Message:
    """`/prep brief`: the brief for the manager, and the colleague's when one goes instead."""
    lang = member.lang
    parts = manager_brief(session, member, meeting)
    attendance = attendance_of(session, member, meeting)
    if attendance is not None and attendance.status is AttendanceStatus.SUBSTITUTE:
        parts += [c.Divider(), *substitute_brief(session, member, meeting, attendance)]
    parts.append(c.Note(t(lang, "brief.note")))
    return c.Message(t(lang, "brief.text.before", number=meeting.number), parts)


def last_meeting(member: Member, now: datetime) -> Meeting | None:
    past = [m for m in member.network.meetings if m.starts_at <= now]
    return past[-1] if past else None


def followup_brief(session: Session, member: Member, now: datetime) -> c.Message:
    """`/followup brief`: for the manager, what the member brought home from the last
    meeting: their follow-ups since, and what a colleague who went instead brought back."""
    lang = member.lang
    meeting = last_meeting(member, now)
    if meeting is None:
        text = t(lang, "brief.after.no_meeting")
        return c.Message(text, [c.Paragraph(text)])
    since = meeting.starts_at.astimezone(member.zone).date()
    rows = session.scalars(
        select(ManagerFollowUp)
        .where(ManagerFollowUp.member_id == member.id, ManagerFollowUp.followed_up_on >= since)
        .order_by(ManagerFollowUp.followed_up_on, ManagerFollowUp.id)
    ).all()
    lines = [
        t(
            lang,
            "brief.after.line" if row.next_step else "brief.after.line_no_step",
            day=format_date(lang, row.followed_up_on),
            agreed=row.agreed,
            next_step=row.next_step,
        )
        for row in rows
    ]
    parts: list[c.Part] = [
        c.Heading(t(lang, "brief.after.title", number=meeting.number)),
        c.Paragraph(_meeting_line(lang, member, meeting)),
        *_section(lang, "brief.after.followups", lines),
    ]
    if not lines:
        parts.append(c.Paragraph(t(lang, "brief.after.none")))
    attendance = attendance_of(session, member, meeting)
    if attendance is not None and attendance.substitute_report:
        report = t(
            lang,
            "brief.after.colleague",
            colleague=attendance.substitute_name or "",
            report=attendance.substitute_report,
        )
        parts.append(c.Paragraph(report))
    parts.append(c.Note(t(lang, "brief.note")))
    return c.Message(t(lang, "brief.text.after", number=meeting.number), parts)


# --- what did your colleague bring back? ---------------------------------------------------


def colleague_prompt(lang: str, attendance: Attendance | None, meeting: Meeting) -> list[c.Part]:
    """The question in the day-after message when a colleague went instead (nothing when
    none did, or the member has told already)."""
    if (
        attendance is None
        or attendance.status is not AttendanceStatus.SUBSTITUTE
        or attendance.substitute_report
    ):
        return []
    button = c.Button(
        t(lang, "brief.colleague.button"),
        Action.OPEN_COLLEAGUE_REPORT,
        json.dumps({"meeting": meeting.id}),
        "primary",
        opens_form=True,
    )
    text = t(
        lang,
        "brief.colleague.ask",
        colleague=attendance.substitute_name or "",
        number=meeting.number,
    )
    return [c.Paragraph(text, button=button, block=Block.COLLEAGUE_REPORT)]


def with_colleague_prompt(
    message: c.Message | None, session: Session, member: Member, meeting: Meeting
) -> c.Message | None:
    """The day-after message with the colleague question, when it applies."""
    if message is None:
        return None
    extra = colleague_prompt(member.lang, attendance_of(session, member, meeting), meeting)
    return c.Message(message.summary, [*message.parts, *extra], message.files) if extra else message


def _meeting(member: Member, meeting_id: Any) -> Meeting | None:
    return next((m for m in member.network.meetings if m.id == meeting_id), None)


def colleague_report_form(*, session: Session, member: Member, value: str | None) -> Form | None:
    """The small form: what did your colleague bring back from the meeting `value` names?"""
    try:
        meeting = _meeting(member, json.loads(value or "{}").get("meeting"))
    except (ValueError, AttributeError):
        return None
    if meeting is None:
        return None
    attendance = attendance_of(session, member, meeting)
    if attendance is None or attendance.status is not AttendanceStatus.SUBSTITUTE:
        return None  # nobody went in their place
    lang = member.lang
    return Form(
        kind=Callback.COLLEAGUE_REPORT_MODAL,
        title=t(lang, "brief.colleague.title"),
        submit=t(lang, "prep.modal.submit"),
        metadata={"meeting": meeting.id},
        parts=[
            TextInput(
                SubstituteField.REPORT,
                t(
                    lang,
                    "brief.colleague.label",
                    colleague=attendance.substitute_name or "",
                ),
                REPORT_MAX,
                initial=attendance.substitute_report or "",
                multiline=True,
            )
        ],
    )


def submit_colleague_report(
    *, session: Session, member: Member, now: datetime, metadata: Mapping[str, Any], form: Submitted
) -> Form:
    """Save what the colleague brought back; the saved view."""
    lang = member.lang
    meeting = _meeting(member, metadata.get("meeting"))
    if meeting is None:
        raise InputError("brief.error.no_substitute", field=SubstituteField.REPORT)
    save_substitute_report(
        session=session,
        member=member,
        meeting=meeting,
        text=form.text(SubstituteField.REPORT),
        now=now,
    )
    return info_form(
        Callback.COLLEAGUE_REPORT_MODAL,
        t(lang, "brief.colleague.title"),
        t(lang, "brief.colleague.saved", number=meeting.number),
    )


handle_colleague_submission = saving_listener(
    SubstituteField.REPORT, submit_colleague_report, with_metadata=True
)


def register(app: App) -> None:
    on_form_button(
        app,
        Action.OPEN_COLLEAGUE_REPORT,
        lambda scope, member, value: colleague_report_form(
            session=scope.db, member=member, value=value
        ),
    )
    app.view(Callback.COLLEAGUE_REPORT_MODAL)(handle_colleague_submission)
