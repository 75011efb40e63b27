"""A person a text names, apart from the platform that shows the text.

A text names people by `Person`, never by a platform's user id: the surface in force when the
text is built decides how a person is shown (see `handlers.catalogue.person`), so a member on
Teams is named on Slack and a member on Slack is named on Teams.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.network import FORGOTTEN_PREFIX, Member

ERASED_NAME = "Slettet medlem"  # the placeholder name an erased person's row keeps


@dataclass(frozen=True)
class Person:
    """Whom a text names: their ids on each platform (None where they are not), the name they
    gave (typed data, never markup), and whether they were erased (then never named)."""

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
