"""`/network mydata` and `forget`: a person's own data, and erasing it."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack

from handlers import conversation as c
from handlers.catalogue import (
    t,
)
from handlers.context import RequestScope, scope_of
from handlers.ids import Action, Block
from handlers.network.common import Asking, facilitator_role
from handlers.parsing import escape_slack
from models.network import Member, Role, find_people
from models.privacy import forget_member, people_on_record, personal_data

log = logging.getLogger(__name__)


def handle_mydata(scope: RequestScope, context: dict[str, Any]) -> str:
    people = people_on_record(scope.db, scope.user_id) if scope.user_id else []
    if not people:
        return t(scope.lang, "network.mydata.nothing")
    lang = people[0].lang
    data = [personal_data(session=scope.db, member=p) for p in people]
    context["uploads"] = [
        {
            "filename": "tovholder-mine-data.json",
            "content": json.dumps(data, ensure_ascii=False, indent=2),
            "title": t(lang, "network.mydata.title"),
            "comment": t(lang, "network.mydata.comment"),
        }
    ]
    return t(lang, "network.mydata.sending")


def forget_parts(lang: str, target: Member) -> list[c.Part]:
    """`/network forget @member`: what it erases, and the button that does it."""
    forget = c.Button(
        t(lang, "network.forget.button"), Action.FORGET_CONFIRM, str(target.id), "danger"
    )
    return [
        c.Paragraph(t(lang, "network.forget.confirm", name=escape_slack(target.name))),
        c.Buttons([forget], block=Block.FORGET),
    ]


def handle_forget_confirm(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    """The facilitator confirmed: erase the person's personal data (checked again here)."""
    scope = scope_of(context)
    people = find_people(scope.db, scope.user_id) if scope.user_id else []
    ack()
    if facilitator_role(people) is None:
        context["reply"] = t(scope.lang, "network.not_allowed")
        return
    target_id = int(body["actions"][0]["value"])
    context["reply"] = forget_confirmed(scope, people, scope.lang, target_id)


def forget_confirmed(scope: Asking, people: list[Member], lang: str, target_id: int) -> str:
    """The person whose roles are `people` confirmed erasing member `target_id`, on any
    platform: erase their personal data if `people` facilitate their network; the reply."""
    facilitator = facilitator_role(people)
    if facilitator is None:
        return t(lang, "network.not_allowed")
    target = scope.db.get(Member, target_id)
    if (
        target is None
        or target.network_id != facilitator.network_id
        or target.role is not Role.MEMBER
    ):
        return t(lang, "network.error.unknown_member")
    name = target.name
    forget_member(session=scope.db, member=target, by=facilitator, now=scope.now)
    scope.db.commit()
    log.info("member %s forgotten by facilitator %s", target.id, facilitator.id)
    return t(lang, "network.forget.done", name=escape_slack(name))
