"""`/network`: the facilitator's view of their network, one module per concern:
`summary` (overview, disputes, digest), `admin` (add, remove, move a meeting; lists),
`export` (files), `privacy` (my data, forget); `common` holds what they share."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App

from handlers import bazaar, competencies, exchange, library, slack_render
from handlers import conversation as c
from handlers.applications import (
    APPLY_WORDS,
    MOVE_WORDS,
    REVIEW_WORDS,
    apply_command,
    facilitated_reviews,
    move_command,
    review_parts,
)
from handlers.blocks import cut_mrkdwn
from handlers.calendar import CALENDAR_WORDS, handle_calendar_command
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
from handlers.network.common import Asking, facilitator_role, page_of
from handlers.network.export import send_files
from handlers.network.privacy import (
    forget_parts,
    forget_target,
    handle_forget_confirm,
    handle_mydata,
)
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
from handlers.renewal import new_season_parts, renewal_parts
from handlers.replies import answer_command, open_view_lazy, reply_ephemeral
from models.errors import InputError
from models.network import Member, Network, find_people, pick_member
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
    people: tuple[Member, ...] = ()  # every role of who asks (a facilitator of east and west)


Reply = str | list[c.Part] | c.Message
"""A subcommand's answer: a text, the parts of a message (its first paragraph its summary), or
a whole message (one with pictures)."""


@dataclass(frozen=True)
class NetworkAnswer:
    """What `/network …` answers, on any platform: `reply`, and with `export` the files of
    the facilitator's network to send after it."""

    reply: Reply
    export: Network | None = None
    # A form Slack opens instead of the reply (the member's competencies); on Teams the reply
    # holds a button that opens it as a dialog.
    form: c.Form | None = None


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


def _applications(r: NetworkRequest) -> Reply:
    if r.args and r.args[0].lower() in MOVE_WORDS:  # `flyt 12 1`: wait-list order
        return move_command(
            r.scope.db, list(r.people) or [r.facilitator], r.lang, r.args[1:], r.scope.now
        )
    reviews = facilitated_reviews(r.scope.db, list(r.people) or [r.facilitator])
    return review_parts(r.lang, reviews, page_of(r.args))


def _reflections(r: NetworkRequest) -> Reply:
    return reflections_parts(r.scope.db, r.lang, r.network, r.args, r.scope.now)


def _forget(r: NetworkRequest) -> Reply:
    target = forget_target(r.scope.db, list(r.people) or [r.facilitator], r.network, r.args)
    if target is None:
        raise InputError("network.error.unknown_member")
    return forget_parts(r.lang, target)


def _renewal(r: NetworkRequest) -> Reply:
    return renewal_parts(r.scope.db, r.lang, r.network, r.args, r.scope.now)


def _new_season(r: NetworkRequest) -> Reply:
    return new_season_parts(r.scope.db, r.lang, r.network, r.text, r.scope.now)


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
        (REVIEW_WORDS, _applications),
        (("renewal", "fornyelse"), _renewal),
        (("new-season", "ny-sæson", "ny-saeson"), _new_season),
        (("reflections", "refleksioner", "refleksion"), _reflections),
    )
    for word in words
}


MYDATA_WORDS = frozenset({"mydata", "minedata"})
# What every member may ask (about the network's people and the sister network), besides
# `mydata`; the facilitators' subcommands follow the role check.
WHO_WORDS = {"hvem": "kan", "who": "knows"}
COMPETENCY_WORDS = frozenset({"kompetencer", "competencies"})
SPREAD_WORDS = frozenset({"oversigt", "overview", "alle", "all"})
SHARE_WORDS = frozenset({"del", "share"})
SISTER_WORDS = frozenset({"søster", "soester", "soster", "sister"})
LIBRARY_WORDS = frozenset({"eksempler", "examples"})
BAZAAR_WORDS = frozenset({"basar", "bazaar"})
RESULT_WORDS = frozenset({"resultat", "resultater", "results", "result"})
MEMBER_WORDS = (
    frozenset(WHO_WORDS)
    | COMPETENCY_WORDS
    | SHARE_WORDS
    | SISTER_WORDS
    | LIBRARY_WORDS
    | BAZAAR_WORDS
)


