"""One activity's turn on Teams: who acts, when, in which language, and answering in the chat."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from handlers import conversation as c
from handlers import teams_render
from handlers.teams.connector import Connector
from models.network import Member, Role, pick_member

Activity = dict[str, Any]


@dataclass(frozen=True)
class Turn:
    """Who pressed (their roles, the member role they act as), when, in which language."""

    session: Session
    people: list[Member]
    member: Member | None
    now: datetime
    lang: str
    user_id: str | None = None  # who pressed, their Teams user id (an applicant's identity)

    @classmethod
    def of(
        cls,
        session: Session,
        people: list[Member],
        now: datetime,
        locale: str,
        user_id: str | None = None,
    ) -> Turn:
        member = pick_member(people, now)
        if member is not None or people:
            lang = (member or people[0]).lang
        else:
            lang = "en" if locale.lower().startswith("en") else "da"
        return cls(
            session=session, people=people, member=member, now=now, lang=lang, user_id=user_id
        )

    @property
    def facilitator(self) -> Member | None:
        """The facilitator role of the newest season, if they have one."""
        return next((p for p in self.people if p.role is Role.FACILITATOR), None)


def reply(
    connector: Connector, activity: Activity, message: c.Message, lang: str | None = None
) -> None:
    """Answer `activity` in its conversation with `message`: one activity with its summary
    and card(s), more only past Teams' size (`teams_render.message_activities`)."""
    for answer in teams_render.message_activities(message, lang):
        if activity.get("id"):
            answer["replyToId"] = activity["id"]
        connector.send(str(activity["serviceUrl"]), str(activity["conversation"]["id"]), answer)
