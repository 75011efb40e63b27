"""Nudge messages (built here, sent by jobs/nudges.py) and what their buttons do: open a part of
the preparation, remind me tomorrow / in 3 days, I'm away until …"""

from __future__ import annotations

import json
import logging
from datetime import date, datetime, timedelta
from typing import Any

from slack_bolt import Ack, App
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from handlers import conversation as c
from handlers.calendar import meeting_details
from handlers.catalogue import format_weekday, markup_join, name_of, relative_day, t
from handlers.context import scope_of
from handlers.conversation import DateInput, Form
from handlers.forms import Submitted, info_form, on_form_button, submit_form
from handlers.ids import Action, Block, Callback
from handlers.parsing import escape_slack
from handlers.prep import mark, render_time_span, render_when
from handlers.replies import reply_ephemeral
from models.errors import InputError
from models.network import Meeting, MeetingChange, Member
from models.nudges import Nudge, NudgeKind, snooze_until
from models.people import person_of
from models.prep import AgendaItem, PrepPart, PrepStatus

log = logging.getLogger(__name__)

MAX_MESSAGE_BLOCKS = 50
MAX_SECTION_CHARS = 3000
QUESTION_SHOWN = 1000  # characters of a question in the agenda
PART_BUTTONS = {
    PrepPart.MANAGER: (Action.OPEN_PREP_P1, "nudge.button.p1", "nudge.item.p1"),
    PrepPart.QUESTIONS: (Action.OPEN_PREP_P2, "nudge.button.p2", "nudge.item.p2"),
    PrepPart.EXAMPLES: (Action.OPEN_PREP_P3, "nudge.button.p3", "nudge.item.p3"),
}
KIND_KEYS = {
    NudgeKind.PREP_KICKOFF: "kickoff",
    NudgeKind.PREP_REMINDER: "reminder",
    NudgeKind.PREP_LAST_CALL: "last_call",
}
SNOOZE_DAYS = {Action.SNOOZE_TOMORROW: 1, Action.SNOOZE_THREE_DAYS: 3}
# The nudge buttons that open a form (the rest act at once).
FORM_ACTIONS = frozenset({*(action for action, _, _ in PART_BUTTONS.values()), Action.AWAY})


def _button(text: str, action: Action, value: dict[str, Any], primary: bool = False) -> c.Button:
    style: c.ButtonStyle | None = "primary" if primary else None
    return c.Button(text, action, json.dumps(value), style, opens_form=action in FORM_ACTIONS)


def _later_buttons(
    lang: str, value: dict[str, Any], *, member: Member, now: datetime, before: datetime
) -> list[c.Button]:
    """ "Remind me tomorrow" / "in 3 days" only where that reminder would still come before
    `before` (the meeting, or the end of what the nudge is about); "I'm away" always."""
    buttons = [
        _button(t(lang, key), action, value)
        for action, key in (
            (Action.SNOOZE_TOMORROW, "nudge.button.tomorrow"),
            (Action.SNOOZE_THREE_DAYS, "nudge.button.three_days"),
        )
        if snooze_until(member, now, SNOOZE_DAYS[action], before=before) is not None
    ]
    return [*buttons, _button(t(lang, "nudge.button.away"), Action.AWAY, value)]


def days_until(member: Member, moment: datetime, now: datetime) -> int:
    """Calendar days from the member's today (at `now`, the moment of sending) to `moment`."""
    return (moment.astimezone(member.zone).date() - member.today(now)).days


def build_prep_nudge(
    lang: str,
    *,
    kind: NudgeKind,
    member: Member,
    status: PrepStatus,
    nudge_id: int,
    now: datetime,
) -> c.Message | None:
    """Kick-off (the whole checklist), reminder and last call (only what is missing); None when
    there is nothing left to do."""
    missing = status.missing
    if not missing:
        return None
    meeting = status.meeting
    key = KIND_KEYS[kind]
    days = days_until(member, meeting.starts_at, now)
    intro = t(
        lang,
        f"nudge.{key}.intro",
        number=meeting.number,
        theme=escape_slack(meeting.theme),
        when=render_when(lang, meeting, member),
        place=escape_slack(meeting.place),
        host=escape_slack(meeting.host),
        relative=relative_day(lang, days, capital=True),
    )
    if kind is NudgeKind.PREP_KICKOFF:  # who speaks, and what the meeting is about
        intro = markup_join("\n", [intro, *meeting_details(lang, meeting)])
    parts = list(PrepPart) if kind is NudgeKind.PREP_KICKOFF else missing
    items = [t(lang, PART_BUTTONS[p][2], mark=mark(p not in missing)) for p in parts]
    value = {"nudge": nudge_id, "meeting": meeting.id}
    buttons = [
        _button(t(lang, PART_BUTTONS[p][1]), PART_BUTTONS[p][0], value, primary=i == 0)
        for i, p in enumerate(missing)
    ]
    later = _later_buttons(lang, value, member=member, now=now, before=meeting.starts_at)
    return c.Message(
        t(lang, f"nudge.text.{key}", number=meeting.number, relative=relative_day(lang, days)),
        [
            c.Paragraph(intro, block=Block.NUDGE_INTRO),
            c.Paragraph("\n".join(items), block=Block.NUDGE_CHECKLIST),
            c.Buttons(buttons, block=Block.NUDGE_PARTS),
            c.Buttons(later, block=Block.NUDGE_LATER),
        ],
    )


