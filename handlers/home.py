"""App Home: a member sees their next meeting and this period's sparring. The views are
neutral `Overview`s; `publish_home` renders them for Slack (`slack_render.home`)."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from handlers import bazaar, library, slack_render
from handlers import conversation as c
from handlers.applications import apply_parts
from handlers.attendance import render_head_count
from handlers.calendar import meeting_button, meeting_details
from handlers.catalogue import format_date, t
from handlers.context import scope_of
from handlers.ids import Action
from handlers.network.summary import DISPUTES_IN_SUMMARY, dispute_overview, render_summary
from handlers.parsing import escape_slack
from handlers.prep import mark, render_prep_status
from handlers.render import render_status
from models.attendance import HeadCount, head_count
from models.bazaar import bazaar_meeting
from models.errors import NotAMemberError
from models.followup import followups_in_period
from models.network import (
    Meeting,
    Member,
    Role,
    facilitators_to_contact,
    find_people,
    next_meeting,
    pick_member,
)
from models.people import Person, person_of
from models.prep import PrepStatus, prep_status, upcoming_meeting
from models.sparring import sparring_status
from models.spread import spread_actions
from models.summary import Summary, meeting_summary, next_meeting_for_summary

log = logging.getLogger(__name__)

MAX_PARTS = 100  # a Home tab shows at most 100 blocks; each part here is one


class HomeBlock(StrEnum):
    NETWORK = "home_network"
    NEXT_MEETING = "home_next_meeting"
    PREP = "home_prep"
    PREP_ACTIONS = "home_prep_actions"
    SPARRING = "home_sparring"
    BETWEEN = "home_between"
    BETWEEN_ACTIONS = "home_between_actions"
    BROWSE_ACTIONS = "home_browse_actions"
    HELP = "home_help"
    HOSTED = "home_hosted"  # one per meeting the host contact has


def render_meeting_when(lang: str, meeting: Meeting, zone: ZoneInfo, network_zone: ZoneInfo) -> str:
    start, end = meeting.starts_at.astimezone(zone), meeting.ends_at.astimezone(zone)
    params = {
        "date": format_date(lang, start.date()),
        "start": start.strftime("%H:%M"),
        "end": end.strftime("%H:%M"),
    }
    if zone.key == network_zone.key:
        return t(lang, "meeting.when", **params)
    return t(lang, "meeting.when_zone", zone=zone.key, **params)


def _section(block_id: str, text: str) -> c.Paragraph:
    return c.Paragraph(text, block=block_id)


def build_home_view(
    lang: str,
    *,
    member: Member,
    now: datetime,
    sparring_text: str,
    prep: PrepStatus | None = None,
    followups: int = 0,
    spread: int = 0,
) -> c.Overview:
    """The Home tab for a member: network, next meeting, their preparation for it (with a
    button to open the form), sparring this period, help."""
    network = member.network
    prep_parts: list[c.Part] = []
    if prep is not None:
        prep_parts = [
            c.Divider(),
            _section(HomeBlock.PREP, render_prep_status(lang, member, prep, now)),
            _prep_actions(lang, prep),
        ]
    between = t(lang, "home.between", followup=mark(followups > 0), spread=spread)
    return c.Overview(
        [
            c.Heading(t(lang, "home.title")),
            _section(
                HomeBlock.NETWORK, t(lang, "home.network", network=escape_slack(network.name))
            ),
            _next_meeting(lang, member, now),
            *prep_parts,
            c.Divider(),
            _section(HomeBlock.SPARRING, sparring_text),
            _section(HomeBlock.BETWEEN, between),
            _between_actions(lang),
            _browse_actions(lang, member, now),
            c.Note(t(lang, "home.help"), block=HomeBlock.HELP),
        ]
    )


def _next_meeting(lang: str, member: Member, now: datetime) -> c.Paragraph:
    """The next meeting (its speakers and description when it has them), with "Føj til
    kalender" beside it."""
    network = member.network
    meeting = next_meeting(network, now)
    if meeting is None:
        return _section(HomeBlock.NEXT_MEETING, t(lang, "home.no_next_meeting"))
    text = t(
        lang,
        "home.next_meeting",
        number=meeting.number,
        theme=escape_slack(meeting.theme),
        when=render_meeting_when(lang, meeting, member.zone, network.zone),
        place=escape_slack(meeting.place),
        host=escape_slack(meeting.host),
    )
    details = meeting_details(lang, meeting)
    return c.Paragraph(
        "\n".join([text, *details]),
        button=meeting_button(lang, meeting),
        block=HomeBlock.NEXT_MEETING,
    )


