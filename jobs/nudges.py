"""The nudge pass: plan what is due, claim it, send it, record it — exactly once.

The scheduler only triggers `run_nudge_pass(now=…)`. What is due is computed from the database
and the calendar; what was sent lives in the outbox (`models.nudges.Nudge`), whose unique key
(member, meeting, kind, seq) means a nudge exists once. Sending is guarded three ways:

1. claim: `UPDATE … SET status='sending' WHERE id IN (…) AND status='pending'` — of two
   instances racing for a row, one wins;
2. record: the Slack message carries metadata with the nudge id, and `sent` is recorded right
   after Slack accepts it;
3. verify before resend: a nudge that was claimed but never recorded (a crash between "sent to
   Slack" and "recorded", or a lost response) is only sent again after the DM's history shows
   no message with its id.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, selectinload, sessionmaker

from handlers.attendance import build_attendance_nudge, build_head_count
from handlers.between import build_between_nudge
from handlers.ids import NUDGE_METADATA_EVENT
from handlers.network import build_digest
from handlers.nudges import build_agenda_nudge, build_meeting_changed, build_prep_nudge
from handlers.sparring import build_dispute_notice, build_sparring_received
from handlers.spread import build_spread_notice
from models.attendance import attendance_of, head_count
from models.network import Meeting, MeetingChange, Member, Network, Role
from models.nudges import (
    DAYS_BEFORE,
    PREP_SEQUENCE,
    Nudge,
    NudgeKind,
    NudgeStatus,
    Window,
    insert_ignoring_duplicates,
    kinds_for,
    period_end,
    plan_member,
    schedule,
    weekly_digest_window,
)
from models.prep import is_away, prep_status, question_agenda

log = logging.getLogger(__name__)

INSTANCE_ID = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
LEASE = timedelta(minutes=10)  # longer than any send, 429 waits included
MAX_ATTEMPTS = 8
CLAIM_BATCH = 200
# A meeting this far ahead can have a nudge due (14 days, pushed back over Easter and weekends).
PLAN_HORIZON = timedelta(days=max(DAYS_BEFORE.values()) + 8)
# Slack errors that are about this one member: retrying will not help.
PERMANENT_ERRORS = frozenset(
    {
        "user_not_found",
        "account_inactive",
        "channel_not_found",
        "user_disabled",
        "cannot_dm_bot",
        "is_archived",
        "not_in_channel",
        "user_is_bot",
    }
)


@dataclass
class PassReport:
    planned: int = 0
    claimed: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    by_kind: dict[tuple[NudgeKind, str], int] = field(default_factory=dict)

    def count(self, outcome: str, kind: NudgeKind) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        self.by_kind[(kind, outcome)] = self.by_kind.get((kind, outcome), 0) + 1

    def of(self, *kinds: NudgeKind) -> dict[str, int]:
        """The outcomes of the nudges of these kinds only."""
        result: dict[str, int] = {}
        for (kind, outcome), n in self.by_kind.items():
            if kind in kinds:
                result[outcome] = result.get(outcome, 0) + n
        return result


# --- planning --------------------------------------------------------------------------------


def plan_due_nudges(*, session: Session, now: datetime) -> int:
    """Put every scheduled nudge that is due by `now` and not stale into the outbox (once).
    Of several due preparation nudges for one meeting only the latest is sent; earlier ones
    are recorded as superseded. A constant number of statements, whatever the number of
    members."""
    networks = session.scalars(select(Network).options(selectinload(Network.meetings))).all()
    # Meetings a nudge can be due for now: coming up soon, or whose period is running.
    live: dict[int, list[tuple[Meeting, Meeting | None]]] = {}
    for network in networks:
        meetings = list(network.meetings)
        pairs = zip(meetings, [*meetings[1:], None], strict=True)
        live[network.id] = [
            (m, nxt)
            for m, nxt in pairs
            if now < m.starts_at <= now + PLAN_HORIZON
            or m.starts_at <= now < period_end(network, m, nxt)
        ]
    meeting_ids = [m.id for pairs in live.values() for m, _ in pairs]
    in_season = [
        n.id
        for n in networks
        if live[n.id] or n.season_start <= now.astimezone(n.zone).date() <= n.season_end
    ]
    if not in_season:
        return 0
    people = session.scalars(
        select(Member).where(Member.network_id.in_(in_season), Member.active.is_(True))
    ).all()
    existing = {
        (member_id, meeting_id, kind)
        for member_id, meeting_id, kind in session.execute(
            select(Nudge.member_id, Nudge.meeting_id, Nudge.kind).where(
                Nudge.meeting_id.in_(meeting_ids), Nudge.seq == 0
            )
        )
    }
    # What is due depends only on the network, the person's zone and their role: work it out
    # once per such group, then only match people against it.
    networks_by_id = {n.id: n for n in networks}
    due_by_group: dict[tuple[int, str, Role], list[tuple[Meeting, NudgeKind, Window, bool]]] = {}

    def due_for(
        network_id: int, zone: ZoneInfo, role: Role
    ) -> list[tuple[Meeting, NudgeKind, Window, bool]]:
        key = (network_id, zone.key, role)
        if key not in due_by_group:
            items = []
            kinds = kinds_for(role)
            for meeting, nxt in live[network_id]:
                due: dict[NudgeKind, Window] = {}
                for kind in kinds:
                    w = schedule(kind, meeting, nxt, networks_by_id[network_id], zone)
                    if w is not None and w.due <= now < w.stale_at:
                        due[kind] = w
                latest_prep = max(
                    (k for k in PREP_SEQUENCE if k in due), key=PREP_SEQUENCE.index, default=None
                )
                for kind, w in due.items():
                    superseded = kind in PREP_SEQUENCE and kind is not latest_prep
                    items.append((meeting, kind, w, superseded))
            due_by_group[key] = items
        return due_by_group[key]

    rows: list[dict[str, Any]] = []
    for person in people:
        for meeting, kind, w, superseded in due_for(person.network_id, person.zone, person.role):
            if person.role is Role.HOST and meeting.host_contact_id != person.id:
                continue  # a host contact hears only about their own meeting
            if (person.id, meeting.id, kind) in existing:
                continue
            rows.append(
                {
                    "member_id": person.id,
                    "meeting_id": meeting.id,
                    "kind": kind,
                    "seq": 0,
                    "due_at": w.due,
                    "stale_at": w.stale_at,
                    "status": NudgeStatus.SUPERSEDED if superseded else NudgeStatus.PENDING,
                    "attempts": 0,
                    "created_at": now,
                }
            )
    for person in people:  # the facilitators' weekly digest
        if person.role is not Role.FACILITATOR:
            continue
        week = weekly_digest_window(
            networks_by_id[person.network_id], person.zone, person.today(now)
        )
        if week is not None and week[1].due <= now < week[1].stale_at:
            rows.append(
                {
                    "member_id": person.id,
                    "meeting_id": None,
                    "kind": NudgeKind.WEEKLY_DIGEST,
                    "seq": week[0],
                    "due_at": week[1].due,
                    "stale_at": week[1].stale_at,
                    "status": NudgeStatus.PENDING,
                    "attempts": 0,
                    "created_at": now,
                }
            )
    insert_ignoring_duplicates(session, rows)
    session.commit()
    return len(rows)


# --- claiming and sending --------------------------------------------------------------------


def claim_due_nudges(*, session: Session, now: datetime, instance: str, limit: int) -> list[int]:
    """Mark up to `limit` due pending nudges as ours; a row another instance claimed first is
    not returned (the UPDATE re-checks `status` under the row lock)."""
    candidates = session.scalars(
        select(Nudge.id)
        .where(
            Nudge.status == NudgeStatus.PENDING,
            Nudge.due_at <= now,
            or_(Nudge.next_attempt_at.is_(None), Nudge.next_attempt_at <= now),
        )
        .order_by(Nudge.due_at, Nudge.id)
        .limit(limit)
    ).all()
    if not candidates:
        return []
    claimed = session.scalars(
        update(Nudge)
        .where(Nudge.id.in_(candidates), Nudge.status == NudgeStatus.PENDING)
        .values(status=NudgeStatus.SENDING, claimed_by=instance, claimed_at=now)
        .returning(Nudge.id)
    ).all()
    session.commit()
    return sorted(claimed)


def _finish(session: Session, nudge: Nudge, status: NudgeStatus, detail: str | None = None) -> str:
    nudge.status = status
    nudge.detail = detail
    session.commit()
    return status.value if detail is None else f"{status.value}:{detail}"


def _message_for(session: Session, nudge: Nudge, now: datetime) -> dict[str, Any] | None:
    """The message for a nudge from the data as it is now; None when there is nothing to say."""
    member, meeting, lang, kind = nudge.member, nudge.meeting, nudge.member.lang, nudge.kind
    if kind is NudgeKind.SPARRING_RECEIVED:
        return build_sparring_received(
            session=session, member=member, receiver_id=nudge.seq, nudge_id=nudge.id
        )
    if kind is NudgeKind.SPARRING_DISPUTE:
        return build_dispute_notice(
            session=session, member=member, receiver_id=nudge.seq, nudge_id=nudge.id
        )
    if kind is NudgeKind.WEEKLY_DIGEST:
        return build_digest(session=session, member=member, meeting=None, now=now)
    if kind is NudgeKind.MEETING_CHANGED:
        change = session.get(MeetingChange, nudge.seq)
        return build_meeting_changed(lang, member=member, change=change, now=now)
    if kind is NudgeKind.SPREAD_NOTICE:
        return build_spread_notice(
            session=session, member=member, action_id=nudge.seq, nudge_id=nudge.id
        )
    assert meeting is not None, f"{kind} needs a meeting"
    if kind is NudgeKind.QUESTION_AGENDA:
        items = question_agenda(session=session, member=member, meeting=meeting)
        return build_agenda_nudge(
            lang, member=member, meeting=meeting, items=items, nudge_id=nudge.id, now=now
        )
    if kind in PREP_SEQUENCE:
        status = prep_status(session=session, member=member, meeting=meeting)
        return build_prep_nudge(
            lang, kind=kind, member=member, status=status, nudge_id=nudge.id, now=now
        )
    if kind is NudgeKind.ATTENDANCE:
        answer = attendance_of(session, member, meeting)
        if answer is not None:
            return None
        return build_attendance_nudge(lang, member=member, meeting=meeting, nudge_id=nudge.id)
    if kind is NudgeKind.READINESS_REPORT:
        return build_digest(session=session, member=member, meeting=meeting, now=now)
    if kind is NudgeKind.HEAD_COUNT:
        return build_head_count(lang, member=member, count=head_count(session, meeting))
    return build_between_nudge(
        session=session, kind=kind, member=member, meeting=meeting, nudge_id=nudge.id, now=now
    )


def _already_in_slack(client: WebClient, nudge: Nudge) -> bool:
    """Whether the DM already holds a message for this nudge (sent, but not recorded)."""
    if not nudge.channel_id:
        return False
    oldest = (nudge.due_at - timedelta(minutes=1)).timestamp()  # it cannot have gone out earlier
    response = client.conversations_history(
        channel=nudge.channel_id, oldest=f"{oldest:.6f}", include_all_metadata=True, limit=200
    )
    messages: list[dict[str, Any]] = response.get("messages", [])
    for message in messages:
        metadata = message.get("metadata") or {}
        if metadata.get("event_type") == NUDGE_METADATA_EVENT and str(
            (metadata.get("event_payload") or {}).get("nudge_id")
        ) == str(nudge.id):
            nudge.message_ts = message.get("ts")
            return True
    return False


def _retry_later(
    session: Session, nudge: Nudge, now: datetime, detail: str, *, counted: bool
) -> str:
    """Back to pending, to be tried again after a growing pause (2, 4, 8, … minutes)."""
    if not counted:
        nudge.attempts += 1
    if nudge.attempts >= MAX_ATTEMPTS:
        return _finish(session, nudge, NudgeStatus.FAILED, f"gave up: {detail}")
    nudge.status = NudgeStatus.PENDING
    nudge.next_attempt_at = now + timedelta(minutes=min(2**nudge.attempts, 60))
    nudge.detail = detail
    session.commit()
    return "retry"


def deliver_nudge(
    *,
    session_factory: sessionmaker[Session],
    client: WebClient,
    nudge_id: int,
    now: datetime,
    instance: str,
) -> str:
    """Send one claimed nudge (or settle it without sending); returns what happened."""
    counted = False  # whether this attempt is already in nudge.attempts
    with session_factory() as session:
        nudge = session.get(Nudge, nudge_id)
        if nudge is None or nudge.status is not NudgeStatus.SENDING or nudge.claimed_by != instance:
            return "not-ours"
        member, meeting = nudge.member, nudge.meeting
        stale_at = nudge.stale_at or (meeting.starts_at if meeting is not None else None)
        if stale_at is not None and stale_at <= now:
            return _finish(session, nudge, NudgeStatus.STALE)
        if not member.active:
            return _finish(session, nudge, NudgeStatus.SKIPPED, "inactive")
        if is_away(member, member.today(now)):
            return _finish(session, nudge, NudgeStatus.SKIPPED, "away")
        try:
            if nudge.attempts and _already_in_slack(client, nudge):
                nudge.sent_at = now
                return _finish(session, nudge, NudgeStatus.SENT, "found in Slack")
            message = _message_for(session, nudge, now)
            if message is None:
                return _finish(session, nudge, NudgeStatus.SKIPPED, "nothing to do")
            if not nudge.channel_id:
                opened = client.conversations_open(users=member.slack_user_id)
                nudge.channel_id = opened["channel"]["id"]
            # Count the attempt before sending, so a crash after this point verifies first.
            nudge.attempts += 1
            session.commit()
            counted = True
            response = client.chat_postMessage(
                channel=nudge.channel_id,
                text=message["text"],
                blocks=message["blocks"],
                metadata={
                    "event_type": NUDGE_METADATA_EVENT,
                    "event_payload": {"nudge_id": nudge.id},
                },
                unfurl_links=False,
                unfurl_media=False,
            )
            nudge.message_ts = response.get("ts")
            nudge.sent_at = now
            return _finish(session, nudge, NudgeStatus.SENT)
        except SlackApiError as exc:
            error = str(exc.response.get("error", "unknown_error"))
            session.rollback()
            nudge = session.get(Nudge, nudge_id)
            assert nudge is not None
            if error in PERMANENT_ERRORS:
                return _finish(session, nudge, NudgeStatus.FAILED, error)
            return _retry_later(session, nudge, now, error, counted=counted)
        except Exception as exc:  # one member's trouble never stops the others
            log.warning("nudge %s: %r; will retry", nudge_id, exc)
            session.rollback()
            nudge = session.get(Nudge, nudge_id)
            assert nudge is not None
            return _retry_later(session, nudge, now, type(exc).__name__, counted=counted)


def release_stuck_nudges(*, session: Session, now: datetime) -> int:
    """Claims older than the lease (an instance died mid-send) go back to pending; delivery
    then checks Slack before sending again."""
    result = session.execute(
        update(Nudge)
        .where(Nudge.status == NudgeStatus.SENDING, Nudge.claimed_at < now - LEASE)
        .values(status=NudgeStatus.PENDING, attempts=Nudge.attempts + 1)
    )
    session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def refresh_time_zones(
    *, session: Session, client: WebClient, now: datetime, limit: int = 50
) -> int:
    """Cache each member's time zone from Slack (users.info), at most weekly per member."""
    stale_before = now - timedelta(days=7)
    members = session.scalars(
        select(Member)
        .where(
            Member.active.is_(True),
            or_(
                Member.slack_timezone_checked_at.is_(None),
                Member.slack_timezone_checked_at < stale_before,
            ),
        )
        .limit(limit)
    ).all()
    for member in members:
        try:
            user = client.users_info(user=member.slack_user_id).get("user") or {}
            member.slack_timezone = user.get("tz") or member.slack_timezone
        except SlackApiError as exc:
            log.info("users.info %s: %s", member.slack_user_id, exc.response.get("error"))
        member.slack_timezone_checked_at = now
    session.commit()
    return len(members)