def build_agenda_nudge(
    lang: str,
    *,
    member: Member,
    meeting: Meeting,
    items: list[AgendaItem],
    nudge_id: int,
    now: datetime,
) -> c.Message | None:
    """The day before: the questions others bring for this member. None when there are none."""
    if not items:
        return None
    relative = relative_day(lang, days_until(member, meeting.starts_at, now))
    lines = []
    for item in items:
        question = (
            item.text if len(item.text) <= QUESTION_SHOWN else item.text[:QUESTION_SHOWN] + "…"
        )
        params = {
            "asker": person_of(item.asker),
            "text": escape_slack(question),
        }
        if item.handed_over_from is not None:
            primary = name_of(lang, person_of(item.handed_over_from))
            lines.append(t(lang, "nudge.agenda.handed_over", primary=primary, **params))
        elif item.as_primary:
            lines.append(t(lang, "nudge.agenda.primary", **params))
        else:
            lines.append(t(lang, "nudge.agenda.secondary", **params))
    intro = t(
        lang,
        "nudge.agenda.intro",
        number=meeting.number,
        theme=escape_slack(meeting.theme),
        relative=relative,
    )
    parts: list[c.Part] = [c.Paragraph(intro, block="agenda_intro")]
    # Questions are packed into paragraphs of at most 3,000 characters, at most 50 in all.
    chunk: list[str] = []
    shown = 0
    for line in lines:
        if chunk and len("\n".join([*chunk, line])) > MAX_SECTION_CHARS:
            if len(parts) == MAX_MESSAGE_BLOCKS - 2:
                break
            parts.append(c.Paragraph("\n".join(chunk), block=f"agenda_{len(parts)}"))
            chunk = []
        chunk.append(line)
        shown += 1
    if chunk:
        parts.append(c.Paragraph("\n".join(chunk), block=f"agenda_{len(parts)}"))
    if shown < len(lines):
        parts.append(c.Paragraph(t(lang, "nudge.agenda.more", count=len(lines) - shown)))
    summary = t(
        lang, "nudge.text.agenda", count=len(items), number=meeting.number, relative=relative
    )
    return c.Message(summary, parts)


def build_meeting_changed(
    lang: str, *, member: Member, change: MeetingChange | None, now: datetime
) -> c.Message | None:
    """The notice that a meeting moved or got a place: old → new. None when the change is
    gone, the meeting has begun, or it is back where it was."""
    if change is None:
        return None
    meeting = change.meeting
    if meeting.starts_at <= now:
        return None
    lines = []
    if (change.old_starts_at, change.old_ends_at) != (meeting.starts_at, meeting.ends_at):
        lines.append(
            t(
                lang,
                "notice.meeting_changed.time",
                old=render_time_span(lang, change.old_starts_at, change.old_ends_at, member),
                new=render_when(lang, meeting, member),
            )
        )
    if change.old_place != meeting.place:
        lines.append(
            t(
                lang,
                "notice.meeting_changed.place",
                old=escape_slack(change.old_place),
                new=escape_slack(meeting.place),
            )
        )
    if not lines:
        return None
    header = t(
        lang, "notice.meeting_changed", number=meeting.number, theme=escape_slack(meeting.theme)
    )
    summary = t(
        lang,
        "notice.meeting_changed.text",
        number=meeting.number,
        when=render_when(lang, meeting, member),
        place=escape_slack(meeting.place),
    )
    return c.Message(
        summary,
        [
            c.Paragraph(header + "\n" + "\n".join(lines), block=Block.MEETING_CHANGED),
            c.Note(t(lang, "notice.meeting_changed.reminders")),
        ],
    )


