"""East and west: a member shares an example or a question with the sister network (one at a
time, from the list `/network del`, and withdraws it there), and reads what the sister
network shared (`/network søster`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slack_bolt import Ack, App
from sqlalchemy.orm import Session

from handlers import conversation as c
from handlers.catalogue import format_date, t
from handlers.context import scope_of
from handlers.ids import Action
from handlers.network.common import sections
from handlers.parsing import excerpt
from handlers.replies import reply_ephemeral
from models.errors import InputError
from models.exchange import Item, ItemKind, Shared, own_items, set_shared, sister_shared
from models.network import Member, sister_of
from models.people import person_of

MAX_ITEMS = 20  # buttons in one reply: the newest; the rest are counted
SISTER_SECTIONS = 4
EXCERPT = 200


def _item_paragraph(lang: str, item: Item) -> c.Paragraph:
    key = "exchange.item.example" if item.kind is ItemKind.EXAMPLE else "exchange.item.question"
    state = t(lang, "exchange.item.shared") if item.shared else ""
    text = t(lang, key, number=item.meeting, text=excerpt(item.text, 150), state=state)
    if item.shared:
        button = c.Button(t(lang, "exchange.button.withdraw"), Action.SISTER_WITHDRAW, item.ref)
    else:
        button = c.Button(
            t(lang, "exchange.button.share"), Action.SISTER_SHARE, item.ref, "primary"
        )
    return c.Paragraph(text, button=button)


def share_list_parts(*, session: Session, member: Member, lang: str) -> list[c.Part]:
    """`/network del`: the member's examples and questions, each with a button to share it
    with the sister network (or withdraw it)."""
    sister = sister_of(session, member.network)
    if sister is None:
        return [c.Paragraph(t(lang, "exchange.error.no_sister"))]
    items = own_items(session=session, member=member)
    if not items:
        return [c.Paragraph(t(lang, "exchange.share.nothing"))]
    parts: list[c.Part] = [c.Paragraph(t(lang, "exchange.share.header", network=sister.name))]
    parts += [_item_paragraph(lang, item) for item in items[:MAX_ITEMS]]
    if len(items) > MAX_ITEMS:
        parts.append(c.Note(t(lang, "exchange.share.more", count=len(items) - MAX_ITEMS)))
    return parts


def _shared_line(lang: str, item: Shared) -> str:
    key = "exchange.sister.example" if item.kind is ItemKind.EXAMPLE else "exchange.sister.question"
    return t(
        lang,
        key,
        person=person_of(item.author),
        organisation=item.author.organisation or "",
        title=excerpt(item.title, EXCERPT),
        detail=excerpt(item.detail, EXCERPT),
        number=item.meeting.number,
        day=format_date(lang, item.shared_at.astimezone(item.author.zone).date()),
    )


def sister_parts(
    *, session: Session, member: Member, lang: str, page: int, command: str
) -> list[c.Part]:
    """`/network søster`: what the sister network shared, newest first, a page at a time."""
    sister, shared = sister_shared(session=session, member=member)
    if sister is None:
        return [c.Paragraph(t(lang, "exchange.error.no_sister"))]
    if not shared:
        return [c.Paragraph(t(lang, "exchange.sister.nothing", network=sister.name))]
    header = t(lang, "exchange.sister.header", network=sister.name, count=len(shared))
    lines = [_shared_line(lang, s) for s in shared]
    return [
        c.Paragraph(header),
        *sections(lang, lines, SISTER_SECTIONS, page=page, command=command),
    ]


def press_share(
    *, session: Session, member: Member, value: str | None, share: bool, now: datetime
) -> str:
    """A Share / Withdraw button: what it did, in the member's language."""
    try:
        kind = set_shared(session=session, member=member, ref=value, shared=share, now=now)
    except InputError as error:
        session.rollback()
        return t(member.lang, error.key, **error.params)
    session.commit()
    key = "exchange.shared" if share else "exchange.withdrawn"
    return t(member.lang, key, kind=t(member.lang, f"exchange.kind.{kind}"))


def handle_share_button(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    scope = scope_of(context)
    member = scope.require_member()
    action = body["actions"][0]
    context["reply"] = press_share(
        session=scope.db,
        member=member,
        value=action.get("value"),
        share=action["action_id"] == Action.SISTER_SHARE,
        now=scope.now,
    )
    ack()


def register(app: App) -> None:
    for action in (Action.SISTER_SHARE, Action.SISTER_WITHDRAW):
        app.action(action)(ack=handle_share_button, lazy=[reply_ephemeral])
