"""`/followup` and `/spread` end to end: commands, their forms and their buttons."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from handlers.ids import Action
from models.followup import ManagerFollowUp
from models.history import ChangeRecord
from models.prep import PrepQuestion
from models.spread import SpreadAction, SpreadInput, SpreadStatus, log_spread
from tests.blockkit import check_view
from tests.conftest import ANNA, BO, FREDERIK, person
from tests.e2e.test_network_e2e import add_members
from tests.e2e.test_prep_e2e import opened_view, pick, text


def date_value(block_id: str, day: str) -> dict[str, Any]:
    return {block_id: {"value": {"type": "datepicker", "selected_date": day}}}


def radio(block_id: str, value: str | None) -> dict[str, Any]:
    option = {"value": value, "text": {"type": "plain_text", "text": "x"}} if value else None
    return {block_id: {"value": {"type": "radio_buttons", "selected_option": option}}}


def test_followup_with_a_note(bot: Any, session_factory: sessionmaker[Session]) -> None:
    reply = bot.command("/followup", "Vi aftalte &amp; prøver klageportalen i januar", user=ANNA)
    assert reply.text == (
        "✅ Opfølgning med din leder gemt (5. oktober 2015): "
        "“Vi aftalte &amp; prøver klageportalen i januar”."
    )
    with session_factory() as s:
        (row,) = s.scalars(select(ManagerFollowUp)).all()
        assert (row.followed_up_on, row.agreed) == (
            date(2015, 10, 5),
            "Vi aftalte & prøver klageportalen i januar",
        )


def test_followup_form_errors_then_saves_then_edits(
    bot: Any, session_factory: sessionmaker[Session]
) -> None:
    assert bot.command("/followup", "", user=ANNA).body == ""
    view = opened_view(bot)
    assert check_view(view, "modal") == []
    future = date_value("followup_on", "2015-10-09") | text("followup_agreed", "Noget")
    assert bot.submit(ANNA, view, future).json()["errors"] == {
        "followup_on": "9. oktober 2015 ligger i fremtiden. Vælg en dato til og med i dag."
    }
    empty = date_value("followup_on", "2015-10-02") | text("followup_agreed", " ")
    assert list(bot.submit(ANNA, view, empty).json()["errors"]) == ["followup_agreed"]
    ok = (
        date_value("followup_on", "2015-10-02")
        | text("followup_agreed", "Sparring i gang")
        | text("followup_next_step", "Ny aftale i december")
    )
    assert bot.submit(ANNA, view, ok).json()["response_action"] == "update"

    status = bot.command("/followup", "status", user=ANNA).json()
    assert (
        status["blocks"][0]["text"]["text"]
        == "*Dine opfølgninger med din leder mellem møde 1 og 2*"
    )
    entry = status["blocks"][1]
    assert "“Sparring i gang” — næste skridt: “Ny aftale i december”" in entry["text"]["text"]
    bot.click(ANNA, Action.FOLLOWUP_EDIT, entry["accessory"]["value"])
    edit_view = opened_view(bot, 2)
    agreed = next(b for b in edit_view["blocks"] if b["block_id"] == "followup_agreed")
    assert agreed["element"]["initial_value"] == "Sparring i gang"
    changed = date_value("followup_on", "2015-10-02") | text(
        "followup_agreed", "Sparring godt i gang"
    )
    bot.submit(ANNA, edit_view, changed)
    with session_factory() as s:
        (row,) = s.scalars(select(ManagerFollowUp)).all()
        assert row.agreed == "Sparring godt i gang" and row.next_step == ""
        fields = sorted(c.field for c in s.scalars(select(ChangeRecord)))
        assert fields == ["agreed", "next_step"]  # both earlier values are kept
    # Someone else's edit button does nothing.
    bot.click(BO, Action.FOLLOWUP_EDIT, entry["accessory"]["value"])
    assert len(bot.slack.calls_to("views.open")) == 2


def test_followup_help_in_english(bot: Any) -> None:
    assert bot.command("/followup", "help", user=FREDERIK).text.startswith("*/followup* — log")


def test_spread_form_errors_then_saves_and_updates(
    bot: Any, session_factory: sessionmaker[Session]
) -> None:
    bot.command("/spread", "", user=ANNA)
    view = opened_view(bot)
    assert check_view(view, "modal") == []
    block_ids = [b["block_id"] for b in view["blocks"]]
    assert block_ids == [
        "spread_solution",
        "spread_source",
        "spread_meeting",
        "spread_status",
        "spread_effect",
    ]  # no examples shared yet
    missing = text("spread_solution", "") | radio("spread_status", "planned")
    assert bot.submit(ANNA, view, missing).json()["errors"] == {
        "spread_solution": "Skriv, hvilken løsning det er, eller vælg et eksempel."
    }
    no_status = text("spread_solution", "Borgerpanel") | radio("spread_status", None)
    assert list(bot.submit(ANNA, view, no_status).json()["errors"]) == ["spread_status"]
    meeting1 = view["blocks"][2]["element"]["options"][0]["value"]
    ok = (
        text("spread_solution", "Borgerpanel")
        | pick("spread_source", BO)
        | {
            "spread_meeting": {
                "value": {"type": "static_select", "selected_option": {"value": meeting1}}
            }
        }
        | radio("spread_status", "adapting")
        | text("spread_effect", "")
    )
    assert bot.submit(ANNA, view, ok).json()["response_action"] == "update"

    listing = bot.command("/spread", "status", user=ANNA).json()["blocks"]
    assert listing[1]["text"]["text"] == f"• *Borgerpanel* fra <@{BO}> (møde 1) — Tilpasses"
    bot.click(ANNA, Action.SPREAD_UPDATE, listing[1]["accessory"]["value"])
    update_view = opened_view(bot, 2)
    status_block = next(b for b in update_view["blocks"] if b.get("block_id") == "spread_status")
    assert status_block["element"]["initial_option"]["value"] == "adapting"
    bot.submit(
        ANNA, update_view, radio("spread_status", "in_use") | text("spread_effect", "Virker")
    )
    with session_factory() as s:
        (row,) = s.scalars(select(SpreadAction)).all()
        assert (row.status, row.effect) == (SpreadStatus.IN_USE, "Virker")
        assert {c.field for c in s.scalars(select(ChangeRecord))} == {"status", "effect"}


def test_spread_unknown_subcommand_and_help(bot: Any) -> None:
    reply = bot.command("/spread", "stuff", user=ANNA).text
    assert reply.startswith("Jeg kender ikke `/spread stuff`.")
    assert "`/spread status`" in reply
    assert "Du er ikke medlem" in bot.command("/spread", "", user="U0OUTSIDER").text


def test_spread_offers_only_examples_from_meetings_held(
    bot: Any, session_factory: sessionmaker[Session]
) -> None:
    bot.command("/prep", "", user=BO)  # Bo prepares an example for meeting 2 (17 November)
    prep = opened_view(bot)
    bot.submit(BO, prep, text("p3_new_title", "Klageportal") | text("p3_new_idea", "Online"))
    bot.command("/spread", "", user=ANNA)
    before = opened_view(bot, 2)
    assert "spread_example" not in [b["block_id"] for b in before["blocks"]]

    bot.clock.now = datetime(2015, 11, 18, 9, 0, tzinfo=UTC)  # meeting 2 has been held
    bot.command("/spread", "", user=ANNA)
    after = opened_view(bot, 3)
    example = next(b for b in after["blocks"] if b["block_id"] == "spread_example")
    (option,) = example["element"]["options"]
    assert option["text"]["text"] == "Klageportal (Bo Kjær)"
    picked = {
        "spread_example": {"value": {"type": "static_select", "selected_option": option}}
    } | radio("spread_status", "planned")
    assert bot.submit(ANNA, after, picked).json()["response_action"] == "update"
    with session_factory() as s:
        row = s.scalars(select(SpreadAction)).one()
        assert (row.solution, row.meeting.number) == ("Klageportal", 2)


def suggest(bot: Any, user: str, view: dict[str, Any], block_id: str, typed: str) -> Any:
    """What Slack asks when a member types in a type-ahead picker (a block_suggestion)."""
    element = next(b for b in view["blocks"] if b.get("block_id") == block_id)["element"]
    return bot.interaction(
        {
            "type": "block_suggestion",
            "user": {"id": user, "username": user.lower(), "team_id": "T0TEST0001"},
            "action_id": element["action_id"],
            "block_id": block_id,
            "value": typed,
            "view": {"id": "V0TEST0001", "type": "modal", "callback_id": view["callback_id"]},
        }
    ).json()


def test_every_member_can_be_picked_in_a_big_network(
    bot: Any, session_factory: sessionmaker[Session]
) -> None:
    add_members(session_factory, 410)  # 420 members: past Slack's 100 options
    bot.command("/spread", "", user=ANNA)
    view = opened_view(bot)
    source = next(b for b in view["blocks"] if b["block_id"] == "spread_source")["element"]
    assert source["type"] == "external_select" and check_view(view, "modal") == []
    everyone = suggest(bot, ANNA, view, "spread_source", "")
    (group,) = everyone["option_groups"]
    assert group["label"]["text"] == "100 af 419 vist — skriv mere for at finde flere"
    assert len(group["options"]) == 100
    found = suggest(bot, ANNA, view, "spread_source", "medlem 319")["options"]
    assert [o["text"]["text"] for o in found] == ["Medlem 319"]
    form = (
        text("spread_solution", "Borgerpanel")
        | {
            "spread_source": {
                "member_search": {"type": "external_select", "selected_option": found[0]}
            }
        }
        | radio("spread_status", "planned")
    )
    assert bot.submit(ANNA, view, form).json()["response_action"] == "update"
    with session_factory() as s:
        assert s.scalars(select(SpreadAction)).one().source.slack_user_id == "U0BIG00319"

    bot.click(ANNA, Action.OPEN_SPARRING, "{}")
    sparring = opened_view(bot, 2)
    receivers = next(b for b in sparring["blocks"] if b["block_id"] == "sparring_receivers")
    assert receivers["element"]["type"] == "multi_external_select"
    found = suggest(bot, ANNA, sparring, "sparring_receivers", "Medlem 04")["options"]
    assert [o["text"]["text"] for o in found] == [f"Medlem 04{i}" for i in range(10)]


def test_a_long_spread_list_says_what_is_left(
    bot: Any, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        anna = person(s, ANNA)
        for i in range(25):
            data = SpreadInput(f"Løsning {i}", None, BO, None, "planned", "")
            log_spread(session=s, member=anna, data=data, now=bot.clock.now)
        s.commit()
    blocks = bot.command("/spread", "status", user=ANNA).json()["blocks"]
    texts = [b["text"]["text"] for b in blocks]
    assert len(blocks) == 22
    assert texts[1] == "… og 5 flere. Alt, du har registreret, får du med `/network minedata`."


def test_questions_go_only_to_members_in_a_big_network(
    bot: Any, session_factory: sessionmaker[Session]
) -> None:
    add_members(session_factory, 410)
    bot.command("/prep", "", user=ANNA)
    view = opened_view(bot)
    primary = next(b for b in view["blocks"] if b.get("block_id") == "p2_q1_primary")["element"]
    assert primary["type"] == "external_select"  # members only, never any workspace user
    found = suggest(bot, ANNA, view, "p2_q1_primary", "Medlem 318")["options"]
    other = suggest(bot, ANNA, view, "p2_q1_secondary", "Medlem 319")["options"]
    form = text("p2_q1_text", "Hvordan?") | {
        "p2_q1_primary": {
            "member_search": {"type": "external_select", "selected_option": found[0]}
        },
        "p2_q1_secondary": {
            "member_search": {"type": "external_select", "selected_option": other[0]}
        },
    }
    assert bot.submit(ANNA, view, form).json()["response_action"] == "update"
    with session_factory() as s:
        question = s.scalars(select(PrepQuestion)).one()
        assert (question.primary.slack_user_id, question.secondary.slack_user_id) == (
            "U0BIG00318",
            "U0BIG00319",
        )
