"""The end of a season and the start of the next: the members' vote on whether the network
continues, the next season opened with its meetings, last season's members' first right to a
seat (a claim by a deadline), and the rollover that makes the claimants the new season's
members and closes the old season (it stays readable and sends nothing more)."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ForeignKey, UniqueConstraint, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.applications import (
    Application,
    ApplicationStatus,
    fill_free_seats,
    seats_taken,
)
from models.base import STABLE_IDS, Base, enum_column, utc_now
from models.calendar import local_moment
from models.errors import InputError
from models.network import Identity, Meeting, Member, Network, Role
from models.nudges import RENEWAL_KINDS, Nudge, NudgeKind, NudgeStatus, enqueue_notice, vote_closes

KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
# A meeting opened from chat: a half day, as the invitation's meetings (place and host follow).
MEETING_START, MEETING_END = time(10, 0), time(13, 0)
MAX_MEETINGS = 12


class RenewalChoice(enum.StrEnum):
    YES = "yes"
    NO = "no"
    UNSURE = "unsure"


class RenewalVote(Base):
    """A member's answer to "should the network continue?": one per member (changeable until
    the deadline)."""

    __tablename__ = "renewal_vote"

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(
        ForeignKey("network.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), unique=True)
    choice: Mapped[RenewalChoice] = mapped_column(enum_column(RenewalChoice, 16))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)

    __table_args__ = (STABLE_IDS,)


class SeatClaim(Base):
    """Last season's member (`member_id`) on their seat in the next season (`network_id`):
    taken or declined, changeable until the claim deadline."""

    __tablename__ = "seat_claim"

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("network.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    takes_seat: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)

    __table_args__ = (UniqueConstraint("network_id", "member_id"), STABLE_IDS)


def end_of_day(day: date, zone: ZoneInfo) -> datetime:
    """The moment a deadline "on `day`" passes: midnight after it, in the network's zone."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)


def last_meeting(network: Network) -> Meeting | None:
    return network.meetings[-1] if network.meetings else None


def active_members(session: Session, network: Network) -> list[Member]:
    return list(
        session.scalars(
            select(Member)
            .where(
                Member.network_id == network.id,
                Member.role == Role.MEMBER,
                Member.active.is_(True),
            )
            .order_by(Member.name, Member.id)
        )
    )


# --- the vote --------------------------------------------------------------------------------


def vote_is_open(network: Network, now: datetime) -> bool:
    """From the last meeting's start until the deadline (or the season's end), unless the next
    season has taken over."""
    last = last_meeting(network)
    if network.closed_at is not None or last is None:
        return False
    return last.starts_at <= now < vote_closes(network)


def cast_vote(
    *, session: Session, member: Member, choice: RenewalChoice, now: datetime
) -> RenewalVote:
    """Record or change the member's vote while the vote is open."""
    network = member.network
    if member.role is not Role.MEMBER or not member.active:
        raise InputError("renewal.error.not_member")
    if not vote_is_open(network, now):
        raise InputError("renewal.error.closed")
    vote = session.scalars(select(RenewalVote).where(RenewalVote.member_id == member.id)).first()
    if vote is None:
        vote = RenewalVote(
            network_id=network.id, member_id=member.id, choice=choice, created_at=now
        )
        session.add(vote)
    vote.choice, vote.updated_at = choice, now
    session.flush()
    return vote


def vote_of(session: Session, member: Member) -> RenewalVote | None:
    return session.scalars(select(RenewalVote).where(RenewalVote.member_id == member.id)).first()


def set_renewal_deadline(
    *, session: Session, network: Network, day: date, now: datetime
) -> datetime:
    """The vote closes at the end of `day` (network's zone): after the last meeting's day (the
    vote goes out the working day after it), in the season, not past. Reminders not yet sent
    follow the new deadline."""
    last = last_meeting(network)
    if last is None or day <= last.starts_at.astimezone(network.zone).date():
        raise InputError("renewal.error.deadline_before_last")
    if day > network.season_end:
        raise InputError("renewal.error.deadline_after_season")
    closes = end_of_day(day, network.zone)
    if closes <= now:
        raise InputError("renewal.error.deadline_past")
    network.renewal_deadline = closes
    follow_renewal_deadline(session, network)
    return closes


def follow_renewal_deadline(session: Session, network: Network) -> None:
    """The vote and its reminder not sent yet go stale at the (new) deadline."""
    last = last_meeting(network)
    if last is None:
        return
    session.execute(
        update(Nudge)
        .where(
            Nudge.meeting_id == last.id,
            Nudge.kind.in_(RENEWAL_KINDS),
            Nudge.status == NudgeStatus.PENDING,
        )
        .values(stale_at=vote_closes(network))
    )
    session.flush()


@dataclass(frozen=True)
class RenewalTally:
    """How the vote stands: counts only (who voted what stays each member's own), and who
    has not voted yet."""

    network: Network
    yes: int
    no: int
    unsure: int
    not_voted: list[Member]
    closes: datetime
    open: bool


