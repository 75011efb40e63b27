"""P1–P3: what a member prepares before a meeting — manager alignment, three questions (each
aimed at a primary and a secondary person), innovation examples — and the question agenda."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import cast

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Text,
    UniqueConstraint,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.base import STABLE_IDS, Base, enum_column, utc_now
from models.errors import FieldErrors, InputError
from models.history import apply_changes, delete_with_history
from models.network import Meeting, Member, Role
from models.people import person_named, refs_of

QUESTIONS_PER_MEETING = 3
QUESTION_FIELDS = ["text", "primary_id", "secondary_id"]
EXAMPLE_FIELDS = ["title", "idea", "effect", "learning", "source", "did_not_work", "kind"]
MAX_TEXT = 2000
MAX_TITLE = 150


class ExampleSource(enum.StrEnum):
    OWN = "own"
    COLLEAGUE = "colleague"


class ExampleKind(enum.StrEnum):
    """The kind of experience an example is (the invitation's list); optional."""

    CHALLENGE = "challenge"  # a challenge or innovation question
    INSIGHT = "insight"  # insights from user research
    IDEA = "idea"
    CONCEPT = "concept"
    RECIPE = "recipe"  # a recipe for a concrete solution
    MEASUREMENT = "measurement"  # an effect measurement
    FAILURE = "failure"  # a failure and its lesson


def example_kind(value: str | None) -> ExampleKind | None:
    """The kind chosen in a form (none, or one no longer offered: None)."""
    try:
        return ExampleKind(value) if value else None
    except ValueError:
        return None


class Preparation(Base):
    """P1 for one member and meeting: did they agree with their manager, and what."""

    __tablename__ = "preparation"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    manager_aligned: Mapped[bool] = mapped_column(default=False)
    manager_aligned_on: Mapped[date | None]
    manager_agreed: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)

    __table_args__ = (UniqueConstraint("member_id", "meeting_id"), STABLE_IDS)


class PrepQuestion(Base):
    """One of a member's three questions for a meeting, aimed at a primary and a secondary."""

    __tablename__ = "prep_question"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    position: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    primary_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    secondary_id: Mapped[int] = mapped_column(
        ForeignKey("member.id", ondelete="CASCADE"), index=True
    )
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)

    member: Mapped[Member] = relationship(foreign_keys=[member_id])
    primary: Mapped[Member] = relationship(foreign_keys=[primary_id])
    secondary: Mapped[Member] = relationship(foreign_keys=[secondary_id])

    __table_args__ = (
        UniqueConstraint("member_id", "meeting_id", "position"),
        CheckConstraint("position BETWEEN 1 AND 3", name="position_range"),
        CheckConstraint("primary_id <> secondary_id", name="two_people"),
        STABLE_IDS,
    )


class PrepExample(Base):
    """An innovation example a member brings: idea, effect, learning — failures welcome."""

    __tablename__ = "prep_example"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(Text)
    idea: Mapped[str] = mapped_column(Text, default="")
    effect: Mapped[str] = mapped_column(Text, default="")
    learning: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[ExampleSource] = mapped_column(enum_column(ExampleSource, 16))
    did_not_work: Mapped[bool] = mapped_column(default=False)
    kind: Mapped[ExampleKind | None] = mapped_column(enum_column(ExampleKind, 16), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)

    member: Mapped[Member] = relationship(foreign_keys=[member_id], viewonly=True)
    meeting: Mapped[Meeting] = relationship(foreign_keys=[meeting_id], viewonly=True)

    __table_args__ = (STABLE_IDS,)


class PrepPart(enum.StrEnum):
    MANAGER = "p1"
    QUESTIONS = "p2"
    EXAMPLES = "p3"


class PrepField(enum.StrEnum):
    """P1's fields in the preparation form (block ids): errors name the one they belong on."""

    MANAGER_ALIGNED = "p1_aligned"
    MANAGER_AGREED = "p1_agreed"


class QuestionField(enum.StrEnum):
    """The fields of each of P2's questions; `question_field` names one question's."""

    TEXT = "text"
    PRIMARY = "primary"
    SECONDARY = "secondary"


class ExampleField(enum.StrEnum):
    """The fields of each of P3's examples; `example_field` names one example's."""

    TITLE = "title"
    IDEA = "idea"
    EFFECT = "effect"
    LEARNING = "learning"
    SOURCE = "source"
    FLAGS = "flags"
    KIND = "kind"


def question_field(position: int, part: QuestionField) -> str:
    """The form field of one part of question `position`: `p2_q1_text`."""
    return f"{PrepPart.QUESTIONS}_q{position}_{part}"


def example_field(key: str, part: ExampleField) -> str:
    """The form field of one part of an example (its id, or "new"): `p3_12_title`."""
    return f"{PrepPart.EXAMPLES}_{key}_{part}"


