"""The facilitator's `/network` and the overview, as text commands in the Teams personal chat.

`netværk …` / `network …` takes the same subcommands as Slack's `/network` and answers the
same (handlers/network: `network_answer`), as cards; `netværk mydata` offers anyone their own
data, and `netværk eksport` the facilitator the export, as files (handlers/teams/files.py).
`oversigt` / `overview` (or `hjem` / `home`) shows the person's overview — Slack's App Home.
A person the message mentions (`<at>…</at>`) is handed on as a Teams reference, which the
shared parser resolves in the facilitator's own network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from handlers import conversation as c
from handlers.applications import APPLY_WORDS, Asker, application_form
from handlers.calendar import CALENDAR_WORDS, season_file
from handlers.catalogue import surface, t
from handlers.errors import error_message
from handlers.home import home_view_for
from handlers.ids import Action
from handlers.network import MYDATA_WORDS, network_answer, reply_message
from handlers.network.common import TeamsRef
from handlers.teams import files
from handlers.teams.connector import Connector
from handlers.teams.files import FileKind, offer_files, reply_with
from models.errors import InputError
from models.network import Member, Platform

NETWORK_WORDS = frozenset({"netværk", "netvaerk", "network", "/network"})
OVERVIEW_WORDS = frozenset({"oversigt", "overview", "hjem", "home"})
BUTTONS = frozenset({Action.FORGET_CONFIRM, Action.DISPUTE_KEEP, Action.DISPUTE_REMOVE})
_AT_RE = re.compile(r"<at>.*?</at>", re.IGNORECASE | re.DOTALL)

Activity = dict[str, Any]


@dataclass(frozen=True)
class TeamsAsking:
    """What the shared /network core needs about a Teams request."""

    db: Session
    now: datetime


def _reference(mentioned: dict[str, Any]) -> str:
    fields = [str(mentioned.get(k) or "") for k in ("id", "aadObjectId", "name")]
    return TeamsRef(*fields).token() if fields[0] or fields[1] else ""


def command_text(activity: Activity) -> str:
    """The words a person wrote, as typed: the bot's own mention dropped, anyone else they
    mentioned as a Teams reference (`<teams:…>`, see `TeamsRef`)."""
    text = str(activity.get("text") or "")
    bot = (activity.get("recipient") or {}).get("id")
    for entity in activity.get("entities") or []:
        if not isinstance(entity, dict) or entity.get("type") != "mention":
            continue
        mentioned = entity.get("mentioned")
        mentioned = mentioned if isinstance(mentioned, dict) else {}
        shown = str(entity.get("text") or "")
        if shown and shown in text:
            swap = "" if mentioned.get("id") == bot else f" {_reference(mentioned)} "
            text = text.replace(shown, swap, 1)
    return " ".join(_AT_RE.sub(" ", text).split())


def send_overview(
    connector: Connector,
    activity: Activity,
    *,
    session: Session,
    people: list[Member],
    lang: str,
    now: datetime,
) -> None:
    """The person's overview (a member's, host's, facilitator's or a stranger's) as a card."""
    with surface("teams"):
        view = home_view_for(session, people, now, lang)
        title = t(lang, "home.title")
    reply_with(connector, activity, c.Message(title, view.parts), lang)


def _network(
    activity: Activity,
    rest: str,
    *,
    session: Session,
    connector: Connector,
    people: list[Member],
    lang: str,
    now: datetime,
) -> str:
    if rest.split()[:1] and rest.split()[0].lower() in MYDATA_WORDS:  # anyone, their own
        if not offer_files(connector, activity, session, people, [FileKind.MYDATA], now):
            _say(connector, activity, lang, "network.mydata.nothing")
        return "mydata"
    if rest.split()[:1] and rest.split()[0].lower() in CALENDAR_WORDS:  # anyone in a network
        if not offer_calendar(connector, activity, people, now):
            _say(connector, activity, lang, "calendar.nothing")
        return "calendar"
    export = None
    with surface("teams"):
        try:
            answer = network_answer(TeamsAsking(session, now), people, lang, rest)
            reply, export = answer.reply, answer.export
            message = c.Message(reply) if isinstance(reply, str) else reply_message(reply)
        except InputError as error:
            message = c.Message(error_message(lang, error))
    reply_with(connector, activity, message, lang)
    if export is not None:
        kinds = [FileKind.EXPORT_XLSX, FileKind.EXPORT_CSV]
        offer_files(connector, activity, session, people, kinds, now, export.id)
    return "network"


def offer_calendar(
    connector: Connector, activity: Activity, people: list[Member], now: datetime
) -> bool:
    """The season's calendar file, offered with a consent card; False: in no network."""
    with surface("teams"):
        file = season_file(people, now)
    if file is not None:
        files.offer(connector, activity, file)
    return file is not None


def _apply(
    connector: Connector, activity: Activity, *, session: Session, lang: str, now: datetime
) -> None:
    """`ansøg` (anyone): a button that opens the application form as a dialog, or why not."""
    sender = activity.get("from")
    user_id = str(sender.get("id") or "") if isinstance(sender, dict) else ""
    with surface("teams"):
        form = application_form(session, Asker(Platform.TEAMS, user_id, lang), now)
        if isinstance(form, str):
            message = c.Message(form)
        else:
            text = t(lang, "applications.teams.open")
            button = c.Button(
                t(lang, "applications.home.button"), Action.OPEN_APPLICATION, opens_form=True
            )
            message = c.Message(text, [c.Paragraph(text), c.Buttons([button])])
    reply_with(connector, activity, message)


def _say(connector: Connector, activity: Activity, lang: str, key: str) -> None:
    with surface("teams"):
        text = t(lang, key)
    reply_with(connector, activity, c.Message(text), lang)


def handle_command(
    activity: Activity,
    *,
    session: Session,
    connector: Connector,
    people: list[Member],
    lang: str,
    now: datetime,
) -> str | None:
    """Answer `netværk …` or `oversigt`; what was answered (None: not one of these)."""
    if activity.get("type") != "message":
        return None
    words = command_text(activity).split(maxsplit=1)
    first = words[0].lower() if words else ""
    if first in OVERVIEW_WORDS and len(words) == 1:
        send_overview(connector, activity, session=session, people=people, lang=lang, now=now)
        return "overview"
    rest = words[1] if len(words) > 1 else ""
    if (first in APPLY_WORDS and not rest) or (
        first in NETWORK_WORDS and rest.lower() in APPLY_WORDS
    ):
        _apply(connector, activity, session=session, lang=lang, now=now)
        return "apply"
    if first in NETWORK_WORDS:
        return _network(
            activity, rest, session=session, connector=connector, people=people, lang=lang, now=now
        )
    return None


def is_file_consent(activity: Activity) -> bool:
    """Teams' answer to a file consent card of ours."""
    return activity.get("type") == "invoke" and activity.get("name") == files.CONSENT_INVOKE


def route(
    activity: Activity,
    *,
    session: Session,
    connector: Connector,
    people: list[Member],
    lang: str,
    now: datetime,
) -> str | dict[str, Any] | None:
    """What this module answers: a file accepted or declined (the invoke's response), a
    `netværk …` or `oversigt` command (what it answered); None for anything else."""
    if activity.get("type") == "invoke" and activity.get("name") == files.CONSENT_INVOKE:
        return files.handle_file_consent(
            activity, session=session, connector=connector, people=people, lang=lang, now=now
        )
    for handle in (handle_command,):
        answered = handle(
            activity, session=session, connector=connector, people=people, lang=lang, now=now
        )
        if answered is not None:
            return answered
    return None