def renewal_tally(session: Session, network: Network, now: datetime) -> RenewalTally:
    members = active_members(session, network)
    votes = {
        v.member_id: v.choice
        for v in session.scalars(select(RenewalVote).where(RenewalVote.network_id == network.id))
    }
    counted = [votes[m.id] for m in members if m.id in votes]
    return RenewalTally(
        network=network,
        yes=counted.count(RenewalChoice.YES),
        no=counted.count(RenewalChoice.NO),
        unsure=counted.count(RenewalChoice.UNSURE),
        not_voted=[m for m in members if m.id not in votes],
        closes=vote_closes(network),
        open=vote_is_open(network, now),
    )


# --- the next season -------------------------------------------------------------------------


@dataclass(frozen=True)
class SeasonPlan:
    """The next season as a facilitator gives it in chat."""

    key: str
    name: str
    season_start: date
    season_end: date
    meeting_days: list[date]
    claim_deadline: date


def next_season(session: Session, network: Network) -> Network | None:
    """The season opened after `network`, if any."""
    return session.scalars(select(Network).where(Network.previous_id == network.id)).first()


def _check_plan(session: Session, previous: Network, plan: SeasonPlan, now: datetime) -> None:
    if not KEY_RE.match(plan.key):
        raise InputError("season.error.key", value=plan.key)
    if session.scalars(select(Network.id).where(Network.key == plan.key)).first() is not None:
        raise InputError("season.error.key_taken", value=plan.key)
    if next_season(session, previous) is not None:
        raise InputError("season.error.already_opened")
    if not previous.season_end < plan.season_start <= plan.season_end:
        raise InputError("season.error.dates")
    days = plan.meeting_days
    if not 0 < len(days) <= MAX_MEETINGS or days != sorted(set(days)):
        raise InputError("season.error.meetings")
    if days[0] < plan.season_start or days[-1] > plan.season_end:
        raise InputError("season.error.meetings")
    if (
        not now < end_of_day(plan.claim_deadline, previous.zone)
        or plan.claim_deadline >= plan.season_start
    ):
        raise InputError("season.error.claim_deadline")


def open_next_season(
    *, session: Session, previous: Network, plan: SeasonPlan, now: datetime
) -> Network:
    """Open the season after `previous` from chat: its settings, its meetings (10:00-13:00 on
    the days given; theme, host and place to follow), its facilitators; last season's members
    are asked to claim their seat."""
    _check_plan(session, previous, plan, now)
    new = Network(
        key=plan.key,
        name=plan.name,
        timezone=previous.timezone,
        country=previous.country,
        language=previous.language,
        season_start=plan.season_start,
        season_end=plan.season_end,
        sparring_target_minutes=previous.sparring_target_minutes,
        fee_per_member=previous.fee_per_member,
        colleague_discount=previous.colleague_discount,
        previous_id=previous.id,
        created_at=now,
        updated_at=now,
    )
    new.claim_deadline = end_of_day(plan.claim_deadline, new.zone)
    for number, day in enumerate(plan.meeting_days, start=1):
        new.meetings.append(
            Meeting(
                number=number,
                theme="",
                host="",
                place="",
                starts_at=local_moment(day, new.zone, MEETING_START),
                ends_at=local_moment(day, new.zone, MEETING_END),
            )
        )
    session.add(new)
    for facilitator in previous.people:
        if facilitator.role is Role.FACILITATOR and facilitator.active:
            new.people.append(_carried_over(facilitator, now))
    session.flush()
    invite_claims(session=session, new=new, now=now)
    return new


def invite_claims(*, session: Session, new: Network, now: datetime) -> int:
    """Ask every active member of the previous season (once each, through the outbox) to take
    their seat in `new`; how many were asked."""
    previous = new.previous
    if previous is None or new.claim_deadline is None or previous.closed_at is not None:
        return 0
    if new.claim_deadline <= now:
        return 0
    members = active_members(session, previous)
    for member in members:
        enqueue_notice(
            session=session,
            member_id=member.id,
            kind=NudgeKind.SEAT_CLAIM,
            ref=new.id,
            now=now,
            stale_at=new.claim_deadline,
        )
    return len(members)


def claims_open(new: Network, now: datetime) -> bool:
    previous = new.previous
    return (
        previous is not None
        and previous.closed_at is None
        and new.claim_deadline is not None
        and now < new.claim_deadline
    )


def claim_seat(
    *, session: Session, member: Member, new: Network, takes_seat: bool, now: datetime
) -> SeatClaim:
    """Last season's `member` takes (or declines) their seat in `new`, until the deadline."""
    if new.previous_id != member.network_id or member.role is not Role.MEMBER:
        raise InputError("season.claim.error.not_yours")
    if not member.active or not claims_open(new, now):
        raise InputError("season.claim.error.closed")
    claim = claim_of(session, member, new)
    if claim is None:
        claim = SeatClaim(network_id=new.id, member_id=member.id, takes_seat=takes_seat)
        claim.created_at = now
        session.add(claim)
    claim.takes_seat, claim.updated_at = takes_seat, now
    session.flush()
    return claim


def claim_of(session: Session, member: Member, new: Network) -> SeatClaim | None:
    return session.scalars(
        select(SeatClaim).where(SeatClaim.network_id == new.id, SeatClaim.member_id == member.id)
    ).first()


