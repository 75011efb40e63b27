"""Moving a meeting, or giving it its place, tells the members once (old → new) and cancels
reminders snoozed for the old date; from `/network meeting` and from a re-imported file."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models.network import Meeting, Role
from models.network_admin import move_meeting
from models.network_import import apply_network, read_network_file
from models.nudges import Nudge, NudgeKind, NudgeStatus
from tests.conftest import ANNA, EXAMPLE_NETWORK, FACILITATOR, FREDERIK, person
from tests.jobs.conftest import Runner
from tests.slack_standin import SlackStandIn, dm_channel

KICKOFF = datetime(2015, 11, 3, 8, 0, tzinfo=UTC)  # 09:00 in Copenhagen, meeting 2 on 17 Nov
MOVED_AT = KICKOFF + timedelta(hours=2)
OLD_PLACE = "Roskilde Kommune (lokale og adresse følger)"


def _notices(slack: SlackStandIn, user: str | None = None) -> list[dict[str, Any]]:
    return [
        c.params
        for c in slack.calls_to("chat.postMessage")
        if any(b.get("block_id") == "meeting_changed" for b in c.params["blocks"])
        and (user is None or c.params["channel"] == dm_channel(user))
    ]


def _told(session: Session) -> int:
    """How many are told about a change of meeting 2: the members and its host contact."""
    anna = person(session, ANNA)
    meeting = next(m for m in anna.network.meetings if m.number == 2)
    members = {p.id for p in anna.network.people if p.role is Role.MEMBER and p.active}
    assert meeting.host_contact_id is not None and meeting.host_contact_id not in members
    return len(members) + 1


def _move(session: Session, *, day: date | None = None, place: str | None = None) -> None:
    facilitator = person(session, FACILITATOR)
    move_meeting(
        session=session,
        network=facilitator.network,
        by=facilitator,
        number=2,
        day=day,
        start=time(12, 0) if day else None,
        end=time(15, 0) if day else None,
        place=place,
        host=None,
        now=MOVED_AT,
    )
    session.commit()


def test_moving_a_meeting_tells_each_member_once_and_cancels_old_snoozes(
    run_pass: Runner, slack: SlackStandIn, session_factory: sessionmaker[Session]
) -> None:
    run_pass(KICKOFF)
    with session_factory() as s:  # Anna asked to be reminded in three days (for 17 Nov)
        anna = person(s, ANNA)
        kickoff = s.scalars(
            select(Nudge).where(Nudge.member_id == anna.id, Nudge.kind == NudgeKind.PREP_KICKOFF)
        ).one()
        old_start = kickoff.meeting.starts_at if kickoff.meeting else None
        s.add(
            Nudge(
                member_id=anna.id,
                meeting_id=kickoff.meeting_id,
                kind=kickoff.kind,
                seq=1,
                due_at=datetime(2015, 11, 6, 8, tzinfo=UTC),
                stale_at=old_start,
                created_at=KICKOFF,
            )
        )
        s.commit()
        _move(s, day=date(2015, 11, 24), place="Roskilde Rådhus")
        members = _told(s)
        snoozed = s.scalars(
            select(Nudge).where(
                Nudge.member_id == anna.id,
                Nudge.kind == NudgeKind.PREP_KICKOFF,
                Nudge.seq == 1,
            )
        ).all()
        assert snoozed == []  # the reminder for the old date is cancelled
    slack.reset()
    run_pass(MOVED_AT)
    assert len(_notices(slack)) == members  # one per member, and the host contact
    (anna_notice,) = _notices(slack, ANNA)
    assert anna_notice["text"] == (
        "Møde 2 er ændret: nu 24. november 2015 kl. 12:00–15:00, Roskilde Rådhus."
    )
    body = anna_notice["blocks"][0]["text"]["text"]
    assert body == (
        "*Møde 2 (Klagedrevet innovation) er ændret*\n"
        "Tid: 17. november 2015 kl. 10:00–13:00 → *24. november 2015 kl. 12:00–15:00*\n"
        f"Sted: {OLD_PLACE} → *Roskilde Rådhus*"
    )
    assert "*" not in anna_notice["text"]
    (frederik_notice,) = _notices(slack, FREDERIK)
    assert frederik_notice["text"] == (
        "Meeting 2 has changed: now 24 November 2015, 12:00–15:00, Roskilde Rådhus."
    )
    slack.reset()
    run_pass(MOVED_AT + timedelta(minutes=1))
    assert _notices(slack) == []  # exactly once


def test_two_moves_before_the_pass_make_one_notice_from_first_to_last(
    run_pass: Runner, slack: SlackStandIn, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        _move(s, day=date(2015, 11, 24))
        _move(s, day=date(2015, 11, 26))
    run_pass(MOVED_AT)
    (notice,) = _notices(slack, ANNA)
    body = notice["blocks"][0]["text"]["text"]
    assert "Tid: 17. november 2015 kl. 10:00–13:00 → *26. november 2015 kl. 12:00–15:00*" in body
    assert "Sted" not in body  # the place did not change


def test_a_reimported_file_that_gives_the_place_tells_the_members(
    run_pass: Runner, slack: SlackStandIn, session_factory: sessionmaker[Session]
) -> None:
    spec = read_network_file(EXAMPLE_NETWORK)
    meetings = list(spec.meetings)
    meetings[1] = dataclasses.replace(meetings[1], place="Roskilde Rådhus, Rådhusbuen 1")
    with session_factory() as s:
        apply_network(s, spec, MOVED_AT)  # unchanged: nothing to tell
        s.commit()
        assert s.scalars(select(Nudge).where(Nudge.kind == NudgeKind.MEETING_CHANGED)).all() == []
        apply_network(s, dataclasses.replace(spec, meetings=meetings), MOVED_AT)
        s.commit()
        members = _told(s)
    run_pass(MOVED_AT)
    assert len(_notices(slack)) == members
    (notice,) = _notices(slack, ANNA)
    body = notice["blocks"][0]["text"]["text"]
    assert body.endswith(f"Sted: {OLD_PLACE} → *Roskilde Rådhus, Rådhusbuen 1*")
    assert "Tid:" not in body


def test_a_change_to_a_meeting_that_has_begun_tells_no_one(
    run_pass: Runner, slack: SlackStandIn, session_factory: sessionmaker[Session]
) -> None:
    spec = read_network_file(EXAMPLE_NETWORK)
    meetings = list(spec.meetings)
    meetings[0] = dataclasses.replace(meetings[0], place="Et andet sted")  # held 21 Sep
    with session_factory() as s:
        apply_network(s, dataclasses.replace(spec, meetings=meetings), MOVED_AT)
        s.commit()
        assert s.scalars(select(Meeting.place).where(Meeting.number == 1)).all() == [
            "Et andet sted"
        ]
        pending = s.scalars(
            select(Nudge).where(
                Nudge.kind == NudgeKind.MEETING_CHANGED, Nudge.status == NudgeStatus.PENDING
            )
        ).all()
    assert pending == []
