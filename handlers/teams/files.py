"""Files on Teams (the export, my data) through Teams' file consent flow, in the personal chat.

The bot offers a file with a consent card (its name, a description, its size); Teams asks the
person where to save it and answers with a `fileConsent/invoke`: on accept, an upload URL in
their OneDrive — the bot PUTs the bytes there and shows the file with a file info card; on
decline, nothing is sent. The file is not kept meanwhile: the card's context says which file
and for whom, and on accept it is built again from the database, after the same check as the
command's (only a facilitator gets the export, each person only their own data).

A consent card is answered once: the first accept or decline claims the card (its activity
id, the invoke's `replyToId`, as a kept key in `seen_request`, for any instance to see), and
the card is then replaced (`updateActivity`) by "Sendt: <file>" or "Afvist: <file>", so its
buttons are gone; a second answer to the same card (pressed again before the update showed,
or from another device) does nothing. An upload that fails gives the claim back, so the
person can accept again.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import httpx
from sqlalchemy.orm import Session

from handlers import conversation as c
from handlers import teams_render
from handlers.calendar import calendar_for
from handlers.catalogue import plain_text, surface, t
from handlers.network.common import facilitator_role
from handlers.teams.connector import Connector, ConnectorError
from models.export import export_tables, to_csv_zip, to_xlsx
from models.network import Member, Network, Platform
from models.privacy import people_on_record, personal_data
from models.replay import KEPT_PREFIX, claim_once, release

log = logging.getLogger(__name__)

CONSENT_TYPE = "application/vnd.microsoft.teams.card.file.consent"
INFO_TYPE = "application/vnd.microsoft.teams.card.file.info"
CONSENT_INVOKE = "fileConsent/invoke"

Activity = dict[str, Any]


class FileKind(StrEnum):
    EXPORT_XLSX = "export.xlsx"
    EXPORT_CSV = "export.csv"
    MYDATA = "mydata"
    CALENDAR = "calendar"  # a calendar invitation (handlers/calendar.py)


@dataclass(frozen=True)
class File:
    name: str
    content: bytes
    description: str


def sender_ids(activity: Activity) -> list[str]:
    """Whoever sent `activity`, by their Teams user id and their Entra object id."""
    sender = activity.get("from") or {}
    return [str(v) for v in (sender.get("id"), sender.get("aadObjectId")) if v]


def _export(
    network_member: Member, network: Network, kind: FileKind, now: datetime, session: Session
) -> File:
    tables = export_tables(session=session, network=network)
    day = now.astimezone(network.zone).date()
    stamp = day.isoformat()
    description = plain_text(
        t(network_member.lang, "network.export.comment", network=network.name)
    )  # a consent card shows plain text
    if kind is FileKind.EXPORT_XLSX:
        return File(f"{network.key}-{stamp}.xlsx", to_xlsx(tables, day), description)
    return File(f"{network.key}-{stamp}-csv.zip", to_csv_zip(tables), description)


def _mydata(session: Session, ids: list[str]) -> File | None:
    people = list(
        {p.id: p for i in ids for p in people_on_record(session, i, Platform.TEAMS)}.values()
    )
    if not people:
        return None
    data = [personal_data(session=session, member=p) for p in people]
    content = json.dumps(data, ensure_ascii=False, indent=2).encode()
    description = plain_text(t(people[0].lang, "network.mydata.comment"))
    return File("tovholder-mine-data.json", content, description)


def build_file(
    session: Session, people: list[Member], ids: list[str], context: dict[str, Any], now: datetime
) -> File | None:
    """The file `context` names, built now for the person whose roles are `people` (Teams
    ids `ids`) — None when they may not have it (any more)."""
    kind = context.get("file")
    if kind == FileKind.MYDATA:
        return _mydata(session, ids)
    if kind == FileKind.CALENDAR:
        found = calendar_for(people, context, now)
        return File(found.name, found.content, found.description) if found else None
    if kind not in (FileKind.EXPORT_XLSX, FileKind.EXPORT_CSV):
        return None
    facilitator = facilitator_role(people)
    if facilitator is None:
        return None
    # Their own season's, or the season before it (`netværk forrige eksport`).
    network: Network | None = facilitator.network
    if network is not None and network.id != context.get("network"):
        network = network.previous if network.previous_id == context.get("network") else None
    if network is None:
        return None
    return _export(facilitator, network, FileKind(kind), now, session)


def consent_card(file: File, context: dict[str, Any]) -> dict[str, Any]:
    """The attachment that asks the person to accept `file` (the context comes back)."""
    return {
        "contentType": CONSENT_TYPE,
        "name": file.name,
        "content": {
            "description": file.description,
            "sizeInBytes": len(file.content),
            "acceptContext": context,
            "declineContext": context,
        },
    }


def _send(connector: Connector, activity: Activity, **message: Any) -> None:
    connector.send(
        str(activity["serviceUrl"]),
        str(activity["conversation"]["id"]),
        {"type": "message", **message},
    )


def reply_with(
    connector: Connector, activity: Activity, message: c.Message, lang: str | None = None
) -> None:
    """`message` (built for the Teams surface) in reply to `activity`: one message with its
    summary and cards (`teams_render.message_activities`; more only past Teams' size)."""
    extra = (
        {"replyToId": activity["id"]}
        if activity.get("type") == "message" and activity.get("id")
        else {}
    )
    for answer in teams_render.message_activities(message, lang):
        _send(connector, activity, **{**answer, **extra})


def _tell(connector: Connector, activity: Activity, lang: str, key: str, **params: Any) -> None:
    with surface("teams"):
        text = t(lang, key, **params)
    reply_with(connector, activity, c.Message(text), lang)


def offer(connector: Connector, activity: Activity, file: c.File) -> None:
    """A consent card for a file a message carries (built again from `file.about` on yes)."""
    context = {**file.about, "name": file.name}
    shown = File(file.name, file.content, file.description)
    _send(connector, activity, attachments=[consent_card(shown, context)])


def offer_files(
    connector: Connector,
    activity: Activity,
    session: Session,
    people: list[Member],
    kinds: list[FileKind],
    now: datetime,
    network_id: int | None = None,
) -> int:
    """A consent card for each file of `kinds` the sender may have (an export: of the
    network `network_id`, by default their own); how many were offered."""
    ids = sender_ids(activity)
    facilitator = facilitator_role(people)
    offered = 0
    for kind in kinds:
        own = facilitator.network_id if facilitator else None
        context = {"file": kind.value, "network": network_id or own}
        file = build_file(session, people, ids, context, now)
        if file is None:
            continue
        context["name"] = file.name
        _send(connector, activity, attachments=[consent_card(file, context)])
        offered += 1
    return offered


def handle_file_consent(
    activity: Activity,
    *,
    session: Session,
    connector: Connector,
    people: list[Member],
    lang: str,
    now: datetime,
) -> dict[str, Any]:
    """The person accepted or declined a file: upload it and show it, or say it was not sent.
    The invoke's answer (an HTTP 200 for Teams)."""
    value = _dict(activity.get("value"))
    context, action = _dict(value.get("context")), value.get("action")
    info = _dict(value.get("uploadInfo"))
    accepted = action == "accept" and bool(info.get("uploadUrl"))
    if action != "decline" and not accepted:
        return {"status": 400}
    claim = _card_key(activity)
    if claim is not None and not claim_once(session, claim):
        log.info("a file consent card answered again; nothing done")
        return {"status": 200}
    name = str(context.get("name", ""))
    if not accepted:
        _update_card(connector, activity, lang, "teams.file.card_declined", name)
        _tell(connector, activity, lang, "teams.file.declined", filename=name)
        return {"status": 200}
    file = build_file(session, people, sender_ids(activity), context, now)
    if file is None:
        _tell(connector, activity, lang, "network.not_allowed")
        return {"status": 200}
    if _upload_and_show(connector, activity, file, info, lang):
        _update_card(connector, activity, lang, "teams.file.card_sent", file.name)
    elif claim is not None:
        release(session, claim)  # not sent: the card may be accepted again
    return {"status": 200}


def _card_key(activity: Activity) -> str | None:
    """The key that claims the consent card `activity` answers (None: the invoke does not
    say which card)."""
    card = activity.get("replyToId")
    if not isinstance(card, str) or not card:
        return None
    raw = f"{activity['conversation']['id']}\n{card}"
    return f"{KEPT_PREFIX}teams-consent:{hashlib.sha256(raw.encode()).hexdigest()}"


def _update_card(
    connector: Connector, activity: Activity, lang: str, key: str, filename: str
) -> None:
    """Replace the consent card (the invoke's `replyToId`) with what became of it."""
    card = activity.get("replyToId")
    if not isinstance(card, str) or not card:
        return
    with surface("teams"):
        text = t(lang, key, filename=filename)
    try:
        connector.update(
            str(activity["serviceUrl"]),
            str(activity["conversation"]["id"]),
            card,
            teams_render.message_activity(c.Message(text)),
        )
    except (ConnectorError, httpx.HTTPError) as error:  # the claim still holds
        log.warning("could not update a file consent card (%s)", type(error).__name__)


def _dict(data: Any) -> dict[str, Any]:
    return data if isinstance(data, dict) else {}


def _upload_and_show(
    connector: Connector, activity: Activity, file: File, info: dict[str, Any], lang: str
) -> bool:
    """Upload `file` and show it; whether it was uploaded."""
    try:
        connector.upload(str(info["uploadUrl"]), file.content)
    except (ConnectorError, httpx.HTTPError) as error:
        log.warning("upload of a file to OneDrive failed (%s)", type(error).__name__)
        _tell(connector, activity, lang, "teams.file.failed", filename=file.name)
        return False
    shown = {
        "contentType": INFO_TYPE,
        "contentUrl": info.get("contentUrl"),
        "name": info.get("name") or file.name,
        "content": {"uniqueId": info.get("uniqueId"), "fileType": info.get("fileType")},
    }
    _send(connector, activity, attachments=[shown])
    return True
