"""What the /network views share: who facilitates, a long list in pages of sections."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from urllib.parse import quote, unquote

from sqlalchemy.orm import Session

from handlers import conversation as c
from handlers.catalogue import (
    t,
)
from handlers.context import RequestScope
from handlers.parsing import MENTION_RE
from models.network import Member, Network, Role, find_people

MAX_BLOCKS = 45


class Asking(Protocol):
    """What a /network answer needs about the request, on any platform: the session, now."""

    @property
    def db(self) -> Session: ...

    @property
    def now(self) -> datetime: ...


LINES_PER_SECTION = 8


def facilitator_role(people: list[Member]) -> Member | None:
    """Of one person's roles, the one facilitating a network (the newest season), or None."""
    return next((p for p in people if p.role is Role.FACILITATOR), None)


def facilitated_network(scope: RequestScope) -> Network | None:
    """The network the Slack user facilitates (the newest season), or None."""
    if scope.user_id is None:
        return None
    role = facilitator_role(find_people(scope.db, scope.user_id))
    return role.network if role else None


def facilitator_in(scope: RequestScope, network: Network) -> Member:
    return next(
        p
        for p in find_people(scope.db, str(scope.user_id))
        if p.role is Role.FACILITATOR and p.network_id == network.id
    )


# A person a Teams message mentioned, as the Teams route writes it into the command's text:
# `<teams:ID,AAD,NAME>`, each percent-encoded (so no space or comma is in it).
TEAMS_REF_RE = re.compile(r"<teams:(?P<fields>[^<>\s]*)>")


@dataclass(frozen=True)
class TeamsRef:
    """A person a Teams message mentioned: their Teams user id (and Entra object id), as
    shown."""

    user_id: str
    aad_object_id: str
    name: str

    def token(self) -> str:
        fields = (self.user_id, self.aad_object_id, self.name)
        return "<teams:" + ",".join(quote(f, safe="") for f in fields) + ">"

    @property
    def ids(self) -> set[str]:
        return {i for i in (self.user_id, self.aad_object_id) if i}


def teams_ref(text: str, *, search: bool = False) -> TeamsRef | None:
    """The Teams reference `text` is (or, with `search`, holds)."""
    found = TEAMS_REF_RE.search(text) if search else TEAMS_REF_RE.fullmatch(text)
    if found is None:
        return None
    fields = [unquote(f) for f in found["fields"].split(",")]
    user_id, aad, name = [*fields, "", "", ""][:3]
    return TeamsRef(user_id, aad, name)


def member_by_mention(
    network: Network, mention: str, roles: frozenset[Role] = frozenset({Role.MEMBER})
) -> Member | None:
    """The network's member (or another of `roles`) a Slack mention (or a Teams reference)
    names."""
    found = MENTION_RE.fullmatch(mention)
    if found:
        return next(
            (m for m in network.people if m.slack_user_id == found["id"] and m.role in roles),
            None,
        )
    ref = teams_ref(mention)
    ids = ref.ids if ref else set()
    return next((m for m in network.people if m.teams_user_id in ids and m.role in roles), None)


def _pack(lines: Sequence[str]) -> list[list[str]]:
    """Lines grouped into sections of Slack's 3,000 characters (at most 8 lines each)."""
    chunks: list[list[str]] = []
    chunk: list[str] = []
    for line in lines:
        if chunk and (len(chunk) == LINES_PER_SECTION or len("\n".join([*chunk, line])) > 2900):
            chunks.append(chunk)
            chunk = []
        chunk.append(line)
    if chunk:
        chunks.append(chunk)
    return chunks


def sections(
    lang: str,
    lines: Sequence[str],
    budget: int,
    *,
    page: int = 1,
    command: str | None = None,
) -> list[c.Part]:
    """Lines packed into paragraphs, at most `budget` of them. A list that does not fit says how
    many are left out and where to see them: the next `page` of `command`, or the export."""
    chunks = _pack(lines)
    if len(chunks) <= budget and page == 1:
        return [c.Paragraph("\n".join(chunk)) for chunk in chunks]
    per_page = budget - 1
    first = (max(page, 1) - 1) * per_page
    shown = chunks[first : first + per_page]
    parts: list[c.Part] = [c.Paragraph("\n".join(chunk)) for chunk in shown]
    left = sum(len(chunk) for chunk in chunks[first + per_page :])
    if left and command is not None:
        more = t(lang, "network.list.more_page", count=left, command=f"{command} {page + 1}")
        parts.append(c.Paragraph(more))
    elif left:
        parts.append(c.Paragraph(t(lang, "network.list.more_export", count=left)))
    return parts


def page_of(args: list[str]) -> int:
    """`/network members 2` (or `side 2` / `page 2`): the page asked for, 1 by default."""
    number = next((a for a in args if a.isdigit()), "1")
    return max(int(number), 1)
