"""The idea bazaar (meeting 4 of the example network, the network file's `bazaar_meeting`):
before that meeting members put items on the bazaar — an idea, an approach, their biggest
failure, a concrete solution; from one of their examples or new text — and others claim them.
A claim is a spreading action linked to the giver (the giver told once); claimer and giver
are both asked 30 and 90 days later how it went, through the outbox at 09:00 in their zone."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.base import STABLE_IDS, Base, enum_column, utc_now
from models.calendar import local_moment
from models.errors import FieldErrors, InputError
from models.network import Meeting, Member, Network
from models.nudges import NudgeKind, NudgeStatus, insert_ignoring_duplicates
from models.people import is_erased, member_ref
from models.prep import PrepExample
from models.spread import SpreadAction, SpreadField, SpreadInput, SpreadStatus, log_spread

MAX_TITLE = 150
MAX_TEXT = 2000
FOLLOW_UP_DAYS = {NudgeKind.BAZAAR_FOLLOWUP_30: 30, NudgeKind.BAZAAR_FOLLOWUP_90: 90}
FOLLOW_UP_LIFETIME = timedelta(days=14)  # a follow-up not sent within two weeks is stale


class BazaarKind(enum.StrEnum):
    IDEA = "idea"
    APPROACH = "approach"
    FAILURE = "failure"  # the biggest failure
    SOLUTION = "solution"  # a concrete solution


class BazaarField(enum.StrEnum):
    """The add-item form's fields (block ids): an error names the one it belongs on."""

    KIND = "bazaar_kind"
    EXAMPLE = "bazaar_example"
    TITLE = "bazaar_title"
    TEXT = "bazaar_text"


