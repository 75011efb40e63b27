"""Nudges: when each is due (pure planning from the calendar) and the outbox that records what
was sent, so that each is sent exactly once."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Engine,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    and_,
    func,
    or_,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.base import Base, enum_column, utc_now
from models.calendar import local_moment, next_working_day, previous_working_day
from models.network import Meeting, Member, Network, Role


class NudgeKind(enum.StrEnum):
    PREP_KICKOFF = "prep_kickoff"
    PREP_REMINDER = "prep_reminder"
    PREP_LAST_CALL = "prep_last_call"
    QUESTION_AGENDA = "question_agenda"
    ATTENDANCE = "attendance"
    HEAD_COUNT = "head_count"
    BETWEEN_START = "between_start"
    HALFWAY_SPARRING = "halfway_sparring"
    HALFWAY_FOLLOWUP = "halfway_followup"
    PERIOD_CLOSING = "period_closing"
    READINESS_REPORT = "readiness_report"  # to facilitators, before each meeting
    WEEKLY_DIGEST = "weekly_digest"  # to facilitators, Mondays (meeting_id empty, seq = week)
    # Sent when something happens, not on a schedule (meeting_id is empty, seq names the cause).
    SPARRING_RECEIVED = "sparring_received"
    SPREAD_NOTICE = "spread_notice"
    MEETING_CHANGED = "meeting_changed"  # seq is the MeetingChange id
    SPARRING_DISPUTE = "sparring_dispute"  # to facilitators: a receiver said "not right"
    # An applicant's outcome (seq: application id * 8 + the outcome; models/applications.py).
    APPLICATION_OUTCOME = "application_outcome"
    # After the season's last meeting: should the network continue? (meeting: the last one)
    RENEWAL_VOTE = "renewal_vote"
    RENEWAL_REMINDER = "renewal_reminder"  # before the vote's deadline, to who has not voted
    SEAT_CLAIM = "seat_claim"  # the next season opened: take your seat? (seq: its network id)
    # The claims are settled (seq: the new season's network id): to its facilitators, who took
    # their seat, the free seats and who got one from the wait list; to each claimant, that
    # their seat is confirmed.
    ROLLOVER_REPORT = "rollover_report"
    SEAT_CONFIRMED = "seat_confirmed"
    EXAMPLE_SPARRING = "example_sparring"  # seq is the ExampleSparringAsk id (the library)
    # The bazaar: claimer and giver asked how a claim went (seq is the BazaarClaim id).
    BAZAAR_FOLLOWUP_30 = "bazaar_followup_30"
    BAZAAR_FOLLOWUP_90 = "bazaar_followup_90"


# Days before the meeting (PRODUCT.md's defaults).
DAYS_BEFORE: dict[NudgeKind, int] = {
    NudgeKind.PREP_KICKOFF: 14,
    NudgeKind.PREP_REMINDER: 5,
    NudgeKind.PREP_LAST_CALL: 1,
    NudgeKind.QUESTION_AGENDA: 1,
}
# Preparation nudges in order; a later one that is due supersedes an earlier unsent one.
PREP_SEQUENCE = (NudgeKind.PREP_KICKOFF, NudgeKind.PREP_REMINDER, NudgeKind.PREP_LAST_CALL)
# Working days before the meeting: "are you coming?", and the head count for the organisers.
WORKING_DAYS_BEFORE: dict[NudgeKind, int] = {
    NudgeKind.ATTENDANCE: 3,
    NudgeKind.HEAD_COUNT: 2,
    NudgeKind.READINESS_REPORT: 2,
}
# From a meeting to the next (or to the end of the season).
BETWEEN_KINDS = (
    NudgeKind.BETWEEN_START,
    NudgeKind.HALFWAY_SPARRING,
    NudgeKind.HALFWAY_FOLLOWUP,
    NudgeKind.PERIOD_CLOSING,
)
CLOSING_DAYS_BEFORE = 7
RENEWAL_KINDS = (NudgeKind.RENEWAL_VOTE, NudgeKind.RENEWAL_REMINDER)
MEMBER_KINDS = (*DAYS_BEFORE, NudgeKind.ATTENDANCE, *BETWEEN_KINDS, *RENEWAL_KINDS)
FACILITATOR_KINDS = (NudgeKind.HEAD_COUNT, NudgeKind.READINESS_REPORT)
HOST_KINDS = (NudgeKind.HEAD_COUNT,)  # a meeting's host contact, for their meeting only
EVENT_KINDS = (
    NudgeKind.SPARRING_RECEIVED,
    NudgeKind.SPREAD_NOTICE,
    NudgeKind.MEETING_CHANGED,
    NudgeKind.SPARRING_DISPUTE,
    NudgeKind.APPLICATION_OUTCOME,
    NudgeKind.SEAT_CLAIM,
    NudgeKind.ROLLOVER_REPORT,
    NudgeKind.SEAT_CONFIRMED,
    NudgeKind.EXAMPLE_SPARRING,
)


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
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    kind: Mapped[NudgeKind] = mapped_column(enum_column(NudgeKind, 32))
    seq: Mapped[int] = mapped_column(default=0)
    due_at: Mapped[datetime]
    # Past this moment the nudge makes no sense any more (its meeting began, its period ended).
    stale_at: Mapped[datetime | None]
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
    meeting: Mapped[Meeting | None] = relationship()

    __table_args__ = (
        UniqueConstraint("member_id", "meeting_id", "kind", "seq"),
        # Event notices have no meeting; NULLs never collide in a unique key, so they get one
        # of their own.
        Index(
            "uq_nudge_event",
            "member_id",
            "kind",
            "seq",
            unique=True,
            postgresql_where=text("meeting_id IS NULL"),
            sqlite_where=text("meeting_id IS NULL"),
        ),
        Index("ix_nudge_status_due_at", "status", "due_at"),
    )


@dataclass(frozen=True)
class PlannedNudge:
    member: Member
    meeting: Meeting
    kind: NudgeKind
    due_at: datetime  # aware, in the member's zone
    stale_at: datetime


def send_day(meeting_day: date, days_before: int, country: str) -> date:
    """The day a nudge goes out: `days_before` the meeting, moved back to a working day."""
    return previous_working_day(meeting_day - timedelta(days=days_before), country)


def working_days_before(day: date, n: int, country: str) -> date:
    """The `n`-th working day before `day`."""
    for _ in range(n):
        day = previous_working_day(day - timedelta(days=1), country)
    return day


def period_end(network: Network, meeting: Meeting, next_meeting: Meeting | None) -> datetime:
    """When the period that `meeting` opens ends: the next meeting, or the season's end."""
    if next_meeting is not None:
        return next_meeting.starts_at
    return datetime.combine(network.season_end + timedelta(days=1), time(0), tzinfo=network.zone)


