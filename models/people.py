"""A person a text names, apart from the platform that shows the text.

A text names people by `Person`, never by a platform's user id: the surface in force when the
text is built decides how a person is shown (see `handlers.catalogue.person`), so a member on
Teams is named on Slack and a member on Slack is named on Teams.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.orm import Session

from models.network import FORGOTTEN_PREFIX, Member, Platform, reached_as

ERASED_NAME = "Slettet medlem"  # the placeholder name an erased person's row keeps


@dataclass(frozen=True)
class Person:
    """Whom a text names: their ids on each platform (None where they are not), the name they
    gave (typed data, never markup; empty: someone the bot does not know), and whether they
    were erased (then never named)."""

    name: str
    slack_id: str | None = None
    teams_id: str | None = None
    erased: bool = False


def is_erased(member: Member) -> bool:
    """Whether `member` was forgotten (models.privacy blanks the row and every identity)."""
    if any(i.external_id.startswith(FORGOTTEN_PREFIX) for i in member.identities):
        return True
    return not member.active and member.name == f"{ERASED_NAME} {member.id}"


def person_of(member: Member) -> Person:
    """How texts name `member`."""
    if is_erased(member):
        return Person(name="", erased=True)
    return Person(name=member.name, slack_id=member.slack_user_id, teams_id=member.teams_user_id)


# How a form's person picker (and a mention the bot resolved itself) names a member on every
# platform: "member:42". Forms opened before pickers named members so carry Slack user ids,
# which are read too.
MEMBER_REF_PREFIX = "member:"
MAX_DIGITS = 9  # a longer number names no member (and would not fit the id column)


def member_ref(member: Member) -> str:
    """The platform-neutral value that names `member` in a picker."""
    return f"{MEMBER_REF_PREFIX}{member.id}"


def refs_of(member: Member) -> list[str]:
    """Every value that names `member`: the neutral one, and their Slack user id (old forms)."""
    return [member_ref(member), *([member.slack_user_id] if member.slack_user_id else [])]


def ref_criteria(refs: Collection[str]) -> ColumnElement[bool]:
    """A filter on Member: the people `refs` name (a value that names nobody matches none)."""
    slack_ids = [r for r in refs if not r.startswith(MEMBER_REF_PREFIX)]
    numbers = [r.removeprefix(MEMBER_REF_PREFIX) for r in refs if r not in slack_ids]
    member_ids = [int(n) for n in numbers if n.isascii() and n.isdigit() and len(n) <= MAX_DIGITS]
    criteria = [reached_as(Platform.SLACK, slack_ids)] if slack_ids else []
    if member_ids:
        criteria.append(Member.id.in_(member_ids))
    return or_(*criteria) if criteria else false()


def person_named(session: Session, network_id: int, ref: str) -> Person:
    """Whom `ref` names, for a text that says they cannot be picked: a person of the network
    (any role, active or not) by name; anyone else unknown (a Slack user id stays, so Slack
    still mentions them) — a value is the sender's to choose, so no other network's people."""
    known = session.scalars(
        select(Member).where(Member.network_id == network_id, ref_criteria([ref]))
    ).first()
    if known is not None:
        return person_of(known)
    slack_id = None if ref.startswith(MEMBER_REF_PREFIX) else ref
    return Person(name="", slack_id=slack_id)
