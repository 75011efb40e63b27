"""Texts several features show: a period, sparring progress and status, a disputed entry."""

from __future__ import annotations

from handlers import conversation as c
from handlers.catalogue import Mrkdwn, escape_naming, format_date, markup_join, t
from handlers.ids import Action, Block
from handlers.parsing import member_reference
from models.network import Member, Period
from models.people import MEMBER_REF_PREFIX, person_of
from models.sparring import (
    PeriodTotal,
    SparringEntry,
    SparringReceiver,
    SparringStatus,
)

NOTE_PREVIEW = 140


def render_period(lang: str, period: Period) -> str:
    if period.index == 0:
        return t(lang, "period.before_first")
    if period.index >= period.meeting_count:
        return t(lang, "period.after_last", a=period.index)
    return t(lang, "period.between", a=period.index, b=period.index + 1)


def render_progress(lang: str, given_minutes: int, target_minutes: int) -> str:
    if given_minutes >= target_minutes:
        return t(
            lang,
            "sparring.progress.reached",
            given_minutes=given_minutes,
            target_minutes=target_minutes,
        )
    return t(
        lang,
        "sparring.progress.missing",
        given_minutes=given_minutes,
        target_minutes=target_minutes,
        missing_minutes=target_minutes - given_minutes,
    )


def _receivers(lang: str, entry: SparringEntry) -> str:
    people = [person_of(m) for m in entry.receiver_members]
    return t(lang, "sparring.logged.receivers", users=people) if people else ""


def _member_refs(note: str, receivers: list[Member]) -> str:
    """A note written on Teams names its receivers as members (`<@member:42>`): as a mention
    of the member's Slack user where they have one (which `escape_naming` shows per surface:
    live on Slack, their name elsewhere), else "@name"."""
    if MEMBER_REF_PREFIX not in note:
        return note
    for m in receivers:
        shown = f"<@{m.slack_user_id}>" if m.slack_user_id else f"@{m.name}"
        note = note.replace(member_reference(m.id), shown)
    return note


def render_note(lang: str, entry: SparringEntry, limit: int | None = None) -> str:
    if not entry.note:
        return ""
    note = entry.note if limit is None or len(entry.note) <= limit else entry.note[:limit] + "…"
    note = _member_refs(note, entry.receiver_members)
    # Mentions in a note are the entry's receivers: people Slack and the bot resolved.
    people = [person_of(m) for m in entry.receiver_members]
    return t(lang, "sparring.logged.note", note=escape_naming(lang, note, people))


def render_entry_reply(key: str, lang: str, entry: SparringEntry, total: PeriodTotal) -> str:
    """The reply after logging or undoing: the entry, then the period's total against target."""
    return t(
        lang,
        key,
        minutes=entry.minutes,
        receivers=_receivers(lang, entry),
        day=entry.given_on,
        note=render_note(lang, entry),
        period=render_period(lang, total.period),
        progress=render_progress(lang, total.given_minutes, total.target_minutes),
    )


def render_status(lang: str, status: SparringStatus) -> str:
    lines = [
        t(
            lang,
            "sparring.status.header",
            period=render_period(lang, status.period),
            start=format_date(lang, status.period.start, short=True),
            end=status.period.end,
        )
    ]
    if not status.entries:
        lines.append(t(lang, "sparring.status.none"))
    hidden = status.entry_count - len(status.entries)
    if hidden:
        lines.append(t(lang, "sparring.status.more", count=hidden))
    for entry in status.entries:
        lines.append(
            t(
                lang,
                "sparring.status.entry",
                day=format_date(lang, entry.given_on, short=True),
                minutes=entry.minutes,
                receivers=_receivers(lang, entry),
                note=render_note(lang, entry, NOTE_PREVIEW),
            )
        )
    lines.append(
        t(
            lang,
            "sparring.status.given",
            progress=render_progress(lang, status.given_minutes, status.target_minutes),
        )
    )
    lines.append(_received(lang, status))
    lines.append(t(lang, "sparring.status.hint"))
    return "\n".join(lines)


def _received(lang: str, status: SparringStatus) -> Mrkdwn:
    """Who gave the member sparring this period, and how much."""
    if not status.received:
        return t(lang, "sparring.status.received_none")
    people = markup_join(
        ", ",
        (
            t(
                lang,
                "sparring.status.received_item",
                user=person_of(r.giver),
                minutes=r.minutes,
            )
            for r in status.received
        ),
    )
    return t(lang, "sparring.status.received", minutes=status.received_minutes, people=people)


def dispute_parts(lang: str, receiver: SparringReceiver) -> list[c.Part]:
    """A disputed entry for a facilitator, with the two ways to settle it."""
    entry = receiver.entry
    text = t(
        lang,
        "notice.dispute",
        receiver=person_of(receiver.member),
        giver=person_of(entry.giver),
        minutes=entry.minutes,
        day=entry.given_on,
        note=render_note(lang, entry, NOTE_PREVIEW),
    )
    value = str(receiver.id)
    buttons = [
        c.Button(t(lang, "notice.dispute.keep"), Action.DISPUTE_KEEP, value),
        c.Button(t(lang, "notice.dispute.remove"), Action.DISPUTE_REMOVE, value, "danger"),
    ]
    return [
        c.Paragraph(text, block=f"{Block.DISPUTE}_{receiver.id}"),
        c.Buttons(buttons, block=f"{Block.DISPUTE}_{receiver.id}_actions"),
    ]