def run_nudge_pass(
    *,
    session_factory: sessionmaker[Session],
    client: WebClient,
    now: datetime,
    instance: str = INSTANCE_ID,
    refresh_zones: bool = True,
    on_delivered: Callable[[int, str], None] | None = None,
) -> PassReport:
    """One pass: release stale claims, refresh zones, plan, then claim and deliver in batches."""
    report = PassReport()
    with session_factory() as session:
        release_stuck_nudges(session=session, now=now)
        if refresh_zones:
            refresh_time_zones(session=session, client=client, now=now)
        report.planned = plan_due_nudges(session=session, now=now)
    while True:
        with session_factory() as session:
            claimed = claim_due_nudges(
                session=session, now=now, instance=instance, limit=CLAIM_BATCH
            )
        if not claimed:
            break
        report.claimed += len(claimed)
        with session_factory() as session:
            rows = session.execute(select(Nudge.id, Nudge.kind).where(Nudge.id.in_(claimed)))
            kinds = {nudge_id: kind for nudge_id, kind in rows}
        for nudge_id in claimed:
            outcome = deliver_nudge(
                session_factory=session_factory,
                client=client,
                nudge_id=nudge_id,
                now=now,
                instance=instance,
            )
            report.count(outcome.split(":")[0], kinds[nudge_id])
            if on_delivered is not None:
                on_delivered(nudge_id, outcome)
    return report