@dataclass(frozen=True)
class Window:
    due: datetime
    stale_at: datetime


def schedule(
    kind: NudgeKind,
    meeting: Meeting,
    next_meeting: Meeting | None,
    network: Network,
    zone: ZoneInfo,
) -> Window | None:
    """When a scheduled nudge about `meeting` is due (09:00 in `zone`, on a working day) and
    when it goes stale; None when it does not fit (say, a period too short for a halfway)."""
    if kind in RENEWAL_KINDS:
        return renewal_window(kind, meeting, next_meeting, network, zone)
    country = network.country
    meeting_day = meeting.starts_at.astimezone(zone).date()
    if kind in DAYS_BEFORE:
        day, stale, after = (
            send_day(meeting_day, DAYS_BEFORE[kind], country),
            meeting.starts_at,
            None,
        )
    elif kind in WORKING_DAYS_BEFORE:
        day = working_days_before(meeting_day, WORKING_DAYS_BEFORE[kind], country)
        stale, after = meeting.starts_at, None
    else:
        # The day after, halfway, a week before the end: each goes stale when the next is due.
        end = period_end(network, meeting, next_meeting)
        end_day = end.astimezone(zone).date()
        start_day = next_working_day(meeting_day + timedelta(days=1), country)
        halfway_day = previous_working_day(meeting_day + (end_day - meeting_day) / 2, country)
        closing_day = previous_working_day(end_day - timedelta(days=CLOSING_DAYS_BEFORE), country)
        after = meeting.ends_at
        if kind is NudgeKind.BETWEEN_START:
            day, stale = start_day, min(local_moment(halfway_day, zone), end)
        elif kind is NudgeKind.PERIOD_CLOSING:
            day, stale = closing_day, end
        else:  # halfway
            day, stale = halfway_day, min(local_moment(closing_day, zone), end)
    due = local_moment(day, zone)
    if due >= stale or (after is not None and due <= after):
        return None
    return Window(due, stale)


