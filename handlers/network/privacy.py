"""`/network mydata` and `forget`: a person's own data, and erasing it."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from slack_bolt import Ack
from sqlalchemy.orm import Session

from handlers import conversation as c
from handlers.catalogue import (
    t,
)
from handlers.context import RequestScope, scope_of
from handlers.ids import Action, Block
from handlers.network.common import facilitated_network, facilitator_in, member_by_mention
from handlers.parsing import escape_slack
from models.applications import Application
from models.errors import InputError
from models.network import Member, Network, Role
from models.privacy import forget_member, people_on_record, personal_data

log = logging.getLogger(__name__)

# Whom `/network forget` erases: a member, and someone who applied and was never accepted.
FORGETTABLE = frozenset({Role.MEMBER, Role.APPLICANT})
# `/network glem ansøgning 12`: the person of an application (one that came by e-mail has no
# chat account to mention).
APPLICATION_WORDS = frozenset({"ansøgning", "ansogning", "ansoegning", "application"})


def forget_target(
    session: Session, people: list[Member], network: Network, args: list[str]
) -> Member | None:
    """Whom `/network forget …` names: `@person`, a member or an applicant of a network these
    roles facilitate (`network` first), or `ansøgning 12`, an application's person."""
    facilitated = [network] + [
        p.network for p in people if p.role is Role.FACILITATOR and p.network_id != network.id
    ]
    if len(args) == 2 and args[0].lower() in APPLICATION_WORDS:
        number = args[1]
        row = (
            session.get(Application, int(number)) if number.isdigit() and len(number) < 10 else None
        )
        if row is None or row.network_id not in {n.id for n in facilitated}:
            raise InputError("applications.error.unknown", id=args[1])
        return row.member if row.member.role in FORGETTABLE else None
    found = (member_by_mention(n, args[0], FORGETTABLE) for n in facilitated if args)
    return next((m for m in found if m is not None), None)


def _facilitates(by: Member, target: Member) -> bool:
    """Whether the person whose role is `by` facilitates `target`'s network (the same
    person's role there: by any of their ids)."""
    if target.network_id == by.network_id:
        return by.role is Role.FACILITATOR
    ids = {(i.platform, i.external_id) for i in by.identities}
    return any(
        p.role is Role.FACILITATOR and any((i.platform, i.external_id) in ids for i in p.identities)
        for p in target.network.people
    )


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


def forget_confirmed(
    *, session: Session, by: Member, value: str | None, now: datetime, lang: str
) -> str:
    """A facilitator (`by`) confirmed: erase the personal data of the member a button
    (`value`) names, checked again here; what to tell them."""
    target = session.get(Member, int(value or 0))
    if target is None or target.role not in FORGETTABLE or not _facilitates(by, target):
        return t(lang, "network.error.unknown_member")
    name = target.name
    forget_member(session=session, member=target, by=by, now=now)
    session.commit()
    log.info("member %s forgotten by facilitator %s", target.id, by.id)
    return t(lang, "network.forget.done", name=escape_slack(name))


def handle_forget_confirm(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    """The facilitator confirmed (see `forget_confirmed`)."""
    scope = scope_of(context)
    network = facilitated_network(scope)
    ack()
    if network is None:
        context["reply"] = t(scope.lang, "network.not_allowed")
        return
    context["reply"] = forget_confirmed(
        session=scope.db,
        by=facilitator_in(scope, network),
        value=body["actions"][0]["value"],
        now=scope.now,
        lang=scope.lang,
    )
