"""East and west: what members share with the sister network, one example or question at a
time (opt-in per item, withdrawn at will), what the sister network shared, and the week's
exchange for the facilitators' digest."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.base import STABLE_IDS, Base
from models.errors import InputError
from models.network import Meeting, Member, Network, sister_of
from models.prep import PrepExample, PrepQuestion


class ItemKind(enum.StrEnum):
    EXAMPLE = "example"
    QUESTION = "question"


class SisterShare(Base):
    """One example or question its author shares with the sister network (the row is the
    opt-in; withdrawing deletes it)."""

    __tablename__ = "sister_share"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    example_id: Mapped[int | None] = mapped_column(
        ForeignKey("prep_example.id", ondelete="CASCADE"), unique=True
    )
    question_id: Mapped[int | None] = mapped_column(
        ForeignKey("prep_question.id", ondelete="CASCADE"), unique=True
    )
    shared_at: Mapped[datetime]

    member: Mapped[Member] = relationship()
    example: Mapped[PrepExample | None] = relationship()
    question: Mapped[PrepQuestion | None] = relationship()

    __table_args__ = (
        CheckConstraint("(example_id IS NULL) <> (question_id IS NULL)", name="one_item"),
        STABLE_IDS,
    )


@dataclass(frozen=True)
class Item:
    """An example or a question of a member's, and whether it is shared with the sister."""

    kind: ItemKind
    id: int
    text: str
    meeting: int  # the meeting's number
    shared: bool

    @property
    def ref(self) -> str:
        """The value a button names this item by: "example:12"."""
        return f"{self.kind}:{self.id}"


def parse_ref(value: str | None) -> tuple[ItemKind, int] | None:
    """("example", 12) from "example:12"; None for anything else (a button's value is the
    sender's to choose)."""
    kind, _, number = (value or "").partition(":")
    if kind not in set(ItemKind) or not number.isdigit() or len(number) > 9:
        return None
    return ItemKind(kind), int(number)


def _meeting_numbers(member: Member) -> dict[int, int]:
    return {m.id: m.number for m in member.network.meetings}


def own_items(*, session: Session, member: Member) -> list[Item]:
    """The member's examples and questions (newest meeting first), each marked shared or not."""
    numbers = _meeting_numbers(member)
    shared_examples = set(
        session.scalars(select(SisterShare.example_id).where(SisterShare.member_id == member.id))
    )
    shared_questions = set(
        session.scalars(select(SisterShare.question_id).where(SisterShare.member_id == member.id))
    )
    examples = session.scalars(
        select(PrepExample).where(PrepExample.member_id == member.id).order_by(PrepExample.id)
    )
    questions = session.scalars(
        select(PrepQuestion)
        .where(PrepQuestion.member_id == member.id, PrepQuestion.text != "")
        .order_by(PrepQuestion.meeting_id, PrepQuestion.position)
    )
    items = [
        Item(ItemKind.EXAMPLE, e.id, e.title, numbers.get(e.meeting_id, 0), e.id in shared_examples)
        for e in examples
    ] + [
        Item(
            ItemKind.QUESTION, q.id, q.text, numbers.get(q.meeting_id, 0), q.id in shared_questions
        )
        for q in questions
    ]
    return sorted(items, key=lambda i: -i.meeting)


def _own(session: Session, member: Member, kind: ItemKind, item_id: int) -> bool:
    row: PrepExample | PrepQuestion | None = (
        session.get(PrepExample, item_id)
        if kind is ItemKind.EXAMPLE
        else session.get(PrepQuestion, item_id)
    )
    return row is not None and row.member_id == member.id


def _share_row(session: Session, kind: ItemKind, item_id: int) -> SisterShare | None:
    column = SisterShare.example_id if kind is ItemKind.EXAMPLE else SisterShare.question_id
    return session.scalars(select(SisterShare).where(column == item_id)).first()


def set_shared(
    *, session: Session, member: Member, ref: str | None, shared: bool, now: datetime
) -> ItemKind:
    """Share the member's own example or question (`ref`) with the sister network, or withdraw
    it; sharing twice or withdrawing what is not shared changes nothing. InputError when the
    item is not theirs, or (sharing) when their network has no sister."""
    parsed = parse_ref(ref)
    if parsed is None or not _own(session, member, *parsed):
        raise InputError("exchange.error.not_yours")
    kind, item_id = parsed
    row = _share_row(session, kind, item_id)
    if shared and row is None:
        if sister_of(session, member.network) is None:
            raise InputError("exchange.error.no_sister")
        column = "example_id" if kind is ItemKind.EXAMPLE else "question_id"
        session.add(SisterShare(member_id=member.id, shared_at=now, **{column: item_id}))
    elif not shared and row is not None:
        session.delete(row)
    session.flush()
    return kind


@dataclass(frozen=True)
class Shared:
    """An item the sister network shared: who (None once erased: never shown), what, when."""

    kind: ItemKind
    author: Member
    title: str
    detail: str
    meeting: Meeting
    shared_at: datetime


def _shared_by(session: Session, network: Network, since: datetime | None = None) -> list[Shared]:
    """What active members of `network` share with its sister (since `since`), newest first."""
    stmt = (
        select(SisterShare)
        .join(SisterShare.member)
        .where(Member.network_id == network.id, Member.active.is_(True))
        .order_by(SisterShare.shared_at.desc(), SisterShare.id.desc())
    )
    if since is not None:
        stmt = stmt.where(SisterShare.shared_at >= since)
    found = [_shared(session, row) for row in session.scalars(stmt)]
    return [item for item in found if item is not None]


def _shared(session: Session, row: SisterShare) -> Shared | None:
    if row.example is not None:
        e = row.example
        detail = " ".join(x for x in (e.idea, e.effect) if x)
        title, meeting_id = e.title, e.meeting_id
        kind = ItemKind.EXAMPLE
    elif row.question is not None:
        title, detail, meeting_id = row.question.text, "", row.question.meeting_id
        kind = ItemKind.QUESTION
    else:  # pragma: no cover - the constraint holds one of them
        return None
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:  # pragma: no cover - the item goes with its meeting
        return None
    return Shared(kind, row.member, title, detail, meeting, row.shared_at)


def sister_shared(*, session: Session, member: Member) -> tuple[Network | None, list[Shared]]:
    """The sister network (None: none linked) and what its members share with the member's
    network, newest first."""
    sister = sister_of(session, member.network)
    if sister is None:
        return None, []
    return sister, _shared_by(session, sister)


@dataclass(frozen=True)
class WeekExchange:
    """The week's exchange for a network's digest: shared to the sister, and from it."""

    sister: Network
    given: list[Shared]
    received: list[Shared]


def week_exchange(*, session: Session, network: Network, since: datetime) -> WeekExchange | None:
    """What was shared each way since `since`; None when the network has no sister."""
    sister = sister_of(session, network)
    if sister is None:
        return None
    return WeekExchange(
        sister, _shared_by(session, network, since), _shared_by(session, sister, since)
    )


def erase_shares(session: Session, member_id: int) -> None:
    """An erased member shares nothing any more (models/privacy.py)."""
    for row in session.scalars(select(SisterShare).where(SisterShare.member_id == member_id)):
        session.delete(row)
