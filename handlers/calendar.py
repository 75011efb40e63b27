"""Calendar invitations as files: the season's (`/network kalender`, anyone in the network),
one meeting's ("Føj til kalender" on the Home tab / overview), and the ones the clock sends
with the kick-off and a meeting-change notice (jobs/nudges.py, through the outbox).

The file is built by `models/invitation.py` from the meetings as they are now, its texts in
the member's language. Slack puts it in the member's DM (files upload, after the ack); Teams
offers it with a file consent card and builds it again on their yes (handlers/teams/files.py).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers import conversation as c
from handlers.catalogue import format_list, plain_text, surface, t
from handlers.context import RequestScope, scope_of
from handlers.ids import Action
from handlers.parsing import escape_slack
from models.invitation import EventText, file_name, invitation
from models.network import Meeting, Member, Network, find_people, pick_member

log = logging.getLogger(__name__)

CALENDAR_WORDS = frozenset({"kalender", "calendar"})
CALENDAR_FILE = "calendar"  # a File's `about["file"]`


def describe(lang: str, network: Network) -> Callable[[Meeting], EventText]:
    """The event texts of a meeting in `lang`, as plain text (a calendar shows no markup)."""

    def text(meeting: Meeting) -> EventText:
        with surface("slack"):
            summary = t(
                lang,
                "calendar.event.summary",
                network=network.name,
                number=meeting.number,
                theme=meeting.theme,
            )
            lines: list[str] = [
                t(lang, "calendar.event.theme", theme=meeting.theme),
                t(lang, "calendar.event.host", host=meeting.host),
            ]
            if meeting.speaker_list:
                speakers = format_list(lang, meeting.speaker_list)
                lines.append(t(lang, "calendar.event.speakers", speakers=speakers))
            if meeting.description:
                lines.append(meeting.description)
            return EventText(plain_text(summary), "\n".join(plain_text(x) for x in lines))

    return text


def calendar_file(
    lang: str, network: Network, now: datetime, meeting: Meeting | None = None
) -> c.File:
    """The season's invitations, or one meeting's, as a file for a message."""
    meetings = list(network.meetings) if meeting is None else [meeting]
    content = invitation(network, meetings, describe(lang, network), now)
    if meeting is None:
        description = t(lang, "calendar.file.season", network=network.name)
    else:
        description = t(lang, "calendar.file.meeting", number=meeting.number, network=network.name)
    about = {"file": CALENDAR_FILE, "network": network.id, "meeting": meeting and meeting.id}
    return c.File(file_name(network, meeting), content, plain_text(description), about)


def calendar_for(people: list[Member], about: dict[str, Any], now: datetime) -> c.File | None:
    """The calendar file `about` names, for the person whose roles are `people` — None when
    they are in no network it is about (or the meeting is gone)."""
    member = next((p for p in people if p.network_id == about.get("network")), None)
    if member is None:
        return None
    network = member.network
    meeting_id = about.get("meeting")
    meeting = next((m for m in network.meetings if m.id == meeting_id), None)
    if meeting_id is not None and meeting is None:
        return None
    return calendar_file(member.lang, network, now, meeting)


def season_file(people: list[Member], now: datetime) -> c.File | None:
    """The season's file of the network the person is in now (None: in none)."""
    member = pick_member(people, now)
    if member is None:
        return None
    return calendar_for(people, {"network": member.network_id}, now)


def meeting_details(lang: str, meeting: Meeting) -> list[str]:
    """A meeting's speakers and description, as lines for a message (none when it has none)."""
    lines: list[str] = []
    if meeting.speaker_list:
        speakers = format_list(lang, [escape_slack(s) for s in meeting.speaker_list])
        lines.append(t(lang, "meeting.speakers", speakers=speakers))
    if meeting.description:
        lines.append(t(lang, "meeting.description", description=meeting.description))
    return lines


def meeting_button(lang: str, meeting: Meeting) -> c.Button:
    """ "Føj til kalender": the one meeting's invitation, as a file."""
    value = json.dumps({"meeting": meeting.id})
    return c.Button(t(lang, "calendar.button"), Action.ADD_TO_CALENDAR, value)


def meeting_of_button(people: list[Member], value: str | None) -> dict[str, Any] | None:
    """What a "Føj til kalender" button is about, for the person who pressed it."""
    try:
        meeting_id = json.loads(value or "{}").get("meeting")
    except (ValueError, AttributeError):
        return None
    for person in people:
        if any(m.id == meeting_id for m in person.network.meetings):
            return {"file": CALENDAR_FILE, "network": person.network_id, "meeting": meeting_id}
    return None


# --- Slack -------------------------------------------------------------------------------------


def _upload(file: c.File, lang: str) -> dict[str, Any]:
    return {
        "filename": file.name,
        "content": file.content,
        "title": file.name,
        "comment": t(lang, "calendar.comment"),
    }


def handle_calendar_command(scope: RequestScope, context: dict[str, Any]) -> str:
    """`/network kalender`: the season's invitations in the person's DM, after the ack."""
    people = find_people(scope.db, scope.user_id) if scope.user_id else []
    file = season_file(people, scope.now)
    if file is None:
        return t(scope.lang, "calendar.nothing")
    context["uploads"] = [_upload(file, scope.lang)]
    return t(scope.lang, "calendar.sending")


def handle_add_to_calendar(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    """The "Føj til kalender" button: the meeting's invitation, uploaded after the ack."""
    ack()
    scope = scope_of(context)
    people = find_people(scope.db, scope.user_id) if scope.user_id else []
    value = (body.get("actions") or [{}])[0].get("value")
    about = meeting_of_button(people, value)
    file = calendar_for(people, about, scope.now) if about else None
    if file is not None:
        context["uploads"] = [_upload(file, scope.lang)]


def send_uploads(context: dict[str, Any], client: WebClient, respond: Respond) -> None:
    """Lazy listener: put the prepared files in the person's DM (each at most once)."""
    from handlers.network.export import upload_client, upload_to_dm  # it imports this module

    scope = scope_of(context)
    for upload in context.get("uploads", []):
        try:
            upload_to_dm(upload_client(client), str(scope.user_id), **upload)
        except (SlackApiError, OSError, TimeoutError) as error:  # lost or refused: say so, once
            log.warning("calendar upload failed (%s)", type(error).__name__)
            text = t(scope.lang, "network.upload.uncertain", filename=upload["filename"])
            respond(text=text, response_type="ephemeral", replace_original=False)


def register(app: App) -> None:
    app.action(Action.ADD_TO_CALENDAR)(ack=handle_add_to_calendar, lazy=[send_uploads])


def with_invitation(
    message: c.Message | None, lang: str, meeting: Meeting, now: datetime
) -> c.Message | None:
    """`message` with the meeting's calendar invitation (and a line saying so): the kick-off
    and the meeting-change notice carry it."""
    if message is None:
        return None
    file = calendar_file(lang, meeting.network, now, meeting)
    note = c.Note(t(lang, "calendar.attached", filename=file.name))
    return c.Message(message.summary, [*message.parts, note], [*message.files, file])