def _prep_actions(lang: str, prep: PrepStatus) -> c.Buttons:
    value = json.dumps({"meeting": prep.meeting.id})
    button = c.Button(t(lang, "nudge.button.all"), Action.OPEN_PREP_ALL, value, "primary", True)
    return c.Buttons([button], block=HomeBlock.PREP_ACTIONS)


def _between_actions(lang: str) -> c.Buttons:
    buttons = [
        c.Button(t(lang, key), action, "{}", opens_form=True)
        for action, key in (
            (Action.OPEN_SPARRING, "between.button.sparring"),
            (Action.OPEN_FOLLOWUP, "between.button.followup"),
            (Action.OPEN_SPREAD, "between.button.spread"),
            (Action.OPEN_COMPETENCIES, "competencies.button.edit"),
        )
    ]
    return c.Buttons(buttons, block=HomeBlock.BETWEEN_ACTIONS)


def _browse_actions(lang: str, member: Member, now: datetime) -> c.Buttons:
    """ "Eksempelbibliotek", and "Idébasar" while the network's bazaar meeting is still to come
    or under way: each answers as `/network eksempler` and `/network basar` do."""
    buttons = [c.Button(t(lang, "home.button.library"), Action.HOME_LIBRARY, "")]
    meeting = bazaar_meeting(member.network)
    if meeting is not None and meeting.ends_at > now:
        buttons.append(c.Button(t(lang, "home.button.bazaar"), Action.HOME_BAZAAR, ""))
    return c.Buttons(buttons, block=HomeBlock.BROWSE_ACTIONS)


def browse_message(*, session: Session, member: Member, action: str, now: datetime) -> c.Message:
    """What a Home button "Eksempelbibliotek" or "Idébasar" answers: the first page of the
    library or the bazaar, as the command gives it (its next pages via the command)."""
    lang = member.lang
    danish = lang == "da"
    if action == Action.HOME_BAZAAR:
        command = "/network basar" if danish else "/network bazaar"
        parts = bazaar.bazaar_parts(
            session=session, member=member, lang=lang, page=1, command=command, now=now
        )
        summary = t(lang, "home.button.bazaar")
    else:
        command = "/network eksempler" if danish else "/network examples"
        parts = library.library_parts(
            session=session, member=member, lang=lang, words=[], command=command, now=now
        )
        summary = t(lang, "home.button.library")
    return c.Message(summary, parts)


