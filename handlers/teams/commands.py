"""A member's commands typed in the Teams personal chat: `sparring …`, `prep`, `opfølgning …`
/ `followup …`, `spredning …` / `spread …` and `hjælp` / `help`.

Each command runs the same platform-neutral core as its Slack slash command (the same parser,
the same checks, the same replies), built for the Teams surface and sent as cards in reply
to the member's message. A form (`prep`, `opfølgning` without text, `spredning`) comes as the
form's card; its submission is handled with the other card actions.

Mentions. Teams sends a mention as `<at>Name</at>` in the text plus an entity naming who it
is ({"type": "mention", "mentioned": {"id", "name"}}). The commands read the text the way
Slack delivers a slash command's: typed `&`, `<` and `>` escaped, and people as mention
tokens — here `<@member:42>`, a member the bot resolved itself from the entity's Teams user
id or Entra object id. So the parser stays one parser: it reads a person wherever a mention
token stands and cannot be given one by typing (every typed `<` is escaped first, and an
`<at>` span without its entity is read as typed text). Outside `sparring` (where a person is
a receiver) a mention is just the name, as text.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from handlers import conversation as c
from handlers import teams_render
from handlers.catalogue import MESSAGES, Mrkdwn, surface, t
from handlers.context import RequestScope
from handlers.errors import error_text
from handlers.followup import followup_command
from handlers.parsing import clean_typed, member_reference, unescape_slack
from handlers.prep import prep_command
from handlers.reflection import reflection_command
from handlers.replies import CommandReply
from handlers.sparring import run_sparring_command
from handlers.spread import spread_command
from handlers.teams.connector import Connector
from models.errors import InputError, TovholderError
from models.network import Member, Platform, Role, find_people_on
from models.people import Person
from models.prep import network_members

log = logging.getLogger(__name__)

Activity = dict[str, Any]
Core = Callable[[RequestScope, str], CommandReply]

_AT_RE = re.compile(r"<at>(.*?)</at>", re.IGNORECASE | re.DOTALL)


def _words(command: str, *more: str) -> frozenset[str]:
    """The words that start `command` in every language (as the app package lists them)."""
    return frozenset(texts[f"teams.command.{command}"].lower() for texts in MESSAGES.values()) | {
        *more
    }


# The Teams word for each command (either language, and the spellings without æ, ø, å), with
# the core both surfaces run.
COMMANDS: dict[str, Core] = {
    **dict.fromkeys(_words("sparring"), run_sparring_command),
    **dict.fromkeys(_words("prep"), prep_command),
    **dict.fromkeys(_words("followup", "opfoelgning", "opfolgning"), followup_command),
    **dict.fromkeys(_words("spread"), spread_command),
    **dict.fromkeys(_words("reflection"), reflection_command),
}
HELP_WORDS = _words("help", "hjaelp", "?")
# The commands in the help and the welcome, each with its description (key prefix).
LISTED = ("sparring", "prep", "followup", "spread", "reflection", "apply")


@dataclass(frozen=True)
class Mentioned:
    """A person mentioned in the text: the name shown, and their Teams ids."""

    name: str
    ids: tuple[str, ...]


Piece = str | Mentioned


def _mention_entities(activity: Activity) -> list[dict[str, Any]]:
    entities = activity.get("entities")
    return [
        e
        for e in (entities if isinstance(entities, list) else [])
        if isinstance(e, dict)
        and e.get("type") == "mention"
        and isinstance(e.get("mentioned"), dict)
    ]


def pieces(activity: Activity) -> list[Piece]:
    """The message's text as typed text and the people mentioned in it (each `<at>` span
    matched to its entity, in order; a mention of the bot itself dropped)."""
    text = activity.get("text")
    text = text if isinstance(text, str) else ""
    entities = _mention_entities(activity)
    recipient = activity.get("recipient")
    bot = recipient.get("id") if isinstance(recipient, dict) else None
    out: list[Piece] = []
    last = 0
    for span in _AT_RE.finditer(text):
        out.append(text[last : span.start()])
        last = span.end()
        entity = next((e for e in entities if e.get("text") == span[0]), None)
        if entity is None:  # no entity says who: what was typed, nothing more
            out.append(span[1])
            continue
        entities.remove(entity)
        mentioned = entity["mentioned"]
        if mentioned.get("id") == bot:
            continue
        ids = tuple(
            str(mentioned[k]) for k in ("id", "aadObjectId") if isinstance(mentioned.get(k), str)
        )
        out.append(Mentioned(html.unescape(span[1]), ids))
    out.append(text[last:])
    return out


def _typed(text: str) -> str:
    """Typed text as a Slack command's text reads: clean, `&`, `<`, `>` escaped."""
    plain = clean_typed(html.unescape(text))
    return plain.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def shown(parts: list[Piece]) -> str:
    """What the member wrote, as they see it (a mention as "@Name")."""
    return " ".join(
        "".join(
            f"@{p.name}" if isinstance(p, Mentioned) else clean_typed(html.unescape(p))
            for p in parts
        ).split()
    )


