"""B1 sparring: members log the hours of sparring they gave to other members."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import (
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    bindparam,
    func,
    insert,
    inspect,
    select,
)
from sqlalchemy.orm import (
    Mapped,
    Session,
    mapped_column,
    relationship,
    selectinload,
)
from sqlalchemy.orm.attributes import set_committed_value

from models.base import Base, utc_now
from models.db import as_loaded, core_connection, core_write_connection
from models.errors import InputError
from models.history import apply_changes
from models.network import Member, Period, Role, period_for
from models.nudges import NudgeKind, enqueue_notice
from models.people import person_named, ref_criteria, refs_of

MAX_MINUTES_PER_ENTRY = 12 * 60
MAX_NOTE_LENGTH = 2000


class SparringEntry(Base):
    """Sparring given by one member, on one day, to none or more other members."""

    __tablename__ = "sparring_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    giver_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    given_on: Mapped[date]
    minutes: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    # Undo keeps the row (and so the member's words) and marks it removed.
    removed_at: Mapped[datetime | None]

    giver: Mapped[Member] = relationship(foreign_keys=[giver_id])
    receivers: Mapped[list[SparringReceiver]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", order_by="SparringReceiver.id"
    )

    # Period totals sum one giver's entries over a date range.
    __table_args__ = (Index("ix_sparring_entry_giver_id_given_on", "giver_id", "given_on"),)

    @property
    def receiver_members(self) -> list[Member]:
        return [r.member for r in self.receivers]


class SparringReceiver(Base):
    __tablename__ = "sparring_receiver"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("sparring_entry.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    # The receiver said "that's not right": the facilitators are told and decide (keep or
    # remove the entry); resolving sets it back to empty, with the change in the history.
    disputed_at: Mapped[datetime | None]

    entry: Mapped[SparringEntry] = relationship(back_populates="receivers")
    member: Mapped[Member] = relationship()

    __table_args__ = (UniqueConstraint("entry_id", "member_id"),)


@dataclass(frozen=True)
class ReceivedFrom:
    giver: Member
    minutes: int


@dataclass(frozen=True)
class SparringStatus:
    """A member's sparring in one period: the latest entries, the total, what they received."""

    period: Period
    target_minutes: int
    entries: list[SparringEntry]
    entry_count: int
    given_minutes: int
    received: list[ReceivedFrom]

    @property
    def received_minutes(self) -> int:
        return sum(r.minutes for r in self.received)

    @property
    def target_reached(self) -> bool:
        return self.given_minutes >= self.target_minutes


@dataclass(frozen=True)
class PeriodTotal:
    """What a member gave in one period, against the target: the line under every reply."""

    period: Period
    given_minutes: int
    target_minutes: int


def _in_period(period: Period) -> tuple[ColumnElement[bool], ...]:
    return (
        SparringEntry.removed_at.is_(None),
        SparringEntry.given_on >= period.start,
        SparringEntry.given_on <= period.end,
    )


# Built once: the reply to every `/sparring` runs it, and a prebuilt statement skips building
# the expression and its cache key each time.
_PERIOD_SUM = select(func.coalesce(func.sum(SparringEntry.minutes), 0)).where(
    SparringEntry.giver_id == bindparam("giver_id"),
    SparringEntry.removed_at.is_(None),
    SparringEntry.given_on >= bindparam("start", type_=Date),
    SparringEntry.given_on <= bindparam("end", type_=Date),
)


def period_total(*, session: Session, member: Member, day: date) -> PeriodTotal:
    """The member's total given in the period of `day` (a day outside the season counts as
    its nearest end)."""
    network = member.network
    period = _period_or_error(member, min(max(day, network.season_start), network.season_end))
    return _total_in(session, member, period)


def _total_in(session: Session, member: Member, period: Period) -> PeriodTotal:
    given = core_connection(session).scalar(
        _PERIOD_SUM, {"giver_id": member.id, "start": period.start, "end": period.end}
    )
    return PeriodTotal(period, int(given or 0), member.network.sparring_target_minutes)


def _period_or_error(member: Member, day: date) -> Period:
    period = period_for(member.network, day)
    if period is None:
        raise InputError(
            "sparring.error.outside_season",
            day=day,
            start=member.network.season_start,
            end=member.network.season_end,
            start_iso=member.network.season_start.isoformat(),
        )
    return period


def _resolve_receivers(session: Session, giver: Member, refs: list[str]) -> list[Member]:
    """The members `refs` name (Slack user ids or "member:<id>"), in order."""
    unique_ids = list(dict.fromkeys(refs))
    if not unique_ids:  # first: the giver's own id may cost a query to read
        return []
    if set(refs_of(giver)) & set(unique_ids):
        raise InputError("sparring.error.self_receiver")
    found: dict[str, Member] = {}
    for m in session.scalars(
        select(Member).where(
            Member.network_id == giver.network_id,
            ref_criteria(unique_ids),
            Member.role == Role.MEMBER,
            Member.active.is_(True),
        )
    ):
        found.update(dict.fromkeys(refs_of(m), m))
    missing = [ref for ref in unique_ids if ref not in found]
    if missing:
        users = [person_named(session, giver.network_id, ref) for ref in missing]
        raise InputError("sparring.error.not_members", users=users)
    # One person may be named both ways (a Slack mention and a member reference): once.
    return list({m.id: m for m in (found[ref] for ref in unique_ids)}.values())


