"""Nudges: when each is due (pure planning from the calendar) and the outbox that records what
was sent, so that each is sent exactly once."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, enum_column, utc_now
from models.calendar import local_moment, next_working_day, previous_working_day
from models.network import Meeting, Member, Network


class NudgeKind(enum.StrEnum):
    PREP_KICKOFF = "prep_kickoff"
    PREP_REMINDER = "prep_reminder"
    PREP_LAST_CALL = "prep_last_call"
    QUESTION_AGENDA = "question_agenda"


# Days before the meeting (PRODUCT.md's defaults).
DAYS_BEFORE: dict[NudgeKind, int] = {
    NudgeKind.PREP_KICKOFF: 14,
    NudgeKind.PREP_REMINDER: 5,
    NudgeKind.PREP_LAST_CALL: 1,
    NudgeKind.QUESTION_AGENDA: 1,
}
# Preparation nudges in order; a later one that is due supersedes an earlier unsent one.
PREP_SEQUENCE = (NudgeKind.PREP_KICKOFF, NudgeKind.PREP_REMINDER, NudgeKind.PREP_LAST_CALL)


class NudgeStatus(enum.StrEnum):
    PENDING = "pending"  # due at due_at (or next_attempt_at after a passing fault)
    SENDING = "sending"  # claimed by one instance; Slack may or may not have it yet
    SENT = "sent"
    FAILED = "failed"  # Slack said no for good (user_not_found, account_inactive, …)
    SKIPPED = "skipped"  # nothing to say (all done), or the member is away
    STALE = "stale"  # the meeting started before it could go out
    SUPERSEDED = "superseded"  # a later nudge for the same meeting went out instead


FINAL_STATUSES = frozenset(
    {
        NudgeStatus.SENT,
        NudgeStatus.FAILED,
        NudgeStatus.SKIPPED,
        NudgeStatus.STALE,
        NudgeStatus.SUPERSEDED,
    }
)


class Nudge(Base):
    """The outbox: one row per (member, meeting, kind, seq). seq 0 is the scheduled nudge,
    1, 2, … are the member's "remind me later" repeats. The unique key is what makes a nudge
    exactly-once across restarts and instances."""

    __tablename__ = "nudge"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    kind: Mapped[NudgeKind] = mapped_column(enum_column(NudgeKind, 32))
    seq: Mapped[int] = mapped_column(default=0)
    due_at: Mapped[datetime]
    status: Mapped[NudgeStatus] = mapped_column(
        enum_column(NudgeStatus, 16), default=NudgeStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    channel_id: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    member: Mapped[Member] = relationship()
    meeting: Mapped[Meeting] = relationship()

    __table_args__ = (
        UniqueConstraint("member_id", "meeting_id", "kind", "seq"),
        Index("ix_nudge_status_due_at", "status", "due_at"),
    )


@dataclass(frozen=True)
class PlannedNudge:
    member: Member
    meeting: Meeting
    kind: NudgeKind
    due_at: datetime  # aware, in the member's zone


def send_day(meeting_day: date, days_before: int, country: str) -> date:
    """The day a nudge goes out: `days_before` the meeting, moved back to a working day."""
    return previous_working_day(meeting_day - timedelta(days=days_before), country)


def plan_member(member: Member, meetings: Iterable[Meeting]) -> Iterator[PlannedNudge]:
    """Every scheduled pre-meeting nudge for one member, at 09:00 in their own zone."""
    network: Network = member.network
    zone = member.zone
    for meeting in meetings:
        meeting_day = meeting.starts_at.astimezone(zone).date()
        for kind, days in DAYS_BEFORE.items():
            due = local_moment(send_day(meeting_day, days, network.country), zone)
            if due < meeting.starts_at:
                yield PlannedNudge(member, meeting, kind, due)


def snooze_until(member: Member, now: datetime, days: int, before: datetime) -> datetime | None:
    """09:00 on the first working day at least `days` days ahead, in the member's zone; None
    when that is not before `before` (the meeting)."""
    today = member.today(now)
    day = next_working_day(today + timedelta(days=days), member.network.country)
    due = local_moment(day, member.zone)
    return due if due < before else None