def resolve_mention(session: Session, member: Member, mentioned: Mentioned) -> Member:
    """The member of `member`'s network a mention names, by Teams user id or Entra object id;
    InputError (not a member) for anyone else."""
    for external_id in mentioned.ids:
        for person in find_people_on(session, Platform.TEAMS, external_id):
            if person.network_id == member.network_id and person.role is Role.MEMBER:
                return person
    # Known by Entra object id only (a mention names the Teams user id): whoever wrote to
    # the bot from that Teams user id.
    for person in network_members(session, member):
        identity = person.identity(Platform.TEAMS)
        reference = identity.conversation if identity else None
        if reference and reference.get("user_id") in mentioned.ids:
            return person
    raise InputError("sparring.error.not_members", users=[Person(name=mentioned.name)])


def command_text(parts: list[Piece], resolve: Callable[[Mentioned], Member] | None) -> str:
    """The text a command's core reads (Slack's shape): people as mention tokens when
    `resolve` is given, else as "@Name"."""
    out = []
    for p in parts:
        if not isinstance(p, Mentioned):
            out.append(_typed(p))
        elif resolve is not None:
            out.append(member_reference(resolve(p).id))
        else:
            out.append(_typed(f"@{p.name}"))
    return "".join(out).strip()


def split_command(text: str) -> tuple[str, str]:
    """(command word, the rest); a leading "/" (a Slack habit) is allowed."""
    word, _, rest = text.strip().partition(" ")
    return word.lstrip("/").lower(), rest.strip()


# --- answers ----------------------------------------------------------------------------------


def _message(text: str) -> c.Message:
    """A text answer (Teams text, built under the Teams surface) as a message."""
    return c.Message(Mrkdwn(text.split("\n", 1)[0]), [c.Paragraph(text)])


def commands_message(lang: str, intro_key: str) -> c.Message:
    """The commands with what each does (the help, and the welcome on install)."""
    intro: str = t(lang, intro_key)
    pairs: list[tuple[str, str]] = [
        (t(lang, f"teams.command.{name}"), t(lang, f"teams.command.{name}_description"))
        for name in LISTED
    ]
    return c.Message(intro, [c.Paragraph(intro), c.Facts(pairs)])


def reply_activities(lang: str, reply: CommandReply) -> list[dict[str, Any]]:
    """A command's answer as a Teams message (built under the Teams surface): one activity
    with its summary and card(s), more only past Teams' size
    (`teams_render.message_activities`)."""
    view = reply if isinstance(reply, c.Message | c.Form) else _message(reply)
    return teams_render.message_activities(view, lang)


def error_reply(error: Exception, lang: str, typed: str) -> str:
    """The friendly text for `error`, as a slash command's error reads (values quoted from
    the escaped command text unescaped; what the member wrote under an input error)."""
    if not isinstance(error, TovholderError):
        return error_text(error, lang, {})  # logged with a reference
    params = {k: unescape_slack(v) if isinstance(v, str) else v for k, v in error.params.items()}
    text: str = t(lang, error.key, **params)
    if isinstance(error, InputError):
        text += "\n" + t(lang, "error.your_text", text=typed.replace("`", "'"))
    return text


def _scope(session: Session, member: Member, now: datetime) -> RequestScope:
    return RequestScope.of_session(session, member, now)


def run_command(
    activity: Activity, *, session: Session, member: Member, now: datetime
) -> tuple[str, CommandReply] | None:
    """The command the member typed and its answer (built for Teams); None when the text is
    no command."""
    parts = pieces(activity)
    word, _ = split_command(command_text(parts, None))
    if word in HELP_WORDS:
        return "help", commands_message(member.lang, "teams.help")
    core = COMMANDS.get(word)
    if core is None:
        return None
    try:
        resolve = None
        if core is run_sparring_command:  # people are receivers there
            resolve = lambda mentioned: resolve_mention(session, member, mentioned)  # noqa: E731
        _, rest = split_command(command_text(parts, resolve))
        return word, core(_scope(session, member, now), rest)
    except Exception as error:
        session.rollback()
        return word, error_reply(error, member.lang, shown(parts))


def answer(
    activity: Activity,
    key: str,
    *,
    member: Member,
    session: Session,
    connector: Connector,
    now: datetime,
) -> str:
    """Answer a member in cards: a command, or `key` (the welcome, not understood); what was
    answered (the command word or the key)."""
    lang = member.lang
    reply: CommandReply
    with surface("teams"):
        done = None
        if activity.get("type") == "message":
            done = run_command(activity, session=session, member=member, now=now)
        if done is not None:
            key, reply = done
        elif key == "teams.welcome":
            reply = commands_message(lang, "teams.welcome")
        else:
            reply = _message(t(lang, key))
        outgoing = reply_activities(lang, reply)
    for answer in outgoing:
        if activity.get("type") == "message" and isinstance(activity.get("id"), str):
            answer["replyToId"] = activity["id"]
        connector.send(str(activity["serviceUrl"]), str(activity["conversation"]["id"]), answer)
    return key
