"""The example library: every example the network's members brought to its meetings, searched
by words and filtered by kind, meeting, workplace and member; asking an example's owner for
sparring (they are told once) and taking an example home (a spreading action, the owner told
once)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ForeignKey, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.base import STABLE_IDS, Base, utc_now
from models.competencies import fold, query_words
from models.errors import InputError
from models.network import Meeting, Member
from models.nudges import NudgeKind, enqueue_notice
from models.people import is_erased
from models.prep import ExampleKind, PrepExample
from models.spread import SpreadAction, SpreadInput, SpreadStatus, log_spread


class ExampleSparringAsk(Base):
    """A member asked the owner of an example for sparring about it (once per example)."""

    __tablename__ = "example_sparring_ask"

    id: Mapped[int] = mapped_column(primary_key=True)
    example_id: Mapped[int] = mapped_column(
        ForeignKey("prep_example.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    example: Mapped[PrepExample] = relationship()
    member: Mapped[Member] = relationship()

    __table_args__ = (UniqueConstraint("example_id", "member_id"), STABLE_IDS)


# The filter keys people type (`type=fejl`), Danish and English, and what each filters on.
FILTER_KEYS = {
    "type": "kind",
    "slags": "kind",
    "kind": "kind",
    "møde": "meeting",
    "moede": "meeting",
    "mode": "meeting",
    "meeting": "meeting",
    "arbejdsplads": "workplace",
    "workplace": "workplace",
    "org": "workplace",
    "medlem": "member",
    "member": "member",
}
# The words for each kind people may type after `type=` (the kind's own name works too).
KIND_WORDS: dict[str, ExampleKind] = {
    "udfordring": ExampleKind.CHALLENGE,
    "spørgsmål": ExampleKind.CHALLENGE,
    "indsigt": ExampleKind.INSIGHT,
    "brugerindsigt": ExampleKind.INSIGHT,
    "ide": ExampleKind.IDEA,
    "idé": ExampleKind.IDEA,
    "koncept": ExampleKind.CONCEPT,
    "opskrift": ExampleKind.RECIPE,
    "løsning": ExampleKind.RECIPE,
    "effektmåling": ExampleKind.MEASUREMENT,
    "måling": ExampleKind.MEASUREMENT,
    "fejl": ExampleKind.FAILURE,
    "fiasko": ExampleKind.FAILURE,
    **{k.value: k for k in ExampleKind},
}


# A filter's value may hold spaces in quotes (Slack may send curly ones):
# `arbejdsplads="Roskilde Kommune"`; anything else is split on spaces.
_TOKEN = re.compile(r'(\w+=)["“”]([^"“”]*)["“”]|(\S+)')


def _tokens(words: list[str]) -> list[str]:
    return [m[3] or f"{m[1]}{m[2]}" for m in _TOKEN.finditer(" ".join(words))]


@dataclass(frozen=True)
class LibraryQuery:
    """What a member asked the library for: words (all must match), and filters."""

    words: list[str]
    kind: ExampleKind | None = None
    meeting: int | None = None
    workplace: str | None = None
    member: str | None = None
    page: int = 1


def _kind_of(value: str) -> ExampleKind:
    kind = KIND_WORDS.get(value.casefold()) or KIND_WORDS.get(fold(value))
    if kind is None:
        raise InputError("library.error.unknown_kind", value=value)
    return kind


def parse_query(words: list[str]) -> LibraryQuery:
    """`/network eksempler [ord] [type=…] [møde=4] [arbejdsplads=…] [medlem=…] [side]`:
    InputError (saying the right form) for an unknown key or a bad value."""
    plain: list[str] = []
    filters: dict[str, object] = {}
    page = 1
    words = _tokens(words)
    if words and words[-1].isdigit() and len(words[-1]) < 4:
        page, words = max(int(words[-1]), 1), words[:-1]
    for word in words:
        key, sep, value = word.partition("=")
        if not sep:
            plain.append(word)
            continue
        name = FILTER_KEYS.get(key.casefold())
        if name is None or not value:
            raise InputError("library.error.bad_filter", word=word)
        if name == "kind":
            filters[name] = _kind_of(value)
        elif name == "meeting":
            if not value.isdigit() or len(value) > 3:
                raise InputError("library.error.bad_meeting", value=value)
            filters[name] = int(value)
        else:
            filters[name] = fold(value)
    text = " ".join(plain)
    found = query_words(text) if any(len(w) >= 2 for w in plain) else []
    return LibraryQuery(found, page=page, **filters)  # type: ignore[arg-type]


def _haystack(example: PrepExample) -> str:
    texts = (example.title, example.idea, example.effect, example.learning, example.meeting.theme)
    return fold(" ".join(texts))


def _matches(example: PrepExample, query: LibraryQuery) -> bool:
    owner = example.member
    if query.kind is not None and example.kind is not query.kind:
        return False
    if query.meeting is not None and example.meeting.number != query.meeting:
        return False
    if query.workplace and query.workplace not in fold(owner.organisation or ""):
        return False
    if query.member and query.member not in fold(owner.name):
        return False
    haystack = _haystack(example)
    return all(word in haystack for word in query.words)


def network_examples(*, session: Session, member: Member, now: datetime) -> list[PrepExample]:
    """Every example brought to a meeting of the member's network that has started (one for a
    coming meeting is not shared yet), newest meeting first; an erased person's are left out."""
    rows = session.scalars(
        select(PrepExample)
        .join(Member, Member.id == PrepExample.member_id)
        .join(Meeting, Meeting.id == PrepExample.meeting_id)
        .where(Member.network_id == member.network_id, Meeting.starts_at <= now)
        .order_by(Meeting.starts_at.desc(), PrepExample.id)
    )
    return [e for e in rows if not is_erased(e.member)]


