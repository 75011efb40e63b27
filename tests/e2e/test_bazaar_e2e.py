"""The idea bazaar on Slack, end to end: `/network basar` lists the items with a claim button
(none on one's own) and the add-item button; the form (its error on the field, then saved);
a claim answered at once, made once; the facilitator's results and a member's polite no."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.app import make_web_client
from handlers.ids import Action, Callback
from jobs.nudges import run_nudge_pass
from jobs.slack_messenger import SlackMessenger
from models.bazaar import BazaarClaim, BazaarField, BazaarItem, BazaarKind
from models.spread import SpreadField, SpreadStatus
from tests.blockkit import check_view
from tests.conftest import ANNA, BO, FACILITATOR
from tests.e2e.test_between_e2e import told
from tests.e2e.test_followup_spread_e2e import radio
from tests.e2e.test_library_e2e import text_of_reply
from tests.e2e.test_prep_e2e import opened_view, text
from tests.slack_standin import explode, standin_settings

BEFORE = datetime(2016, 4, 1, 12, 0, tzinfo=UTC)  # before meeting 4, the bazaar
DAY_30 = datetime(2016, 5, 1, 7, 5, tzinfo=UTC)  # 09:05 in Copenhagen, 30 days on


def test_add_an_item_claim_it_and_see_the_results(
    bot: Any, session_factory: sessionmaker[Session]
) -> None:
    bot.clock.now = BEFORE
    listed = bot.command("/network", "basar", user=ANNA).json()
    assert "*Idébasaren på møde 4*" in text_of_reply(listed)
    (add,) = [e for b in listed["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert add["action_id"] == Action.BAZAAR_ADD
    bot.click(ANNA, Action.BAZAAR_ADD, "")
    view = opened_view(bot)
    assert check_view(view, "modal") == [] and view["callback_id"] == Callback.BAZAAR_MODAL
    no_title = radio(BazaarField.KIND, "failure")
    errors = bot.submit(ANNA, view, no_title).json()["errors"]
    assert list(errors) == [BazaarField.TITLE]
    good = (
        no_title | text(BazaarField.TITLE, "Vores chatbot") | text(BazaarField.TEXT, "Lær af den")
    )
    assert bot.submit(ANNA, view, good).json()["response_action"] == "update"
    with session_factory() as s:
        item_id = s.scalars(select(BazaarItem)).one().id

    own = bot.command("/network", "basar", user=ANNA).json()
    assert not [b for b in own["blocks"] if b.get("accessory")]  # no claim on her own
    theirs = bot.command("/network", "bazaar", user=BO).json()
    shown = text_of_reply(theirs)
    assert f"*Vores chatbot* (Min største fiasko) — fra <@{ANNA}>. Lær af den" in shown
    (claim,) = [b["accessory"] for b in theirs["blocks"] if b.get("accessory")]
    assert (claim["action_id"], claim["value"]) == (Action.BAZAAR_CLAIM, str(item_id))
    bot.click(BO, Action.BAZAAR_CLAIM, str(item_id))
    assert told(bot).startswith(f"Du har gjort krav på “Vores chatbot” fra <@{ANNA}>")
    bot.click(BO, Action.BAZAAR_CLAIM, str(item_id))
    assert told(bot, 2).startswith("Du har allerede gjort krav")
    with session_factory() as s:
        assert len(s.scalars(select(BazaarClaim)).all()) == 1

    results = text_of_reply(bot.command("/network", "basar resultat", user=FACILITATOR).json())
    assert "1 ting, 1 krav" in results and f"<@{BO}>: Planlagt" in results
    member = bot.command("/network", "basar resultat", user=BO).json()["text"]
    assert member == "Kun netværkets tovholdere kan bruge `/network`."


def _claimed(session_factory: sessionmaker[Session]) -> int:
    """Anna's item claimed by Bo (through the model, as the test above does through Slack)."""
    from models.bazaar import BazaarInput, add_item, claim_item
    from tests.conftest import person

    with session_factory() as s:
        data = BazaarInput(BazaarKind.SOLUTION, None, "Borgerpanel", "")
        item = add_item(session=s, member=person(s, ANNA), data=data, now=BEFORE)
        claim, _ = claim_item(session=s, member=person(s, BO), item_id=item.id, now=BEFORE)
        s.commit()
        return claim.id


def test_the_giver_answers_the_follow_up_in_a_form_shown_in_the_results(
    bot: Any, session_factory: sessionmaker[Session]
) -> None:
    claim_id = _claimed(session_factory)
    bot.clock.now = DAY_30
    client = make_web_client(
        standin_settings(bot.slack.url, slack_bot_token="xoxb-e2e"), retry_ambiguous=False
    )
    run_nudge_pass(
        session_factory=session_factory,
        messenger=SlackMessenger(client),
        now=DAY_30,
        refresh_zones=False,
    )
    to_anna = [
        part
        for c in bot.slack.calls_to("chat.postMessage")
        if c.params["channel"] == "D" + ANNA[1:]
        for part in explode(c.params)
    ]
    buttons = [
        e
        for part in to_anna
        for block in part.get("blocks", [])
        if block.get("type") == "actions"
        for e in block["elements"]
        if e["action_id"] == Action.BAZAAR_GIVER_VIEW
    ]
    assert [b["value"] for b in buttons] == [str(claim_id)]
    assert buttons[0]["text"]["text"] == "Fortæl, hvordan du ser det"
    bot.click(BO, Action.BAZAAR_GIVER_VIEW, str(claim_id))  # not his item: no form
    bot.click(ANNA, Action.BAZAAR_GIVER_VIEW, str(claim_id))
    view = opened_view(bot)
    assert check_view(view, "modal") == [] and view["callback_id"] == Callback.BAZAAR_GIVER_MODAL
    assert f"hos <@{BO}>" in json.dumps(view, ensure_ascii=False)
    note = text(SpreadField.EFFECT, "Bo har gjort den kortere & bedre")
    errors = bot.submit(ANNA, view, radio(SpreadField.STATUS, None) | note).json()["errors"]
    assert list(errors) == [SpreadField.STATUS]
    answer = radio(SpreadField.STATUS, "adapting") | note
    saved = bot.submit(ANNA, view, answer).json()
    assert saved["response_action"] == "update"
    assert "er gemt ved siden af svaret fra" in json.dumps(saved, ensure_ascii=False)
    with session_factory() as s:
        claim = s.get(BazaarClaim, claim_id)
        assert claim is not None and claim.giver_status is SpreadStatus.ADAPTING
        assert claim.giver_effect == "Bo har gjort den kortere & bedre"

    results = text_of_reply(bot.command("/network", "basar resultat", user=FACILITATOR).json())
    assert f"<@{BO}>: Planlagt — effekt: —" in results
    assert f"<@{ANNA}> (giver): Tilpasses — effekt: Bo har gjort den kortere &amp; bedre" in results