@dataclass(frozen=True)
class ClaimStatus:
    """Where last season's members stand on their seats in `new`."""

    new: Network
    taken: list[Member]
    declined: list[Member]
    no_answer: list[Member]


def claim_status(session: Session, new: Network) -> ClaimStatus:
    previous = new.previous
    members = active_members(session, previous) if previous is not None else []
    answers = {
        c.member_id: c.takes_seat
        for c in session.scalars(select(SeatClaim).where(SeatClaim.network_id == new.id))
    }
    return ClaimStatus(
        new=new,
        taken=[m for m in members if answers.get(m.id) is True],
        declined=[m for m in members if answers.get(m.id) is False],
        no_answer=[m for m in members if m.id not in answers],
    )


def free_seats(seats: int | None, taken: int) -> int | None:
    """Seats nobody holds: `seats` (None: no limit set) less those `taken`, never below 0."""
    return None if seats is None else max(seats - taken, 0)


@dataclass(frozen=True)
class Rollover:
    new: Network
    claimed: list[Member]  # the new season's rows of those who took their seat
    free: int | None  # unclaimed seats (None: the season sets no number of seats)
    # The applications that got one of those seats, from the wait list in its order.
    seated: list[Application] = field(default_factory=list)


_PERSON_FIELDS = (
    "role",
    "name",
    "organisation",
    "manager_name",
    "email",
    "language",
    "timezone",
    "slack_timezone",
    "notify_spread",
)


def _carried_over(old: Member, now: datetime) -> Member:
    """The same person's row for the next season, reachable as before, linked to `old`."""
    new = Member(
        **{f: getattr(old, f) for f in _PERSON_FIELDS},
        previous_member_id=old.id,
        created_at=now,
        updated_at=now,
    )
    for identity in old.identities:
        new.identities.append(
            Identity(
                platform=identity.platform,
                external_id=identity.external_id,
                conversation=identity.conversation,
            )
        )
    return new


def _already_in(new: Network, old: Member) -> Member | None:
    """The person's row in `new` already (the network file listed them), by any identity."""
    ids = {(i.platform, i.external_id) for i in old.identities}
    return next(
        (p for p in new.people if any((i.platform, i.external_id) in ids for i in p.identities)),
        None,
    )


def settle_claims(
    *, session: Session, new: Network, now: datetime, seats: int | None = None
) -> Rollover | None:
    """After the claim deadline: those who took their seat become `new`'s members (their
    history linked), the previous season closes. None when it is not time (or done)."""
    previous = new.previous
    if previous is None or previous.closed_at is not None:
        return None
    if new.claim_deadline is None or now < new.claim_deadline:
        return None
    claimed = []
    for old in claim_status(session, new).taken:
        row = _already_in(new, old)
        if row is None:
            row = _carried_over(old, now)
            new.people.append(row)
        row.previous_member_id, row.active = old.id, True
        claimed.append(row)
    previous.closed_at = now
    session.flush()
    return Rollover(new=new, claimed=claimed, free=free_seats(seats, seats_taken(session, new.id)))


def settle_due_claims(
    *, session: Session, networks: Iterable[Network], now: datetime
) -> list[Rollover]:
    """Every season whose claim deadline has passed takes over from its previous one (the
    nudge pass calls this before planning, so the old season plans nothing more)."""
    done = []
    for network in networks:
        if network.previous_id is None or network.claim_deadline is None:
            continue
        if network.claim_deadline <= now:
            rollover = settle_claims(session=session, new=network, now=now, seats=network.seats)
            if rollover is not None:
                # The seats nobody claimed go to the new round's wait list, in its order.
                seated = fill_free_seats(session, network, now)
                done.append(replace(rollover, seated=seated))
                announce_rollover(session, rollover, now)
    return done


def announce_rollover(session: Session, rollover: Rollover, now: datetime) -> None:
    """Through the outbox, once each: the new season's facilitators hear how the seats were
    settled, each claimant that their seat is confirmed (both built when sent)."""
    new = rollover.new
    facilitators = [p for p in new.people if p.role is Role.FACILITATOR and p.active]
    for who, kind in [
        *((p, NudgeKind.ROLLOVER_REPORT) for p in facilitators),
        *((p, NudgeKind.SEAT_CONFIRMED) for p in rollover.claimed),
    ]:
        enqueue_notice(session=session, member_id=who.id, kind=kind, ref=new.id, now=now)


def settled_seats(session: Session, new: Network) -> tuple[list[Member], list[Application]]:
    """After the rollover: the new season's people who took their seat from the season
    before, and the applications that got a free seat from the wait list at the rollover."""
    claimed = [
        p
        for p in new.people
        if p.role is Role.MEMBER and p.previous_member_id is not None and p.active
    ]
    closed = new.previous.closed_at if new.previous is not None else None
    seated = session.scalars(
        select(Application)
        .where(
            Application.network_id == new.id,
            Application.status == ApplicationStatus.ACCEPTED,
            Application.decided_at == closed,
        )
        .order_by(Application.id)
    ).all()
    return claimed, list(seated) if closed is not None else []