def member_answer(scope: Asking, people: list[Member], lang: str, args: list[str]) -> NetworkAnswer:
    """`/network hvem kan …`, `kompetencer`, `del`, `søster`: any member's, about their own
    network (and its sister); an InputError for a command they cannot use."""
    word, rest = args[0].lower(), args[1:]
    if word in COMPETENCY_WORDS and rest and rest[0].lower() in SPREAD_WORDS:
        return _competency_spread(scope, people, lang)
    if word in BAZAAR_WORDS and rest and rest[0].lower() in RESULT_WORDS:
        return _bazaar_results(scope, people, lang)
    member = pick_member(people, scope.now)
    if member is None:
        return NetworkAnswer(t(lang, "network.members_only"))
    if word in COMPETENCY_WORDS:
        return NetworkAnswer(
            competencies.current_parts(member), form=competencies.competencies_form(member)
        )
    if word in WHO_WORDS:
        if rest and rest[0].lower() in WHO_WORDS.values():
            rest = rest[1:]
        command = f"/network {word} {WHO_WORDS[word]}"
        words = [unescape_slack(w) for w in rest]  # as typed: t() escapes what it shows
        return NetworkAnswer(
            competencies.who_knows_parts(
                session=scope.db, member=member, lang=lang, words=words, command=command
            )
        )
    if word in SHARE_WORDS:
        return NetworkAnswer(exchange.share_list_parts(session=scope.db, member=member, lang=lang))
    if word in BAZAAR_WORDS:
        return NetworkAnswer(
            bazaar.bazaar_parts(
                session=scope.db,
                member=member,
                lang=lang,
                page=page_of(rest),
                command=f"/network {word}",
                now=scope.now,
            )
        )
    if word in LIBRARY_WORDS:
        words = [unescape_slack(w) for w in rest]  # as typed: t() escapes what it shows
        return NetworkAnswer(
            library.library_parts(
                session=scope.db,
                member=member,
                lang=lang,
                words=words,
                command=f"/network {word}",
                now=scope.now,
            )
        )
    return NetworkAnswer(
        exchange.sister_parts(
            session=scope.db,
            member=member,
            lang=lang,
            page=page_of(rest),
            command=f"/network {word}",
        )
    )


def _competency_spread(scope: Asking, people: list[Member], lang: str) -> NetworkAnswer:
    """The facilitator's spread of competencies across their network (role checked)."""
    facilitator = facilitator_role(people)
    if facilitator is None:
        return NetworkAnswer(t(lang, "network.not_allowed"))
    return NetworkAnswer(competencies.facilitator_spread_parts(scope.db, lang, facilitator.network))


PREVIOUS_WORDS = frozenset({"previous", "forrige"})
# What a facilitator may see of the season before theirs (it is closed: nothing changes).
READ_ONLY = frozenset({_help, _summary, _members, _meetings, _fees, _export, _renewal})


def _previous_season(network: Network, args: list[str]) -> tuple[Network, list[str]]:
    """`/network forrige <subcommand> …`: the season before `network` and the words after."""
    if network.previous is None:
        raise InputError("network.error.no_previous")
    rest = args[1:] or ["summary"]
    if SUBCOMMANDS.get(rest[0].lower()) not in READ_ONLY:
        raise InputError("network.error.previous_read_only")
    return network.previous, rest


def _bazaar_results(scope: Asking, people: list[Member], lang: str) -> NetworkAnswer:
    """The facilitator's results of the bazaar (role checked)."""
    facilitator = facilitator_role(people)
    if facilitator is None:
        return NetworkAnswer(t(lang, "network.not_allowed"))
    return NetworkAnswer(bazaar.results_parts(scope.db, lang, facilitator.network))


def network_answer(scope: Asking, people: list[Member], lang: str, text: str) -> NetworkAnswer:
    """`/network <text>` from the person whose roles are `people`, on any platform: the
    facilitators' role check, the subcommand's parsing and its answer (an InputError for a
    command it cannot use). `mydata` is each platform's own: it sends a file."""
    args = re.split(r"\s+", text) if text else []
    if args and args[0].lower() in MEMBER_WORDS:
        return member_answer(scope, people, lang, args)
    facilitator = facilitator_role(people)
    if facilitator is None:
        return NetworkAnswer(t(lang, "network.not_allowed"))
    word = args[0].lower() if args else "help"
    answer = SUBCOMMANDS.get(word)
    if answer is None and word not in PREVIOUS_WORDS:
        unknown = t(lang, "network.error.unknown_subcommand", word=unescape_slack(word))
        return NetworkAnswer(unknown + "\n\n" + t(lang, "network.help"))
    network = facilitator.network
    if word in PREVIOUS_WORDS:
        network, args = _previous_season(network, args)
        word, text = args[0].lower(), " ".join(args)
        answer = SUBCOMMANDS[word]
    assert answer is not None
    request = NetworkRequest(scope, network, facilitator, args[1:], word, text, lang, tuple(people))
    return NetworkAnswer(answer(request), network if answer is _export else None)


def handle_network_command(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    scope = scope_of(context)
    text = str(body.get("text", "")).strip()
    first = text.split(maxsplit=1)
    if first and first[0].lower() in MYDATA_WORDS:  # anyone, about themselves only
        ack(response_type="ephemeral", text=handle_mydata(scope, context))
        return
    if first and first[0].lower() in CALENDAR_WORDS:  # anyone in the network
        ack(response_type="ephemeral", text=handle_calendar_command(scope, context))
        return
    if first and first[0].lower() in APPLY_WORDS:  # anyone in the workspace
        answer_command(ack, context, scope.lang, apply_command(context))
        return
    people = find_people(scope.db, scope.user_id) if scope.user_id else []
    answer = network_answer(scope, people, scope.lang, text)
    if answer.form is not None:
        answer_command(ack, context, scope.lang, answer.form)
        return
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
    app.command("/network")(ack=handle_network_command, lazy=[send_files, open_view_lazy])
    app.action(Action.FORGET_CONFIRM)(ack=handle_forget_confirm, lazy=[reply_ephemeral])
    for action in (Action.DISPUTE_KEEP, Action.DISPUTE_REMOVE):
        app.action(action)(ack=handle_dispute_decision, lazy=[reply_ephemeral])