def log_sparring(
    *,
    session: Session,
    member: Member,
    minutes: int,
    given_on: date,
    receiver_ids: list[str],
    note: str,
    now: datetime,
) -> SparringEntry:
    """Record sparring the member gave; raises InputError and stores nothing on a bad entry."""
    entry, _ = _log_sparring(
        session, member, minutes, given_on, receiver_ids, note, now, with_total=False
    )
    return entry


def log_sparring_with_total(
    *,
    session: Session,
    member: Member,
    minutes: int,
    given_on: date,
    receiver_ids: list[str],
    note: str,
    now: datetime,
) -> tuple[SparringEntry, PeriodTotal]:
    """`log_sparring`, and the member's total for the entry's period (as `period_total` gives
    it), working out the period once."""
    entry, total = _log_sparring(
        session, member, minutes, given_on, receiver_ids, note, now, with_total=True
    )
    assert total is not None
    return entry, total


def _log_sparring(
    session: Session,
    member: Member,
    minutes: int,
    given_on: date,
    receiver_ids: list[str],
    note: str,
    now: datetime,
    *,
    with_total: bool,
) -> tuple[SparringEntry, PeriodTotal | None]:
    period, note = _checked_entry(member, minutes, given_on, note, now)
    receivers = _resolve_receivers(session, member, receiver_ids)
    total = None
    if with_total:
        # Summed before the insert, plus this entry: the read needs no write lock, so the
        # write that follows holds SQLite's (one) writer slot for less time.
        before = _total_in(session, member, period)
        total = replace(before, given_minutes=before.given_minutes + minutes)
    if not receivers:
        return _insert_plain_entry(session, member, given_on, minutes, note, now), total
    return _insert_entry_with_receivers(
        session, member, given_on, minutes, note, receivers, now
    ), total


def _checked_entry(
    member: Member, minutes: int, given_on: date, note: str, now: datetime
) -> tuple[Period, str]:
    """The entry's period and its note, stripped; InputError when the entry cannot be."""
    if minutes <= 0:
        raise InputError("sparring.error.not_positive")
    if minutes > MAX_MINUTES_PER_ENTRY:
        raise InputError("sparring.error.too_long", minutes=minutes, today=member.today(now))
    if given_on > member.today(now):
        raise InputError("sparring.error.future_date", day=given_on)
    period = _period_or_error(member, given_on)
    note = note.strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise InputError("sparring.error.note_too_long", limit=MAX_NOTE_LENGTH, length=len(note))
    return period, note


def _insert_entry_with_receivers(
    session: Session,
    member: Member,
    given_on: date,
    minutes: int,
    note: str,
    receivers: list[Member],
    now: datetime,
) -> SparringEntry:
    """Insert an entry with its receivers; each receiver is told, once (through the outbox)."""
    # By id, not `giver=member`: the relationship's bookkeeping costs more than the insert,
    # and `entry.giver` still comes from the session's identity map without a query.
    entry = SparringEntry(
        giver_id=member.id,
        given_on=given_on,
        minutes=minutes,
        note=note,
        created_at=now,
        receivers=[SparringReceiver(member=r) for r in receivers],
    )
    session.add(entry)
    session.flush()
    for receiver in entry.receivers:
        enqueue_notice(
            session=session,
            member_id=receiver.member_id,
            kind=NudgeKind.SPARRING_RECEIVED,
            ref=receiver.id,
            now=now,
        )
    return entry


# Built once: an entry without receivers goes in with one Core insert (the common
# `/sparring logged 2h`), skipping the unit of work's flush.
_INSERT_ENTRY = insert(Base.metadata.tables[SparringEntry.__tablename__])


def _insert_plain_entry(
    session: Session, member: Member, given_on: date, minutes: int, note: str, now: datetime
) -> SparringEntry:
    """Insert an entry with no receivers (so no notices) and return it as a persistent entity
    of the session, as if the session had flushed it: the same row, the same object."""
    values = {
        "giver_id": member.id,
        "given_on": given_on,
        "minutes": minutes,
        "note": note,
        "created_at": now,
        "removed_at": None,
    }
    result = core_write_connection(session).execute(_INSERT_ENTRY, values)
    key = result.inserted_primary_key
    assert key is not None  # an insert of one row
    (entry_id,) = key
    entry = as_loaded(session, SparringEntry, {"id": entry_id, **values})
    set_committed_value(entry, "receivers", [])
    # Like a flushed insert, a rollback must take it out of the session again (the id may be
    # given to another row): the transaction remembers it as one of its new objects.
    transaction = session.get_transaction()
    assert transaction is not None  # the insert began it
    transaction._new[inspect(entry)] = True
    return entry


