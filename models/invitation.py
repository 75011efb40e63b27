"""Calendar invitations: the network's meetings as an iCalendar file (RFC 5545, METHOD:REQUEST).

Each meeting is one event with a stable UID (`meeting-<id>@<network key>.tovholder`) and the
meeting's `calendar_sequence` as its SEQUENCE, raised on every move (models/network_admin.py:
`apply_meeting_change`), so Outlook and Google update the entry they have instead of adding a
second one. Times are in the network's zone (Europe/Copenhagen) with its VTIMEZONE definition,
so a calendar shows the right hour on either side of a change to or from summer time. The
ORGANIZER is the network's first facilitator (`mailto:` their e-mail, CN their name), left out
when no facilitator has an e-mail address.

The texts (the event's title and description) come from the caller, in the member's language:
`models/` knows no catalogue.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where a file is made: about 3 MB the idle bot does not hold
    import icalendar

from sqlalchemy import select
from sqlalchemy.orm import object_session

from models.network import Meeting, Member, Network, Role

PRODUCT_ID = "-//Tovholder//Calendar invitations//DA"
ICS_TYPE = "text/calendar"


@dataclass(frozen=True)
class EventText:
    """What an event says, in the member's language."""

    summary: str
    description: str


def meeting_uid(network: Network, meeting: Meeting) -> str:
    return f"meeting-{meeting.id}@{network.key}.tovholder"


def organizer(network: Network) -> icalendar.vCalAddress | None:
    """The network's first facilitator (the earliest added, active, with an e-mail address) as
    the events' ORGANIZER (`mailto:` with their name as CN); None when no such address is known."""
    first = _first_facilitator_with_email(network)
    if first is None or first.email is None:
        return None
    import icalendar

    address = icalendar.vCalAddress(f"mailto:{first.email.strip()}")
    address.params["cn"] = icalendar.vText(first.name)
    return address


def _first_facilitator_with_email(network: Network) -> Member | None:
    """Asked of the network's session: one row, not the whole network loaded for every nudge
    that carries an invitation."""
    session = object_session(network)
    assert session is not None, "an invitation is made of a network in a session"
    return session.scalars(
        select(Member)
        .where(
            Member.network_id == network.id,
            Member.role == Role.FACILITATOR,
            Member.active.is_(True),
            Member.email.is_not(None),
            Member.email != "",
        )
        .order_by(Member.id)
        .limit(1)
    ).first()


@functools.cache
def _vtimezone(tzid: str) -> icalendar.Timezone | None:
    """The zone's VTIMEZONE, worked out once per process (icalendar derives it from the zone's
    transitions in Python, some 10 ms each time); None for a zone it does not know. Shared by
    every file made here, which only read it."""
    import icalendar

    try:
        return icalendar.Timezone.from_tzid(tzid)
    except ValueError:
        return None


def _event(
    network: Network,
    meeting: Meeting,
    text: EventText,
    now: datetime,
    by: icalendar.vCalAddress | None,
) -> icalendar.Event:
    import icalendar

    zone = network.zone
    event = icalendar.Event()
    event.add("uid", meeting_uid(network, meeting))
    event.add("sequence", meeting.calendar_sequence)
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", meeting.starts_at.astimezone(zone))
    event.add("dtend", meeting.ends_at.astimezone(zone))
    event.add("summary", text.summary)
    event.add("location", meeting.place)
    event.add("description", text.description)
    event.add("status", "CONFIRMED")
    event.add("transp", "OPAQUE")
    if by is not None:
        event.add("organizer", by)
    return event


def invitation(
    network: Network,
    meetings: Iterable[Meeting],
    describe: Callable[[Meeting], EventText],
    now: datetime,
) -> bytes:
    """`meetings` of `network` as one iCalendar file (UTF-8, CRLF lines)."""
    import icalendar

    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "REQUEST")
    calendar.add("x-wr-calname", network.name)
    calendar.add("x-wr-timezone", network.timezone)
    by = organizer(network)
    for meeting in meetings:
        calendar.add_component(_event(network, meeting, describe(meeting), now, by))
    for tzid in sorted(calendar.get_missing_tzids()):  # what add_missing_timezones() adds
        zone = _vtimezone(tzid)
        if zone is not None:
            calendar.subcomponents.insert(len(calendar.timezones), zone)
    return bytes(calendar.to_ical())


def file_name(network: Network, meeting: Meeting | None) -> str:
    """`<key>.ics` for the season, `<key>-<n>.ics` for one meeting."""
    return f"{network.key}.ics" if meeting is None else f"{network.key}-{meeting.number}.ics"
