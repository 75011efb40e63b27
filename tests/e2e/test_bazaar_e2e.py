"""The idea bazaar on Slack, end to end: `/network basar` lists the items with a claim button
(none on one's own) and the add-item button; the form (its error on the field, then saved);
a claim answered at once, made once; the facilitator's results and a member's polite no."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from handlers.ids import Action, Callback
from models.bazaar import BazaarClaim, BazaarField, BazaarItem
from tests.blockkit import check_view
from tests.conftest import ANNA, BO, FACILITATOR
from tests.e2e.test_between_e2e import told
from tests.e2e.test_followup_spread_e2e import radio
from tests.e2e.test_library_e2e import text_of_reply
from tests.e2e.test_prep_e2e import opened_view, text

BEFORE = datetime(2016, 4, 1, 12, 0, tzinfo=UTC)  # before meeting 4, the bazaar


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