def build_away_modal(lang: str, *, today: date, away_until: date | None) -> Form:
    initial = away_until if away_until and away_until >= today else today + timedelta(days=7)
    return Form(
        kind=Callback.AWAY_MODAL,
        title=t(lang, "nudge.away.title"),
        submit=t(lang, "nudge.away.save"),
        parts=[
            DateInput(
                Block.AWAY_UNTIL,
                t(lang, "nudge.away.label"),
                initial=initial,
                hint=t(lang, "nudge.away.hint"),
            )
        ],
    )


def own_nudge(session: Session, member: Member, value: str | None) -> Nudge | None:
    """The nudge a button (its `value`) belongs to, if it is this member's (nobody acts on
    another's)."""
    nudge_id = json.loads(value or "{}").get("nudge")
    nudge = session.get(Nudge, nudge_id) if isinstance(nudge_id, int) else None
    return nudge if nudge is not None and nudge.member_id == member.id else None


def snooze(
    *, session: Session, member: Member, nudge: Nudge, days: int, now: datetime
) -> str | None:
    """ "Remind me tomorrow" / "in 3 days": one more nudge of the same kind, once; what to
    tell the member (None: nothing, an event notice has no reminders)."""
    lang = member.lang
    stale_at = nudge.stale_at or (nudge.meeting.starts_at if nudge.meeting else None)
    if stale_at is None:
        return None
    due = snooze_until(member, now, days, before=stale_at)
    if due is None:
        return t(lang, "nudge.snooze_too_late")
    latest = session.scalar(
        select(Nudge.seq)
        .where(
            Nudge.member_id == member.id,
            Nudge.meeting_id == nudge.meeting_id,
            Nudge.kind == nudge.kind,
        )
        .order_by(Nudge.seq.desc())
        .limit(1)
    )
    if latest is not None and latest > nudge.seq:  # already snoozed (a double click)
        return t(lang, "nudge.snooze_already")
    session.add(
        Nudge(
            member_id=member.id,
            meeting_id=nudge.meeting_id,
            kind=nudge.kind,
            seq=nudge.seq + 1,
            due_at=due,
            stale_at=stale_at,
            created_at=now,
        )
    )
    try:
        session.commit()
    except IntegrityError:  # two clicks raced past the check: the unique key keeps one
        session.rollback()
        return t(lang, "nudge.snooze_already")
    local = due.astimezone(member.zone)
    days = (local.date() - member.today(now)).days
    day = relative_day(lang, days) if days <= 1 else format_weekday(lang, local.date())
    return t(lang, "nudge.snoozed", day=day, time=f"{local:%H:%M}")


def handle_snooze(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    """ "Remind me tomorrow" / "in 3 days" (see `snooze`)."""
    scope = scope_of(context)
    member = scope.require_member()
    action = body["actions"][0]
    nudge = own_nudge(scope.db, member, action.get("value"))
    ack()
    if nudge is None:
        return
    days = SNOOZE_DAYS[Action(action["action_id"])]
    reply = snooze(session=scope.db, member=member, nudge=nudge, days=days, now=scope.now)
    if reply is not None:
        context["reply"] = reply


def away_form(member: Member, now: datetime) -> Form:
    return build_away_modal(member.lang, today=member.today(now), away_until=member.away_until)


def save_away(*, member: Member, day: date | None, now: datetime) -> Form:
    """Away until `day` (no reminders till then); the form saying so. InputError on its field
    for a day past or too far ahead."""
    lang = member.lang
    today = member.today(now)
    if day is None or day < today:
        raise InputError("nudge.away.error_past", field=Block.AWAY_UNTIL)
    if day > today + timedelta(days=366):
        raise InputError("nudge.away.error_far", field=Block.AWAY_UNTIL)
    member.away_until = day
    return info_form(
        Callback.AWAY_MODAL, t(lang, "nudge.away.title"), t(lang, "nudge.away.saved", day=day)
    )


def handle_away_submission(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    scope = scope_of(context)
    member = scope.require_member()
    form = Submitted.of(body)
    day = form.day(Block.AWAY_UNTIL)
    submit_form(
        ack,
        scope,
        member.lang,
        form,
        default_field=Block.AWAY_UNTIL,
        save=lambda: save_away(member=member, day=day, now=scope.now),
        saved_view=lambda saved: saved,
    )


def register(app: App) -> None:
    for action in SNOOZE_DAYS:
        app.action(action)(ack=handle_snooze, lazy=[reply_ephemeral])
    on_form_button(app, Action.AWAY, lambda scope, member, _value: away_form(member, scope.now))
    app.view(Callback.AWAY_MODAL)(handle_away_submission)
