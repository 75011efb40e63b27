"""The port the clock side sends through: a `Messenger` reaches a person on their chat platform.

`jobs/` speaks only these terms — open a person's conversation, post a message carrying some
outbox rows (its tags), find which tags were already posted there, ask a person's time zone —
and gets typed outcomes back. One implementation per platform does the talking:
`jobs/slack_messenger.py` for Slack (its Web API), `jobs/teams_messenger.py` for Teams (its
Bot Connector); `jobs/platforms.py` routes between them when the bot serves both. Tests use
an in-memory one (`tests/jobs/fake_messenger.py`).

A message is the neutral `handlers.conversation.Message` the builders in `handlers/` return;
each messenger renders it for its platform when it posts it (Slack: `handlers/slack_render`).
The builders run under `catalogue.surface(messenger.surface)`, so their text is already in
that platform's format, and `messenger.fits` says what one message of it may hold.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from handlers.conversation import Message as Message  # what `post` takes
from models.network import Member

Conversation = str  # the platform's id of the one-to-one conversation with a person
Tag = int  # an outbox row (`models.nudges.Nudge.id`) a posted message carries


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

    @property
    def surface(self) -> str:
        """The catalogue surface (`handlers.catalogue.surface`) the messages are built for."""
        ...

    def route(self, person: Member) -> Messenger:
        """The messenger of the platform `person` is reached on: itself for one platform's
        messenger; one of several for a network on several platforms (jobs/platforms.py).
        Raises `MessengerError` (Refused) when `person` is on no platform the bot serves."""
        ...

    def fits(self, message: Message) -> bool:
        """Whether `message` fits in one message of the platform, as it would be posted (its
        blocks or card, its notification text). Asks nothing of the platform."""
        ...

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