def vote_closes(network: Network) -> datetime:
    """Until when the renewal vote is open: its deadline, else the season's end."""
    if network.renewal_deadline is not None:
        return network.renewal_deadline
    return datetime.combine(network.season_end + timedelta(days=1), time(0), tzinfo=network.zone)


def renewal_window(
    kind: NudgeKind,
    meeting: Meeting,
    next_meeting: Meeting | None,
    network: Network,
    zone: ZoneInfo,
) -> Window | None:
    """The renewal vote: 09:00 on the working day after the season's last meeting; its
    reminder: 09:00 the working day before the deadline's day (when a deadline is set). Both
    stale at the deadline."""
    if next_meeting is not None:
        return None  # only after the last meeting
    closes = vote_closes(network)
    after = next_working_day(
        meeting.starts_at.astimezone(zone).date() + timedelta(1), network.country
    )
    asked = local_moment(after, zone)
    if kind is NudgeKind.RENEWAL_VOTE:
        due = asked
    elif network.renewal_deadline is None:
        return None
    else:
        last_day = (closes - timedelta(microseconds=1)).astimezone(zone).date()
        due = local_moment(working_days_before(last_day, 1, network.country), zone)
        if due <= asked:
            return None
    return Window(due, closes) if due < closes else None


def kinds_for(role: Role) -> tuple[NudgeKind, ...]:
    if role is Role.MEMBER:
        return MEMBER_KINDS
    if role is Role.APPLICANT:
        return ()  # told their application's outcome (an event notice), nothing scheduled
    return FACILITATOR_KINDS if role is Role.FACILITATOR else HOST_KINDS


def weekly_digest_window(
    network: Network, zone: ZoneInfo, today: date
) -> tuple[int, Window] | None:
    """This week's digest for a facilitator: 09:00 on the week's first working day (Monday,
    unless it is a holiday), during the season; (week number as yyyyww, window)."""
    monday = today - timedelta(days=today.weekday())
    day = next_working_day(monday, network.country)
    if not network.season_start <= day <= network.season_end:
        return None
    due = local_moment(day, zone)
    year, week, _ = monday.isocalendar()
    return year * 100 + week, Window(due, due + timedelta(days=1))


def plan_member(
    member: Member, meetings: Iterable[Meeting], kinds: Iterable[NudgeKind] | None = None
) -> Iterator[PlannedNudge]:
    """Every scheduled nudge for one person, at 09:00 in their own zone, in time order per
    meeting, by role: MEMBER_KINDS, FACILITATOR_KINDS or HOST_KINDS."""
    if kinds is None:
        kinds = kinds_for(member.role)
    kinds = list(kinds)
    ordered = list(meetings)
    for meeting, following in zip(ordered, [*ordered[1:], None], strict=True):
        if member.role is Role.HOST and meeting.host_contact_id != member.id:
            continue  # a host contact hears only about their own meeting
        for kind in kinds:
            window = schedule(kind, meeting, following, member.network, member.zone)
            if window is not None:
                yield PlannedNudge(member, meeting, kind, window.due, window.stale_at)


