"""The nudge pass: plan what is due, claim it, send it, record it — exactly once.

The scheduler only triggers `run_nudge_pass(now=…)`. What is due is computed from the database
and the calendar; what was sent lives in the outbox (`models.nudges.Nudge`), whose unique key
(member, meeting, kind, seq) means a nudge exists once. What is due for one member at one moment
goes out as one message (`bundle_messages`). Sending is guarded four ways:

1. claim: `UPDATE … SET status='sending', claimed_by=<token> WHERE … AND status='pending'` —
   of two instances racing for a row, one wins; small batches, a member's rows together;
2. fence: right before each send, one transaction renews the claim's lease and counts the
   attempt only if the rows still carry the claim's token (a stalled sender sends nothing);
3. record: the message carries its rows' ids (its tags), and they are recorded `sent`
   together right after the platform accepts it (whoever holds them by then);
4. verify before resend: a row with a counted attempt (a lost or late answer, a 5xx, a crash
   between "posted" and "recorded") is only sent again after the conversation shows no
   message carrying it. The messenger never retries by itself.

Everything here is platform-neutral: it sends through a `Messenger` (jobs/messenger.py) and
acts on its typed outcomes; jobs/slack_messenger.py speaks Slack's Web API.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, bindparam, func, or_, select, update
from sqlalchemy.orm import Session, joinedload, selectinload, sessionmaker

from handlers import conversation as c
from handlers.applications import build_outcome
from handlers.attendance import build_attendance_nudge, build_head_count
from handlers.bazaar import build_follow_up
from handlers.between import build_between_nudge
from handlers.briefs import with_colleague_prompt
from handlers.calendar import with_invitation
from handlers.catalogue import surface
from handlers.library import build_sparring_ask
from handlers.network import build_digest
from handlers.nudges import build_agenda_nudge, build_meeting_changed, build_prep_nudge
from handlers.renewal import claim_message, renewal_message, rollover_report, seat_confirmed
from handlers.sparring import (
    build_dispute_notice,
    build_sparring_received,
    dispute_notice_facts,
    sparring_received_facts,
)
from handlers.spread import build_spread_notice, spread_notice_facts
from jobs.messenger import (
    Ambiguous,
    CannotLook,
    Failure,
    Message,
    Messenger,
    MessengerError,
    RateLimited,
    Refused,
    Sent,
)
from models.applications import fee_of, outcome_of
from models.attendance import attendance_of, head_count
from models.bazaar import follow_up_facts
from models.calendar import local_moment, next_working_day
from models.db import core_connection
from models.library import sparring_ask_facts
from models.network import Meeting, MeetingChange, Member, Network, Role
from models.nudges import (
    BETWEEN_KINDS,
    DAYS_BEFORE,
    PREP_SEQUENCE,
    Nudge,
    NudgeKind,
    NudgeStatus,
    Window,
    attendance_asked,
    insert_ignoring_duplicates,
    kinds_for,
    messages_sent_on,
    period_end,
    plan_member,
    schedule,
    weekly_digest_window,
)
from models.prep import is_away, prep_status, question_agenda
from models.renewal import settle_due_claims

log = logging.getLogger(__name__)

INSTANCE_ID = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
# A claim lasts this long unless renewed; every send renews it first (the fence), and one send
# is bounded by the client's timeout (no blind retries, no 429 waits inside a call).
LEASE = timedelta(minutes=10)
CLAIM_BATCH = 20  # members claimed at once; halved after a 429, so a claim never waits long
MAX_PAUSE = timedelta(seconds=30)  # the longest a pass waits for Slack's Retry-After
MAX_MESSAGES_PER_DAY = 3  # to one person; the rest waits for the next working day
BUNDLE_DIVIDER = "nudge_part_"  # block id of the divider before each further topic of a bundle
# A meeting this far ahead can have a nudge due (14 days, pushed back over Easter and weekends).
PLAN_HORIZON = timedelta(days=max(DAYS_BEFORE.values()) + 8)


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


@dataclass(frozen=True, slots=True)
class _Planned:
    """What planning needs of a person (Member.zone's rule, without loading the Member)."""

    id: int
    network_id: int
    role: Role
    zone: ZoneInfo


def _zone(name: str | None, network: Network) -> ZoneInfo:
    return ZoneInfo(name) if name else network.zone


# The planner's statements, built once: the pass runs every minute.
_NETWORKS = select(Network).options(joinedload(Network.meetings))
_PEOPLE = select(
    Member.id, Member.network_id, Member.role, Member.timezone, Member.slack_timezone
).where(Member.network_id.in_(bindparam("networks", expanding=True)), Member.active.is_(True))
# What is in the outbox already of what could be due: the live meetings' nudges, and this
# week's digests (without them, every pass of a digest's day would write its rows again).
_EXISTING = select(Nudge.member_id, Nudge.meeting_id, Nudge.kind, Nudge.seq).where(
    or_(
        and_(Nudge.meeting_id.in_(bindparam("meetings", expanding=True)), Nudge.seq == 0),
        and_(
            Nudge.kind == NudgeKind.WEEKLY_DIGEST,
            Nudge.seq.in_(bindparam("weeks", expanding=True)),
        ),
    )
)
_Key = tuple[int, int | None, NudgeKind, int]  # member, meeting, kind, seq: the outbox's key


def _live_meetings(
    networks: Sequence[Network], now: datetime
) -> dict[int, list[tuple[Meeting, Meeting | None]]]:
    """Per network, the meetings a nudge can be due for now (each with the meeting after it):
    coming up soon, or whose period is running."""
    live: dict[int, list[tuple[Meeting, Meeting | None]]] = {}
    for network in networks:
        meetings = list(network.meetings)
        pairs = zip(meetings, [*meetings[1:], None][: len(meetings)], strict=True)
        live[network.id] = [
            (m, nxt)
            for m, nxt in pairs
            if now < m.starts_at <= now + PLAN_HORIZON
            or m.starts_at <= now < period_end(network, m, nxt)
        ]
    return live


_Due = tuple[Meeting, NudgeKind, Window, bool]  # meeting, kind, window, superseded


class _DueByGroup:
    """What is due depends only on the network, the person's zone and their role: work it out
    once per such group, then only match people against it."""

    def __init__(
        self,
        *,
        live: dict[int, list[tuple[Meeting, Meeting | None]]],
        networks_by_id: dict[int, Network],
        now: datetime,
    ) -> None:
        self._live = live
        self._networks_by_id = networks_by_id
        self._now = now
        self._cache: dict[tuple[int, str, Role], list[_Due]] = {}

    def __call__(self, person: _Planned) -> list[_Due]:
        key = (person.network_id, person.zone.key, person.role)
        if key not in self._cache:
            self._cache[key] = [
                item
                for meeting, nxt in self._live[person.network_id]
                for item in self._due_for_meeting(person, meeting, nxt)
            ]
        return self._cache[key]

    def _due_for_meeting(
        self, person: _Planned, meeting: Meeting, nxt: Meeting | None
    ) -> list[_Due]:
        network = self._networks_by_id[person.network_id]
        due: dict[NudgeKind, Window] = {}
        for kind in kinds_for(person.role):
            w = schedule(kind, meeting, nxt, network, person.zone)
            if w is not None and w.due <= self._now < w.stale_at:
                due[kind] = w
        latest_prep = max(
            (k for k in PREP_SEQUENCE if k in due), key=PREP_SEQUENCE.index, default=None
        )
        return [
            (meeting, kind, w, kind in PREP_SEQUENCE and kind is not latest_prep)
            for kind, w in due.items()
        ]


class _Candidate(NamedTuple):
    """A nudge that is due now, before the outbox is asked whether it has it already."""

    key: _Key
    window: Window
    status: NudgeStatus

    def row(self, now: datetime) -> dict[str, Any]:
        member_id, meeting_id, kind, seq = self.key
        return {
            "member_id": member_id,
            "meeting_id": meeting_id,
            "kind": kind,
            "seq": seq,
            "due_at": self.window.due,
            "stale_at": self.window.stale_at,
            "status": self.status,
            "attempts": 0,
            "created_at": now,
        }


def _meeting_candidates(people: list[_Planned], due_for: _DueByGroup) -> list[_Candidate]:
    due = []
    for person in people:
        for meeting, kind, w, superseded in due_for(person):
            if person.role is Role.HOST and meeting.host_contact_id != person.id:
                continue  # a host contact hears only about their own meeting
            status = NudgeStatus.SUPERSEDED if superseded else NudgeStatus.PENDING
            due.append(_Candidate((person.id, meeting.id, kind, 0), w, status))
    return due


def _digest_candidates(
    people: list[_Planned], networks_by_id: dict[int, Network], now: datetime
) -> list[_Candidate]:
    """The facilitators' weekly digest, when its window is open."""
    due = []
    for person in people:
        if person.role is not Role.FACILITATOR:
            continue
        week = weekly_digest_window(
            networks_by_id[person.network_id], person.zone, now.astimezone(person.zone).date()
        )
        if week is not None and week[1].due <= now < week[1].stale_at:
            key = (person.id, None, NudgeKind.WEEKLY_DIGEST, week[0])
            due.append(_Candidate(key, week[1], NudgeStatus.PENDING))
    return due


def plan_due_nudges(*, session: Session, now: datetime) -> int:
    """Put every scheduled nudge that is due by `now` and not stale into the outbox (once).
    Of several due preparation nudges for one meeting only the latest is sent; earlier ones
    are recorded as superseded. A constant number of statements, whatever the number of
    members, and no write (no transaction to commit) when everything due is in the outbox."""
    everything = session.scalars(_NETWORKS).unique().all()
    if settle_due_claims(session=session, networks=everything, now=now):
        session.commit()  # a season rolled over: its previous season plans nothing more
    # A season the next one has taken over is closed: nothing more is planned for it.
    networks = [n for n in everything if n.closed_at is None]
    live = _live_meetings(networks, now)
    meeting_ids = [m.id for pairs in live.values() for m, _ in pairs]
    in_season = [
        n.id
        for n in networks
        if live[n.id] or n.season_start <= now.astimezone(n.zone).date() <= n.season_end
    ]
    if not in_season:
        return 0
    networks_by_id = {n.id: n for n in networks}
    # Plain rows, not Member objects: a pass runs every minute and most find nothing new.
    people = [
        _Planned(member_id, network_id, role, _zone(own or slack, networks_by_id[network_id]))
        for member_id, network_id, role, own, slack in core_connection(session).execute(
            _PEOPLE, {"networks": in_season}
        )
    ]
    due_for = _DueByGroup(live=live, networks_by_id=networks_by_id, now=now)
    due = _meeting_candidates(people, due_for) + _digest_candidates(people, networks_by_id, now)
    if not due:
        return 0
    weeks = sorted({c.key[3] for c in due if c.key[2] is NudgeKind.WEEKLY_DIGEST})
    existing = {
        tuple(row)
        for row in core_connection(session).execute(
            _EXISTING, {"meetings": meeting_ids, "weeks": weeks}
        )
    }
    rows = [c.row(now) for c in due if c.key not in existing]
    if not rows:
        return 0  # the usual pass: everything due is in the outbox; nothing written
    insert_ignoring_duplicates(session, rows)
    session.commit()
    return len(rows)


# --- claiming and sending --------------------------------------------------------------------


class PassClock:
    """The pass's clock: the moment it was started with, moving on with the real time spent.
    Leases, fences and back-offs read it, so a long pass never stamps an old time."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self._t0 = time.monotonic()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self._t0)


def new_claim_token(instance: str) -> str:
    """A token naming one claim (one batch of one pass of one instance); the fence checks it."""
    return f"{instance[:50]}#{uuid.uuid4().hex[:12]}"


def _due(now: datetime | ColumnElement[Any]) -> Any:
    return and_(
        Nudge.status == NudgeStatus.PENDING,
        Nudge.due_at <= now,
        or_(Nudge.next_attempt_at.is_(None), Nudge.next_attempt_at <= now),
    )


# Built once: a pass runs every minute, and most passes find nothing due.
_DUE_MEMBERS = (
    select(Nudge.member_id)
    .where(_due(bindparam("now")))
    .group_by(Nudge.member_id)
    .order_by(func.min(Nudge.due_at), Nudge.member_id)
    .limit(bindparam("limit"))
)


def claim_due_nudges(*, session: Session, now: datetime, instance: str, limit: int) -> list[int]:
    """Mark as ours (`instance` is the claim token) every due pending nudge of up to `limit`
    members, the longest-waiting first; a member's due nudges are claimed together, to go out
    as one message. A row another instance claimed first is not returned (the UPDATE
    re-checks `status` under the row lock)."""
    members = core_connection(session).scalars(_DUE_MEMBERS, {"now": now, "limit": limit}).all()
    if not members:
        return []
    claimed = session.scalars(
        update(Nudge)
        .where(Nudge.member_id.in_(members), _due(now))
        .values(status=NudgeStatus.SENDING, claimed_by=instance, claimed_at=now)
        .returning(Nudge.id)
    ).all()
    session.commit()
    return sorted(claimed)


def _fence(session: Session, ids: list[int], token: str, now: datetime, channel: str) -> bool:
    """Right before a send, in one transaction: renew the lease of everything this claim still
    holds, and count the attempt (so whoever comes next looks in Slack first) — of `ids` only
    if the claim still holds them all. A sender whose claim was taken back (it stalled past the
    lease) learns it here and sends nothing."""
    session.execute(
        update(Nudge)
        .where(Nudge.claimed_by == token, Nudge.status == NudgeStatus.SENDING)
        .values(claimed_at=now)
    )
    counted = session.execute(
        update(Nudge)
        .where(Nudge.id.in_(ids), Nudge.claimed_by == token, Nudge.status == NudgeStatus.SENDING)
        .values(attempts=Nudge.attempts + 1, channel_id=channel)
        .execution_options(synchronize_session=False)
    )
    if int(counted.rowcount or 0) != len(ids):  # type: ignore[attr-defined]
        session.rollback()
        return False
    session.commit()
    return True


def _record_sent(
    session: Session, ids: list[int], *, channel: str, ts: str | None, now: datetime, detail: str
) -> int:
    """Record the rows of one Slack message as sent, together (one transaction). Whoever holds
    them now: the message is in Slack, so no one may send them again."""
    result = session.execute(
        update(Nudge)
        .where(Nudge.id.in_(ids), Nudge.status.in_([NudgeStatus.SENDING, NudgeStatus.PENDING]))
        .values(
            status=NudgeStatus.SENT,
            sent_at=now,
            channel_id=channel,
            message_ts=ts,
            detail=detail or None,
        )
    )
    session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# --- what each kind of nudge says --------------------------------------------------------------
# A builder makes a nudge's message from the data as it is now (None: nothing to say). A new
# kind of nudge adds its builder here (a test checks that every kind has one).

Built = Message | None
Builder = Callable[[Session, Nudge, datetime], Built]


def _meeting(nudge: Nudge) -> Meeting:
    assert nudge.meeting is not None, f"{nudge.kind} needs a meeting"
    return nudge.meeting


def _sparring_received(session: Session, nudge: Nudge, now: datetime) -> Built:
    member = nudge.member
    receiver = sparring_received_facts(session=session, member=member, receiver_id=nudge.seq)
    if receiver is None:  # undone in the meantime
        return None
    return build_sparring_received(member.lang, receiver=receiver, nudge_id=nudge.id)


def _sparring_dispute(session: Session, nudge: Nudge, now: datetime) -> Built:
    member = nudge.member
    receiver = dispute_notice_facts(session=session, member=member, receiver_id=nudge.seq)
    if receiver is None:  # settled already
        return None
    return build_dispute_notice(member.lang, receiver=receiver)


def _weekly_digest(session: Session, nudge: Nudge, now: datetime) -> Built:
    return build_digest(session=session, member=nudge.member, meeting=None, now=now)


def _readiness_report(session: Session, nudge: Nudge, now: datetime) -> Built:
    return build_digest(session=session, member=nudge.member, meeting=_meeting(nudge), now=now)


def _meeting_changed(session: Session, nudge: Nudge, now: datetime) -> Built:
    change = session.get(MeetingChange, nudge.seq)
    lang = nudge.member.lang
    message = build_meeting_changed(lang, member=nudge.member, change=change, now=now)
    return with_invitation(message, lang, change.meeting, now) if change else None


def _spread_notice(session: Session, nudge: Nudge, now: datetime) -> Built:
    member = nudge.member
    row = spread_notice_facts(session=session, member=member, action_id=nudge.seq)
    if row is None:  # not theirs, or they turned these notices off
        return None
    return build_spread_notice(member.lang, row=row, nudge_id=nudge.id)


def _example_sparring(session: Session, nudge: Nudge, now: datetime) -> Built:
    member = nudge.member
    ask = sparring_ask_facts(session=session, member=member, ask_id=nudge.seq)
    if ask is None:  # the asker was erased, or the example is no longer theirs
        return None
    return build_sparring_ask(member.lang, ask=ask)


def _bazaar_follow_up(session: Session, nudge: Nudge, now: datetime) -> Built:
    member = nudge.member
    claim = follow_up_facts(session=session, member=member, claim_id=nudge.seq)
    if claim is None:  # gone, or someone in it was erased
        return None
    return build_follow_up(member.lang, member=member, claim=claim, kind=nudge.kind)


def _question_agenda(session: Session, nudge: Nudge, now: datetime) -> Built:
    member, meeting = nudge.member, _meeting(nudge)
    items = question_agenda(session=session, member=member, meeting=meeting)
    return build_agenda_nudge(
        member.lang, member=member, meeting=meeting, items=items, nudge_id=nudge.id, now=now
    )


def _prep(session: Session, nudge: Nudge, now: datetime) -> Built:
    member = nudge.member
    status = prep_status(session=session, member=member, meeting=_meeting(nudge))
    message = build_prep_nudge(
        member.lang, kind=nudge.kind, member=member, status=status, nudge_id=nudge.id, now=now
    )
    if nudge.kind is NudgeKind.PREP_KICKOFF:  # the kick-off brings the meeting's invitation
        return with_invitation(message, member.lang, status.meeting, now)
    return message


def _attendance(session: Session, nudge: Nudge, now: datetime) -> Built:
    member, meeting = nudge.member, _meeting(nudge)
    if attendance_of(session, member, meeting) is not None:
        return None  # answered already
    return build_attendance_nudge(member.lang, member=member, meeting=meeting, nudge_id=nudge.id)


def _renewal(session: Session, nudge: Nudge, now: datetime) -> Built:
    return renewal_message(session=session, nudge=nudge, now=now)


def _seat_claim(session: Session, nudge: Nudge, now: datetime) -> Built:
    return claim_message(session=session, nudge=nudge, now=now)


def _rollover_report(session: Session, nudge: Nudge, now: datetime) -> Built:
    return rollover_report(session=session, nudge=nudge, now=now)


def _seat_confirmed(session: Session, nudge: Nudge, now: datetime) -> Built:
    return seat_confirmed(session=session, nudge=nudge, now=now)


def _head_count(session: Session, nudge: Nudge, now: datetime) -> Built:
    meeting = _meeting(nudge)
    return build_head_count(
        nudge.member.lang, member=nudge.member, count=head_count(session, meeting)
    )


def _between(session: Session, nudge: Nudge, now: datetime) -> Built:
    message = build_between_nudge(
        session=session,
        kind=nudge.kind,
        member=nudge.member,
        meeting=_meeting(nudge),
        nudge_id=nudge.id,
        now=now,
    )
    if nudge.kind is NudgeKind.BETWEEN_START:  # and what did the colleague bring back?
        return with_colleague_prompt(message, session, nudge.member, _meeting(nudge))
    return message


def _application_outcome(session: Session, nudge: Nudge, now: datetime) -> Built:
    row = outcome_of(session, nudge.seq)
    if row is None:  # decided otherwise before it went out: the later outcome is told
        return None
    return build_outcome(nudge.member.lang, row=row, fee=fee_of(session, row))


MESSAGE_BUILDERS: dict[NudgeKind, Builder] = {
    **dict.fromkeys(PREP_SEQUENCE, _prep),
    NudgeKind.QUESTION_AGENDA: _question_agenda,
    NudgeKind.ATTENDANCE: _attendance,
    NudgeKind.HEAD_COUNT: _head_count,
    **dict.fromkeys(BETWEEN_KINDS, _between),
    NudgeKind.READINESS_REPORT: _readiness_report,
    NudgeKind.WEEKLY_DIGEST: _weekly_digest,
    NudgeKind.SPARRING_RECEIVED: _sparring_received,
    NudgeKind.SPREAD_NOTICE: _spread_notice,
    NudgeKind.MEETING_CHANGED: _meeting_changed,
    NudgeKind.SPARRING_DISPUTE: _sparring_dispute,
    NudgeKind.APPLICATION_OUTCOME: _application_outcome,
    NudgeKind.RENEWAL_VOTE: _renewal,
    NudgeKind.RENEWAL_REMINDER: _renewal,
    NudgeKind.SEAT_CLAIM: _seat_claim,
    NudgeKind.ROLLOVER_REPORT: _rollover_report,
    NudgeKind.SEAT_CONFIRMED: _seat_confirmed,
    NudgeKind.EXAMPLE_SPARRING: _example_sparring,
    NudgeKind.BAZAAR_FOLLOWUP_30: _bazaar_follow_up,
    NudgeKind.BAZAAR_FOLLOWUP_90: _bazaar_follow_up,
}


def _message_for(session: Session, nudge: Nudge, now: datetime, on: str = "slack") -> Built:
    """The message for a nudge from the data as it is now, its text built for surface `on`
    (the messenger's platform); None when there is nothing to say."""
    with surface(on):
        return MESSAGE_BUILDERS[nudge.kind](session, nudge, now)


@dataclass
class Outgoing:
    """One message: the outbox rows it carries, and the neutral message carrying them."""

    ids: list[int]
    message: Message


def bundle_messages(
    parts: list[tuple[int, Message]], fits: Callable[[Message], bool]
) -> list[Outgoing]:
    """What is due for one member at one moment as one message: each nudge's own message (as
    its builder made it) one after another, a divider between topics, one line of summary per
    topic. A topic joins the message before it only if the two still `fits` in one message
    of the platform; else it starts the next message: split between topics, never cut.

    Why ask `fits` (the messenger's: it renders the bundle as it would post it) instead of
    counting parts here: the limits are the platform's (Slack: 50 blocks and 3,000 characters
    of fallback text; a Teams card has others), and only its renderer knows what a part
    becomes (ten facts are one Slack section, twelve are two). The bundle stays neutral until
    the messenger posts it. A topic alone always goes: each builder keeps its own message
    within the limits."""
    out: list[Outgoing] = []
    for nudge_id, message in parts:
        current = out[-1] if out else None
        if current is not None:
            joined = _joined(current.message, message, len(current.ids) + 1)
            if fits(joined):
                current.ids.append(nudge_id)
                current.message = joined
                continue
        out.append(
            Outgoing(
                [nudge_id],
                Message(
                    message.summary,
                    list(message.parts),
                    list(message.files),
                    list(message.pictures),
                ),
            )
        )
    return out


def _joined(before: Message, topic: Message, n: int) -> Message:
    """`topic` after `before`, a divider (block `nudge_part_<n>`) between them."""
    return Message(
        before.summary + "\n" + topic.summary,
        [
            *before.parts,
            c.Divider(block=f"{BUNDLE_DIVIDER}{n}"),
            *_unique_block_ids(before.parts, topic.parts),
        ],
        [*before.files, *(f for f in topic.files if f.name not in {b.name for b in before.files})],
        [*before.pictures, *topic.pictures],
    )


def _unique_block_ids(before: list[c.Part], parts: list[c.Part]) -> list[c.Part]:
    """`parts` with block names that do not repeat one in `before` (Slack refuses a message
    with a block id twice; the buttons answer by their action id and value, not block id)."""
    taken = {p.block for p in before} - {None}
    result = []
    for part in parts:
        block = part.block
        if block is not None and block in taken:
            n = 2
            while f"{block}_{n}" in taken:
                n += 1
            part = replace(part, block=f"{block}_{n}")
        if part.block is not None:
            taken.add(part.block)
        result.append(part)
    return result


def _backoff(attempts: int) -> timedelta:
    """2, 4, 8, … minutes, at most an hour: never earlier than the verify delay."""
    return timedelta(minutes=min(2 ** max(attempts, 1), 60))


def _set_rows(session: Session, ids: list[int], **values: Any) -> None:
    if ids:
        session.execute(update(Nudge).where(Nudge.id.in_(ids)).values(**values))
        session.commit()


@dataclass
class Delivery:
    """What happened to the rows of one member's bundle, and whether Slack asked us to wait."""

    outcomes: list[tuple[int, NudgeKind, str]] = field(default_factory=list)
    rate_limited: float | None = None  # seconds, from Retry-After

    def add(self, nudge: Nudge, outcome: str) -> None:
        self.outcomes.append((nudge.id, nudge.kind, outcome))


def _settle(session: Session, nudge: Nudge, status: NudgeStatus, detail: str | None) -> str:
    nudge.status = status
    nudge.detail = detail
    return status.value if detail is None else f"{status.value}:{detail}"


def _head_count_wait(session: Session, nudge: Nudge, now: datetime) -> datetime | None:
    """For a head count: when it may go out — a working day after the attendance question it
    counts was first asked (None: now). Without a question asked at all it waits for one."""
    meeting = nudge.meeting
    assert meeting is not None
    first, still_open = attendance_asked(session, meeting.id)
    country = nudge.member.network.country
    zone = nudge.member.zone
    if first is None:
        # Not asked yet: wait while the question is still to go out; if no one needed
        # asking (all answered already), count now.
        return now + timedelta(hours=1) if still_open else None
    else:
        day = next_working_day(first.astimezone(zone).date() + timedelta(days=1), country)
        ready = max(first + timedelta(days=1), local_moment(day, zone))
    return ready if ready > now else None


def _claimed_rows(session: Session, ids: list[int], token: str, done: Delivery) -> list[Nudge]:
    """The rows of `ids` this claim still holds; the others are noted as not ours."""
    rows = []
    for nudge in session.scalars(select(Nudge).where(Nudge.id.in_(ids)).order_by(Nudge.id)):
        if nudge.status is NudgeStatus.SENDING and nudge.claimed_by == token:
            rows.append(nudge)
        else:
            done.add(nudge, "not-ours")
    return rows


def _hold_back(session: Session, member: Member, nudge: Nudge, now: datetime) -> str | None:
    """Settle or defer a claimed nudge that should not go out now, and say how (None: send)."""
    stale_at = nudge.stale_at or (nudge.meeting.starts_at if nudge.meeting is not None else None)
    if stale_at is not None and stale_at <= now:
        # Tried and never through (a long outage): the facilitators hear of it.
        detail = f"unreached: {nudge.detail}" if nudge.detail else None
        return _settle(session, nudge, NudgeStatus.STALE, detail)
    if not member.active:
        return _settle(session, nudge, NudgeStatus.SKIPPED, "inactive")
    if member.network.closed_at is not None:  # the next season took over: nothing more
        return _settle(session, nudge, NudgeStatus.SKIPPED, "season closed")
    if is_away(member, member.today(now)):
        return _settle(session, nudge, NudgeStatus.SKIPPED, "away")
    if nudge.kind is NudgeKind.HEAD_COUNT and (wait := _head_count_wait(session, nudge, now)):
        if stale_at is not None and wait >= stale_at:
            # Moved too close: a count now would count unanswered questions.
            return _settle(session, nudge, NudgeStatus.SKIPPED, "too soon")
        nudge.status, nudge.next_attempt_at = NudgeStatus.PENDING, wait
        return "deferred"
    return None


def _defer_over_daily_cap(
    session: Session, member: Member, live: list[Nudge], now: datetime, done: Delivery
) -> list[Nudge]:
    """At most MAX_MESSAGES_PER_DAY messages a day to one person; the rest waits for the next
    working day (unless it would be stale by then: then it goes now). Returns what goes now."""
    today = member.today(now)
    if messages_sent_on(session, member, today) < MAX_MESSAGES_PER_DAY:
        return live
    day = next_working_day(today + timedelta(days=1), member.network.country)
    later = local_moment(day, member.zone)
    going = []
    for nudge in live:
        if nudge.stale_at is None or later < nudge.stale_at:
            nudge.status, nudge.next_attempt_at = NudgeStatus.PENDING, later
            done.add(nudge, "deferred")
        else:
            going.append(nudge)
    session.commit()
    return going


def _send_guarded(
    session: Session,
    messenger: Messenger,
    member: Member,
    live: list[Nudge],
    done: Delivery,
    token: str,
    clock: PassClock,
    now: datetime,
) -> tuple[Failure, list[int]] | None:
    """`_send`, with any trouble turned into a failure outcome: one member's trouble never
    stops the others."""
    try:
        return _send(session, messenger, member, live, done, token, clock, now)
    except MessengerError as exc:  # opening the DM or looking in it failed
        return exc.outcome, []
    except Exception as exc:
        log.warning("nudges %s: %r; will retry", [n.id for n in live], exc)
        return Ambiguous(type(exc).__name__), []


def deliver_member(
    *,
    session_factory: sessionmaker[Session],
    messenger: Messenger,
    ids: list[int],
    clock: PassClock,
    token: str,
) -> Delivery:
    """Send one member's claimed nudges as one message (or settle them without sending)."""
    done = Delivery()
    now = clock.now()
    with session_factory() as session:
        rows = _claimed_rows(session, ids, token, done)
        if not rows:
            return done
        member = rows[0].member
        live: list[Nudge] = []
        for nudge in rows:
            held = _hold_back(session, member, nudge, now)
            if held is None:
                live.append(nudge)
            else:
                done.add(nudge, held)
        session.commit()
        if live:
            live = _defer_over_daily_cap(session, member, live, now, done)
        if not live:
            return done
        failed = _send_guarded(session, messenger, member, live, done, token, clock, now)
        if failed is None:
            return done
        outcome, in_flight = failed
        session.rollback()
        if isinstance(outcome, RateLimited) and in_flight:
            # The platform took nothing: not a possible send.
            _set_rows(session, in_flight, attempts=Nudge.attempts - 1)
        _after_failure(session, done, ids, token, clock.now(), outcome)
    return done


UNCONFIRMED = "unconfirmed"  # the detail of a row that may or may not have arrived


def _send(
    session: Session,
    messenger: Messenger,
    member: Member,
    live: list[Nudge],
    done: Delivery,
    token: str,
    clock: PassClock,
    now: datetime,
) -> tuple[Failure, list[int]] | None:
    """Deliver `live` (one member's claimed rows) as few messages as fit: look first for those
    tried before, build the rest, post each message behind the fence and record it. None when
    all is done; else how a post failed and the rows of that message."""
    messenger = messenger.route(member)  # the platform this member is reached on
    conversation = next((n.channel_id for n in live if n.channel_id), None)
    if any(n.attempts for n in live):
        conversation = _drop_found_posted(session, messenger, member, live, done, clock)
        if not live:
            return None
    parts = _build_parts(session, live, done, now, messenger.surface)
    if not parts:
        return None
    if not conversation:
        conversation = messenger.open_conversation(member)
    by_id = {n.id: n for n in live}
    for outgoing in bundle_messages(parts, messenger.fits):
        outcome = _post_one(session, messenger, conversation, outgoing, token, clock)
        if not isinstance(outcome, str):
            return outcome, outgoing.ids
        for nudge_id in outgoing.ids:
            done.add(by_id[nudge_id], outcome)
    return None


def _post_one(
    session: Session,
    messenger: Messenger,
    conversation: str,
    outgoing: Outgoing,
    token: str,
    clock: PassClock,
) -> str | Failure:
    """Post one message behind the fence and record its rows sent: "sent", "not-ours" (the
    fence failed: nothing was posted), or how the post failed."""
    if not _fence(session, outgoing.ids, token, clock.now(), conversation):
        return "not-ours"
    receipt = messenger.post(conversation, outgoing.message, outgoing.ids)
    if not isinstance(receipt, Sent):
        return receipt
    recorded = _record_sent(
        session, outgoing.ids, channel=conversation, ts=receipt.ref, now=clock.start, detail=""
    )
    if recorded != len(outgoing.ids):
        log.warning("nudges %s were recorded by someone else", outgoing.ids)
    return "sent"


def _unconfirmed(session: Session, tried: list[Nudge], live: list[Nudge], done: Delivery) -> None:
    """Rows tried before on a platform that cannot show what was posted: the member may have
    the message, so it is not sent again (at most once); each is settled failed, "unconfirmed",
    for a person to look at."""
    for nudge in tried:
        log.warning(
            "nudge %s to member %s may or may not have arrived (the platform's answer was "
            "lost, and it cannot be asked): not sent again",
            nudge.id,
            nudge.member_id,
        )
        done.add(nudge, _settle(session, nudge, NudgeStatus.FAILED, UNCONFIRMED))
        live.remove(nudge)
    session.commit()


def _drop_found_posted(
    session: Session,
    messenger: Messenger,
    member: Member,
    live: list[Nudge],
    done: Delivery,
    clock: PassClock,
) -> str:
    """A nudge tried before may be posted already (a lost answer, a crash, a stalled
    instance): look in the conversation before sending again. What is found there is recorded
    sent and taken out of `live`. Returns the conversation looked in."""
    conversation = next((n.channel_id for n in live if n.channel_id), None)
    if not conversation:  # e.g. after a restore: find the conversation to look in
        conversation = messenger.open_conversation(member)
    tried = [n for n in live if n.attempts]
    try:
        found = messenger.find_posted(
            conversation, [n.id for n in tried], min(n.due_at for n in tried)
        )
    except CannotLook:  # the platform cannot show what was posted: never send twice
        _unconfirmed(session, tried, live, done)
        found = {}
    seen = [n for n in tried if n.id in found]
    for nudge in seen:
        done.add(nudge, "sent")
        live.remove(nudge)
    for ref in {found[n.id] for n in seen}:
        group = [n.id for n in seen if found[n.id] == ref]
        _record_sent(
            session, group, channel=conversation, ts=ref, now=clock.start, detail="found posted"
        )
    return conversation


def _build_parts(
    session: Session, live: list[Nudge], done: Delivery, now: datetime, surface: str
) -> list[tuple[int, Message]]:
    """Each live nudge's message as it reads now, built for `surface`; one with nothing to say
    is skipped."""
    parts: list[tuple[int, Message]] = []
    for nudge in live:
        message = _message_for(session, nudge, now, surface)
        if message is None:
            done.add(nudge, _settle(session, nudge, NudgeStatus.SKIPPED, "nothing to do"))
        else:
            parts.append((nudge.id, message))
    session.commit()
    return parts


def _after_failure(
    session: Session,
    done: Delivery,
    ids: list[int],
    token: str,
    now: datetime,
    outcome: Failure,
) -> None:
    """Whatever of this claim is still unsent: failed for good (the platform said no for this
    member), or back to pending — soon after a 429 (it took nothing), after a back-off
    otherwise (it may have been posted: the next try looks first)."""
    settled = {i for i, _, _ in done.outcomes}
    rows = session.scalars(
        select(Nudge).where(
            Nudge.id.in_([i for i in ids if i not in settled]),
            Nudge.claimed_by == token,
            Nudge.status == NudgeStatus.SENDING,
        )
    ).all()
    for nudge in rows:
        if isinstance(outcome, Refused):
            done.add(nudge, _settle(session, nudge, NudgeStatus.FAILED, outcome.reason))
            continue
        nudge.status = NudgeStatus.PENDING
        if isinstance(outcome, RateLimited):
            nudge.detail = "ratelimited"
            nudge.next_attempt_at = now + timedelta(seconds=outcome.retry_after)
            done.add(nudge, "ratelimited")
        else:
            nudge.detail = outcome.reason
            nudge.next_attempt_at = now + _backoff(nudge.attempts)
            done.add(nudge, "retry")
    session.commit()
    if isinstance(outcome, RateLimited):
        done.rate_limited = outcome.retry_after


def release_stuck_nudges(*, session: Session, now: datetime) -> int:
    """Claims older than the lease (an instance died or stalled mid-send) go back to pending;
    delivery then checks Slack before sending again, and the stalled instance's fence fails."""
    if core_connection(session).scalar(_STUCK, {"before": now - LEASE}) is None:
        return 0  # the usual case: no write, no transaction to commit
    result = session.execute(
        update(Nudge)
        .where(Nudge.status == NudgeStatus.SENDING, Nudge.claimed_at < now - LEASE)
        .values(status=NudgeStatus.PENDING, attempts=Nudge.attempts + 1)
    )
    session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


_STUCK = (
    select(Nudge.id)
    .where(Nudge.status == NudgeStatus.SENDING, Nudge.claimed_at < bindparam("before"))
    .limit(1)
)


def reconcile_after_restore(*, session: Session, now: datetime) -> int:
    """After restoring an older backup: what the backup does not know was sent may be in Slack
    already. Plan what is due now, and mark every unsent row as tried, so that delivery looks
    in the member's DM before sending it (and records it as sent if it is there)."""
    plan_due_nudges(session=session, now=now)
    result = session.execute(
        update(Nudge)
        .where(Nudge.status.in_([NudgeStatus.PENDING, NudgeStatus.SENDING]))
        .values(
            status=NudgeStatus.PENDING,
            attempts=func.max(Nudge.attempts, 1)
            if session.get_bind().dialect.name == "sqlite"
            else func.greatest(Nudge.attempts, 1),
            claimed_by=None,
        )
    )
    session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def refresh_time_zones(
    *, session: Session, messenger: Messenger, now: datetime, limit: int = 50
) -> int:
    """Cache each member's time zone from their platform, at most weekly per member. When the
    platform is busy or unreachable the rest are asked next pass; the pass goes on."""
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
    checked = 0
    for member in members:
        try:
            member.slack_timezone = messenger.time_zone(member) or member.slack_timezone
        except MessengerError:
            break  # busy or down: try the rest another time
        member.slack_timezone_checked_at = now
        checked += 1
    session.commit()
    return checked


@dataclass
class _Throttle:
    """How a pass answers the platform's 429s: a 429 for one member moves on to the next;
    several in a row mean the whole app is limited: pause as asked (within the pass), and
    claim smaller batches, growing again after a batch without one."""

    deadline: datetime
    batch: int = CLAIM_BATCH
    limited: bool = False  # whether the platform asked this pass to wait (429)
    in_a_row: int = 0

    def after_member(self, done: Delivery, clock: PassClock) -> None:
        if done.rate_limited is None:
            self.in_a_row = 0
            return
        self.limited = True
        self.in_a_row += 1
        self.batch = max(1, self.batch // 2)
        if self.in_a_row >= 3:
            pause = min(done.rate_limited, MAX_PAUSE.total_seconds())
            time.sleep(max(0.0, min(pause, (self.deadline - clock.now()).total_seconds())))
            self.in_a_row = 0

    def after_batch(self) -> None:
        if not self.in_a_row and self.batch < CLAIM_BATCH:
            self.batch = min(CLAIM_BATCH, self.batch * 2)
        self.in_a_row = 0


def _wait_for_held(session: Session, now: datetime, clock: PassClock, deadline: datetime) -> bool:
    """Rows the platform asked us to hold a moment: wait for the first of them if the pass has
    time (True), else say there is nothing to wait for (False)."""
    soon = session.scalar(
        select(func.min(Nudge.next_attempt_at)).where(
            Nudge.status == NudgeStatus.PENDING,
            Nudge.due_at <= now,
            Nudge.next_attempt_at > clock.now(),
            Nudge.next_attempt_at <= min(deadline, clock.now() + MAX_PAUSE),
            Nudge.detail == "ratelimited",
        )
    )
    if soon is None:
        return False
    time.sleep(max(0.0, (soon - clock.now()).total_seconds()))
    return True


def _by_member(session: Session, claimed: list[int]) -> dict[int, list[int]]:
    """The claimed rows per member, the members in the order they were claimed in (the one
    whose nudge has waited longest first), so delivery goes in that order too."""
    by_member: dict[int, list[int]] = {}
    for nudge_id, member_id in session.execute(
        select(Nudge.id, Nudge.member_id)
        .where(Nudge.id.in_(claimed))
        .order_by(Nudge.due_at, Nudge.member_id, Nudge.id)
    ):
        by_member.setdefault(member_id, []).append(nudge_id)
    return by_member


def run_nudge_pass(
    *,
    session_factory: sessionmaker[Session],
    messenger: Messenger,
    now: datetime,
    instance: str = INSTANCE_ID,
    refresh_zones: bool = True,
    on_delivered: Callable[[int, str], None] | None = None,
    budget: timedelta | None = None,
) -> PassReport:
    """One pass: release stale claims, refresh zones, plan, then claim and deliver in small
    batches (one message per member) until nothing due is left (or `budget` is spent)."""
    report = PassReport()
    clock = PassClock(now)
    with session_factory() as session:
        release_stuck_nudges(session=session, now=now)
        if refresh_zones:
            refresh_time_zones(session=session, messenger=messenger, now=now)
        report.planned = plan_due_nudges(session=session, now=now)
    deadline = now + budget if budget is not None else datetime.max.replace(tzinfo=UTC)
    throttle = _Throttle(deadline=deadline)
    while clock.now() < deadline:
        token = new_claim_token(instance)
        with session_factory() as session:
            claimed = claim_due_nudges(
                session=session, now=clock.now(), instance=token, limit=throttle.batch
            )
            if not claimed:
                if throttle.limited and _wait_for_held(session, now, clock, deadline):
                    continue
                break
            by_member = _by_member(session, claimed)
        report.claimed += len(claimed)
        for ids in by_member.values():
            done = deliver_member(
                session_factory=session_factory,
                messenger=messenger,
                ids=ids,
                clock=clock,
                token=token,
            )
            for nudge_id, kind, outcome in done.outcomes:
                report.count(outcome.split(":")[0], kind)
                if on_delivered is not None:
                    on_delivered(nudge_id, outcome)
            throttle.after_member(done, clock)
        throttle.after_batch()
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