def search_library(
    *, session: Session, member: Member, query: LibraryQuery, now: datetime
) -> list[PrepExample]:
    """The network's examples that match every word and filter of `query`."""
    examples = network_examples(session=session, member=member, now=now)
    return [e for e in examples if _matches(e, query)]


def library_example(
    *, session: Session, member: Member, example_id: int | str | None, now: datetime
) -> PrepExample:
    """One example of the member's library (by id, as a button carries it); InputError when
    it is not one (another network's, erased, not shared yet)."""
    text = str(example_id or "")
    if not text.isdigit() or len(text) > 9:
        raise InputError("library.error.unknown_example")
    example = session.get(PrepExample, int(text))
    if (
        example is None
        or example.member.network_id != member.network_id
        or example.meeting.starts_at > now
        or is_erased(example.member)
    ):
        raise InputError("library.error.unknown_example")
    return example


def ask_for_sparring(
    *, session: Session, member: Member, example_id: int | str | None, now: datetime
) -> tuple[ExampleSparringAsk, bool]:
    """`member` asks the example's owner for sparring: recorded once (a second press changes
    nothing), the owner told once through the outbox. Returns the ask and whether it is new."""
    example = library_example(session=session, member=member, example_id=example_id, now=now)
    if example.member_id == member.id:
        raise InputError("library.error.own_example")
    ask = session.scalars(
        select(ExampleSparringAsk).where(
            ExampleSparringAsk.example_id == example.id,
            ExampleSparringAsk.member_id == member.id,
        )
    ).first()
    if ask is not None:
        return ask, False
    ask = ExampleSparringAsk(example_id=example.id, member_id=member.id, created_at=now)
    session.add(ask)
    session.flush()
    enqueue_notice(
        session=session,
        member_id=example.member_id,
        kind=NudgeKind.EXAMPLE_SPARRING,
        ref=ask.id,
        now=now,
    )
    return ask, True


def sparring_ask_facts(
    *, session: Session, member: Member, ask_id: int
) -> ExampleSparringAsk | None:
    """The ask a notice to `member` is about, if it is still to be told (the asker not erased,
    the example still theirs)."""
    ask = session.get(ExampleSparringAsk, ask_id)
    if ask is None or ask.example.member_id != member.id or is_erased(ask.member):
        return None
    return ask


def take_home(
    *, session: Session, member: Member, example_id: int | str | None, now: datetime
) -> SpreadAction:
    """`member` takes the example home: a planned spreading action linked to the example and
    its owner (who is told once, unless they turned those notices off). Taking the same
    example home twice gives the action already made."""
    example = library_example(session=session, member=member, example_id=example_id, now=now)
    if example.member_id == member.id:
        raise InputError("library.error.own_example")
    existing = session.scalars(
        select(SpreadAction).where(
            SpreadAction.member_id == member.id, SpreadAction.example_id == example.id
        )
    ).first()
    if existing is not None:
        return existing
    data = SpreadInput(
        solution="",
        example_id=example.id,
        source_ref=None,
        meeting_id=None,
        status=SpreadStatus.PLANNED,
        effect="",
    )
    return log_spread(session=session, member=member, data=data, now=now)
