"""What the /network views share: who facilitates, a long list in pages of sections."""

from __future__ import annotations

from collections.abc import Sequence

from handlers import conversation as c
from handlers.catalogue import (
    t,
)
from handlers.context import RequestScope
from handlers.parsing import MENTION_RE
from models.network import Member, Network, Role, find_people

MAX_BLOCKS = 45


LINES_PER_SECTION = 8


def facilitated_network(scope: RequestScope) -> Network | None:
    """The network the user facilitates (the newest season), or None."""
    if scope.user_id is None:
        return None
    roles = [p for p in find_people(scope.db, scope.user_id) if p.role is Role.FACILITATOR]
    return roles[0].network if roles else None


def facilitator_in(scope: RequestScope, network: Network) -> Member:
    return next(
        p
        for p in find_people(scope.db, str(scope.user_id))
        if p.role is Role.FACILITATOR and p.network_id == network.id
    )


def member_by_mention(network: Network, mention: str) -> Member | None:
    found = MENTION_RE.fullmatch(mention)
    if not found:
        return None
    return next(
        (m for m in network.people if m.slack_user_id == found["id"] and m.role is Role.MEMBER),
        None,
    )


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
