"""A member's own data on request, and forgetting a person (GDPR): personal data erased,
anonymous counts kept, the erasure itself logged."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from models.attendance import Attendance
from models.followup import ManagerFollowUp
from models.history import ChangeRecord
from models.network import Member
from models.nudges import Nudge
from models.prep import Preparation, PrepExample, PrepQuestion
from models.sparring import SparringEntry, SparringReceiver
from models.spread import SpreadAction

ERASED = "—"


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def _name(session: Session, member_id: int | None) -> str | None:
    if member_id is None:
        return None
    person = session.get(Member, member_id)
    return person.name if person else None


def personal_data(*, session: Session, member: Member) -> dict[str, Any]:
    """Everything stored about `member`: what they entered, and what others entered about
    them (questions addressed to them, sparring logged with them, their solutions spread)."""
    mid = member.id
    meeting_no = {m.id: m.number for m in member.network.meetings}
    data: dict[str, Any] = {
        "profile": {
            "slack_user_id": member.slack_user_id,
            "name": member.name,
            "organisation": member.organisation,
            "manager": member.manager_name,
            "email": member.email,
            "language": member.language,
            "timezone": member.timezone,
            "slack_timezone": member.slack_timezone,
            "away_until": _iso(member.away_until),
            "network": member.network.name,
            "role": member.role.value,
            "active": member.active,
            "created_at": _iso(member.created_at),
        },
        "manager_alignment": [
            {
                "meeting": meeting_no.get(p.meeting_id),
                "aligned": p.manager_aligned,
                "aligned_on": _iso(p.manager_aligned_on),
                "agreed": p.manager_agreed,
            }
            for p in session.scalars(select(Preparation).where(Preparation.member_id == mid))
        ],
        "my_questions": [
            {
                "meeting": meeting_no.get(q.meeting_id),
                "position": q.position,
                "text": q.text,
                "primary": _name(session, q.primary_id),
                "secondary": _name(session, q.secondary_id),
            }
            for q in session.scalars(select(PrepQuestion).where(PrepQuestion.member_id == mid))
        ],
        "questions_for_me": [
            {
                "meeting": meeting_no.get(q.meeting_id),
                "asked_by": _name(session, q.member_id),
                "text": q.text,
                "as": "primary" if q.primary_id == mid else "secondary",
            }
            for q in session.scalars(
                select(PrepQuestion).where(
                    or_(PrepQuestion.primary_id == mid, PrepQuestion.secondary_id == mid)
                )
            )
        ],
        "examples": [
            {
                "meeting": meeting_no.get(e.meeting_id),
                "title": e.title,
                "idea": e.idea,
                "effect": e.effect,
                "learning": e.learning,
                "source": e.source.value,
                "did_not_work": e.did_not_work,
            }
            for e in session.scalars(select(PrepExample).where(PrepExample.member_id == mid))
        ],
        "sparring_given": [
            {
                "date": _iso(e.given_on),
                "minutes": e.minutes,
                "note": e.note,
                "with": [r.member.name for r in e.receivers],
                "removed": e.removed_at is not None,
            }
            for e in session.scalars(select(SparringEntry).where(SparringEntry.giver_id == mid))
        ],
        "sparring_received": [
            {
                "date": _iso(r.entry.given_on),
                "minutes": r.entry.minutes,
                "from": r.entry.giver.name,
                "note": r.entry.note,
                "disputed": r.disputed_at is not None,
            }
            for r in session.scalars(
                select(SparringReceiver).where(SparringReceiver.member_id == mid)
            )
        ],
        "manager_followups": [
            {"date": _iso(f.followed_up_on), "agreed": f.agreed, "next_step": f.next_step}
            for f in session.scalars(
                select(ManagerFollowUp).where(ManagerFollowUp.member_id == mid)
            )
        ],
        "spreading": [
            {
                "solution": a.solution,
                "from": _name(session, a.source_member_id),
                "meeting": meeting_no.get(a.meeting_id) if a.meeting_id else None,
                "status": a.status.value,
                "effect": a.effect,
            }
            for a in session.scalars(select(SpreadAction).where(SpreadAction.member_id == mid))
        ],
        "my_solutions_spread": [
            {"solution": a.solution, "by": _name(session, a.member_id), "status": a.status.value}
            for a in session.scalars(
                select(SpreadAction).where(SpreadAction.source_member_id == mid)
            )
        ],
        "attendance": [
            {
                "meeting": meeting_no.get(a.meeting_id),
                "answer": a.status.value,
                "substitute_name": a.substitute_name,
                "substitute_email": a.substitute_email,
            }
            for a in session.scalars(select(Attendance).where(Attendance.member_id == mid))
        ],
        "messages_sent_to_me": [
            {
                "kind": n.kind.value,
                "meeting": meeting_no.get(n.meeting_id) if n.meeting_id else None,
                "status": n.status.value,
                "sent_at": _iso(n.sent_at),
            }
            for n in session.scalars(select(Nudge).where(Nudge.member_id == mid))
        ],
        "my_changes": [
            {
                "what": c.entity,
                "field": c.field,
                "from": c.old_value,
                "to": c.new_value,
                "when": _iso(c.changed_at),
            }
            for c in session.scalars(select(ChangeRecord).where(ChangeRecord.member_id == mid))
        ],
    }
    return data


def forget_member(*, session: Session, member: Member, by: Member, now: datetime) -> None:
    """Erase `member`'s personal data: profile, everything they wrote, what others wrote to
    or about them by name stays only as numbers. Rows (and so anonymous counts) remain; the
    person no longer takes part. The erasure is recorded (who, when), without any content."""
    mid = member.id
    member.name = f"Slettet medlem {mid}"
    member.slack_user_id = f"FORGOTTEN{mid}"
    for attr in (
        "organisation",
        "manager_name",
        "email",
        "language",
        "timezone",
        "slack_timezone",
        "away_until",
    ):
        setattr(member, attr, None)
    member.active = False
    member.updated_at = now
    session.execute(
        update(Preparation).where(Preparation.member_id == mid).values(manager_agreed="")
    )
    session.execute(update(PrepQuestion).where(PrepQuestion.member_id == mid).values(text=""))
    session.execute(
        update(PrepExample)
        .where(PrepExample.member_id == mid)
        .values(title=ERASED, idea="", effect="", learning="")
    )
    session.execute(update(SparringEntry).where(SparringEntry.giver_id == mid).values(note=""))
    session.execute(
        update(ManagerFollowUp)
        .where(ManagerFollowUp.member_id == mid)
        .values(agreed=ERASED, next_step="")
    )
    session.execute(
        update(SpreadAction).where(SpreadAction.member_id == mid).values(solution=ERASED, effect="")
    )
    session.execute(
        update(Attendance)
        .where(Attendance.member_id == mid)
        .values(substitute_name=None, substitute_email=None)
    )
    session.execute(
        update(ChangeRecord)
        .where(ChangeRecord.member_id == mid)
        .values(old_value=None, new_value=None)
    )
    session.add(
        ChangeRecord(
            member_id=by.id,
            entity="member",
            entity_id=mid,
            field="forgotten",
            old_value=None,
            new_value=None,
            changed_at=now,
        )
    )
    session.flush()
