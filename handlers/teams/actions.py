"""The buttons on the bot's cards in Teams: the same domain calls as Slack's listeners.

A card's button is an Action.Submit whose data is {"action": <Action id>, "value": ...}
(handlers/teams_render.py). Pressed, Teams sends the bot what its docs ("Use dialogs with
bots", "Typeahead search in Adaptive Cards") describe:
- a `message` activity without text whose `value` is that data: a button that acts at once
  (snooze, attendance, dispute, …). The bot answers with a message in the chat, as Slack
  answers with an ephemeral one (Slack replaces no card either);
- an `invoke` named `task/fetch` when the button opens a form (its data carries
  `"msteams": {"type": "task/fetch"}`), then `task/submit` from the dialog, and
  `application/search` from a picker that types ahead: handlers/teams/dialogs.py, whose
  answer goes back in the HTTP response.

Who acts is who pressed: the member role `pick_member` gives (nobody acts on another's nudge,
the domain call checks it, as on Slack); settling a dispute or erasing a member needs a
facilitator role of that network.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from handlers import conversation as c
from handlers import teams_render
from handlers.attendance import answer_attendance
from handlers.bazaar import press_claim
from handlers.calendar import calendar_for, meeting_of_button
from handlers.catalogue import surface, t
from handlers.exchange import press_share
from handlers.home import browse_message
from handlers.ids import Action
from handlers.library import open_example, press_sparring, press_take_home
from handlers.network.privacy import forget_confirmed
from handlers.network.summary import settle_dispute
from handlers.nudges import SNOOZE_DAYS, own_nudge, snooze
from handlers.renewal import CHOICES, CLAIMS, answer_claim, answer_vote
from handlers.sparring import dispute_received
from handlers.spread import spread_notices_off
from handlers.teams import dialogs, files
from handlers.teams.connector import Connector
from handlers.teams.turn import Activity, Turn, reply
from models.network import Member
from models.replay import KEPT_PREFIX, claim_once, release, seen_before

log = logging.getLogger(__name__)


def _snooze(turn: Turn, member: Member, action: str, value: str | None) -> str | None:
    nudge = own_nudge(turn.session, member, value)
    if nudge is None:
        return None
    days = SNOOZE_DAYS[Action(action)]
    return snooze(session=turn.session, member=member, nudge=nudge, days=days, now=turn.now)


def _dispute(turn: Turn, member: Member, action: str, value: str | None) -> str | None:
    return dispute_received(session=turn.session, member=member, value=value, now=turn.now)


def _attend(turn: Turn, member: Member, action: str, value: str | None) -> str | None:
    return answer_attendance(
        session=turn.session, member=member, action=action, value=value, now=turn.now
    )


def _renewal(turn: Turn, member: Member, action: str, value: str | None) -> str | None:
    answer = answer_vote if action in CHOICES else answer_claim
    return answer(
        session=turn.session, people=turn.people, action=action, value=value, now=turn.now
    )


def _notices_off(turn: Turn, member: Member, action: str, value: str | None) -> str | None:
    return spread_notices_off(session=turn.session, member=member)


def _settle(turn: Turn, by: Member, action: str, value: str | None) -> str | None:
    remove = action == Action.DISPUTE_REMOVE
    return settle_dispute(
        session=turn.session, by=by, value=value, remove=remove, now=turn.now, lang=turn.lang
    )


def _forget(turn: Turn, by: Member, action: str, value: str | None) -> str | None:
    return forget_confirmed(session=turn.session, by=by, value=value, now=turn.now, lang=turn.lang)


def _share(turn: Turn, member: Member, action: str, value: str | None) -> str | None:
    share = action == Action.SISTER_SHARE
    return press_share(session=turn.session, member=member, value=value, share=share, now=turn.now)


def _library(turn: Turn, member: Member, action: str, value: str | None) -> str | None:
    press = press_sparring if action == Action.LIBRARY_SPARRING else press_take_home
    return press(session=turn.session, member=member, value=value, now=turn.now)


def _claim(turn: Turn, member: Member, action: str, value: str | None) -> str | None:
    return press_claim(session=turn.session, member=member, value=value, now=turn.now)


def _open_example(turn: Turn, member: Member, action: str, value: str | None) -> c.Message:
    return open_example(session=turn.session, member=member, value=value, now=turn.now)


def _browse(turn: Turn, member: Member, action: str, value: str | None) -> c.Message:
    return browse_message(session=turn.session, member=member, action=action, now=turn.now)


Press = Callable[[Turn, Member, str, str | None], str | c.Message | None]

# A member's buttons that act at once, and what they do.
MEMBER_ACTIONS: dict[str, Press] = {
    Action.SNOOZE_TOMORROW: _snooze,
    Action.SNOOZE_THREE_DAYS: _snooze,
    Action.DISPUTE_SPARRING: _dispute,
    Action.ATTEND_YES: _attend,
    Action.ATTEND_NO: _attend,
    Action.SPREAD_NOTICES_OFF: _notices_off,
    Action.SISTER_SHARE: _share,
    Action.SISTER_WITHDRAW: _share,
    **dict.fromkeys((*CHOICES, *CLAIMS), _renewal),
    Action.LIBRARY_SPARRING: _library,
    Action.LIBRARY_TAKE_HOME: _library,
    Action.BAZAAR_CLAIM: _claim,
    Action.LIBRARY_OPEN: _open_example,  # the example in full, with its buttons
    Action.HOME_LIBRARY: _browse,  # the overview's "Eksempelbibliotek" and "Idébasar"
    Action.HOME_BAZAAR: _browse,
}
# A facilitator's (checked again by the domain call: the entry or member is in their network).
FACILITATOR_ACTIONS: dict[str, Press] = {
    Action.DISPUTE_KEEP: _settle,
    Action.DISPUTE_REMOVE: _settle,
    Action.FORGET_CONFIRM: _forget,
}


# Buttons that send a file (offered with a consent card).
FILE_ACTIONS = frozenset({Action.ADD_TO_CALENDAR})


def button_data(activity: Activity) -> dict[str, Any] | None:
    """The data of the card button a `message` activity reports pressed (None: typed text)."""
    value = activity.get("value")
    if activity.get("type") != "message" or not isinstance(value, dict):
        return None
    return value if isinstance(value.get("action"), str) else None


def form_data(activity: Activity) -> dict[str, Any] | None:
    """The data of a form card sent in the chat (`prep`, `opfølgning`, `spredning` typed) that
    a `message` activity reports submitted: {"form": kind, ...} and the inputs (None: not)."""
    value = activity.get("value")
    if activity.get("type") != "message" or not isinstance(value, dict):
        return None
    return value if isinstance(value.get("form"), str) else None


def is_card_activity(activity: Activity) -> bool:
    """A button pressed on a card, a form card sent, or a dialog or picker of ours asking (an
    invoke)."""
    return (
        button_data(activity) is not None
        or form_data(activity) is not None
        or activity.get("type") == "invoke"
    )


def press(turn: Turn, action: str, value: str | None) -> c.Message | None:
    """What pressing `action` (about `value`) says back; None: nothing (not theirs)."""
    member_press = MEMBER_ACTIONS.get(action)
    if member_press is not None:
        if turn.member is None:
            return _text(t(turn.lang, "teams.stranger"))
        return _text(member_press(turn, turn.member, action, value))
    facilitator_press = FACILITATOR_ACTIONS.get(action)
    if facilitator_press is not None:
        if turn.facilitator is None:
            return _text(t(turn.lang, "network.not_allowed"))
        return _text(facilitator_press(turn, turn.facilitator, action, value))
    if action in dialogs.OPENERS or action in dialogs.ANYONE_OPENERS:  # on a card sent before
        # it said so: a button that opens a form
        again = c.Button(t(turn.lang, "teams.form.open_button"), action, value or "", None, True)
        text = t(turn.lang, "teams.form.open")
        return c.Message(text, [c.Paragraph(text), c.Buttons([again])])
    return None


def _text(text: str | c.Message | None) -> c.Message | None:
    if isinstance(text, c.Message):
        return text
    return c.Message(text, [c.Paragraph(text)]) if text else None


def _offer_calendar(
    connector: Connector, activity: Activity, people: list[Member], value: Any, now: datetime
) -> None:
    """ "Føj til kalender": the meeting's invitation, offered as a file."""
    about = meeting_of_button(people, value if isinstance(value, str) else None)
    file = calendar_for(people, about, now) if about else None
    if file is not None:
        files.offer(connector, activity, file)


