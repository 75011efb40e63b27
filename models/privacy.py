"""A member's own data on request, and forgetting a person (GDPR): personal data erased,
anonymous counts kept, the erasure itself logged."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Enum, String, Table, Text, delete, func, or_, select, update
from sqlalchemy.orm import Session

from models.applications import Application
from models.attendance import Attendance
from models.base import Base
from models.bazaar import BazaarClaim, BazaarItem
from models.exchange import SisterShare, erase_shares
from models.followup import ManagerFollowUp
from models.history import ChangeRecord
from models.library import ExampleSparringAsk
from models.network import FORGOTTEN_PREFIX, Meeting, Member, Network, Platform, reached_as
from models.nudges import Nudge, NudgeKind, NudgeStatus
from models.people import ERASED_NAME
from models.prep import Preparation, PrepExample, PrepQuestion
from models.reflection import Reflection
from models.renewal import RenewalVote, SeatClaim
from models.replay import forget_responses
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


def people_on_record(
    session: Session, external_id: str, platform: Platform = Platform.SLACK
) -> list[Member]:
    """Every network row stored for this person on `platform`, active or not (a removed
    member's data is still stored and theirs to see); an erased person has none."""
    return list(
        session.scalars(
            select(Member).where(reached_as(platform, [external_id])).order_by(Member.id)
        )
    )


def personal_data(*, session: Session, member: Member) -> dict[str, Any]:
    """Everything stored about `member`: what they entered, and what others entered about
    them (questions addressed to them, sparring logged with them, their solutions spread)."""
    meeting_no = {m.id: m.number for m in member.network.meetings}
    return {kind: section(session, member, meeting_no) for kind, section in _SECTIONS.items()}


_MeetingNumbers = dict[int, int]  # meeting id -> its number


def _profile(session: Session, member: Member, meeting_no: _MeetingNumbers) -> dict[str, Any]:
    return {
        "slack_user_id": member.slack_user_id,
        "identities": [
            {"platform": i.platform.value, "id": i.external_id} for i in member.identities
        ],
        "name": member.name,
        "organisation": member.organisation,
        "manager": member.manager_name,
        "email": member.email,
        "language": member.language,
        "timezone": member.timezone,
        "slack_timezone": member.slack_timezone,
        "away_until": _iso(member.away_until),
        "competencies": list(member.competencies or []),
        "contributes": member.contributes,
        "network": member.network.name,
        "role": member.role.value,
        "active": member.active,
        # Their row in the season before, when they came by claiming their seat.
        "previous_season_member_id": member.previous_member_id,
        "created_at": _iso(member.created_at),
    }


def _manager_alignment(
    session: Session, member: Member, meeting_no: _MeetingNumbers
) -> list[dict[str, Any]]:
    return [
        {
            "meeting": meeting_no.get(p.meeting_id),
            "aligned": p.manager_aligned,
            "aligned_on": _iso(p.manager_aligned_on),
            "agreed": p.manager_agreed,
        }
        for p in session.scalars(select(Preparation).where(Preparation.member_id == member.id))
    ]


def _my_questions(
    session: Session, member: Member, meeting_no: _MeetingNumbers
) -> list[dict[str, Any]]:
    return [
        {
            "meeting": meeting_no.get(q.meeting_id),
            "position": q.position,
            "text": q.text,
            "primary": _name(session, q.primary_id),
            "secondary": _name(session, q.secondary_id),
        }
        for q in session.scalars(select(PrepQuestion).where(PrepQuestion.member_id == member.id))
    ]


def _questions_for_me(
    session: Session, member: Member, meeting_no: _MeetingNumbers
) -> list[dict[str, Any]]:
    mid = member.id
    return [
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
    ]


def _examples(
    session: Session, member: Member, meeting_no: _MeetingNumbers
) -> list[dict[str, Any]]:
    return [
        {
            "meeting": meeting_no.get(e.meeting_id),
            "title": e.title,
            "idea": e.idea,
            "effect": e.effect,
            "learning": e.learning,
            "source": e.source.value,
            "did_not_work": e.did_not_work,
            "kind": e.kind.value if e.kind else None,
        }
        for e in session.scalars(select(PrepExample).where(PrepExample.member_id == member.id))
    ]


def _sparring_given(
    session: Session, member: Member, meeting_no: _MeetingNumbers
) -> list[dict[str, Any]]:
    return [
        {
            "date": _iso(e.given_on),
            "minutes": e.minutes,
            "note": e.note,
            "with": [r.member.name for r in e.receivers],
            "removed": e.removed_at is not None,
        }
        for e in session.scalars(select(SparringEntry).where(SparringEntry.giver_id == member.id))
    ]


def _sparring_received(
    session: Session, member: Member, meeting_no: _MeetingNumbers
) -> list[dict[str, Any]]:
    return [
        {
            "date": _iso(r.entry.given_on),
            "minutes": r.entry.minutes,
            "from": r.entry.giver.name,
            "note": r.entry.note,
            "disputed": r.disputed_at is not None,
        }
        for r in session.scalars(
            select(SparringReceiver).where(SparringReceiver.member_id == member.id)
        )
    ]


def _manager_followups(
    session: Session, member: Member, meeting_no: _MeetingNumbers
) -> list[dict[str, Any]]:
    return [
        {"date": _iso(f.followed_up_on), "agreed": f.agreed, "next_step": f.next_step}
        for f in session.scalars(
            select(ManagerFollowUp).where(ManagerFollowUp.member_id == member.id)
        )
    ]


def _spreading(
    session: Session, member: Member, meeting_no: _MeetingNumbers
) -> list[dict[str, Any]]:
    return [
        {
            "solution": a.solution,
            "from": _name(session, a.source_member_id),
            "meeting": meeting_no.get(a.meeting_id) if a.meeting_id else None,
            "status": a.status.value,
            "effect": a.effect,
        }
        for a in session.scalars(select(SpreadAction).where(SpreadAction.member_id == member.id))
    ]


def _my_solutions_spread(
    session: Session, member: Member, meeting_no: _MeetingNumbers
) -> list[dict[str, Any]]:
    return [
        {"solution": a.solution, "by": _name(session, a.member_id), "status": a.status.value}
        for a in session.scalars(
            select(SpreadAction).where(SpreadAction.source_member_id == member.id)
        )
    ]


def _attendance(
    session: Session, member: Member, meeting_no: _MeetingNumbers
) -> list[dict[str, Any]]:
    return [
        {
            "meeting": meeting_no.get(a.meeting_id),
            "answer": a.status.value,
            "substitute_name": a.substitute_name,
            "substitute_email": a.substitute_email,
            "substitute_report": a.substitute_report,
        }
        for a in session.scalars(select(Attendance).where(Attendance.member_id == member.id))
    ]


def _reflections(
    session: Session, member: Member, meeting_no: _MeetingNumbers
) -> list[dict[str, Any]]:
    return [
        {
            "meeting": meeting_no.get(r.meeting_id),
            "common_to_all": r.common,
            "common_to_some": r.some,
            "particular_to_my_organisation": r.particular,
            "shown_with_my_name": r.named,
            "shared_with_sister_network": r.share_with_sister,
            "updated_at": _iso(r.updated_at),
        }
        for r in session.scalars(select(Reflection).where(Reflection.member_id == member.id))
    ]


def _messages_sent_to_me(
    session: Session, member: Member, meeting_no: _MeetingNumbers
) -> list[dict[str, Any]]:
    return [
        {
            "kind": n.kind.value,
            "meeting": meeting_no.get(n.meeting_id) if n.meeting_id else None,
            "status": n.status.value,
            "sent_at": _iso(n.sent_at),
        }
        for n in session.scalars(select(Nudge).where(Nudge.member_id == member.id))
    ]


def _my_changes(
    session: Session, member: Member, meeting_no: _MeetingNumbers
) -> list[dict[str, Any]]:
    return [
        {
            "what": c.entity,
            "field": c.field,
            "from": c.old_value,
            "to": c.new_value,
            "when": _iso(c.changed_at),
        }
        for c in session.scalars(select(ChangeRecord).where(ChangeRecord.member_id == member.id))
    ]


def _shared_with_sister(
    session: Session, member: Member, meeting_no: _MeetingNumbers
) -> list[dict[str, Any]]:
    rows = session.scalars(select(SisterShare).where(SisterShare.member_id == member.id))
    return [
        {
            "example_id": r.example_id,
            "question_id": r.question_id,
            "shared_at": _iso(r.shared_at),
        }
        for r in rows
    ]


def _applications(
    session: Session, member: Member, meeting_no: _MeetingNumbers
) -> list[dict[str, Any]]:
    return [
        {
            "network": a.network.name,
            "name": a.name,
            "email": a.email,
            "workplace": a.workplace,
            "about": a.about,
            "tasks": a.tasks,
            "competencies": list(a.competencies),
            "wants": a.wants,
            "contributes": a.contributes,
            "confirmed_time": a.confirmed_time,
            "confirmed_binding": a.confirmed_binding,
            "status": a.status.value,
            "wait_list_position": a.position,
            "message": a.outcome_message,
            "created_at": _iso(a.created_at),
            "updated_at": _iso(a.updated_at),
        }
        for a in session.scalars(select(Application).where(Application.member_id == member.id))
    ]


def _sparring_asked(
    session: Session, member: Member, meeting_no: _MeetingNumbers
) -> list[dict[str, Any]]:
    """The examples the member asked their owners for sparring about (the library)."""
    rows = session.scalars(
        select(ExampleSparringAsk).where(ExampleSparringAsk.member_id == member.id)
    )
    return [
        {"example_id": r.example_id, "example": r.example.title, "asked_at": _iso(r.created_at)}
        for r in rows
    ]


def _bazaar(session: Session, member: Member, meeting_no: _MeetingNumbers) -> dict[str, Any]:
    """What the member put on the idea bazaar, and what they claimed there."""
    items = session.scalars(select(BazaarItem).where(BazaarItem.member_id == member.id))
    claims = session.scalars(select(BazaarClaim).where(BazaarClaim.member_id == member.id))
    return {
        "items": [
            {
                "meeting": meeting_no.get(i.meeting_id),
                "kind": i.kind.value,
                "title": i.title,
                "text": i.text,
                "claimed_by": len(i.claims),
                "created_at": _iso(i.created_at),
                # The giver's own view of each claim (status, effect note), not the claimer's.
                "your_view_of_claims": [
                    {
                        "status": c.giver_status.value if c.giver_status else None,
                        "effect": c.giver_effect,
                        "answered_at": _iso(c.giver_answered_at),
                    }
                    for c in i.claims
                    if c.giver_answered_at is not None
                ],
            }
            for i in items
        ],
        "claimed": [{"item": c.item.title, "claimed_at": _iso(c.created_at)} for c in claims],
    }


# The sections of a member's own data, in the order they are given; a new kind of record about
# a person adds its section here.
def _renewal_vote(
    session: Session, member: Member, meeting_no: _MeetingNumbers
) -> dict[str, Any] | None:
    vote = session.scalars(select(RenewalVote).where(RenewalVote.member_id == member.id)).first()
    if vote is None:
        return None
    return {"choice": vote.choice.value, "updated_at": _iso(vote.updated_at)}


def _seat_claims(
    session: Session, member: Member, meeting_no: _MeetingNumbers
) -> list[dict[str, Any]]:
    """Their answers on a seat in the next season (and which season's row they came from)."""
    rows = session.execute(
        select(SeatClaim, Network.name)
        .join(Network, Network.id == SeatClaim.network_id)
        .where(SeatClaim.member_id == member.id)
    ).all()
    return [
        {"season": name, "takes_seat": claim.takes_seat, "updated_at": _iso(claim.updated_at)}
        for claim, name in rows
    ]


_SECTIONS: dict[str, Callable[[Session, Member, _MeetingNumbers], Any]] = {
    "profile": _profile,
    "renewal_vote": _renewal_vote,
    "seat_claims": _seat_claims,
    "manager_alignment": _manager_alignment,
    "my_questions": _my_questions,
    "questions_for_me": _questions_for_me,
    "examples": _examples,
    "sparring_given": _sparring_given,
    "sparring_received": _sparring_received,
    "manager_followups": _manager_followups,
    "spreading": _spreading,
    "my_solutions_spread": _my_solutions_spread,
    "attendance": _attendance,
    "reflections": _reflections,
    "messages_sent_to_me": _messages_sent_to_me,
    "my_changes": _my_changes,
    "shared_with_sister": _shared_with_sister,
    "applications": _applications,
    "sparring_asked": _sparring_asked,
    "bazaar": _bazaar,
}


REDACTED = "[—]"  # stands where someone else's text named an erased person
# The erased row is blanked field by field, and so are their identities; other rows there
# are other people (their ids are not text about anyone).
_NOT_SCANNED = {"member", "identity"}


def _unique_to(session: Session, member: Member, attr: str) -> str | None:
    """`member`'s value of `attr` when nobody else in the database has it (so it points to
    this person), else None."""
    value = (getattr(member, attr) or "").strip()
    if len(value) < 3:
        return None
    column = getattr(Member, attr)
    shared = session.scalar(
        select(func.count())
        .select_from(Member)
        .where(Member.id != member.id, func.lower(column) == value.lower())
    )
    return None if shared else value


def identifiers_of(session: Session, member: Member) -> list[str]:
    """What names this person in text: their id on each platform, name, e-mail, and the
    organisation and manager when no one else in the database shares them. Longest first."""
    found = {i.external_id for i in member.identities}
    found |= {member.name.strip(), (member.email or "").strip()}
    for attr in ("organisation", "manager_name"):
        found.add(_unique_to(session, member, attr) or "")
    return sorted((f for f in found if len(f) >= 3), key=len, reverse=True)


def redactor(identifiers: list[str], slack_user_id: str | None) -> re.Pattern[str]:
    """What to replace: a mention as Slack writes it (<@U…> or <@U…|label>) whole, then each
    identifier as a whole word (so "Ida" leaves "Idag" alone), also in the genitive ("Anna
    Lunds"). Case does not matter."""
    mention = [rf"<@{re.escape(slack_user_id)}(?:\|[^>]*)?>"] if slack_user_id else []
    words = [rf"(?<!\w){re.escape(i)}s?(?!\w)" for i in identifiers]
    return re.compile("|".join([*mention, *words]), re.IGNORECASE)


def _text_columns(table: Table) -> list[Column[Any]]:
    return [
        c
        for c in table.columns
        if isinstance(c.type, String | Text) and not isinstance(c.type, Enum) and not c.foreign_keys
    ]


def redact_everywhere(session: Session, identifiers: list[str], slack_user_id: str | None) -> int:
    """Replace every mention of the person in every text column of every table (other
    people's notes, questions, examples, change history, outbox details, …); returns the
    number of rows changed. Rows are found in SQL, rewritten in Python."""
    if not identifiers:
        return 0
    pattern = redactor(identifiers, slack_user_id)
    changed = 0
    for table in Base.metadata.sorted_tables:
        if table.name in _NOT_SCANNED:
            continue
        columns = _text_columns(table)
        (pk,) = table.primary_key.columns
        if not columns:
            continue
        hit = or_(
            *(
                func.lower(c).contains(i.lower(), autoescape=True)
                for c in columns
                for i in identifiers
            )
        )
        for row in session.execute(select(pk, *columns).where(hit)).all():
            values = {
                c.name: pattern.sub(REDACTED, value)
                for c, value in zip(columns, row[1:], strict=True)
                if isinstance(value, str) and pattern.search(value)
            }
            if values:
                session.execute(table.update().where(pk == row[0]).values(**values))
                changed += 1
    return changed


def _redact_contributions(
    session: Session, identifiers: list[str], slack_user_id: str | None
) -> None:
    """Other members' "what I can contribute" (on the member rows, which the sweep above
    leaves alone) may name the person too."""
    if not identifiers:
        return
    pattern = redactor(identifiers, slack_user_id)
    for other in session.scalars(select(Member).where(Member.contributes.is_not(None))):
        if other.contributes and pattern.search(other.contributes):
            other.contributes = pattern.sub(REDACTED, other.contributes)


def cancel_outbox_for(session: Session, member_id: int, now: datetime) -> None:
    """Nothing queued goes out to or about an erased person: their own pending nudges and
    snoozed reminders, and notices to others naming them (sparring they logged, an example
    they took up, a dispute about their sparring). Sent rows stay as anonymous counts,
    without channel or message ids."""
    open_statuses = [NudgeStatus.PENDING, NudgeStatus.SENDING]
    about = or_(
        Nudge.member_id == member_id,
        (Nudge.kind == NudgeKind.SPARRING_RECEIVED)
        & Nudge.seq.in_(
            select(SparringReceiver.id)
            .join(SparringEntry, SparringEntry.id == SparringReceiver.entry_id)
            .where(SparringEntry.giver_id == member_id)
        ),
        (Nudge.kind == NudgeKind.SPREAD_NOTICE)
        & Nudge.seq.in_(select(SpreadAction.id).where(SpreadAction.member_id == member_id)),
        Nudge.kind.in_([NudgeKind.BAZAAR_FOLLOWUP_30, NudgeKind.BAZAAR_FOLLOWUP_90])
        & Nudge.seq.in_(
            select(BazaarClaim.id)
            .join(BazaarItem, BazaarItem.id == BazaarClaim.item_id)
            .where(or_(BazaarClaim.member_id == member_id, BazaarItem.member_id == member_id))
        ),
        (Nudge.kind == NudgeKind.EXAMPLE_SPARRING)
        & Nudge.seq.in_(
            select(ExampleSparringAsk.id).where(ExampleSparringAsk.member_id == member_id)
        ),
        # A dispute names both the receiver who disputed and the giver of the entry.
        (Nudge.kind == NudgeKind.SPARRING_DISPUTE)
        & Nudge.seq.in_(
            select(SparringReceiver.id)
            .join(SparringEntry, SparringEntry.id == SparringReceiver.entry_id)
            .where(
                or_(SparringEntry.giver_id == member_id, SparringReceiver.member_id == member_id)
            )
        ),
    )
    session.execute(
        update(Nudge)
        .where(about, Nudge.status.in_(open_statuses))
        .values(status=NudgeStatus.SKIPPED, detail="erased", next_attempt_at=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Nudge)
        .where(Nudge.member_id == member_id)
        .values(channel_id=None, message_ts=None, claimed_by=None, detail="erased")
        .execution_options(synchronize_session=False)
    )


def forget_member(*, session: Session, member: Member, by: Member, now: datetime) -> None:
    """Erase `member`'s personal data: profile, everything they wrote, every mention of them
    in other people's text and in the history; nothing queued goes out to or about them.
    Rows (and so anonymous counts) remain; the person no longer takes part. The erasure is
    recorded (who, when), without any content."""
    mid = member.id
    identifiers = identifiers_of(session, member)
    slack_user_id = member.slack_user_id
    cancel_outbox_for(session, mid, now)
    _blank_profile(member, now)
    _erase_what_they_wrote(session, mid)
    erase_shares(session, mid)  # what they shared vanishes from the sister network's view
    session.execute(delete(ExampleSparringAsk).where(ExampleSparringAsk.member_id == mid))
    # What they put on the bazaar (and the claims on it), and what they claimed there.
    theirs = select(BazaarItem.id).where(BazaarItem.member_id == mid)
    session.execute(
        delete(BazaarClaim).where(
            or_(BazaarClaim.member_id == mid, BazaarClaim.item_id.in_(theirs))
        )
    )
    session.execute(delete(BazaarItem).where(BazaarItem.member_id == mid))
    session.flush()
    redact_everywhere(session, identifiers, slack_user_id)
    forget_responses(session)  # Teams invoke answers kept for a retry (minutes)
    _redact_contributions(session, identifiers, slack_user_id)
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
    session.expire_all()


_PROFILE_ERASED = (
    "organisation",
    "manager_name",
    "email",
    "language",
    "timezone",
    "slack_timezone",
    "slack_timezone_checked_at",
    "away_until",
)


def _blank_profile(member: Member, now: datetime) -> None:
    """The person's row keeps only a placeholder name; they take part no more."""
    mid = member.id
    member.name = f"{ERASED_NAME} {mid}"
    for identity in member.identities:  # reachable nowhere, and named by no id any more
        identity.external_id = f"{FORGOTTEN_PREFIX}{mid}"
        identity.conversation = None
    for attr in _PROFILE_ERASED:
        setattr(member, attr, None)
    member.competencies = []
    member.contributes = None
    member.active = False
    member.updated_at = now


def _erase_what_they_wrote(session: Session, mid: int) -> None:
    """Blank the text of every record the person entered (the rows stay, as counts); their
    applications go altogether."""
    session.execute(delete(Application).where(Application.member_id == mid))
    session.execute(
        update(Meeting).where(Meeting.host_contact_id == mid).values(host_contact_id=None)
    )
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
    session.execute(  # kept as a count of who reflected, never with a name or shared
        update(Reflection)
        .where(Reflection.member_id == mid)
        .values(common=ERASED, some="", particular="", named=False, share_with_sister=False)
    )
    session.execute(
        update(Attendance)
        .where(Attendance.member_id == mid)
        .values(
            substitute_name=None,
            substitute_email=None,
            substitute_report=None,
            substitute_reported_at=None,
        )
    )
    # What they changed, and what others changed on their profile (name, organisation, …).
    session.execute(
        update(ChangeRecord)
        .where(
            or_(
                ChangeRecord.member_id == mid,
                (ChangeRecord.entity == "member") & (ChangeRecord.entity_id == mid),
            )
        )
        .values(old_value=None, new_value=None)
    )