# --- preview ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewLine:
    local_time: datetime
    member: Member
    kind: NudgeKind
    meeting: Meeting
    status: str  # the outbox status when it exists, else "planned"

    def render(self) -> str:
        who = f"{self.member.name} ({self.member.slack_user_id})"
        return (
            f"{self.local_time:%Y-%m-%d %H:%M} {self.local_time.tzinfo}  {who:<34} "
            f"{self.kind.value:<16} meeting {self.meeting.number}  [{self.status}]"
        )


def preview_nudges(
    *, session: Session, start: date | None = None, end: date | None = None
) -> list[PreviewLine]:
    """Every scheduled nudge whose local send day is within [start, end], with its outbox
    status where it has one. Reads only."""
    members = session.scalars(
        select(Member)
        .where(Member.active.is_(True))
        .options(selectinload(Member.network).selectinload(Network.meetings))
    ).all()
    outbox = {
        (n.member_id, n.meeting_id, n.kind): n.status.value
        for n in session.scalars(select(Nudge).where(Nudge.seq == 0))
    }
    lines = []
    for member in members:
        for planned in plan_member(member, member.network.meetings):
            day = planned.due_at.date()
            if (start and day < start) or (end and day > end):
                continue
            status = outbox.get((member.id, planned.meeting.id, planned.kind), "planned")
            lines.append(PreviewLine(planned.due_at, member, planned.kind, planned.meeting, status))
    lines.sort(key=lambda ln: (ln.local_time, ln.member.name, ln.kind.value))
    return lines
