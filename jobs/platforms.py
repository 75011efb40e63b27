"""One `Messenger` for the clock side over every configured platform: a person is written to
on Slack when the bot serves Slack and they have a Slack id there, else on Teams; a
conversation handle names its platform (`teams:…`, else Slack's channel id)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime

from jobs.messenger import Conversation, Message, Messenger, MessengerError, Receipt, Refused, Tag
from jobs.teams_messenger import is_teams
from models.network import Member


class ByPlatform:
    """Routes each call to the platform's own messenger (None: that platform is not served)."""

    def __init__(self, *, slack: Messenger | None, teams: Messenger | None) -> None:
        self.slack = slack
        self.teams = teams

    @property
    def surface(self) -> str:
        raise TypeError("messages are built per platform: route(person) first")

    def fits(self, message: Message) -> bool:
        raise TypeError("what fits depends on the platform: route(person) first")

    def route(self, person: Member) -> Messenger:
        return self._for_person(person)

    def _for_person(self, person: Member) -> Messenger:
        if self.slack is not None and person.slack_user_id:
            return self.slack
        if self.teams is not None and person.teams_user_id:
            return self.teams
        raise MessengerError(Refused("not on a platform the bot serves"))

    def _for(self, conversation: Conversation) -> Messenger:
        messenger = self.teams if is_teams(conversation) else self.slack
        if messenger is None:
            raise MessengerError(Refused("the platform of this conversation is not served"))
        return messenger

    def open_conversation(self, person: Member) -> Conversation:
        return self._for_person(person).open_conversation(person)

    def post(self, conversation: Conversation, message: Message, tags: list[Tag]) -> Receipt:
        try:
            messenger = self._for(conversation)
        except MessengerError as exc:
            return exc.outcome
        return messenger.post(conversation, message, tags)

    def find_posted(
        self, conversation: Conversation, tags: Collection[Tag], since: datetime
    ) -> Mapping[Tag, str | None]:
        return self._for(conversation).find_posted(conversation, tags, since)

    def time_zone(self, person: Member) -> str | None:
        try:
            messenger = self._for_person(person)
        except MessengerError:
            return None
        return messenger.time_zone(person)