def form_card_keys(activity: Activity, data: Activity) -> tuple[str, str] | None:
    """The keys guarding a form card sent in the chat: the card's (claimed while a submission
    of it is handled) and the card's with the values sent (kept once they were saved); None
    when Teams did not say which card it was."""
    card = activity.get("replyToId")
    if not isinstance(card, str) or not card:
        return None
    raw = f"{activity['conversation']['id']}\n{card}"
    sent = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    busy = hashlib.sha256(raw.encode()).hexdigest()
    saved = hashlib.sha256(f"{raw}\n{sent}".encode()).hexdigest()
    return f"teams-form-busy:{busy}", f"{KEPT_PREFIX}teams-form-saved:{saved}"


def submit_form(turn: Turn, connector: Connector, activity: Activity, data: Activity) -> None:
    """A form card sent in the chat, once: while a submission of the same card is handled
    (pressed twice before the card changed), or when the same values were saved from it
    already, another does nothing. The claim on the card is given back when the submission
    only showed errors, so the corrected form saves."""
    keys = form_card_keys(activity, data)
    if keys is None:
        _submit_form(turn, connector, activity, data)
        return
    busy, saved = keys
    session = turn.session
    if not claim_once(session, busy):
        log.info("a form card sent again while it was handled; nothing done")
        return
    try:
        if seen_before(session, [saved]):
            log.info("a form card sent again with what was saved from it; nothing done")
        else:
            _submit_form(turn, connector, activity, data, saved)
    finally:
        session.rollback()
        release(session, busy)


