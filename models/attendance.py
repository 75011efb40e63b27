"""Who comes to a meeting: yes, a substitute colleague (named), or can't come — and the head
count the host needs for catering."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.base import STABLE_IDS, Base, enum_column, utc_now
from models.errors import InputError
from models.history import apply_changes
from models.network import Meeting, Member, Role, is_email_address

EMAIL_MAX = 320
NAME_MAX = 200


class SubstituteField(enum.StrEnum):
    """The substitute form's fields (its block ids): an error names the one it belongs on."""

    NAME = "attendance_name"
    EMAIL = "attendance_email"
    REPORT = "attendance_report"  # what the colleague brought back


class AttendanceStatus(enum.StrEnum):
    YES = "yes"
    SUBSTITUTE = "substitute"
    NO = "no"


class Attendance(Base):
    __tablename__ = "attendance"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[AttendanceStatus] = mapped_column(enum_column(AttendanceStatus, 16))
    substitute_name: Mapped[str | None] = mapped_column(String(NAME_MAX))
    substitute_email: Mapped[str | None] = mapped_column(String(EMAIL_MAX))
    # What the substitute colleague brought back, as the member told it after the meeting.
    substitute_report: Mapped[str | None] = mapped_column(Text)
    substitute_reported_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)

    member: Mapped[Member] = relationship()

    __table_args__ = (UniqueConstraint("member_id", "meeting_id"), STABLE_IDS)


def set_attendance(
    *,
    session: Session,
    member: Member,
    meeting: Meeting,
    status: AttendanceStatus,
    substitute_name: str = "",
    substitute_email: str = "",
    now: datetime,
) -> Attendance:
    """Record or change the member's answer, until the meeting starts; a substitute needs a
    name and an e-mail address. Earlier answers stay in the change history."""
    if meeting.starts_at <= now:
        raise InputError(
            "attendance.error.started", field=SubstituteField.NAME, number=meeting.number
        )
    name, email = substitute_name.strip(), substitute_email.strip()
    if status is AttendanceStatus.SUBSTITUTE:
        if not name:
            raise InputError("attendance.error.name_missing", field=SubstituteField.NAME)
        if not is_email_address(email) or len(email) > EMAIL_MAX:
            raise InputError("attendance.error.bad_email", field=SubstituteField.EMAIL, value=email)
        if len(name) > NAME_MAX:
            raise InputError("attendance.error.name_missing", field=SubstituteField.NAME)
    else:
        name = email = ""
    row = session.scalars(
        select(Attendance).where(
            Attendance.member_id == member.id, Attendance.meeting_id == meeting.id
        )
    ).first()
    values = {
        "status": status,
        "substitute_name": name or None,
        "substitute_email": email or None,
    }
    if row is None:
        row = Attendance(
            member_id=member.id, meeting_id=meeting.id, created_at=now, updated_at=now, **values
        )
        session.add(row)
    elif apply_changes(
        session=session, obj=row, entity="attendance", member_id=member.id, values=values, now=now
    ):
        row.updated_at = now
    session.flush()
    return row


REPORT_MAX = 3000


def save_substitute_report(
    *, session: Session, member: Member, meeting: Meeting, text: str, now: datetime
) -> Attendance:
    """What the colleague the member sent to `meeting` brought back, as the member tells it
    (their follow-up input for that meeting); only after the meeting began, only where a
    colleague went. An edit keeps the earlier text in the history."""
    row = attendance_of(session, member, meeting)
    if row is None or row.status is not AttendanceStatus.SUBSTITUTE:
        raise InputError("brief.error.no_substitute", field=SubstituteField.REPORT)
    if meeting.starts_at > now:
        raise InputError("brief.error.not_yet", field=SubstituteField.REPORT)
    text = text.strip()
    if not text or len(text) > REPORT_MAX:
        raise InputError("brief.error.report", field=SubstituteField.REPORT, limit=REPORT_MAX)
    apply_changes(
        session=session,
        obj=row,
        entity="attendance",
        member_id=member.id,
        values={"substitute_report": text, "substitute_reported_at": now},
        now=now,
    )
    row.updated_at = now
    session.flush()
    return row


def attendance_of(session: Session, member: Member, meeting: Meeting) -> Attendance | None:
    return session.scalars(
        select(Attendance).where(
            Attendance.member_id == member.id, Attendance.meeting_id == meeting.id
        )
    ).first()


@dataclass(frozen=True)
class HeadCount:
    meeting: Meeting
    coming: list[Member]
    substitutes: list[Attendance]
    not_coming: list[Member]
    no_answer: list[Member]

    @property
    def total(self) -> int:
        """People to cater for: members who come plus substitutes."""
        return len(self.coming) + len(self.substitutes)


def head_count(session: Session, meeting: Meeting) -> HeadCount:
    members = session.scalars(
        select(Member)
        .where(
            Member.network_id == meeting.network_id,
            Member.role == Role.MEMBER,
            Member.active.is_(True),
        )
        .order_by(Member.name)
    ).all()
    answers = {
        a.member_id: a
        for a in session.scalars(select(Attendance).where(Attendance.meeting_id == meeting.id))
    }
    coming, substitutes, not_coming, no_answer = [], [], [], []
    for m in members:
        answer = answers.get(m.id)
        if answer is None:
            no_answer.append(m)
        elif answer.status is AttendanceStatus.YES:
            coming.append(m)
        elif answer.status is AttendanceStatus.SUBSTITUTE:
            substitutes.append(answer)
        else:
            not_coming.append(m)
    return HeadCount(meeting, coming, substitutes, not_coming, no_answer)


def absent_member_ids(session: Session, meeting: Meeting) -> set[int]:
    """Members who said they will not come themselves (can't come, or send a colleague)."""
    return set(
        session.scalars(
            select(Attendance.member_id).where(
                Attendance.meeting_id == meeting.id,
                Attendance.status.in_([AttendanceStatus.NO, AttendanceStatus.SUBSTITUTE]),
            )
        )
    )