class BazaarItem(Base):
    """Something a member puts on the bazaar for others to claim."""

    __tablename__ = "bazaar_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    kind: Mapped[BazaarKind] = mapped_column(enum_column(BazaarKind, 16))
    title: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text, default="")
    example_id: Mapped[int | None] = mapped_column(
        ForeignKey("prep_example.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    member: Mapped[Member] = relationship()
    meeting: Mapped[Meeting] = relationship()
    claims: Mapped[list[BazaarClaim]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="BazaarClaim.id"
    )

    __table_args__ = (STABLE_IDS,)


class BazaarClaim(Base):
    """A member claimed an item: the spreading action it became."""

    __tablename__ = "bazaar_claim"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("bazaar_item.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    spread_action_id: Mapped[int | None] = mapped_column(
        ForeignKey("spread_action.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    # How the giver sees it (asked with the 30- and 90-day follow-ups): a status and a note.
    giver_status: Mapped[SpreadStatus | None] = mapped_column(
        enum_column(SpreadStatus, 16), nullable=True
    )
    giver_effect: Mapped[str | None] = mapped_column(Text)
    giver_answered_at: Mapped[datetime | None]

    item: Mapped[BazaarItem] = relationship(back_populates="claims")
    member: Mapped[Member] = relationship()
    action: Mapped[SpreadAction | None] = relationship()

    __table_args__ = (UniqueConstraint("item_id", "member_id"), STABLE_IDS)


@dataclass(frozen=True)
class BazaarInput:
    kind: str | None
    example_id: str | None  # one of the member's own examples, or none
    title: str
    text: str


def bazaar_meeting(network: Network) -> Meeting | None:
    """The meeting the network holds its bazaar at (None: no bazaar this season)."""
    number = network.bazaar_meeting
    return next((m for m in network.meetings if m.number == number), None) if number else None


def _open_bazaar(member: Member, now: datetime) -> Meeting:
    meeting = bazaar_meeting(member.network)
    if meeting is None:
        raise InputError("bazaar.error.none")
    if meeting.starts_at <= now:
        raise InputError("bazaar.error.closed", number=meeting.number)
    return meeting


def _own_example(session: Session, member: Member, ref: str | None) -> PrepExample | None:
    if not ref:
        return None
    example = session.get(PrepExample, int(ref)) if ref.isdigit() and len(ref) < 10 else None
    if example is None or example.member_id != member.id:
        raise InputError("bazaar.error.not_your_example", field=BazaarField.EXAMPLE)
    return example


def _checked(
    session: Session, member: Member, data: BazaarInput
) -> tuple[BazaarKind, PrepExample | None, str, str]:
    errors = FieldErrors()
    kind = BazaarKind.IDEA
    try:
        kind = BazaarKind(data.kind or "")
    except ValueError:
        errors.add(BazaarField.KIND, "bazaar.error.kind")
    example = None
    try:
        example = _own_example(session, member, data.example_id)
    except InputError as error:
        errors.add(BazaarField.EXAMPLE, error.key, **error.params)
    title = data.title.strip() or (example.title if example else "")
    text = data.text.strip() or (example.idea if example else "")
    if not title:
        errors.add(BazaarField.TITLE, "bazaar.error.title_missing")
    elif len(title) > MAX_TITLE:
        errors.add(BazaarField.TITLE, "bazaar.error.too_long", limit=MAX_TITLE)
    if len(text) > MAX_TEXT:
        errors.add(BazaarField.TEXT, "bazaar.error.too_long", limit=MAX_TEXT)
    if errors.errors:
        raise errors
    return kind, example, title, text


def add_item(*, session: Session, member: Member, data: BazaarInput, now: datetime) -> BazaarItem:
    """Put an item on the bazaar (before the bazaar meeting): its kind, and a title and text
    of its own or taken from one of the member's examples. FieldErrors: nothing kept."""
    meeting = _open_bazaar(member, now)
    kind, example, title, text = _checked(session, member, data)
    item = BazaarItem(
        member_id=member.id,
        meeting_id=meeting.id,
        kind=kind,
        title=title,
        text=text,
        example_id=example.id if example else None,
        created_at=now,
    )
    session.add(item)
    session.flush()
    return item


def bazaar_items(*, session: Session, network: Network) -> list[BazaarItem]:
    """The bazaar's items, oldest first; an erased person's are left out."""
    meeting = bazaar_meeting(network)
    if meeting is None:
        return []
    rows = session.scalars(
        select(BazaarItem).where(BazaarItem.meeting_id == meeting.id).order_by(BazaarItem.id)
    )
    return [i for i in rows if not is_erased(i.member)]


def _schedule_follow_ups(session: Session, claim: BazaarClaim, now: datetime) -> None:
    """Ask claimer and giver 30 and 90 days on, 09:00 in each one's zone (once each)."""
    rows = []
    for person in (claim.member, claim.item.member):
        today = now.astimezone(person.zone).date()
        for kind, days in FOLLOW_UP_DAYS.items():
            due = local_moment(today + timedelta(days=days), person.zone)
            rows.append(
                {
                    "member_id": person.id,
                    "meeting_id": None,
                    "kind": kind,
                    "seq": claim.id,
                    "due_at": due,
                    "stale_at": due + FOLLOW_UP_LIFETIME,
                    "status": NudgeStatus.PENDING,
                    "attempts": 0,
                    "created_at": now,
                }
            )
    insert_ignoring_duplicates(session, rows)


def claim_item(
    *, session: Session, member: Member, item_id: str | int | None, now: datetime
) -> tuple[BazaarClaim, bool]:
    """Claim an item: a planned spreading action linked to the giver (told once), and the
    follow-ups scheduled. Claiming twice gives the first claim (and False)."""
    ref = str(item_id or "")
    item = session.get(BazaarItem, int(ref)) if ref.isdigit() and len(ref) < 10 else None
    if item is None or item.member.network_id != member.network_id or is_erased(item.member):
        raise InputError("bazaar.error.unknown_item")
    if item.member_id == member.id:
        raise InputError("bazaar.error.own_item")
    existing = session.scalars(
        select(BazaarClaim).where(
            BazaarClaim.item_id == item.id, BazaarClaim.member_id == member.id
        )
    ).first()
    if existing is not None:
        return existing, False
    data = SpreadInput(
        solution=item.title,
        example_id=None,
        source_ref=member_ref(item.member),
        meeting_id=None,
        status=SpreadStatus.PLANNED,
        effect="",
    )
    action = log_spread(session=session, member=member, data=data, now=now)
    claim = BazaarClaim(item_id=item.id, member_id=member.id, spread_action_id=action.id)
    claim.created_at = now
    session.add(claim)
    session.flush()
    _schedule_follow_ups(session, claim, now)
    return claim, True


def follow_up_facts(*, session: Session, member: Member, claim_id: int) -> BazaarClaim | None:
    """The claim a follow-up to `member` is about, if they are its claimer or giver and
    neither was erased."""
    claim = session.get(BazaarClaim, claim_id)
    if claim is None or member.id not in (claim.member_id, claim.item.member_id):
        return None
    if is_erased(claim.member) or is_erased(claim.item.member):
        return None
    return claim


@dataclass(frozen=True)
class GiverInput:
    status: str | None
    effect: str


def record_giver_view(
    *, session: Session, member: Member, claim_id: str | int | None, data: GiverInput, now: datetime
) -> BazaarClaim:
    """The giver's own view of a claim of their item: a status and an effect note (answering
    again replaces it). Only the item's giver; FieldErrors: nothing kept."""
    ref = str(claim_id or "")
    claim = (
        follow_up_facts(session=session, member=member, claim_id=int(ref))
        if (ref.isdigit() and len(ref) < 10)
        else None
    )
    if claim is None or claim.item.member_id != member.id:
        raise InputError("bazaar.error.unknown_claim")
    errors = FieldErrors()
    status = SpreadStatus.PLANNED
    try:
        status = SpreadStatus(data.status or "")
    except ValueError:
        errors.add(SpreadField.STATUS, "bazaar.error.giver_status")
    effect = data.effect.strip()
    if len(effect) > MAX_TEXT:
        errors.add(SpreadField.EFFECT, "bazaar.error.too_long", limit=MAX_TEXT)
    if errors.errors:
        raise errors
    claim.giver_status = status
    claim.giver_effect = effect
    claim.giver_answered_at = now
    session.flush()
    return claim
