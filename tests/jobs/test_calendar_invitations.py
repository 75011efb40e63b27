"""Calendar invitations the clock sends: the kick-off carries its meeting's invitation, and a
moved meeting's notice the updated one (same UID, SEQUENCE raised) — through the real
SlackMessenger to the Slack stand-in, read back with the icalendar library, across the changes
to and from summer time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import inspect
from sqlalchemy.orm import Session, sessionmaker

from models.invitation import EventText, invitation
from models.network import Role
from models.network_admin import move_meeting
from tests.calendar_files import events, slack_files, vtimezone_offset
from tests.conftest import ANNA, FACILITATOR, SEASON_NOW, person
from tests.jobs.conftest import Runner
from tests.slack_standin import SlackStandIn, dm_channel

KICKOFF_M2 = datetime(2015, 11, 3, 8, 0, tzinfo=UTC)  # meeting 2 on 17 Nov


def _move(s: Session, number: int, day: date, now: datetime) -> None:
    facilitator = person(s, FACILITATOR)
    move_meeting(
        session=s,
        network=facilitator.network,
        by=facilitator,
        number=number,
        day=day,
        start=time(10, 0),
        end=time(13, 0),
        place=None,
        host=None,
        now=now,
    )
    s.commit()


def test_the_kickoff_carries_the_meetings_invitation(
    run_pass: Runner, slack: SlackStandIn, session_factory: sessionmaker[Session]
) -> None:
    run_pass(KICKOFF_M2)
    files = slack_files(slack, dm_channel(ANNA))
    (event,) = events(files["coi-spredning-2015-16-2.ics"])
    with session_factory() as s:
        meeting = next(m for m in person(s, ANNA).network.meetings if m.number == 2)
        assert str(event["UID"]) == f"meeting-{meeting.id}@coi-spredning-2015-16.tovholder"
    assert event["SEQUENCE"] == 0
    assert event.decoded("DTSTART") == datetime(2015, 11, 17, 9, 0, tzinfo=UTC)
    assert str(event["SUMMARY"]).endswith("møde 2 – Klagedrevet innovation")
    assert "Tema: Klagedrevet innovation" in str(event["DESCRIPTION"])
    assert str(event["LOCATION"]).startswith("Roskilde Kommune")
    # The network's first facilitator organises: mailto: their address, their name as CN.
    assert str(event["ORGANIZER"]) == "mailto:mette.holm@example.org"
    assert event["ORGANIZER"].params["CN"] == "Mette Holm"
    posted = [c.params for c in slack.calls_to("chat.postMessage")]
    anna = [p for p in posted if p["channel"] == dm_channel(ANNA)]
    assert any("coi-spredning-2015-16-2.ics" in str(p["blocks"]) for p in anna)


def test_a_move_sends_the_same_uid_with_a_higher_sequence_across_dst(
    run_pass: Runner, slack: SlackStandIn, session_factory: sessionmaker[Session]
) -> None:
    """Meeting 2 moves to late October (just after summer time ends), meeting 3 to late
    March (just after it begins): each notice's file has the meeting's UID, SEQUENCE 1 then 2,
    and 10:00 local is 09:00 UTC in October and 08:00 UTC in March — by the zone and by the
    file's own VTIMEZONE."""
    now = SEASON_NOW
    with session_factory() as s:
        _move(s, 2, date(2015, 10, 27), now)
    run_pass(now)
    (first,) = events(slack_files(slack, dm_channel(ANNA))["coi-spredning-2015-16-2.ics"])
    assert first["SEQUENCE"] == 1
    assert first.decoded("DTSTART") == datetime(2015, 10, 27, 9, 0, tzinfo=UTC)
    slack.reset()
    later = now + timedelta(hours=1)
    with session_factory() as s:
        _move(s, 2, date(2015, 10, 28), later)
        _move(s, 3, date(2016, 3, 29), later)
    run_pass(later)
    files = slack_files(slack, dm_channel(ANNA))
    (second,) = events(files["coi-spredning-2015-16-2.ics"])
    (march,) = events(files["coi-spredning-2015-16-3.ics"])
    assert second["UID"] == first["UID"] and second["SEQUENCE"] == 2
    assert second.decoded("DTSTART") == datetime(2015, 10, 28, 9, 0, tzinfo=UTC)
    assert march["SEQUENCE"] == 1 and march["UID"] != first["UID"]
    assert march.decoded("DTSTART") == datetime(2016, 3, 29, 8, 0, tzinfo=UTC)
    assert march.decoded("DTEND") == datetime(2016, 3, 29, 11, 0, tzinfo=UTC)
    content = files["coi-spredning-2015-16-3.ics"]
    assert vtimezone_offset(content, datetime(2016, 3, 29, 10)) == timedelta(hours=2)
    assert vtimezone_offset(content, datetime(2015, 10, 28, 10)) == timedelta(hours=1)
    slack.reset()
    run_pass(later + timedelta(minutes=1))
    assert slack.shared_files == []  # exactly once


def test_no_organizer_when_no_facilitator_has_an_address(
    session_factory: sessionmaker[Session], network: object
) -> None:
    """Without a facilitator's e-mail the events have no ORGANIZER, and the file still parses."""
    with session_factory() as s:
        network = person(s, ANNA).network
        for somebody in network.people:
            if somebody.role is Role.FACILITATOR:
                somebody.email = None
        meeting = network.meetings[0]
        content = invitation(network, [meeting], lambda m: EventText("Møde", "Tekst"), SEASON_NOW)
        (event,) = events(content)
        assert "ORGANIZER" not in event
        assert str(event["SUMMARY"]) == "Møde"
        s.rollback()


def test_the_organizer_is_the_first_active_facilitator_with_an_address_asked_for_alone(
    session_factory: sessionmaker[Session], network: object
) -> None:
    """The earliest facilitator who is active and has an address (an empty one is none): one
    row asked of the database, not the whole network loaded for every invitation."""
    with session_factory() as s:
        network = person(s, ANNA).network
        facilitators = sorted(
            (p for p in network.people if p.role is Role.FACILITATOR), key=lambda p: p.id
        )
        assert len(facilitators) >= 2
        first, second = facilitators[0], facilitators[1]
        first.email = ""  # no address
        second.email = "second@example.org"
        s.flush()
        s.expire(network, ["people"])

        def organizer_of() -> tuple[str, str]:
            content = invitation(
                network, network.meetings[:1], lambda m: EventText("M", "T"), SEASON_NOW
            )
            (event,) = events(content)
            return str(event["ORGANIZER"]), str(event["ORGANIZER"].params["CN"])

        assert organizer_of() == ("mailto:second@example.org", second.name)
        assert "people" in inspect(network).unloaded  # the network's people were not loaded
        second.active = False
        first.email = " first@example.org "
        assert organizer_of() == ("mailto:first@example.org", first.name)
        s.rollback()