def _submit_form(
    turn: Turn, connector: Connector, activity: Activity, data: Activity, saved: str | None = None
) -> None:
    """A form card sent in the chat: saved as a dialog's is (and the key `saved` kept when it
    was), and the card replaced by what a dialog would show next (the saved form, or the same
    form with each error under its field and everything typed kept); a new message when Teams
    did not say which card it was. The close button leaves the card as it is.

    The key `saved` goes into the save's own commit (a rollback, as for errors, takes it out):
    there is no moment after the save in which a stop or crash would leave it unmarked, for
    an identical resend to save again once the card's busy claim has expired."""
    shown = dialogs.submitted(turn, data, saved_key=saved)
    if shown is None:
        return
    if isinstance(shown, str):
        reply(connector, activity, c.Message(shown, [c.Paragraph(shown)]))
        return
    form, errors, values = shown
    card = teams_render.form_card(turn.lang, form, errors, values=values, in_chat=True)
    answer = {
        "type": "message",
        "summary": teams_render.plain(form.title),
        "attachments": [teams_render.attachment(card)],
    }
    service, conversation = str(activity["serviceUrl"]), str(activity["conversation"]["id"])
    card_id = activity.get("replyToId")
    if isinstance(card_id, str) and card_id:
        connector.update(service, conversation, card_id, answer)
    else:
        connector.send(service, conversation, answer)


def handle(
    activity: Activity,
    *,
    people: list[Member],
    session: Session,
    connector: Connector,
    now: datetime,
) -> dict[str, Any] | None:
    """Handle a card's button or an invoke; an invoke's answer (the HTTP response's body)."""
    sender = activity.get("from")
    user_id = sender.get("id") if isinstance(sender, dict) else None
    locale = str(activity.get("locale") or "")
    turn = Turn.of(session, people, now, locale, str(user_id) if user_id else None)
    with surface("teams"):
        if activity.get("type") == "invoke":
            return dialogs.handle_invoke(activity, turn)
        form = form_data(activity)
        if form is not None:
            submit_form(turn, connector, activity, form)
            return None
        data = button_data(activity) or {}
        value = data.get("value")
        if data.get("action") in FILE_ACTIONS:
            _offer_calendar(connector, activity, people, value, now)
            return None
        message = press(turn, str(data["action"]), value if isinstance(value, str) else None)
        if message is not None:
            reply(connector, activity, message, turn.lang)
    return None