def handle_browse(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    """A Home button that answers with a message: built here, posted after the ack."""
    scope = scope_of(context)
    member = scope.require_member()
    action = str(body["actions"][0]["action_id"])
    message = browse_message(session=scope.db, member=member, action=action, now=scope.now)
    context["browse_message"] = slack_render.message(message)
    ack()


def post_browse(body: dict[str, Any], client: WebClient, context: dict[str, Any]) -> None:
    """Lazy listener: the answer in the member's direct message with the bot (the Home tab
    has no thread to answer in)."""
    rendered = context.get("browse_message")
    if rendered:
        channel = client.conversations_open(users=body["user"]["id"])["channel"]["id"]
        client.chat_postMessage(channel=channel, **rendered)


def build_stranger_home_view(lang: str, contacts: list[Person]) -> c.Overview:
    error = NotAMemberError(contacts)
    return c.Overview(
        [
            c.Heading(t(lang, "home.title")),
            _section(HomeBlock.NETWORK, t(lang, error.key, **error.params)),
        ]
    )


def build_host_home_view(
    lang: str, *, host: Member, counts: list[HeadCount], now: datetime
) -> c.Overview:
    """A meeting host's contact: their meeting(s) to come — when, where, and who is coming."""
    network = host.network
    intro = t(lang, "home.host.intro", count=len(counts), network=escape_slack(network.name))
    parts: list[c.Part] = [c.Heading(t(lang, "home.title")), _section(HomeBlock.NETWORK, intro)]
    coming = [count for count in counts if count.meeting.ends_at > now]
    if not coming:
        parts.append(_section(HomeBlock.NEXT_MEETING, t(lang, "home.host.none")))
    for count in coming:
        meeting = count.meeting
        place = t(lang, "home.host.place", place=meeting.place, host=meeting.host)
        text = render_head_count(lang, member=host, count=count) + "\n" + place
        parts += [c.Divider(), _section(f"{HomeBlock.HOSTED}_{meeting.number}", text)]
    return c.Overview(parts[:MAX_PARTS])


def build_facilitator_home_view(facilitator: Member, summary: Summary | None) -> c.Overview:
    """A facilitator's Home tab: the network's overview for the next meeting (`summary`)."""
    lang, network = facilitator.lang, facilitator.network
    parts: list[c.Part] = [
        c.Heading(t(lang, "home.title")),
        _section(HomeBlock.NETWORK, t(lang, "home.network", network=escape_slack(network.name))),
    ]
    if summary is not None:
        overview = render_summary(lang, summary)
        parts += overview[:2]  # the meeting and the totals; the rest via /network summary
        parts += dispute_overview(
            lang, summary.disputes, DISPUTES_IN_SUMMARY, "network.disputes.more"
        )
        parts.append(c.Note(t(lang, "home.facilitator_hint", behind=len(summary.behind))))
    return c.Overview(parts)


def ack_home_opened(ack: Ack) -> None:
    ack()


def publish_home(event: dict[str, Any], client: WebClient, context: dict[str, Any]) -> None:
    """Runs after the event is acknowledged, with its own DB session."""
    if event.get("tab") != "home":
        return
    scope = scope_of(context)
    user_id = str(event["user"])
    with scope.session_factory() as session:
        view = home_view_for(session, find_people(session, user_id), scope.now, scope.lang)
    client.views_publish(user_id=user_id, view=slack_render.home(view))


def home_view_for(session: Session, people: list[Member], now: datetime, lang: str) -> c.Overview:
    """The Home tab of whoever `people` are: a member's own, else a facilitator's, a host
    contact's, or the one for someone not (yet) in a network; while a network takes
    applications, with a button to apply (for anyone)."""
    view = _home_view(session, people, now, lang)
    shown_in = pick_member(people, now) or (people[0] if people else None)
    view.parts += apply_parts(session, shown_in.lang if shown_in else lang, now)
    return view


def _home_view(session: Session, people: list[Member], now: datetime, lang: str) -> c.Overview:
    member = pick_member(people, now)
    if member is not None:
        return _member_home(session, member, now)
    facilitator = next((p for p in people if p.role is Role.FACILITATOR), None)
    if facilitator is not None:
        network = facilitator.network
        meeting = next_meeting_for_summary(network, now.astimezone(network.zone).date())
        summary = (
            meeting_summary(session=session, network=network, meeting=meeting)
            if meeting is not None
            else None
        )
        return build_facilitator_home_view(facilitator, summary)
    host = next((p for p in people if p.role is Role.HOST), None)
    if host is not None:
        hosted = [m for m in host.network.meetings if m.host_contact_id == host.id]
        counts = [head_count(session, m) for m in hosted]
        return build_host_home_view(host.lang, host=host, counts=counts, now=now)
    contacts = [person_of(f) for f in facilitators_to_contact(session)]
    return build_stranger_home_view(lang, list(dict.fromkeys(contacts)))


def _member_home(session: Session, member: Member, now: datetime) -> c.Overview:
    status = sparring_status(session=session, member=member, now=now)
    followups = len(followups_in_period(session=session, member=member, period=status.period))
    spread = sum(
        1
        for a in spread_actions(session=session, member=member)
        if status.period.contains(a.created_at.astimezone(member.zone).date())
    )
    meeting = upcoming_meeting(member, now)
    prep = prep_status(session=session, member=member, meeting=meeting) if meeting else None
    return build_home_view(
        member.lang,
        member=member,
        now=now,
        sparring_text=render_status(member.lang, status),
        prep=prep,
        followups=followups,
        spread=spread,
    )


def register(app: App) -> None:
    app.event("app_home_opened")(ack=ack_home_opened, lazy=[publish_home])
    for action in (Action.HOME_LIBRARY, Action.HOME_BAZAAR):
        app.action(action)(ack=handle_browse, lazy=[post_browse])