def example_keys(fields: Iterable[str]) -> list[str]:
    """The examples a submitted form holds, read from its field names."""
    head, tail = f"{PrepPart.EXAMPLES}_", f"_{ExampleField.TITLE}"
    return [
        name[len(head) : -len(tail)]
        for name in fields
        if name.startswith(head) and name.endswith(tail)
    ]


@dataclass(frozen=True)
class PrepStatus:
    meeting: Meeting
    manager_aligned: bool
    manager_agreed: str
    questions: list[PrepQuestion]
    examples: list[PrepExample]

    @property
    def done(self) -> dict[PrepPart, bool]:
        return {
            PrepPart.MANAGER: self.manager_aligned,
            PrepPart.QUESTIONS: len(self.questions) == QUESTIONS_PER_MEETING,
            PrepPart.EXAMPLES: bool(self.examples),
        }

    @property
    def missing(self) -> list[PrepPart]:
        return [part for part, ok in self.done.items() if not ok]


@dataclass(frozen=True)
class QuestionInput:
    position: int
    text: str
    primary_ref: str | None  # whom a picker names: "member:<id>" (an old form: a Slack id)
    secondary_ref: str | None


@dataclass(frozen=True)
class ExampleInput:
    key: str  # the example's id, or "new"
    title: str
    idea: str
    effect: str
    learning: str
    source: ExampleSource
    did_not_work: bool
    kind: ExampleKind | None = None


def upcoming_meeting(member: Member, now: datetime) -> Meeting | None:
    """The member's next meeting that has not started yet."""
    return next((m for m in member.network.meetings if m.starts_at > now), None)


def ensure_editable(meeting: Meeting, now: datetime) -> None:
    if meeting.starts_at <= now:
        raise InputError("prep.error.meeting_started", number=meeting.number)


def prep_status(*, session: Session, member: Member, meeting: Meeting) -> PrepStatus:
    prep = session.scalars(
        select(Preparation).where(
            Preparation.member_id == member.id, Preparation.meeting_id == meeting.id
        )
    ).first()
    questions = list(
        session.scalars(
            select(PrepQuestion)
            .where(PrepQuestion.member_id == member.id, PrepQuestion.meeting_id == meeting.id)
            .order_by(PrepQuestion.position)
        )
    )
    examples = list(
        session.scalars(
            select(PrepExample)
            .where(PrepExample.member_id == member.id, PrepExample.meeting_id == meeting.id)
            .order_by(PrepExample.id)
        )
    )
    return PrepStatus(
        meeting=meeting,
        manager_aligned=bool(prep and prep.manager_aligned),
        manager_agreed=prep.manager_agreed if prep else "",
        questions=questions,
        examples=examples,
    )


def network_members(session: Session, member: Member) -> list[Member]:
    """The other active members of the member's network, by name: who questions can aim at."""
    return list(
        session.scalars(
            select(Member)
            .where(
                Member.network_id == member.network_id,
                Member.role == Role.MEMBER,
                Member.active.is_(True),
                Member.id != member.id,
            )
            .order_by(Member.name)
        )
    )


def _check_text(errors: FieldErrors, name: str, value: str, limit: int = MAX_TEXT) -> str:
    value = value.strip()
    if len(value) > limit:
        errors.add(name, "prep.error.too_long", limit=limit, length=len(value))
    return value


def save_manager_alignment(
    *,
    session: Session,
    member: Member,
    meeting: Meeting,
    aligned: bool,
    agreed: str,
    now: datetime,
) -> Preparation:
    """Record P1; what was agreed is required when the member says it is done."""
    ensure_editable(meeting, now)
    errors = FieldErrors()
    agreed = _check_text(errors, PrepField.MANAGER_AGREED, agreed)
    if aligned and not agreed:
        errors.add(PrepField.MANAGER_AGREED, "prep.error.agreed_missing")
    if errors.errors:
        raise errors
    prep = session.scalars(
        select(Preparation).where(
            Preparation.member_id == member.id, Preparation.meeting_id == meeting.id
        )
    ).first()
    if prep is None:
        prep = Preparation(
            member_id=member.id,
            meeting_id=meeting.id,
            manager_aligned=aligned,
            manager_agreed=agreed,
        )
        session.add(prep)
    else:  # an edit: the earlier answer stays in the history
        apply_changes(
            session=session,
            obj=prep,
            entity="preparation",
            member_id=member.id,
            values={"manager_aligned": aligned, "manager_agreed": agreed},
            now=now,
        )
    if aligned and not prep.manager_aligned_on:
        prep.manager_aligned_on = member.today(now)
    prep.updated_at = now
    session.flush()
    return prep


