"""Running a network from Slack: adding and removing members, moving a meeting. A meeting's
change (from `/network meeting` or a re-imported network file) goes through
`apply_meeting_change`, which re-plans its reminders and tells the members."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from models.errors import InputError
from models.history import apply_changes
from models.network import (
    LANGUAGES,
    Meeting,
    MeetingChange,
    Member,
    Network,
    Platform,
    Role,
    members_elsewhere,
    reached_as,
)
from models.nudges import Nudge, NudgeKind, NudgeStatus, enqueue_notice
from models.people import Person, person_of

# What members are told about when it changes; theme and host changes are not news to them.
NOTIFIED_FIELDS = ("starts_at", "ends_at", "place")


def add_member(
    *,
    session: Session,
    network: Network,
    by: Member,
    external_id: str,
    name: str,
    organisation: str,
    manager: str,
    language: str | None,
    now: datetime,
    platform: Platform = Platform.SLACK,
) -> Member:
    """Add (or bring back) the person `external_id` on `platform` as a member; they get
    nudges from the next pass on."""
    organisation, manager, name = organisation.strip(), manager.strip(), name.strip()
    if not organisation:
        raise InputError("network.error.add_form", missing="org")
    if not manager:
        raise InputError("network.error.add_form", missing="manager")
    if language is not None and language not in LANGUAGES:
        raise InputError("network.error.add_form", missing="lang")
    existing = _joining_member(session, network, platform, external_id)
    values = {
        "name": name or external_id,
        "organisation": organisation,
        "manager_name": manager,
        "language": language,
        "active": True,
    }
    if existing is None:
        existing = Member(
            network_id=network.id, role=Role.MEMBER, created_at=now, updated_at=now, **values
        )
        existing.set_identity(platform, external_id)
        session.add(existing)
        session.flush()
    else:
        apply_changes(
            session=session, obj=existing, entity="member", member_id=by.id, values=values, now=now
        )
        existing.updated_at = now
    return existing


def _joining_member(
    session: Session, network: Network, platform: Platform, external_id: str
) -> Member | None:
    """The network's earlier row for a person who may join as a member (None: new to it);
    InputError when they cannot: not a member's role, a member already, or an active member
    of another network this season."""
    existing = session.scalars(
        select(Member).where(Member.network_id == network.id, reached_as(platform, [external_id]))
    ).first()
    if existing is not None and existing.role is not Role.MEMBER:
        raise InputError("network.error.not_a_member_role")
    if existing is not None and existing.active:
        raise InputError("network.error.already_member", users=[person_of(existing)])
    elsewhere = members_elsewhere(
        session,
        slack_user_ids=[external_id],
        network_id=network.id,
        season_start=network.season_start,
        season_end=network.season_end,
        platform=platform,
    )
    if elsewhere:
        there = session.scalars(
            select(Member).where(
                Member.network_id == elsewhere[external_id].id,
                reached_as(platform, [external_id]),
            )
        ).first()
        slack_id = external_id if platform is Platform.SLACK else None
        person = person_of(there) if there else Person(name="", slack_id=slack_id)
        raise InputError("network.error.member_elsewhere", users=[person])
    return existing


def remove_member(
    *,
    session: Session,
    network: Network,
    by: Member,
    external_id: str,
    now: datetime,
    platform: Platform = Platform.SLACK,
) -> Member:
    """Stop a member's nudges and take them out of the summaries; their history stays."""
    member = session.scalars(
        select(Member).where(
            Member.network_id == network.id,
            reached_as(platform, [external_id]),
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
    apply_meeting_change(session=session, meeting=meeting, values=values, by=by, now=now)
    session.flush()
    return meeting


MAX_SPEAKERS = 20
MAX_DETAIL = 2000  # characters of a meeting's description


def set_meeting_details(
    *,
    session: Session,
    network: Network,
    by: Member,
    number: int,
    speakers: list[str] | None,
    description: str | None,
    now: datetime,
) -> Meeting:
    """Set a meeting's speakers ("name, title" each) and/or its short description (None:
    unchanged); the change is kept in the history. Members see them where the meeting is
    shown, and in its calendar invitation from then on."""
    meeting = next((m for m in network.meetings if m.number == number), None)
    if meeting is None:
        raise InputError(
            "network.error.unknown_meeting", value=str(number), count=len(network.meetings)
        )
    values: dict[str, object] = {}
    if speakers is not None:
        cleaned = [s.strip() for s in speakers if s.strip()]
        if len(cleaned) > MAX_SPEAKERS or any(len(s) > 200 for s in cleaned):
            raise InputError("network.error.meeting_details")
        values["speakers"] = "\n".join(cleaned)
    if description is not None:
        if len(description.strip()) > MAX_DETAIL:
            raise InputError("network.error.meeting_details")
        values["description"] = description.strip()
    apply_changes(
        session=session, obj=meeting, entity="meeting", member_id=by.id, values=values, now=now
    )
    session.flush()
    return meeting


def apply_meeting_change(
    *,
    session: Session,
    meeting: Meeting,
    values: dict[str, object],
    by: Member | None,
    now: datetime,
) -> list[str]:
    """Set `values` on an existing meeting; returns the names of the fields that changed.

    A new time re-plans the reminders: scheduled nudges not yet sent for this meeting (and
    for the period before it) are planned again, and reminders a member snoozed for the old
    date are cancelled. A new time or place raises the meeting's calendar sequence and is
    told to the members (and the host contact) in a notice, old → new, with the updated
    calendar invitation, unless the meeting has begun. With `by`, each change is recorded
    in the history."""
    old_starts, old_ends, old_place = meeting.starts_at, meeting.ends_at, meeting.place
    if by is not None:
        changed = apply_changes(
            session=session, obj=meeting, entity="meeting", member_id=by.id, values=values, now=now
        )
    else:
        changed = [name for name, value in values.items() if getattr(meeting, name) != value]
        for name in changed:
            setattr(meeting, name, values[name])
    if any(name in changed for name in NOTIFIED_FIELDS):
        meeting.calendar_sequence += 1  # the invitation sent with the notice replaces the old
    if "starts_at" in changed:
        before = session.scalars(
            select(Meeting).where(
                Meeting.network_id == meeting.network_id, Meeting.number == meeting.number - 1
            )
        ).first()
        affected = [meeting.id] + ([before.id] if before else [])
        session.execute(
            delete(Nudge).where(
                Nudge.meeting_id.in_(affected),
                Nudge.status.in_([NudgeStatus.PENDING, NudgeStatus.SUPERSEDED]),
                # the scheduled ones are planned again; the snoozed ones were for the old date
                (Nudge.seq == 0) | (Nudge.status == NudgeStatus.PENDING),
            )
        )
    if (
        any(name in changed for name in NOTIFIED_FIELDS)
        and min(old_starts, meeting.starts_at) > now
    ):
        _notify_meeting_change(
            session=session,
            meeting=meeting,
            old=(old_starts, old_ends, old_place),
            now=now,
        )
    return changed


def _notify_meeting_change(
    *,
    session: Session,
    meeting: Meeting,
    old: tuple[datetime, datetime, str],
    now: datetime,
) -> None:
    """One notice per member: old → new. A notice of an earlier change of this meeting that
    has not gone out yet is replaced, and the new one starts from what that one said was
    before, so a member reads one notice from what they knew to what is true now."""
    old = _supersede_unsent_changes(session, meeting) or old
    change = MeetingChange(
        meeting_id=meeting.id,
        old_starts_at=old[0],
        old_ends_at=old[1],
        old_place=old[2],
        changed_at=now,
    )
    session.add(change)
    session.flush()
    people = session.scalars(
        select(Member.id).where(
            Member.network_id == meeting.network_id,
            Member.active.is_(True),
            (Member.role == Role.MEMBER) | (Member.id == meeting.host_contact_id),
        )
    ).all()
    for member_id in people:
        enqueue_notice(
            session=session,
            member_id=member_id,
            kind=NudgeKind.MEETING_CHANGED,
            ref=change.id,
            now=now,
            stale_at=meeting.starts_at,
        )


def _supersede_unsent_changes(
    session: Session, meeting: Meeting
) -> tuple[datetime, datetime, str] | None:
    """Mark the notices of earlier changes of `meeting` that have not gone out as superseded;
    returns what the first of them said was before (None when all went out)."""
    earlier = session.scalars(
        select(MeetingChange)
        .where(MeetingChange.meeting_id == meeting.id)
        .order_by(MeetingChange.id)
    ).all()
    unsent = [
        change
        for change in earlier
        if session.scalar(
            select(Nudge.id)
            .where(
                Nudge.kind == NudgeKind.MEETING_CHANGED,
                Nudge.meeting_id.is_(None),
                Nudge.seq == change.id,
                Nudge.status == NudgeStatus.PENDING,
            )
            .limit(1)
        )
        is not None
    ]
    if not unsent:
        return None
    session.execute(
        update(Nudge)
        .where(
            Nudge.kind == NudgeKind.MEETING_CHANGED,
            Nudge.meeting_id.is_(None),
            Nudge.seq.in_([c.id for c in unsent]),
            Nudge.status == NudgeStatus.PENDING,
        )
        .values(status=NudgeStatus.SUPERSEDED, detail="a later change of the meeting")
    )
    first = unsent[0]
    return first.old_starts_at, first.old_ends_at, first.old_place
