"""B2: a member follows up on the agreements with their own manager, between meetings."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import STABLE_IDS, Base, utc_now
from models.errors import InputError
from models.history import apply_changes
from models.network import Member, Period, period_for

MAX_TEXT = 2000


class FollowupField(enum.StrEnum):
    """The follow-up form's fields (its block ids): an error names the one it belongs on."""

    ON = "followup_on"
    AGREED = "followup_agreed"
    NEXT_STEP = "followup_next_step"


class ManagerFollowUp(Base):
    __tablename__ = "manager_followup"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    followed_up_on: Mapped[date]
    agreed: Mapped[str] = mapped_column(Text)
    next_step: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)

    __table_args__ = (
        Index("ix_manager_followup_member_id_on", "member_id", "followed_up_on"),
        STABLE_IDS,
    )


def _checked(
    member: Member, on: date, agreed: str, next_step: str, now: datetime
) -> tuple[str, str]:
    agreed, next_step = agreed.strip(), next_step.strip()
    if not agreed:
        raise InputError("followup.error.empty", field=FollowupField.AGREED)
    if len(agreed) > MAX_TEXT or len(next_step) > MAX_TEXT:
        raise InputError("followup.error.too_long", field=FollowupField.AGREED, limit=MAX_TEXT)
    if on > member.today(now):
        raise InputError("followup.error.future_date", field=FollowupField.ON, day=on)
    network = member.network
    if period_for(network, on) is None:
        raise InputError(
            "followup.error.outside_season",
            field=FollowupField.ON,
            day=on,
            start=network.season_start,
            end=network.season_end,
        )
    return agreed, next_step


def log_followup(
    *, session: Session, member: Member, on: date, agreed: str, next_step: str, now: datetime
) -> ManagerFollowUp:
    """Record a follow-up; it counts in the period of its date, whenever it was entered."""
    agreed, next_step = _checked(member, on, agreed, next_step, now)
    row = ManagerFollowUp(
        member_id=member.id,
        followed_up_on=on,
        agreed=agreed,
        next_step=next_step,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return row


def update_followup(
    *,
    session: Session,
    member: Member,
    followup_id: int,
    on: date,
    agreed: str,
    next_step: str,
    now: datetime,
) -> ManagerFollowUp:
    """Change one of the member's own follow-ups, keeping what it said before."""
    row = session.get(ManagerFollowUp, followup_id)
    if row is None or row.member_id != member.id:
        raise InputError("followup.error.not_found", field=FollowupField.AGREED)
    agreed, next_step = _checked(member, on, agreed, next_step, now)
    if apply_changes(
        session=session,
        obj=row,
        entity="followup",
        member_id=member.id,
        values={"followed_up_on": on, "agreed": agreed, "next_step": next_step},
        now=now,
    ):
        row.updated_at = now
    session.flush()
    return row


def followups_in_period(
    *, session: Session, member: Member, period: Period
) -> list[ManagerFollowUp]:
    return list(
        session.scalars(
            select(ManagerFollowUp)
            .where(
                ManagerFollowUp.member_id == member.id,
                ManagerFollowUp.followed_up_on >= period.start,
                ManagerFollowUp.followed_up_on <= period.end,
            )
            .order_by(ManagerFollowUp.followed_up_on, ManagerFollowUp.id)
        )
    )
