"""Typed errors the chat surface turns into friendly messages.

Each error carries a message-catalogue key and its parameters, never finished text, so the
member reads it in their own language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

    from models.people import Person


class TovholderError(Exception):
    """An error a user caused and can fix; `key` names its text in the message catalogue."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key, params)
        self.key = key
        self.params = params

    def __str__(self) -> str:
        return f"{self.key} {self.params}"


class InputError(TovholderError):
    """The user's input was not understood or breaks a rule; nothing was stored."""


class NotAMemberError(TovholderError):
    """The Slack user is not an active member of any network; `contacts` are facilitators."""

    def __init__(self, contacts: Sequence[Person]) -> None:
        key = "error.not_a_member" if contacts else "error.not_a_member.no_contacts"
        super().__init__(key, people=list(contacts))


@dataclass
class FieldErrors(Exception):
    """Errors tied to fields of a form, all of them at once: field name -> (catalogue key,
    params). Nothing was stored."""

    errors: dict[str, tuple[str, dict[str, object]]] = field(default_factory=dict)

    def add(self, name: str, key: str, **params: object) -> None:
        self.errors.setdefault(name, (key, params))
