"""Reflection after each meeting: the meetings' own three questions — what is common to all,
what to some, what is particular to my organisation — one answer per member per meeting
(editable, each question optional). Anonymous unless the member agrees to be named; shared
with the sister network only when the member says so."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ForeignKey, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.base import STABLE_IDS, Base, utc_now
from models.errors import InputError
from models.network import Meeting, Member, Network, Role

MAX_TEXT = 2000


class ReflectionField(enum.StrEnum):
    """The reflection form's fields: an error names the one it belongs on."""

    COMMON = "reflection_common"
    SOME = "reflection_some"
    PARTICULAR = "reflection_particular"
    CONSENT = "reflection_consent"


class Consent(enum.StrEnum):
    """The boxes under the answers (both unticked by default)."""

    NAMED = "named"  # may be shown with my name
    SISTER = "sister"  # share with the sister network


class Reflection(Base):
    __tablename__ = "reflection"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    common: Mapped[str] = mapped_column(Text, default="")
    some: Mapped[str] = mapped_column(Text, default="")
    particular: Mapped[str] = mapped_column(Text, default="")
    named: Mapped[bool] = mapped_column(default=False)
    share_with_sister: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)

    member: Mapped[Member] = relationship()

    __table_args__ = (
        UniqueConstraint("member_id", "meeting_id", name="uq_reflection_member_meeting"),
        STABLE_IDS,
    )


@dataclass(frozen=True)
class ReflectionInput:
    common: str
    some: str
    particular: str
    named: bool = False
    share_with_sister: bool = False


def _checked(data: ReflectionInput) -> tuple[str, str, str]:
    texts = (data.common.strip(), data.some.strip(), data.particular.strip())
    if not any(texts):
        raise InputError("reflection.error.empty", field=ReflectionField.COMMON)
    for text, field in zip(texts, list(ReflectionField)[:3], strict=True):
        if len(text) > MAX_TEXT:
            raise InputError("reflection.error.too_long", field=field, limit=MAX_TEXT)
    return texts


def own_reflection(session: Session, member: Member, meeting: Meeting) -> Reflection | None:
    return session.scalar(
        select(Reflection).where(
            Reflection.member_id == member.id, Reflection.meeting_id == meeting.id
        )
    )


def save_reflection(
    *, session: Session, member: Member, meeting: Meeting, data: ReflectionInput, now: datetime
) -> Reflection:
    """Save the member's reflection on `meeting` (a new one, or theirs changed)."""
    if meeting.network_id != member.network_id:
        raise InputError("reflection.error.unknown_meeting")
    common, some, particular = _checked(data)
    row = own_reflection(session, member, meeting)
    if row is None:
        row = Reflection(member_id=member.id, meeting_id=meeting.id, created_at=now)
        session.add(row)
    row.common, row.some, row.particular = common, some, particular
    row.named, row.share_with_sister = data.named, data.share_with_sister
    row.updated_at = now
    session.flush()
    return row


def held_meeting(network: Network, now: datetime, number: int | None = None) -> Meeting:
    """Meeting `number`, or the latest that has begun; an error when there is none."""
    meetings = list(network.meetings)
    if number is not None:
        found = next((m for m in meetings if m.number == number), None)
        if found is None:
            raise InputError(
                "reflection.error.unknown_meeting_number", value=number, count=len(meetings)
            )
        return found
    held = [m for m in meetings if m.starts_at <= now]
    if not held:
        raise InputError("reflection.error.none_held")
    return held[-1]


def reflections_on(session: Session, meeting: Meeting) -> list[Reflection]:
    """Every active member's reflection on `meeting`, oldest first."""
    return list(
        session.scalars(
            select(Reflection)
            .join(Member, Member.id == Reflection.member_id)
            .where(
                Reflection.meeting_id == meeting.id,
                Member.active.is_(True),
                Member.role == Role.MEMBER,
            )
            .order_by(Reflection.created_at, Reflection.id)
        )
    )


def shared_by_sister(session: Session, sister: Network, number: int) -> list[Reflection]:
    """What the sister network's members shared about their meeting `number`."""
    meeting = next((m for m in sister.meetings if m.number == number), None)
    if meeting is None:
        return []
    return [r for r in reflections_on(session, meeting) if r.share_with_sister]
