"""The idea bazaar on Teams, through the real server: `netværk basar` as a card with the add
button (a dialog: its error on the field, then saved) and the claim buttons — the same cores
as Slack's."""

from __future__ import annotations

from sqlalchemy import select

from handlers import teams_render
from handlers.bazaar import build_follow_up
from handlers.catalogue import surface
from handlers.ids import Action
from models.bazaar import BazaarClaim, BazaarField, BazaarItem
from models.nudges import NudgeKind
from models.spread import SpreadField, SpreadStatus
from tests.conftest import ANNA, BO, person
from tests.e2e.test_bazaar_e2e import BEFORE, DAY_30, _claimed
from tests.models.test_bazaar import anna_offers
from tests.models.test_library import bring
from tests.teams.cards import card_text, cards
from tests.teams.conftest import ANNA_TEAMS, BO_AAD, BO_TEAMS, TeamsBot, personal_conversation
from tests.teams.test_teams_actions_e2e import (
    _button,
    _dialog_card,
    _errors,
    _inputs,
    _invoke,
    _press,
    _replies,
    _submit_data,
)
from tests.teams.test_teams_commands_e2e import say


def test_put_on_the_bazaar_in_a_dialog_and_claim_by_a_button(teams_bot: TeamsBot) -> None:
    teams_bot.clock.now = BEFORE
    answer = say(teams_bot, ANNA_TEAMS, "netværk basar")
    assert "Idébasaren på møde 4" in card_text(answer)
    (card,) = cards(answer)
    opener = _button(card, Action.BAZAAR_ADD)
    assert opener["msteams"] == {"type": "task/fetch"}
    dialog = _dialog_card(_invoke(teams_bot, ANNA_TEAMS, "task/fetch", {"data": opener}))
    assert BazaarField.TITLE in _inputs(dialog)
    bad = _submit_data(dialog, {BazaarField.KIND: "idea"})
    again = _dialog_card(_invoke(teams_bot, ANNA_TEAMS, "task/submit", {"data": bad}))
    assert _errors(again) == ["Giv den en titel, eller vælg et af dine eksempler."]
    good = _submit_data(again, {BazaarField.KIND: "idea", BazaarField.TITLE: "Borgerpanel"})
    done = _dialog_card(_invoke(teams_bot, ANNA_TEAMS, "task/submit", {"data": good}))
    assert _errors(done) == []
    with teams_bot.session_factory() as s:
        item = s.scalars(select(BazaarItem)).one()
        assert (item.title, item.kind.value) == ("Borgerpanel", "idea")
    mine = {"action": Action.BAZAAR_CLAIM, "value": str(item.id)}
    _press(teams_bot, ANNA_TEAMS, mine)
    assert _replies(teams_bot, ANNA_TEAMS)[-1] == "Det er din egen ting."
    activity = teams_bot.activity(BO_TEAMS, BO_AAD, text="network bazaar")
    assert teams_bot.send(activity).status == 200
    sent = teams_bot.teams.messages(personal_conversation(BO_TEAMS))
    listed = sent[-1]["attachments"][0]["content"]  # (his first contact also brings a welcome)
    claim = _button(listed, Action.BAZAAR_CLAIM)
    assert claim["value"] == str(item.id)
    _press(teams_bot, BO_TEAMS, claim, aad=BO_AAD)
    assert _replies(teams_bot, BO_TEAMS)[-1].startswith("Du har gjort krav på “Borgerpanel” fra")
    with teams_bot.session_factory() as s:
        (row,) = s.scalars(select(BazaarClaim)).all()
        assert row.item_id == item.id


def test_the_giver_answers_the_follow_up_in_a_dialog(teams_bot: TeamsBot) -> None:
    claim_id = _claimed(teams_bot.session_factory)
    teams_bot.clock.now = DAY_30
    with teams_bot.session_factory() as s, surface("teams"):
        anna = person(s, ANNA)
        claim = s.get(BazaarClaim, claim_id)
        assert claim is not None
        message = build_follow_up(
            anna.lang, member=anna, claim=claim, kind=NudgeKind.BAZAAR_FOLLOWUP_30
        )
        (card,) = teams_render.message_cards(message)
    opener = _button(card, Action.BAZAAR_GIVER_VIEW)
    assert opener["msteams"] == {"type": "task/fetch"} and opener["value"] == str(claim_id)
    dialog = _dialog_card(_invoke(teams_bot, ANNA_TEAMS, "task/fetch", {"data": opener}))
    assert {SpreadField.STATUS, SpreadField.EFFECT} <= set(_inputs(dialog))
    bad = _submit_data(dialog, {SpreadField.EFFECT: "Godt brugt"})
    again = _dialog_card(_invoke(teams_bot, ANNA_TEAMS, "task/submit", {"data": bad}))
    assert _errors(again) == ["Vælg en status: planlagt, tilpasses, i brug eller droppet."]
    good = _submit_data(again, {SpreadField.STATUS: "in_use", SpreadField.EFFECT: "Godt brugt"})
    done = _dialog_card(_invoke(teams_bot, ANNA_TEAMS, "task/submit", {"data": good}))
    assert _errors(done) == []
    with teams_bot.session_factory() as s:
        row = s.get(BazaarClaim, claim_id)
        assert row is not None
        assert (row.giver_status, row.giver_effect) == (SpreadStatus.IN_USE, "Godt brugt")


def test_the_overview_card_opens_the_bazaar_and_the_library(teams_bot: TeamsBot) -> None:
    """The overview's "Idébasar" and "Eksempelbibliotek" answer as `netværk basar` and
    `netværk eksempler` do, in the chat."""
    teams_bot.clock.now = BEFORE
    with teams_bot.session_factory() as s:
        anna_offers(s)
        bring(s, BO, 2, "Klageportal", "Online klager", None)
    overview = say(teams_bot, ANNA_TEAMS, "oversigt")
    (card,) = cards(overview)
    to_bazaar = _button(card, Action.HOME_BAZAAR)
    to_library = _button(card, Action.HOME_LIBRARY)
    assert "msteams" not in to_bazaar  # answers at once, no dialog
    _press(teams_bot, ANNA_TEAMS, to_bazaar)
    assert any("Idébasaren på møde 4" in r for r in _replies(teams_bot, ANNA_TEAMS))
    _press(teams_bot, ANNA_TEAMS, to_library)
    last = teams_bot.teams.messages(personal_conversation(ANNA_TEAMS))[-1]
    assert "Klageportal" in card_text(last)