def _question_person(
    errors: FieldErrors,
    position: int,
    role: QuestionField,
    ref: str | None,
    text: str,
    member: Member,
    wanted: Mapping[str, Member],  # by every ref that names them (`refs_of`)
) -> Member | None:
    """The member a question's `role` names, or None (with the error when one is due)."""
    name = question_field(position, role)
    if not ref:
        if text:
            errors.add(name, f"prep.error.{role}_missing")
        return None
    if ref in refs_of(member):
        errors.add(name, "prep.error.self")
        return None
    if ref not in wanted:
        errors.add(name, "prep.error.not_member", users=[ref])
        return None
    return wanted[ref]


def save_questions(
    *,
    session: Session,
    member: Member,
    meeting: Meeting,
    questions: list[QuestionInput],
    now: datetime,
) -> list[PrepQuestion]:
    """Record P2. A slot with text needs a primary and a secondary — two different members
    of the network, neither oneself; an empty slot is left open for later."""
    ensure_editable(meeting, now)
    rows = _checked_questions(session, member, questions)
    existing = {
        q.position: q
        for q in session.scalars(
            select(PrepQuestion).where(
                PrepQuestion.member_id == member.id, PrepQuestion.meeting_id == meeting.id
            )
        )
    }
    for position in range(1, QUESTIONS_PER_MEETING + 1):
        current = existing.get(position)
        if position in rows:
            _store_question(session, member, meeting, position, current, rows[position], now)
        elif current is not None:
            delete_with_history(
                session=session,
                obj=current,
                entity="question",
                member_id=member.id,
                fields=QUESTION_FIELDS,
                now=now,
            )
    session.flush()
    return list(
        session.scalars(
            select(PrepQuestion)
            .where(PrepQuestion.member_id == member.id, PrepQuestion.meeting_id == meeting.id)
            .order_by(PrepQuestion.position)
        )
    )


def _checked_questions(
    session: Session, member: Member, questions: list[QuestionInput]
) -> dict[int, tuple[str, Member, Member]]:
    """The filled slots, by position: text, primary, secondary. Raises FieldErrors naming
    every field in error."""
    errors = FieldErrors()
    wanted = {
        ref: m
        for m in session.scalars(
            select(Member).where(
                Member.network_id == member.network_id,
                Member.role == Role.MEMBER,
                Member.active.is_(True),
            )
        )
        for ref in refs_of(m)
    }
    rows: dict[int, tuple[str, Member, Member]] = {}
    for q in questions:
        text = _check_text(errors, question_field(q.position, QuestionField.TEXT), q.text)
        primary, secondary = (
            _question_person(errors, q.position, role, ref, text, member, wanted)
            for role, ref in (
                (QuestionField.PRIMARY, q.primary_ref),
                (QuestionField.SECONDARY, q.secondary_ref),
            )
        )
        if primary is not None and primary is secondary:
            errors.add(
                question_field(q.position, QuestionField.SECONDARY), "prep.error.same_person"
            )
        if not text and (q.primary_ref or q.secondary_ref):
            errors.add(
                question_field(q.position, QuestionField.TEXT), "prep.error.question_missing"
            )
        if text and primary is not None and secondary is not None:
            rows[q.position] = (text, primary, secondary)
    if errors.errors:
        raise _named(session, member, errors)
    return rows


def _named(session: Session, member: Member, errors: FieldErrors) -> FieldErrors:
    """`errors` with whom a "not a member" names as a person (see `person_named`)."""
    for name, (key, params) in errors.errors.items():
        if key == "prep.error.not_member":
            refs = cast("list[str]", params["users"])
            users = [person_named(session, member.network_id, ref) for ref in refs]
            errors.errors[name] = (key, {**params, "users": users})
    return errors


def _store_question(
    session: Session,
    member: Member,
    meeting: Meeting,
    position: int,
    current: PrepQuestion | None,
    row: tuple[str, Member, Member],
    now: datetime,
) -> None:
    """Add the question in slot `position`, or change it (the earlier text in the history)."""
    text, primary, secondary = row
    if current is None:
        current = PrepQuestion(
            member_id=member.id,
            meeting_id=meeting.id,
            position=position,
            text=text,
            primary=primary,
            secondary=secondary,
        )
        session.add(current)
    else:
        apply_changes(
            session=session,
            obj=current,
            entity="question",
            member_id=member.id,
            values={"text": text, "primary_id": primary.id, "secondary_id": secondary.id},
            now=now,
        )
        session.expire(current, ["primary", "secondary"])  # reload from the new ids
    current.updated_at = now


