"""Every button the bot shows says whether it opens a form, so Teams asks for a dialog
exactly for those (and Slack, which ignores the flag, is unchanged)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from handlers import bazaar, library, teams_render
from handlers import conversation as c
from handlers.applications import _decision_buttons, apply_parts
from handlers.attendance import build_attendance_nudge
from handlers.between import _buttons as between_buttons
from handlers.between import reflection_prompt
from handlers.briefs import colleague_prompt
from handlers.calendar import meeting_button
from handlers.exchange import _item_paragraph
from handlers.followup import render_followups
from handlers.home import _between_actions, _browse_actions, _prep_actions
from handlers.ids import Action
from handlers.network.privacy import forget_parts
from handlers.nudges import build_prep_nudge
from handlers.render import dispute_parts
from handlers.renewal import build_claim, build_renewal_vote
from handlers.sparring import build_sparring_received
from handlers.spread import build_spread_notice, render_spread_list
from handlers.teams.actions import FACILITATOR_ACTIONS, FILE_ACTIONS, MEMBER_ACTIONS
from handlers.teams.dialogs import ANYONE_OPENERS, OPENERS
from models.applications import Application, ApplicationStatus
from models.attendance import Attendance, AttendanceStatus
from models.bazaar import claim_item
from models.exchange import Item, ItemKind
from models.followup import ManagerFollowUp
from models.network import Network
from models.nudges import NudgeKind
from models.prep import PrepExample, prep_status
from models.sparring import SparringEntry, SparringReceiver
from models.spread import SpreadAction, SpreadStatus
from tests.conftest import ANNA, BO, SEASON_NOW, person
from tests.models.test_bazaar import BEFORE, anna_offers
from tests.models.test_library import bring


def _buttons(parts: list[c.Part]) -> Iterator[c.Button]:
    for part in parts:
        if isinstance(part, c.Buttons):
            yield from part.buttons
        elif isinstance(part, c.Paragraph) and part.button is not None:
            yield part.button


def _next_season(previous: Network) -> Network:
    return Network(
        id=99,
        key="next",
        name="Næste sæson",
        timezone=previous.timezone,
        season_start=date(2016, 9, 1),
        claim_deadline=datetime(2016, 6, 16, tzinfo=UTC),
    )


def _every_button(session: Session) -> list[c.Button]:
    anna, bo = person(session, ANNA), person(session, BO)
    meeting = next(m for m in anna.network.meetings if m.number == 2)
    status = prep_status(session=session, member=anna, meeting=meeting)
    kickoff = build_prep_nudge(
        "da", kind=NudgeKind.PREP_KICKOFF, member=anna, status=status, nudge_id=1, now=SEASON_NOW
    )
    assert kickoff is not None
    followup = ManagerFollowUp(id=1, followed_up_on=date(2015, 10, 1), agreed="x", next_step="")
    spread = SpreadAction(id=2, solution="x", status=SpreadStatus.PLANNED, effect="", member=bo)
    entry = SparringEntry(id=3, minutes=60, given_on=date(2015, 10, 1), note="", giver=bo)
    receiver = SparringReceiver(id=4, entry=entry, member=anna)
    network = anna.network
    network.applications_open = True  # the Home tab's Apply button shows
    application = Application(id=5, status=ApplicationStatus.PENDING)
    parts = [
        *kickoff.parts,
        *build_attendance_nudge("da", member=anna, meeting=meeting, nudge_id=1).parts,
        between_buttons("da", 1, meeting),
        reflection_prompt("da", 1, meeting),
        _prep_actions("da", status),
        _between_actions("da"),
        *render_followups("da", anna, [followup], "efterår").parts,
        *render_spread_list("da", [spread]).parts,
        *build_spread_notice("da", row=spread, nudge_id=1).parts,
        *dispute_parts("da", receiver),
        *build_sparring_received("da", receiver=receiver, nudge_id=1).parts,
        *forget_parts("da", anna),
        *(  # the share list: one item to share, one to withdraw
            _item_paragraph("da", Item(ItemKind.EXAMPLE, 5, "x", 2, shared))
            for shared in (False, True)
        ),
        c.Buttons([meeting_button("da", meeting)]),
        *colleague_prompt(
            "da", Attendance(status=AttendanceStatus.SUBSTITUTE, substitute_name="Lise"), meeting
        ),
        *apply_parts(session, "da", SEASON_NOW),
        _decision_buttons("da", application),
        *build_renewal_vote(
            "da", network=anna.network, reminder=False, closes=anna.network.meetings[-1].ends_at
        ).parts,
        *build_claim("da", new=_next_season(anna.network)).parts,
    ]
    parts += _library_and_bazaar(session)
    session.expunge_all()
    return list(_buttons(parts))


def _library_and_bazaar(session: Session) -> list[c.Part]:
    """An example of the library (listed and opened) and the bazaar (an item, the add button)."""
    anna, bo = person(session, ANNA), person(session, BO)
    example = session.get(PrepExample, bring(session, ANNA, 2, "Panel", "Idé", None))
    assert example is not None
    item = anna_offers(session)
    claim, _ = claim_item(session=session, member=bo, item_id=item.id, now=BEFORE)
    giver = bazaar.build_follow_up(
        "da", member=anna, claim=claim, kind=NudgeKind.BAZAAR_FOLLOWUP_30
    )
    return [
        _browse_actions("da", anna, BEFORE),  # the overview's library and bazaar
        *giver.parts,
        library._line("da", example),
        *library.example_message("da", example).parts,
        bazaar._item_paragraph("da", bo, item),
        *bazaar.bazaar_parts(
            session=session, member=anna, lang="da", page=1, command="/network basar", now=BEFORE
        ),
    ]


def test_a_button_opens_a_dialog_on_teams_exactly_when_it_opens_a_form(
    session: Session, network: Network
) -> None:
    buttons = _every_button(session)
    seen = {b.action for b in buttons}
    openers = set(OPENERS) | set(ANYONE_OPENERS)
    handled = openers | set(MEMBER_ACTIONS) | set(FACILITATOR_ACTIONS) | FILE_ACTIONS
    assert handled == set(Action)  # every button has its way on Teams
    assert seen >= set(Action) - {Action.OPEN_PREP_P1, Action.OPEN_PREP_P2}  # kickoff shows
    for button in buttons:
        assert button.opens_form == (button.action in openers), button.action
        data = teams_render.submit(button)["data"]
        assert ("msteams" in data) == button.opens_form
        if button.opens_form:
            assert data["msteams"] == {"type": "task/fetch"}


def test_the_flag_costs_slack_nothing() -> None:
    from handlers import slack_render

    plain, opener = (
        c.Buttons([c.Button("Åbn", Action.OPEN_SPARRING, "{}", opens_form=flag)])
        for flag in (False, True)
    )
    as_slack = [slack_render.blocks([p]) for p in (plain, opener)]
    assert as_slack[0] == as_slack[1]
    assert list(itertools.chain(*as_slack))
