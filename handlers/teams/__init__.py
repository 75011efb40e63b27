"""The Teams surface, minimal for now: remember where each person can be written to, welcome
them when they install the app, answer `hjælp`/`help`, and tell a stranger who to ask.

`handle_activity` gets an activity that bot/teams_server.py has authenticated and
deduplicated. Commands and cards come with the feature work; this module keeps the path real
end to end. Texts come from the catalogue (plain Markdown for now).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from handlers.catalogue import MESSAGES, template
from handlers.teams import actions, commands, network
from handlers.teams.connector import Connector
from models.network import Member, Platform, find_people_on, pick_member

log = logging.getLogger(__name__)

# The help command in every language (as the app package lists it), and what people type for it.
HELP_WORDS = frozenset({texts["teams.command.help"] for texts in MESSAGES.values()}) | {
    "hjaelp",
    "?",
}
_MENTION_RE = re.compile(r"<at>.*?</at>", re.IGNORECASE | re.DOTALL)

Activity = dict[str, Any]
Reply = Callable[[str], None]


def _str(data: Any, *path: str) -> str | None:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data if isinstance(data, str) and data else None


def shape_problem(activity: Any) -> str | None:
    """Why a body is not an activity we can handle (None when it is one)."""
    if not isinstance(activity, dict):
        return "body is not an object"
    for path in (("type",), ("serviceUrl",), ("conversation", "id"), ("from", "id")):
        if _str(activity, *path) is None:
            return "activity without " + ".".join(path)
    return None


def conversation_reference(activity: Activity) -> dict[str, Any]:
    """What the bot needs to write into this conversation later (a proactive message)."""
    tenant = _str(activity, "conversation", "tenantId") or _str(
        activity, "channelData", "tenant", "id"
    )
    return {
        "service_url": _str(activity, "serviceUrl"),
        "conversation_id": _str(activity, "conversation", "id"),
        "tenant_id": tenant,
        "bot_id": _str(activity, "recipient", "id"),
        "user_id": _str(activity, "from", "id"),
        "aad_object_id": _str(activity, "from", "aadObjectId"),
    }


def people_of(session: Session, activity: Activity) -> list[Member]:
    """The network roles of whoever sent `activity`: by their Teams user id, else by their
    Entra object id (the network file may give either)."""
    for external_id in (_str(activity, "from", "id"), _str(activity, "from", "aadObjectId")):
        if external_id:
            people = find_people_on(session, Platform.TEAMS, external_id)
            if people:
                return people
    return []


def remember_conversation(people: list[Member], activity: Activity) -> int:
    """Store the conversation reference on each role's Teams identity (only a personal chat:
    that is where the bot writes), or forget it when they removed the app; how many changed."""
    if _str(activity, "conversation", "conversationType") not in (None, "personal"):
        return 0
    removed = activity.get("type") == "installationUpdate" and str(
        activity.get("action", "")
    ).startswith("remove")
    reference = None if removed else conversation_reference(activity)  # uninstalled: forget
    changed = 0
    for person in people:
        identity = person.identity(Platform.TEAMS)
        if identity is not None and identity.conversation != reference:
            identity.conversation = dict(reference) if reference else None
            changed += 1
    return changed


def command_of(text: str | None) -> str:
    """The words a person wrote, without a mention of the bot, lower case."""
    cleaned = _MENTION_RE.sub(" ", text or "")
    return " ".join(cleaned.split()).strip(" .!").lower()


def _language(member: Member | None, activity: Activity) -> str:
    if member is not None:
        return member.lang
    locale = _str(activity, "locale") or ""
    return "en" if locale.lower().startswith("en") else "da"


def _installed(activity: Activity) -> bool:
    """The app was installed for this person. Teams also sends a conversationUpdate (the bot
    joined the chat) for the same install: that one only stores where to write, so the
    welcome comes once."""
    return activity.get("type") == "installationUpdate" and str(
        activity.get("action", "")
    ).startswith("add")


def answer_for(member: Member | None, activity: Activity) -> str | None:
    """The catalogue key to answer `activity` with, None for no answer."""
    if _installed(activity):
        return "teams.welcome" if member is not None else "teams.stranger"
    if activity.get("type") != "message":
        return None
    if member is None:
        return "teams.stranger"
    if command_of(_str(activity, "text")) in HELP_WORDS:
        return "teams.help"
    return "teams.not_understood"


def handle_activity(
    activity: Activity, *, session: Session, connector: Connector, now: datetime
) -> dict[str, Any] | None:
    """Handle one authenticated activity; an invoke's response ({"status", "body"}: the HTTP
    response Teams reads) or None (an empty 200)."""
    people = people_of(session, activity)
    if remember_conversation(people, activity):
        session.commit()
    member = pick_member(people, now) or (people[0] if people else None)
    lang = _language(member, activity)
    if network.is_file_consent(activity):  # a file offered by /network or mydata
        return _as_invoke(
            network.route(
                activity, session=session, connector=connector, people=people, lang=lang, now=now
            )
        )
    if actions.is_card_activity(activity):  # a card's button, a dialog, a picker
        body = actions.handle(
            activity, people=people, session=session, connector=connector, now=now
        )
        return {"status": 200, "body": body} if body is not None else None
    routed = network.route(
        activity, session=session, connector=connector, people=people, lang=lang, now=now
    )
    if routed is not None:  # `netværk …`, `oversigt`, `mydata`
        return _as_invoke(routed)
    key = answer_for(member, activity)
    if key is None:
        return None
    if member is not None:  # a member's command, the help or the welcome: cards
        commands.answer(activity, key, member=member, session=session, connector=connector, now=now)
        if key == "teams.welcome":  # and their overview below it, and the season's calendar
            network.send_overview(
                connector, activity, session=session, people=people, lang=lang, now=now
            )
            network.offer_calendar(connector, activity, people, now)
        return None
    text = template(lang, key, "markdown")
    reply: dict[str, Any] = {"type": "message", "text": text, "textFormat": "markdown"}
    if activity.get("type") == "message" and _str(activity, "id"):
        reply["replyToId"] = activity["id"]
    connector.send(str(activity["serviceUrl"]), str(activity["conversation"]["id"]), reply)
    return None


def _as_invoke(answered: str | dict[str, Any] | None) -> dict[str, Any] | None:
    """An invoke's response as it is; what a command answered (its name) needs none."""
    return answered if isinstance(answered, dict) else None
