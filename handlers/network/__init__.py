"""`/network`: the facilitator's view of their network, one module per concern:
`summary` (overview, disputes, digest), `admin` (add, remove, move a meeting; lists),
`export` (files), `privacy` (my data, forget); `common` holds what they share."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App

from handlers import conversation as c
from handlers import slack_render
from handlers.blocks import cut_mrkdwn
from handlers.catalogue import t
from handlers.context import scope_of
from handlers.ids import Action
from handlers.network.admin import (
    fees_parts,
    handle_admin,
    meetings_parts,
    members_parts,
    options_of,
)
from handlers.network.common import Asking, facilitator_role, member_by_mention, page_of
from handlers.network.export import send_files
from handlers.network.privacy import forget_parts, handle_forget_confirm, handle_mydata
from handlers.network.summary import (
    DISPUTES_IN_SUMMARY,
    build_digest,
    dispute_overview,
    disputes_parts,
    handle_dispute_decision,
    render_summary,
    summary_parts,
)
from handlers.parsing import unescape_slack
from handlers.reflection import reflections_parts
from handlers.replies import reply_ephemeral
from models.errors import InputError
from models.network import Member, Network, find_people
from models.sparring import open_disputes
from models.summary import fees

__all__ = [
    "DISPUTES_IN_SUMMARY",
    "build_digest",
    "dispute_overview",
    "options_of",
    "register",
    "render_summary",
]


@dataclass(frozen=True)
class NetworkRequest:
    """One `/network` command from a facilitator, split into its words."""

    scope: Asking
    network: Network
    facilitator: Member  # who asks: their role in `network`
    args: list[str]  # the words after the subcommand
    word: str
    text: str  # all of it, as typed
    lang: str


Reply = str | list[c.Part] | c.Message
"""A subcommand's answer: a text, the parts of a message (its first paragraph its summary), or
a whole message (one with pictures)."""


@dataclass(frozen=True)
class NetworkAnswer:
    """What `/network …` answers, on any platform: `reply`, and with `export` the files of
    the facilitator's network to send after it."""

    reply: Reply
    export: Network | None = None


def _help(r: NetworkRequest) -> Reply:
    return [c.Paragraph(t(r.lang, "network.help"))]


def _summary(r: NetworkRequest) -> Reply:
    return summary_parts(r.scope, r.lang, r.network, r.args)


def _members(r: NetworkRequest) -> Reply:
    return members_parts(r.lang, r.network, page_of(r.args))


def _disputes(r: NetworkRequest) -> Reply:
    return disputes_parts(r.lang, open_disputes(session=r.scope.db, network_id=r.network.id))


def _meetings(r: NetworkRequest) -> Reply:
    return meetings_parts(r.lang, r.network)


def _fees(r: NetworkRequest) -> Reply:
    rows = fees(session=r.scope.db, network=r.network)
    return fees_parts(r.lang, r.network, rows, page_of(r.args))


def _admin(r: NetworkRequest) -> Reply:
    return handle_admin(r.scope, r.lang, r.network, r.facilitator, r.word, r.text)


def _export(r: NetworkRequest) -> Reply:
    return t(r.lang, "network.export.sending")  # the files are built and sent after it


def _reflections(r: NetworkRequest) -> Reply:
    return reflections_parts(r.scope.db, r.lang, r.network, r.args, r.scope.now)


def _forget(r: NetworkRequest) -> Reply:
    target = member_by_mention(r.network, r.args[0]) if r.args else None
    if target is None:
        raise InputError("network.error.unknown_member")
    return forget_parts(r.lang, target)


SUBCOMMANDS: dict[str, Callable[[NetworkRequest], Reply]] = {
    word: answer
    for words, answer in (
        (("help", "hjælp", "hjaelp", "?"), _help),
        (("summary", "overblik", "resumé", "resume"), _summary),
        (("members", "medlemmer"), _members),
        (("disputes", "indsigelser"), _disputes),
        (("meetings", "møder", "moder"), _meetings),
        (("fees", "gebyr", "gebyrer"), _fees),
        (("add", "tilføj", "remove", "fjern", "meeting", "møde"), _admin),
        (("export", "eksport", "eksportér"), _export),
        (("forget", "glem"), _forget),
        (("reflections", "refleksioner", "refleksion"), _reflections),
    )
    for word in words
}


MYDATA_WORDS = frozenset({"mydata", "minedata"})


def network_answer(scope: Asking, people: list[Member], lang: str, text: str) -> NetworkAnswer:
    """`/network <text>` from the person whose roles are `people`, on any platform: the
    facilitators' role check, the subcommand's parsing and its answer (an InputError for a
    command it cannot use). `mydata` is each platform's own: it sends a file."""
    facilitator = facilitator_role(people)
    if facilitator is None:
        return NetworkAnswer(t(lang, "network.not_allowed"))
    args = re.split(r"\s+", text) if text else []
    word = args[0].lower() if args else "help"
    answer = SUBCOMMANDS.get(word)
    if answer is None:
        unknown = t(lang, "network.error.unknown_subcommand", word=unescape_slack(word))
        return NetworkAnswer(unknown + "\n\n" + t(lang, "network.help"))
    network = facilitator.network
    request = NetworkRequest(scope, network, facilitator, args[1:], word, text, lang)
    return NetworkAnswer(answer(request), network if answer is _export else None)


def handle_network_command(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    scope = scope_of(context)
    text = str(body.get("text", "")).strip()
    first = text.split(maxsplit=1)
    if first and first[0].lower() in MYDATA_WORDS:  # anyone, about themselves only
        ack(response_type="ephemeral", text=handle_mydata(scope, context))
        return
    people = find_people(scope.db, scope.user_id) if scope.user_id else []
    answer = network_answer(scope, people, scope.lang, text)
    if answer.export is not None:
        context["export_network_id"] = answer.export.id  # built and sent after the ack
    if isinstance(answer.reply, str):
        ack(response_type="ephemeral", text=answer.reply)
        return
    message = reply_message(answer.reply)
    context["uploads"] = [picture_upload(p) for p in message.pictures]  # after the ack
    ack(response_type="ephemeral", **slack_render.message(message))


def picture_upload(picture: c.Picture) -> dict[str, Any]:
    """A picture as a file for Slack's upload into the person's DM (its alt text the file's
    description, so it travels with it)."""
    return {
        "filename": picture.filename,
        "content": picture.png,
        "title": picture.title,
        "comment": picture.title,
        "alt": picture.alt,
    }


def reply_message(parts: list[c.Part] | c.Message) -> c.Message:
    """A reply's parts as a message whose summary is its first paragraph, cut short."""
    if isinstance(parts, c.Message):
        return parts
    first = next((p.text for p in parts if isinstance(p, c.Paragraph)), "")
    return c.Message(cut_mrkdwn(first, 300), parts)


def register(app: App) -> None:
    app.command("/network")(ack=handle_network_command, lazy=[send_files])
    app.action(Action.FORGET_CONFIRM)(ack=handle_forget_confirm, lazy=[reply_ephemeral])
    for action in (Action.DISPUTE_KEEP, Action.DISPUTE_REMOVE):
        app.action(action)(ack=handle_dispute_decision, lazy=[reply_ephemeral])
