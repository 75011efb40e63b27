"""Renewal and the next season on the chat surface: the vote after the last meeting (yes / no /
unsure), the claim of a seat in the next season, and the facilitator's `/network fornyelse`
(the vote as it comes in, its deadline) and `/network ny-sæson` (open the next season)."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from typing import Any

from slack_bolt import Ack, App
from sqlalchemy.orm import Session

from handlers import conversation as c
from handlers.catalogue import t
from handlers.context import scope_of
from handlers.errors import error_message
from handlers.ids import Action, Block
from handlers.parsing import unescape_slack
from handlers.replies import reply_ephemeral
from models.applications import seats_taken
from models.errors import InputError
from models.network import Member, Network, Role, find_people
from models.nudges import Nudge, NudgeKind
from models.people import person_of
from models.renewal import (
    ClaimStatus,
    RenewalChoice,
    RenewalTally,
    SeasonPlan,
    cast_vote,
    claim_of,
    claim_seat,
    claim_status,
    claims_open,
    free_seats,
    next_season,
    open_next_season,
    renewal_tally,
    set_renewal_deadline,
    settled_seats,
    vote_is_open,
    vote_of,
)

CHOICES = {
    Action.RENEWAL_YES: RenewalChoice.YES,
    Action.RENEWAL_NO: RenewalChoice.NO,
    Action.RENEWAL_UNSURE: RenewalChoice.UNSURE,
}
CLAIMS = {Action.CLAIM_SEAT: True, Action.CLAIM_DECLINE: False}


def last_day(moment: datetime, network: Network) -> date:
    """The last day before a deadline that passes at `moment` (midnight after that day)."""
    return (moment - timedelta(microseconds=1)).astimezone(network.zone).date()


def _network_of(value: str | None) -> int | None:
    try:
        found = json.loads(value or "{}").get("network")
    except (ValueError, AttributeError):
        return None
    return found if isinstance(found, int) else None


# --- the vote --------------------------------------------------------------------------------


def build_renewal_vote(
    lang: str, *, network: Network, reminder: bool, closes: datetime
) -> c.Message:
    value = json.dumps({"network": network.id})
    key = "renewal.reminder" if reminder else "renewal.ask"
    ask = t(lang, key, network=network.name, deadline=last_day(closes, network))
    buttons = [
        c.Button(t(lang, "renewal.yes"), Action.RENEWAL_YES, value, "primary"),
        c.Button(t(lang, "renewal.no"), Action.RENEWAL_NO, value),
        c.Button(t(lang, "renewal.unsure"), Action.RENEWAL_UNSURE, value),
    ]
    return c.Message(
        t(lang, "renewal.text"),
        [c.Paragraph(ask, block=Block.RENEWAL_ASK), c.Buttons(buttons, block=Block.RENEWAL_VOTE)],
    )


def renewal_message(*, session: Session, nudge: Nudge, now: datetime) -> c.Message | None:
    """The vote (or its reminder) for the nudge's member; None when the vote is closed, or a
    reminder finds they have voted."""
    member, network = nudge.member, nudge.member.network
    if not vote_is_open(network, now):
        return None
    reminder = nudge.kind is NudgeKind.RENEWAL_REMINDER
    if reminder and vote_of(session, member) is not None:
        return None
    tally = renewal_tally(session, network, now)
    return build_renewal_vote(member.lang, network=network, reminder=reminder, closes=tally.closes)


def answer_vote(
    *, session: Session, people: list[Member], action: str, value: str | None, now: datetime
) -> str | None:
    """A vote pressed by the person whose roles are `people`, for the network the button
    names; what to tell them (None: not a network they are a member of)."""
    network_id = _network_of(value)
    member = next((p for p in people if p.network_id == network_id and p.role is Role.MEMBER), None)
    if member is None:
        return None
    choice = CHOICES[Action(action)]
    try:
        cast_vote(session=session, member=member, choice=choice, now=now)
    except InputError as error:
        session.rollback()
        return error_message(member.lang, error)
    session.commit()
    closes = renewal_tally(session, member.network, now).closes
    return t(
        member.lang,
        f"renewal.saved.{choice.value}",
        deadline=last_day(closes, member.network),
    )


# --- claiming a seat in the next season ------------------------------------------------------


def build_claim(lang: str, *, new: Network) -> c.Message:
    value = json.dumps({"network": new.id})
    assert new.claim_deadline is not None
    text = t(
        lang,
        "season.claim.ask",
        network=new.name,
        start=new.season_start,
        first=_first_meeting(new),
        deadline=last_day(new.claim_deadline, new),
    )
    buttons = [
        c.Button(t(lang, "season.claim.yes"), Action.CLAIM_SEAT, value, "primary"),
        c.Button(t(lang, "season.claim.no"), Action.CLAIM_DECLINE, value),
    ]
    return c.Message(
        t(lang, "season.claim.text", network=new.name),
        [c.Paragraph(text, block=Block.SEAT_CLAIM_ASK), c.Buttons(buttons, block=Block.SEAT_CLAIM)],
    )


def claim_message(*, session: Session, nudge: Nudge, now: datetime) -> c.Message | None:
    """The claim for the next season (the nudge's seq names it); None when claims are closed
    or the member has answered already."""
    new = session.get(Network, nudge.seq)
    if new is None or not claims_open(new, now) or claim_of(session, nudge.member, new):
        return None
    return build_claim(nudge.member.lang, new=new)


def _first_meeting(new: Network) -> date:
    return (
        new.meetings[0].starts_at.astimezone(new.zone).date() if new.meetings else new.season_start
    )


def rollover_report(*, session: Session, nudge: Nudge, now: datetime) -> c.Message | None:
    """To a facilitator of the new season (the nudge's seq): who took their seat, how many
    seats are free and who got one from the wait list, as it stands when sent."""
    new = session.get(Network, nudge.seq)
    if new is None:
        return None
    lang = nudge.member.lang
    claimed, seated = settled_seats(session, new)
    names = sorted((person_of(m) for m in claimed), key=lambda p: p.name)
    lines = [
        t(lang, "season.rollover.claimed", network=new.name, count=len(names), names=names)
        if names
        else t(lang, "season.rollover.claimed_none", network=new.name)
    ]
    free = free_seats(new.seats, seats_taken(session, new.id))
    if free is not None:
        lines.append(t(lang, "season.rollover.free", count=free))
    if seated:
        waiting = [person_of(a.member) for a in seated]
        lines.append(t(lang, "season.rollover.seated", count=len(waiting), names=waiting))
    summary = t(lang, "season.rollover.text", network=new.name)
    return c.Message(summary, [c.Paragraph(line) for line in lines])


def seat_confirmed(*, session: Session, nudge: Nudge, now: datetime) -> c.Message | None:
    """To a member who took their seat: it is confirmed in the new season (the nudge's seq)."""
    new = session.get(Network, nudge.seq)
    if new is None or not nudge.member.active:
        return None
    lang = nudge.member.lang
    text = t(
        lang,
        "season.seat.confirmed",
        network=new.name,
        start=new.season_start,
        first=_first_meeting(new),
    )
    return c.Message(t(lang, "season.seat.confirmed_text", network=new.name), [c.Paragraph(text)])


def answer_claim(
    *, session: Session, people: list[Member], action: str, value: str | None, now: datetime
) -> str | None:
    """Take or decline the seat in the season a button names, as the person's member role
    in the season before it; what to tell them (None: not theirs)."""
    new = session.get(Network, _network_of(value) or 0)
    member = next(
        (
            p
            for p in people
            if new is not None and p.network_id == new.previous_id and p.role is Role.MEMBER
        ),
        None,
    )
    if new is None or member is None:
        return None
    takes = CLAIMS[Action(action)]
    try:
        claim_seat(session=session, member=member, new=new, takes_seat=takes, now=now)
    except InputError as error:
        session.rollback()
        return error_message(member.lang, error)
    session.commit()
    key = "season.claim.saved.yes" if takes else "season.claim.saved.no"
    assert new.claim_deadline is not None
    return t(member.lang, key, network=new.name, deadline=last_day(new.claim_deadline, new))


def handle_renewal_button(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    """A vote or a claim pressed on Slack: saved at once, the member told what was saved."""
    scope = scope_of(context)
    action = body["actions"][0]
    people = find_people(scope.db, scope.user_id) if scope.user_id else []
    answer = answer_vote if action["action_id"] in CHOICES else answer_claim
    reply = answer(
        session=scope.db,
        people=people,
        action=action["action_id"],
        value=action.get("value"),
        now=scope.now,
    )
    if reply is not None:
        context["reply"] = reply
    ack()


def register(app: App) -> None:
    for action in (*CHOICES, *CLAIMS):
        app.action(action)(ack=handle_renewal_button, lazy=[reply_ephemeral])


# --- the facilitator's view ------------------------------------------------------------------


def vote_network(session: Session, network: Network) -> Network:
    """The season whose vote and claims a facilitator sees: the previous one while the next
    (the facilitator's newest) has not taken over yet, else their own."""
    previous = network.previous
    return previous if previous is not None and previous.closed_at is None else network


def render_tally(lang: str, tally: RenewalTally) -> str:
    network = tally.network
    state = "renewal.report.open" if tally.open else "renewal.report.closed"
    lines = [
        t(lang, "renewal.report.header", network=network.name),
        t(lang, state, deadline=last_day(tally.closes, network)),
        t(lang, "renewal.report.counts", yes=tally.yes, no=tally.no, unsure=tally.unsure),
    ]
    if tally.not_voted:
        people = [person_of(m) for m in tally.not_voted]
        lines.append(t(lang, "renewal.report.not_voted", count=len(people), names=people))
    return "\n".join(lines)


def render_claims(lang: str, status: ClaimStatus) -> str:
    new = status.new
    assert new.claim_deadline is not None
    lines = [
        t(
            lang,
            "season.report.header",
            network=new.name,
            deadline=last_day(new.claim_deadline, new),
        ),
        t(
            lang,
            "season.report.counts",
            taken=len(status.taken),
            declined=len(status.declined),
            waiting=len(status.no_answer),
        ),
    ]
    if status.no_answer:
        people = [person_of(m) for m in status.no_answer]
        lines.append(t(lang, "season.report.no_answer", names=people))
    return "\n".join(lines)


def renewal_overview(session: Session, lang: str, network: Network, now: datetime) -> list[str]:
    """The vote and (when the next season is open) the claims, as paragraphs."""
    target = vote_network(session, network)
    texts = [render_tally(lang, renewal_tally(session, target, now))]
    new = next_season(session, target)
    if new is not None and new.claim_deadline is not None:
        texts.append(render_claims(lang, claim_status(session, new)))
    return texts


def renewal_parts(
    session: Session, lang: str, network: Network, args: list[str], now: datetime
) -> list[c.Part]:
    """`/network fornyelse` (the vote as it stands) or `… frist <YYYY-MM-DD>` (its deadline)."""
    if args and args[0].lower() in {"frist", "deadline"}:
        target = vote_network(session, network)
        day = _iso_day(args[1] if len(args) > 1 else "", "renewal.error.deadline_form")
        closes = set_renewal_deadline(session=session, network=target, day=day, now=now)
        session.commit()
        saved = t(lang, "renewal.deadline_set", deadline=last_day(closes, target))
        return [c.Paragraph(saved)]
    if args:
        raise InputError("renewal.error.usage")
    return [c.Paragraph(text) for text in renewal_overview(session, lang, network, now)]


def digest_lines(session: Session, lang: str, network: Network, now: datetime) -> list[str]:
    """The renewal in the weekly digest: while the vote is open or has votes, and while the
    next season's claims are open."""
    target = vote_network(session, network)
    tally = renewal_tally(session, target, now)
    if not tally.open and not (tally.yes or tally.no or tally.unsure):
        return []
    return renewal_overview(session, lang, network, now)


def _iso_day(text: str, error: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(error, value=text) from None


OPTION_RE = re.compile(r'(\w+)=(?:["“”]([^"“”]*)["“”]|(\S+))')
SEASON_OPTIONS = {"key", "name", "start", "end", "meetings", "deadline"}
SEASON_WORDS = {
    "nøgle": "key",
    "navn": "name",
    "slut": "end",
    "møder": "meetings",
    "frist": "deadline",
}


def parse_season(text: str) -> SeasonPlan:
    """`key=… name="…" start=YYYY-MM-DD end=YYYY-MM-DD meetings=D1,D2,… deadline=YYYY-MM-DD`
    (Danish option names too: nøgle, navn, slut, møder, frist)."""
    options = {
        SEASON_WORDS.get(m[1].lower(), m[1].lower()): unescape_slack(
            m[2] if m[2] is not None else m[3]
        )
        for m in OPTION_RE.finditer(text)
    }
    missing = sorted(SEASON_OPTIONS - set(options))
    if missing:
        raise InputError("season.error.usage")
    days = [_iso_day(d, "season.error.date") for d in options["meetings"].split(",") if d.strip()]
    return SeasonPlan(
        key=options["key"].strip(),
        name=options["name"].strip(),
        season_start=_iso_day(options["start"], "season.error.date"),
        season_end=_iso_day(options["end"], "season.error.date"),
        meeting_days=days,
        claim_deadline=_iso_day(options["deadline"], "season.error.date"),
    )


def new_season_parts(
    session: Session, lang: str, network: Network, text: str, now: datetime
) -> list[c.Part]:
    """`/network ny-sæson …`: open the season after the facilitator's own; its members are
    asked to claim their seat."""
    plan = parse_season(text)
    if not plan.name:
        raise InputError("season.error.usage")
    new = open_next_season(session=session, previous=network, plan=plan, now=now)
    asked = len([m for m in network.people if m.role is Role.MEMBER and m.active])
    session.commit()
    assert new.claim_deadline is not None
    opened = t(
        lang,
        "season.opened",
        network=new.name,
        meetings=len(new.meetings),
        count=asked,
        deadline=last_day(new.claim_deadline, new),
    )
    return [c.Paragraph(opened)]
