"""The port the clock side sends through: a `Messenger` reaches a person on their chat platform.

`jobs/` speaks only these terms — open a person's conversation, post a message carrying some
outbox rows (its tags), find which tags were already posted there, ask a person's time zone —
and gets typed outcomes back. One implementation per platform does the talking:
`jobs/slack_messenger.py` for Slack (its Web API), `jobs/teams_messenger.py` for Teams (its
Bot Connector); `jobs/platforms.py` routes between them when the bot serves both. Tests use
an in-memory one (`tests/jobs/fake_messenger.py`).

A message is today's built message (fallback text and Block Kit blocks, from `handlers/`);
the neutral message model comes with the second platform.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from models.network import Member

Conversation = str  # the platform's id of the one-to-one conversation with a person
Tag = int  # an outbox row (`models.nudges.Nudge.id`) a posted message carries


@dataclass(frozen=True)
class Message:
    """What to post: one line of fallback text per topic, and the blocks to show."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Sent:
    """The platform took the message; `ref` names it there (Slack: its ts)."""

    ref: str | None


@dataclass(frozen=True)
class RateLimited:
    """The platform took nothing and asks us to wait this many seconds."""

    retry_after: float


@dataclass(frozen=True)
class Ambiguous:
    """No clear answer (a timeout, a dropped connection, a server error, an unexpected
    refusal): the message may be there after all, so whoever retries looks first."""

    reason: str


@dataclass(frozen=True)
class Refused:
    """The platform said no for this person for good (unknown, deactivated, a bot…)."""

    reason: str


Failure = RateLimited | Ambiguous | Refused
Receipt = Sent | Failure


class MessengerError(Exception):
    """A call other than `post` could not be done; `outcome` says how it failed."""

    def __init__(self, outcome: Failure) -> None:
        super().__init__(outcome)
        self.outcome = outcome


class CannotLook(Exception):
    """`find_posted` on a platform that cannot show what the bot posted (Teams): whether a
    message whose answer was lost arrived cannot be known, so it is not sent again (see
    jobs/nudges.py; README, "Exactly once on Teams")."""


class Messenger(Protocol):
    """Everything the clock side sends or asks a chat platform. Methods never retry by
    themselves: the outbox decides (see jobs/nudges.py). All but `post` raise
    `MessengerError` when they fail; `post` returns its outcome."""

    def open_conversation(self, person: Member) -> Conversation:
        """The one-to-one conversation with `person` (opened if need be)."""
        ...

    def post(self, conversation: Conversation, message: Message, tags: list[Tag]) -> Receipt:
        """Post `message` carrying `tags` (so `find_posted` can see them later)."""
        ...

    def find_posted(
        self, conversation: Conversation, tags: Collection[Tag], since: datetime
    ) -> Mapping[Tag, str | None]:
        """Which of `tags` messages posted in `conversation` since `since` carry: tag -> the
        message's ref. Raises `CannotLook` where the platform cannot tell."""
        ...

    def time_zone(self, person: Member) -> str | None:
        """The IANA time zone the platform knows for `person`; None if it knows none."""
        ...
