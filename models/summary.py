"""The facilitator's numbers: who is prepared for a meeting, how the period between meetings
is going, and the fees. A constant number of queries, whatever the size of the network."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.attendance import Attendance, AttendanceStatus
from models.followup import ManagerFollowUp
from models.network import Meeting, Member, Network, Period, Role, period_for
from models.prep import QUESTIONS_PER_MEETING, Preparation, PrepExample, PrepQuestion
from models.sparring import SparringEntry, SparringReceiver, open_disputes
from models.spread import SpreadAction


@dataclass
class MemberLine:
    member: Member
    p1: bool = False
    questions: int = 0
    examples: int = 0
    given_minutes: int = 0
    received_minutes: int = 0
    followups: int = 0
    spread: int = 0
    attendance: AttendanceStatus | None = None

    @property
    def p2(self) -> bool:
        return self.questions >= QUESTIONS_PER_MEETING

    @property
    def p3(self) -> bool:
        return self.examples > 0

    @property
    def prepared(self) -> bool:
        return self.p1 and self.p2 and self.p3


@dataclass
class Summary:
    network: Network
    meeting: Meeting
    period: Period  # the period that ends with this meeting
    lines: list[MemberLine] = field(default_factory=list)
    # Sparring entries a receiver disputed that no facilitator has resolved (whole network).
    disputes: list[SparringReceiver] = field(default_factory=list)

    def rate(self, attr: str) -> float:
        if not self.lines:
            return 0.0
        return sum(1 for line in self.lines if getattr(line, attr)) / len(self.lines)

    @property
    def sparring_target_met(self) -> int:
        target = self.network.sparring_target_minutes
        return sum(1 for line in self.lines if line.given_minutes >= target)

    @property
    def hours_per_member(self) -> float:
        """Sparring given in the period, in hours per member on average (one decimal)."""
        if not self.lines:
            return 0.0
        return round(sum(line.given_minutes for line in self.lines) / len(self.lines) / 60, 1)

    @property
    def behind(self) -> list[MemberLine]:
        """Members missing any preparation, or under the sparring target: who to nudge."""
        target = self.network.sparring_target_minutes
        return [line for line in self.lines if not line.prepared or line.given_minutes < target]


def _period_before(network: Network, meeting: Meeting) -> Period:
    """The period that leads up to `meeting` (before meeting 1, or from the previous one)."""
    day = meeting.starts_at.astimezone(network.zone).date()
    period = period_for(network, max(day - timedelta(days=1), network.season_start))
    assert period is not None, "meetings lie within the season"
    return period


def _sums(session: Session, stmt: object) -> dict[int, int]:
    return {key: int(value or 0) for key, value in session.execute(stmt)}  # type: ignore[call-overload]


def meeting_summary(*, session: Session, network: Network, meeting: Meeting) -> Summary:
    """Each active member's P1–P3 for `meeting`, their attendance answer, and — for the
    period leading up to it — sparring given and received, follow-ups and spreading."""
    period = _period_before(network, meeting)
    members = session.scalars(
        select(Member)
        .where(Member.network_id == network.id, Member.role == Role.MEMBER, Member.active.is_(True))
        .order_by(Member.name)
    ).all()
    ids = [m.id for m in members]
    aligned, questions, examples = _preparation_counts(session, meeting)
    given, received = _sparring_minutes(session, period, ids)
    followups = _followup_counts(session, period, ids)
    spread = _spread_counts(session, network, period, ids)
    answers = {
        a.member_id: a.status
        for a in session.scalars(select(Attendance).where(Attendance.meeting_id == meeting.id))
    }
    summary = Summary(
        network=network,
        meeting=meeting,
        period=period,
        disputes=open_disputes(session=session, network_id=network.id),
    )
    for m in members:
        summary.lines.append(
            MemberLine(
                member=m,
                p1=m.id in aligned,
                questions=questions.get(m.id, 0),
                examples=examples.get(m.id, 0),
                given_minutes=given.get(m.id, 0),
                received_minutes=received.get(m.id, 0),
                followups=followups.get(m.id, 0),
                spread=spread[m.id],
                attendance=answers.get(m.id),
            )
        )
    return summary


def _preparation_counts(
    session: Session, meeting: Meeting
) -> tuple[set[int], dict[int, int], dict[int, int]]:
    """For `meeting`: who aligned with their manager (P1), and each member's number of
    questions (P2) and examples (P3)."""
    aligned = set(
        session.scalars(
            select(Preparation.member_id).where(
                Preparation.meeting_id == meeting.id, Preparation.manager_aligned.is_(True)
            )
        )
    )
    questions = _sums(
        session,
        select(PrepQuestion.member_id, func.count())
        .where(PrepQuestion.meeting_id == meeting.id)
        .group_by(PrepQuestion.member_id),
    )
    examples = _sums(
        session,
        select(PrepExample.member_id, func.count())
        .where(PrepExample.meeting_id == meeting.id)
        .group_by(PrepExample.member_id),
    )
    return aligned, questions, examples


def _sparring_minutes(
    session: Session, period: Period, ids: list[int]
) -> tuple[dict[int, int], dict[int, int]]:
    """Minutes of sparring each member gave and received in `period` (removed entries not)."""
    in_period = (
        SparringEntry.removed_at.is_(None),
        SparringEntry.given_on >= period.start,
        SparringEntry.given_on <= period.end,
    )
    given = _sums(
        session,
        select(SparringEntry.giver_id, func.sum(SparringEntry.minutes))
        .where(SparringEntry.giver_id.in_(ids), *in_period)
        .group_by(SparringEntry.giver_id),
    )
    received = _sums(
        session,
        select(SparringReceiver.member_id, func.sum(SparringEntry.minutes))
        .join(SparringEntry, SparringEntry.id == SparringReceiver.entry_id)
        .where(SparringReceiver.member_id.in_(ids), *in_period)
        .group_by(SparringReceiver.member_id),
    )
    return given, received


def _followup_counts(session: Session, period: Period, ids: list[int]) -> dict[int, int]:
    return _sums(
        session,
        select(ManagerFollowUp.member_id, func.count())
        .where(
            ManagerFollowUp.member_id.in_(ids),
            ManagerFollowUp.followed_up_on >= period.start,
            ManagerFollowUp.followed_up_on <= period.end,
        )
        .group_by(ManagerFollowUp.member_id),
    )


def _spread_counts(
    session: Session, network: Network, period: Period, ids: list[int]
) -> dict[int, int]:
    """Solutions each member took up in `period` (by the network's local date)."""
    spread: dict[int, int] = defaultdict(int)
    for member_id, created in session.execute(
        select(SpreadAction.member_id, SpreadAction.created_at).where(
            SpreadAction.member_id.in_(ids)
        )
    ):
        if period.contains(created.astimezone(network.zone).date()):
            spread[member_id] += 1
    return spread


def next_meeting_for_summary(network: Network, today: date) -> Meeting | None:
    """The next meeting that has not begun on `today`, else the last one."""
    meetings = list(network.meetings)
    for meeting in meetings:
        if meeting.starts_at.astimezone(network.zone).date() >= today:
            return meeting
    return meetings[-1] if meetings else None


@dataclass(frozen=True)
class FeeLine:
    organisation: str
    members: list[Member]
    amounts: list[int]  # per member, in DKK

    @property
    def total(self) -> int:
        return sum(self.amounts)


DISCOUNTED_COLLEAGUES = (2, 3)  # the 2nd and 3rd member from the same workplace
MAX_PER_WORKPLACE = 3


def colleague_fee(fee: int, discount: int, position: int) -> int:
    """What the `position`-th member (1, 2, …) from one workplace pays."""
    return fee - discount if position in DISCOUNTED_COLLEAGUES else fee


def fees(*, session: Session, network: Network) -> list[FeeLine]:
    """Per workplace: its members (in the order they joined), what each pays, the total."""
    members = session.scalars(
        select(Member)
        .where(Member.network_id == network.id, Member.role == Role.MEMBER, Member.active.is_(True))
        .order_by(Member.created_at, Member.id)
    ).all()
    by_org: dict[str, list[Member]] = defaultdict(list)
    for m in members:
        by_org[m.organisation or "—"].append(m)
    lines = []
    for org in sorted(by_org):
        people = by_org[org]
        fee, discount = network.fee_per_member, network.colleague_discount
        amounts = [colleague_fee(fee, discount, i + 1) for i in range(len(people))]
        lines.append(FeeLine(org, people, amounts))
    return lines
