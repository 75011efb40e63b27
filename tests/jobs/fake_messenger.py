"""An in-memory `Messenger`: records what the clock side sent, and fails on request.

Job tests run against it without HTTP; the Slack path itself is covered against the stand-in
of Slack's Web API (`tests/slack_standin.py`) through `SlackMessenger`."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Self

from jobs import slack_messenger
from jobs.messenger import (
    Ambiguous,
    Conversation,
    Failure,
    Message,
    MessengerError,
    Receipt,
    Sent,
    Tag,
)
from models.network import Member


@dataclass(frozen=True)
class Posted:
    """One message as the platform took it."""

    conversation: Conversation
    message: Message
    tags: list[Tag]
    ref: str


@dataclass
class Fault:
    """What the next call of a method does instead of its work. With `posted`, a post is
    taken all the same (its answer is lost: `outcome` is then usually `Ambiguous`)."""

    outcome: Failure
    posted: bool = False


@dataclass
class FakeMessenger:
    """Each person's conversation is `D<member id>`; every call is logged in `calls`. It
    takes what Slack takes (messages are built for the "slack" surface, and one fits when
    its Block Kit rendering would)."""

    surface = "slack"

    zones: dict[int, str] = field(default_factory=dict)  # member id -> IANA zone
    posted: list[Posted] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    faults: dict[str, list[Fault]] = field(default_factory=dict)

    def fail_next(self, method: str, *faults: Fault | Failure) -> None:
        """The next calls of `method` ("open_conversation", "post", "find_posted",
        "time_zone") fail like this, one fault per call."""
        queue = self.faults.setdefault(method, [])
        queue += [f if isinstance(f, Fault) else Fault(f) for f in faults]

    def sent_to(self, conversation: Conversation) -> list[Posted]:
        return [p for p in self.posted if p.conversation == conversation]

    def _fault(self, method: str) -> Fault | None:
        self.calls.append(method)
        queue = self.faults.get(method)
        return queue.pop(0) if queue else None

    # --- the port --------------------------------------------------------------------------

    def route(self, person: Member) -> Self:
        return self

    def fits(self, message: Message) -> bool:
        return slack_messenger.fits(message)

    def open_conversation(self, person: Member) -> Conversation:
        if (fault := self._fault("open_conversation")) is not None:
            raise MessengerError(fault.outcome)
        return f"D{person.id}"

    def post(self, conversation: Conversation, message: Message, tags: list[Tag]) -> Receipt:
        fault = self._fault("post")
        if fault is not None and not fault.posted:
            return fault.outcome
        ref = f"{len(self.posted) + 1}.000100"
        self.posted.append(Posted(conversation, message, list(tags), ref))
        return fault.outcome if fault is not None else Sent(ref)

    def find_posted(
        self, conversation: Conversation, tags: Collection[Tag], since: datetime
    ) -> Mapping[Tag, str | None]:
        if (fault := self._fault("find_posted")) is not None:
            raise MessengerError(fault.outcome)
        wanted = set(tags)
        return {t: p.ref for p in self.sent_to(conversation) for t in p.tags if t in wanted}

    def time_zone(self, person: Member) -> str | None:
        if (fault := self._fault("time_zone")) is not None:
            raise MessengerError(fault.outcome)
        return self.zones.get(person.id)


LOST_ANSWER = Fault(Ambiguous("TimeoutError"), posted=True)  # taken, but the answer never came