def snooze_until(member: Member, now: datetime, days: int, before: datetime) -> datetime | None:
    """09:00 on the first working day at least `days` days ahead, in the member's zone; None
    when that is not before `before` (the meeting)."""
    today = member.today(now)
    day = next_working_day(today + timedelta(days=days), member.network.country)
    due = local_moment(day, member.zone)
    return due if due < before else None


NOTICE_LIFETIME = timedelta(days=14)  # an event notice older than this is not worth sending


def insert_ignoring_duplicates(session: Session, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    bind = session.get_bind()
    assert isinstance(bind, Engine) or hasattr(bind, "dialect")
    dialect = bind.dialect.name
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(Nudge).on_conflict_do_nothing()
    elif dialect == "sqlite":
        stmt = sqlite.insert(Nudge).on_conflict_do_nothing()
    else:  # pragma: no cover - the two supported databases are above
        raise RuntimeError(f"unsupported database {dialect}")
    session.execute(stmt, rows)


def enqueue_notice(
    *,
    session: Session,
    member_id: int,
    kind: NudgeKind,
    ref: int,
    now: datetime,
    stale_at: datetime | None = None,
) -> None:
    """An event notice (someone logged sparring with you, took up your example, a meeting
    moved): into the outbox once per (member, kind, ref); the next pass sends it. It is not
    sent after `stale_at` (default: NOTICE_LIFETIME from now)."""
    insert_ignoring_duplicates(
        session,
        [
            {
                "member_id": member_id,
                "meeting_id": None,
                "kind": kind,
                "seq": ref,
                "due_at": now,
                "stale_at": min(stale_at, now + NOTICE_LIFETIME)
                if stale_at
                else now + NOTICE_LIFETIME,
                "status": NudgeStatus.PENDING,
                "attempts": 0,
                "created_at": now,
            }
        ],
    )


def messages_sent_on(session: Session, member: Member, day: date) -> int:
    """How many Slack messages went to `member` on their local `day` (a bundle counts once)."""
    start = local_moment(day, member.zone, time(0))
    end = local_moment(day + timedelta(days=1), member.zone, time(0))
    rows = session.execute(
        select(Nudge.message_ts, Nudge.id).where(
            Nudge.member_id == member.id,
            Nudge.status == NudgeStatus.SENT,
            Nudge.sent_at >= start,
            Nudge.sent_at < end,
        )
    ).all()
    return len({ts or f"id{nudge_id}" for ts, nudge_id in rows})


def attendance_asked(session: Session, meeting_id: int) -> tuple[datetime | None, bool]:
    """When the "are you coming?" question for a meeting first went out (None: not yet), and
    whether some of it is still to go out."""
    first = session.scalar(
        select(func.min(Nudge.sent_at)).where(
            Nudge.meeting_id == meeting_id,
            Nudge.kind == NudgeKind.ATTENDANCE,
            Nudge.status == NudgeStatus.SENT,
        )
    )
    still_open = session.scalar(
        select(func.count())
        .select_from(Nudge)
        .where(
            Nudge.meeting_id == meeting_id,
            Nudge.kind == NudgeKind.ATTENDANCE,
            Nudge.status.in_([NudgeStatus.PENDING, NudgeStatus.SENDING]),
        )
    )
    return first, bool(still_open)


def unreached_members(
    *, session: Session, network_id: int, since: datetime
) -> list[tuple[Member, int]]:
    """Active members of a network whom messages due since `since` could not reach: Slack
    refused them for good (a closed account) or it was down until they went stale. Each with
    how many messages did not get through; by name."""
    rows = session.execute(
        select(Member, func.count(Nudge.id))
        .join(Nudge, Nudge.member_id == Member.id)
        .where(
            Member.network_id == network_id,
            Member.active.is_(True),
            Nudge.due_at >= since,
            or_(
                Nudge.status == NudgeStatus.FAILED,
                and_(Nudge.status == NudgeStatus.STALE, Nudge.detail.like("unreached:%")),
            ),
        )
        .group_by(Member.id)
        .order_by(Member.name)
    ).all()
    return [(member, int(n)) for member, n in rows]