def sparring_status(
    *,
    session: Session,
    member: Member,
    now: datetime,
    day: date | None = None,
    entry_limit: int = 15,
) -> SparringStatus:
    """The member's sparring in the period of `day` (default: today in their zone), with the
    latest `entry_limit` entries. Totals are summed in SQL, so the cost does not grow with
    the number of entries.

    Outside the season it falls back to the nearest period, so a member can still read it.
    """
    day = day or member.today(now)
    network = member.network
    period = period_for(network, day)
    if period is None:
        day = min(max(day, network.season_start), network.season_end)
        period = _period_or_error(member, day)
    in_period = _in_period(period)
    count, given = session.execute(
        select(
            func.count(SparringEntry.id), func.coalesce(func.sum(SparringEntry.minutes), 0)
        ).where(SparringEntry.giver_id == member.id, *in_period)
    ).one()
    entries = _latest_entries(session, member, in_period, entry_limit) if count else []
    received_rows = session.execute(
        select(Member, func.sum(SparringEntry.minutes))
        .join(SparringEntry, SparringEntry.giver_id == Member.id)
        .join(SparringReceiver, SparringReceiver.entry_id == SparringEntry.id)
        .where(SparringReceiver.member_id == member.id, *in_period)
        .group_by(Member.id)
        .order_by(Member.name)
    ).all()
    return SparringStatus(
        period=period,
        target_minutes=network.sparring_target_minutes,
        entries=entries,
        entry_count=int(count),
        given_minutes=int(given),
        received=[ReceivedFrom(giver=g, minutes=int(m)) for g, m in received_rows],
    )


def _latest_entries(
    session: Session, member: Member, in_period: tuple[ColumnElement[bool], ...], limit: int
) -> list[SparringEntry]:
    """The member's latest `limit` entries in the period, oldest first."""
    if not limit:
        return []
    latest = session.scalars(
        select(SparringEntry)
        .where(SparringEntry.giver_id == member.id, *in_period)
        .options(selectinload(SparringEntry.receivers).selectinload(SparringReceiver.member))
        .order_by(SparringEntry.given_on.desc(), SparringEntry.id.desc())
        .limit(limit)
    ).all()
    return list(reversed(latest))


def undo_latest_sparring(
    *, session: Session, member: Member, now: datetime
) -> SparringEntry | None:
    """Mark the member's most recently entered sparring as removed; None when there is none."""
    entry = session.scalars(
        select(SparringEntry)
        .where(SparringEntry.giver_id == member.id, SparringEntry.removed_at.is_(None))
        .order_by(SparringEntry.created_at.desc(), SparringEntry.id.desc())
        .limit(1)
    ).first()
    if entry is None:
        return None
    entry.removed_at = now
    session.flush()
    return entry


def dispute_sparring(*, session: Session, receiver: SparringReceiver, now: datetime) -> bool:
    """The receiver says the entry is not right: flag it and tell the network's facilitators
    (through the outbox). False when it was flagged already."""
    if receiver.disputed_at is not None or receiver.entry.removed_at is not None:
        return False
    receiver.disputed_at = now
    facilitators = session.scalars(
        select(Member.id).where(
            Member.network_id == receiver.member.network_id,
            Member.role == Role.FACILITATOR,
            Member.active.is_(True),
        )
    ).all()
    for facilitator_id in facilitators:
        enqueue_notice(
            session=session,
            member_id=facilitator_id,
            kind=NudgeKind.SPARRING_DISPUTE,
            ref=receiver.id,
            now=now,
        )
    session.flush()
    return True


def is_open_dispute(receiver: SparringReceiver) -> bool:
    return receiver.disputed_at is not None and receiver.entry.removed_at is None


def open_disputes(*, session: Session, network_id: int) -> list[SparringReceiver]:
    """Entries of the network a receiver disputed and no facilitator has resolved, oldest first."""
    return list(
        session.scalars(
            select(SparringReceiver)
            .join(SparringEntry, SparringEntry.id == SparringReceiver.entry_id)
            .join(Member, Member.id == SparringEntry.giver_id)
            .where(
                Member.network_id == network_id,
                SparringReceiver.disputed_at.is_not(None),
                SparringEntry.removed_at.is_(None),
            )
            .options(
                selectinload(SparringReceiver.member),
                selectinload(SparringReceiver.entry).selectinload(SparringEntry.giver),
            )
            .order_by(SparringReceiver.disputed_at, SparringReceiver.id)
        )
    )


def resolve_dispute(
    *, session: Session, receiver: SparringReceiver, by: Member, remove: bool, now: datetime
) -> None:
    """The facilitator's decision on a disputed entry: keep it as it is, or remove it (the row
    stays, marked removed, as with undo). Both are kept in the history."""
    if remove:
        apply_changes(
            session=session,
            obj=receiver.entry,
            entity="sparring_entry",
            member_id=by.id,
            values={"removed_at": now},
            now=now,
        )
    apply_changes(
        session=session,
        obj=receiver,
        entity="sparring_receiver",
        member_id=by.id,
        values={"disputed_at": None},
        now=now,
    )
    session.flush()