def _checked_example(errors: FieldErrors, ex: ExampleInput) -> tuple[str, str, str, str]:
    """An example's title, idea, effect and learning, stripped; an example with any of them
    needs a title and an idea."""
    title = _check_text(errors, example_field(ex.key, ExampleField.TITLE), ex.title, MAX_TITLE)
    idea = _check_text(errors, example_field(ex.key, ExampleField.IDEA), ex.idea)
    effect = _check_text(errors, example_field(ex.key, ExampleField.EFFECT), ex.effect)
    learning = _check_text(errors, example_field(ex.key, ExampleField.LEARNING), ex.learning)
    if any((title, idea, effect, learning)):
        if not title:
            errors.add(example_field(ex.key, ExampleField.TITLE), "prep.error.title_missing")
        if not idea:
            errors.add(example_field(ex.key, ExampleField.IDEA), "prep.error.idea_missing")
    return title, idea, effect, learning


def save_examples(
    *,
    session: Session,
    member: Member,
    meeting: Meeting,
    examples: list[ExampleInput],
    now: datetime,
) -> list[PrepExample]:
    """Record P3: edit the member's examples and add a new one. An example needs a title and
    an idea; one left completely empty is removed (or, if new, not added)."""
    ensure_editable(meeting, now)
    errors = FieldErrors()
    existing = {
        str(e.id): e
        for e in session.scalars(
            select(PrepExample).where(
                PrepExample.member_id == member.id, PrepExample.meeting_id == meeting.id
            )
        )
    }
    keep: list[tuple[ExampleInput, tuple[str, str, str, str]]] = []
    remove: list[PrepExample] = []
    for ex in examples:
        texts = _checked_example(errors, ex)
        if any(texts):
            keep.append((ex, texts))
        elif ex.key in existing:
            remove.append(existing[ex.key])
    if errors.errors:
        raise errors
    for gone in remove:
        delete_with_history(
            session=session,
            obj=gone,
            entity="example",
            member_id=member.id,
            fields=EXAMPLE_FIELDS,
            now=now,
        )
    for ex, texts in keep:
        _store_example(session, member, meeting, existing.get(ex.key), ex, texts, now)
    session.flush()
    return list(
        session.scalars(
            select(PrepExample)
            .where(PrepExample.member_id == member.id, PrepExample.meeting_id == meeting.id)
            .order_by(PrepExample.id)
        )
    )


def _store_example(
    session: Session,
    member: Member,
    meeting: Meeting,
    row: PrepExample | None,
    ex: ExampleInput,
    texts: tuple[str, str, str, str],
    now: datetime,
) -> None:
    """Add an example, or change it (the earlier text in the history)."""
    title, idea, effect, learning = texts
    values = {
        "title": title,
        "idea": idea,
        "effect": effect,
        "learning": learning,
        "source": ex.source,
        "did_not_work": ex.did_not_work,
        "kind": ex.kind,
    }
    if row is None:
        session.add(
            PrepExample(
                member_id=member.id,
                meeting_id=meeting.id,
                created_at=now,
                updated_at=now,
                **values,
            )
        )
    elif apply_changes(
        session=session, obj=row, entity="example", member_id=member.id, values=values, now=now
    ):
        row.updated_at = now


def is_away(member: Member, day: date) -> bool:
    """Whether the member has paused ("away until …", inclusive) on `day`."""
    return member.away_until is not None and day <= member.away_until


@dataclass(frozen=True)
class AgendaItem:
    asker: Member
    text: str
    as_primary: bool
    handed_over_from: Member | None  # the primary who is away, when the question came to you


def question_agenda(*, session: Session, member: Member, meeting: Meeting) -> list[AgendaItem]:
    """The questions other members bring for `member` to this meeting. A question goes to its
    primary; when the primary is absent (away on the meeting day, or said they will not come)
    it goes to the secondary instead."""
    from models.attendance import absent_member_ids

    meeting_day = meeting.starts_at.astimezone(member.network.zone).date()
    absent = absent_member_ids(session, meeting)

    def is_absent(person: Member) -> bool:
        # Someone no longer in the network (removed or erased) is not there to answer.
        return not person.active or person.id in absent or is_away(person, meeting_day)

    questions = session.scalars(
        select(PrepQuestion)
        .where(
            PrepQuestion.meeting_id == meeting.id,
            or_(PrepQuestion.primary_id == member.id, PrepQuestion.secondary_id == member.id),
        )
        .order_by(PrepQuestion.member_id, PrepQuestion.position)
    ).all()
    items: list[AgendaItem] = []
    for q in questions:
        if not q.member.active:
            continue
        primary_away = is_absent(q.primary)
        if q.primary_id == member.id:
            if not primary_away:
                items.append(AgendaItem(q.member, q.text, True, None))
        elif not is_absent(member):
            items.append(AgendaItem(q.member, q.text, False, q.primary if primary_away else None))
    return items
