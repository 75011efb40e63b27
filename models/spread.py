"""B3: what a member did with a solution from the network — and telling its owner."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ForeignKey, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.base import STABLE_IDS, Base, enum_column, utc_now
from models.errors import InputError
from models.history import apply_changes
from models.network import Meeting, Member, Role
from models.nudges import NudgeKind, enqueue_notice
from models.people import person_named, ref_criteria
from models.prep import PrepExample

MAX_TEXT = 2000


class SpreadField(enum.StrEnum):
    """The spread forms' fields (their block ids): an error names the one it belongs on."""

    SOLUTION = "spread_solution"
    EXAMPLE = "spread_example"
    SOURCE = "spread_source"
    MEETING = "spread_meeting"
    STATUS = "spread_status"
    EFFECT = "spread_effect"


class SpreadStatus(enum.StrEnum):
    PLANNED = "planned"
    ADAPTING = "adapting"
    IN_USE = "in_use"
    DROPPED = "dropped"


class SpreadAction(Base):
    __tablename__ = "spread_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    solution: Mapped[str] = mapped_column(Text)
    example_id: Mapped[int | None] = mapped_column(
        ForeignKey("prep_example.id", ondelete="SET NULL")
    )
    source_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("member.id", ondelete="SET NULL"), index=True
    )
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id", ondelete="SET NULL"))
    status: Mapped[SpreadStatus] = mapped_column(enum_column(SpreadStatus, 16))
    effect: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)

    member: Mapped[Member] = relationship(foreign_keys=[member_id])
    source: Mapped[Member | None] = relationship(foreign_keys=[source_member_id])
    meeting: Mapped[Meeting | None] = relationship()
    example: Mapped[PrepExample | None] = relationship()

    __table_args__ = (STABLE_IDS,)


@dataclass(frozen=True)
class SpreadInput:
    solution: str
    example_id: int | None
    source_ref: str | None  # whom a picker names: "member:<id>" (an old form: a Slack id)
    meeting_id: int | None
    status: str | None
    effect: str


def shared_examples(*, session: Session, member: Member, now: datetime) -> list[PrepExample]:
    """Examples other members of the network brought to meetings that have been held:
    solutions to take (one prepared for a coming meeting has not been shared yet)."""
    return list(
        session.scalars(
            select(PrepExample)
            .join(Member, Member.id == PrepExample.member_id)
            .join(Meeting, Meeting.id == PrepExample.meeting_id)
            .where(
                Member.network_id == member.network_id,
                Member.id != member.id,
                Meeting.starts_at <= now,
            )
            .order_by(Meeting.starts_at.desc(), PrepExample.id)
        )
    )


def _status(value: str | None) -> SpreadStatus:
    """The status chosen in the form; none chosen (or an unknown one) is an error on it."""
    try:
        return SpreadStatus(value or "")
    except ValueError:
        raise InputError(
            "spread.error.unknown_status", field=SpreadField.STATUS, value=value or ""
        ) from None


def _shared_example(
    session: Session, member: Member, example_id: int, now: datetime
) -> PrepExample:
    """Another member's example, shared at a meeting of the network that has been held."""
    example = session.get(PrepExample, example_id)
    if example is None or example.member_id == member.id:
        raise InputError("spread.error.unknown_example", field=SpreadField.EXAMPLE)
    owner = session.get(Member, example.member_id)
    shared_at = session.get(Meeting, example.meeting_id)
    if (
        owner is None
        or owner.network_id != member.network_id
        or shared_at is None
        or shared_at.starts_at > now
    ):
        raise InputError("spread.error.unknown_example", field=SpreadField.EXAMPLE)
    return example


def _resolve(
    session: Session, member: Member, data: SpreadInput, now: datetime
) -> dict[str, object]:
    """Check the input; errors name the field (catalogue key, field name in the form)."""
    solution, effect = data.solution.strip(), data.effect.strip()
    example = None
    if data.example_id is not None:
        example = _shared_example(session, member, data.example_id, now)
        solution = solution or example.title
    if not solution:
        raise InputError("spread.error.empty", field=SpreadField.SOLUTION)
    if len(solution) > MAX_TEXT or len(effect) > MAX_TEXT:
        raise InputError("spread.error.too_long", field=SpreadField.SOLUTION, limit=MAX_TEXT)
    status = _status(data.status)
    source = None
    if data.source_ref:
        source = session.scalars(
            select(Member).where(
                Member.network_id == member.network_id,
                ref_criteria([data.source_ref]),
                Member.role == Role.MEMBER,
            )
        ).first()
        if source is None:
            named = person_named(session, member.network_id, data.source_ref)
            raise InputError("spread.error.not_member", field=SpreadField.SOURCE, users=[named])
        if source.id == member.id:
            raise InputError("spread.error.self", field=SpreadField.SOURCE)
    elif example is not None:
        source = session.get(Member, example.member_id)
    meeting_id = data.meeting_id or (example.meeting_id if example else None)
    if meeting_id is not None:
        meeting = session.get(Meeting, meeting_id)
        if meeting is None or meeting.network_id != member.network_id or meeting.starts_at > now:
            raise InputError("spread.error.unknown_meeting", field=SpreadField.MEETING)
    return {
        "solution": solution,
        "example_id": example.id if example else None,
        "source_member_id": source.id if source else None,
        "meeting_id": meeting_id,
        "status": status,
        "effect": effect,
    }


def log_spread(
    *, session: Session, member: Member, data: SpreadInput, now: datetime
) -> SpreadAction:
    values = _resolve(session, member, data, now)
    row = SpreadAction(member_id=member.id, created_at=now, updated_at=now, **values)
    session.add(row)
    session.flush()
    if row.source is not None and row.source.notify_spread:  # the owner is told, once
        enqueue_notice(
            session=session,
            member_id=row.source.id,
            kind=NudgeKind.SPREAD_NOTICE,
            ref=row.id,
            now=now,
        )
    return row


def update_spread(
    *,
    session: Session,
    member: Member,
    action_id: int,
    status: str | None,
    effect: str,
    now: datetime,
) -> SpreadAction:
    """Change the status and effect of one of the member's own actions, keeping the history."""
    row = session.get(SpreadAction, action_id)
    if row is None or row.member_id != member.id:
        raise InputError("spread.error.not_found", field=SpreadField.STATUS)
    new_status = _status(status)
    effect = effect.strip()
    if len(effect) > MAX_TEXT:
        raise InputError("spread.error.too_long", field=SpreadField.EFFECT, limit=MAX_TEXT)
    if apply_changes(
        session=session,
        obj=row,
        entity="spread",
        member_id=member.id,
        values={"status": new_status, "effect": effect},
        now=now,
    ):
        row.updated_at = now
    session.flush()
    return row


def spread_actions(*, session: Session, member: Member) -> list[SpreadAction]:
    return list(
        session.scalars(
            select(SpreadAction)
            .where(SpreadAction.member_id == member.id)
            .order_by(SpreadAction.created_at.desc(), SpreadAction.id.desc())
        )
    )
