"""Running a network from Slack: adding and removing members, moving a meeting."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models.errors import InputError
from models.history import apply_changes
from models.network import LANGUAGES, Meeting, Member, Network, Role, members_elsewhere
from models.nudges import Nudge, NudgeStatus


def add_member(
    *,
    session: Session,
    network: Network,
    by: Member,
    slack_user_id: str,
    name: str,
    organisation: str,
    manager: str,
    language: str | None,
    now: datetime,
) -> Member:
    """Add (or bring back) a member; they get nudges from the next pass on."""
    organisation, manager, name = organisation.strip(), manager.strip(), name.strip()
    if not organisation:
        raise InputError("network.error.add_form", missing="org")
    if not manager:
        raise InputError("network.error.add_form", missing="manager")
    if language is not None and language not in LANGUAGES:
        raise InputError("network.error.add_form", missing="lang")
    existing = session.scalars(
        select(Member).where(Member.network_id == network.id, Member.slack_user_id == slack_user_id)
    ).first()
    if existing is not None and existing.role is not Role.MEMBER:
        raise InputError("network.error.not_a_member_role")
    if existing is not None and existing.active:
        raise InputError("network.error.already_member", users=[slack_user_id])
    if members_elsewhere(
        session,
        slack_user_ids=[slack_user_id],
        network_id=network.id,
        season_start=network.season_start,
        season_end=network.season_end,
    ):
        raise InputError("network.error.member_elsewhere", users=[slack_user_id])
    values = {
        "name": name or slack_user_id,
        "organisation": organisation,
        "manager_name": manager,
        "language": language,
        "active": True,
    }
    if existing is None:
        existing = Member(
            network_id=network.id,
            slack_user_id=slack_user_id,
            role=Role.MEMBER,
            created_at=now,
            updated_at=now,
            **values,
        )
        session.add(existing)
        session.flush()
    else:
        apply_changes(
            session=session, obj=existing, entity="member", member_id=by.id, values=values, now=now
        )
        existing.updated_at = now
    return existing


def remove_member(
    *, session: Session, network: Network, by: Member, slack_user_id: str, now: datetime
) -> Member:
    """Stop a member's nudges and take them out of the summaries; their history stays."""
    member = session.scalars(
        select(Member).where(
            Member.network_id == network.id,
            Member.slack_user_id == slack_user_id,
            Member.role == Role.MEMBER,
            Member.active.is_(True),
        )
    ).first()
    if member is None:
        raise InputError("network.error.unknown_member")
    apply_changes(
        session=session,
        obj=member,
        entity="member",
        member_id=by.id,
        values={"active": False},
        now=now,
    )
    member.updated_at = now
    session.flush()
    return member


def move_meeting(
    *,
    session: Session,
    network: Network,
    by: Member,
    number: int,
    day: date | None,
    start: time | None,
    end: time | None,
    place: str | None,
    host: str | None,
    now: datetime,
) -> Meeting:
    """Change a meeting's date, time, place or host. Nudges follow a new date: scheduled
    nudges not yet sent for it (and for the period before it) are planned again."""
    meeting = next((m for m in network.meetings if m.number == number), None)
    if meeting is None:
        raise InputError(
            "network.error.unknown_meeting", value=str(number), count=len(network.meetings)
        )
    if meeting.starts_at <= now:
        raise InputError("network.error.meeting_past", number=number)
    zone = network.zone
    local_start, local_end = meeting.starts_at.astimezone(zone), meeting.ends_at.astimezone(zone)
    new_day = day or local_start.date()
    starts = datetime.combine(new_day, start or local_start.time(), tzinfo=zone)
    ends = datetime.combine(new_day, end or local_end.time(), tzinfo=zone)
    if starts >= ends:
        raise InputError("network.error.meeting_times")
    if not network.season_start <= new_day <= network.season_end:
        raise InputError(
            "network.error.meeting_season", start=network.season_start, end=network.season_end
        )
    before = next((m for m in network.meetings if m.number == number - 1), None)
    after = next((m for m in network.meetings if m.number == number + 1), None)
    if (before and starts <= before.ends_at) or (after and ends >= after.starts_at):
        raise InputError("network.error.meeting_order", number=number)
    if starts <= now:
        raise InputError("network.error.meeting_past", number=number)
    values: dict[str, object] = {"starts_at": starts, "ends_at": ends}
    if place:
        values["place"] = place.strip()
    if host:
        values["host"] = host.strip()
    changed = apply_changes(
        session=session, obj=meeting, entity="meeting", member_id=by.id, values=values, now=now
    )
    if "starts_at" in changed:
        affected = [meeting.id] + ([before.id] if before else [])
        session.execute(
            delete(Nudge).where(
                Nudge.meeting_id.in_(affected),
                Nudge.seq == 0,
                Nudge.status.in_([NudgeStatus.PENDING, NudgeStatus.SUPERSEDED]),
            )
        )
    session.flush()
    return meeting
