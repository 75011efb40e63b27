"""Applications end to end on Slack: someone who is no member applies through `/network ansøg`
(errors on the fields, everything typed kept), edits from the Home tab's button, the deadline
closes it; the facilitator reviews, accepts with a message, and the applicant is told once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.app import make_web_client
from handlers.ids import Action
from jobs.nudges import run_nudge_pass
from jobs.slack_messenger import SlackMessenger
from models.applications import Application, ApplicationStatus
from models.network import Network, Role
from tests.blockkit import check_view
from tests.conftest import ANNA, FACILITATOR
from tests.e2e.test_prep_e2e import opened_view, text
from tests.slack_standin import standin_settings

NEWBIE = "U0NEWBIE01"
DEADLINE = datetime(2015, 10, 31, 12, 0, tzinfo=UTC)  # 13:00 in Copenhagen


def boxes(block_id: str, values: list[str]) -> dict[str, Any]:
    options = [{"value": v, "text": {"type": "plain_text", "text": "x"}} for v in values]
    return {block_id: {"value": {"type": "checkboxes", "selected_options": options}}}


def filled(**changes: str) -> dict[str, Any]:
    fields = {
        "app_name": "Ida Holm",
        "app_email": "ida@aarhus.dk",
        "app_workplace": "Aarhus Kommune",
        "app_about": "Projektleder <!channel> i ældreplejen.",
        "app_tasks": "Velfærdsteknologi.",
        "app_competencies": "design, borgerinddragelse",
        "app_wants": "Stjæle ideer.",
        "app_contributes": "Skærmbesøg.",
    } | changes
    state: dict[str, Any] = {}
    for name, value in fields.items():
        state |= text(name, value)
    return state | boxes("app_confirm", ["time", "binding"])


def open_applications(session_factory: sessionmaker[Session], seats: int = 10) -> None:
    with session_factory.begin() as s:
        network = s.scalars(select(Network)).one()
        network.applications_open, network.application_deadline = True, DEADLINE
        network.seats = seats


def initial(view: dict[str, Any], block_id: str) -> Any:
    block = next(b for b in view["blocks"] if b.get("block_id") == block_id)
    element = block["element"]
    return element.get("initial_value", element.get("initial_options"))


def test_a_non_member_applies_edits_and_is_closed_out_by_the_deadline(
    bot: Any, session_factory: sessionmaker[Session]
) -> None:
    assert bot.command("/network", "ansøg", user=NEWBIE).text == (
        "Intet netværk tager imod ansøgninger lige nu."
    )
    open_applications(session_factory)
    assert bot.command("/network", "ansøg", user=NEWBIE).body == ""
    view = opened_view(bot)
    assert check_view(view, "modal") == []
    intro = view["blocks"][0]["text"]["text"]
    assert "*2400 tegn*" in intro and "31. oktober 2015 kl. 13:00" in intro

    bad = filled(app_name=" ", app_email="ida@", app_about="x" * 2400) | boxes("app_confirm", [])
    errors = bot.submit(NEWBIE, view, bad).json()["errors"]
    assert set(errors) == {"app_name", "app_email", "app_about", "app_confirm"}
    assert errors["app_email"] == '"ida@" er ikke en e-mailadresse; skriv den som navn@eksempel.dk.'
    assert "for mange" in errors["app_about"]
    with session_factory() as s:
        assert s.scalars(select(Application)).all() == []

    saved = bot.submit(NEWBIE, view, filled()).json()
    assert saved["response_action"] == "update"
    assert "6.000 kr." in saved["view"]["blocks"][0]["text"]["text"]

    # Reopened from the Home tab's button: what was saved, to change.
    bot.click(NEWBIE, Action.OPEN_APPLICATION, "")
    again = opened_view(bot, 2)
    assert initial(again, "app_about") == "Projektleder <!channel> i ældreplejen."
    assert initial(again, "app_competencies") == "design, borgerinddragelse"
    bot.submit(NEWBIE, again, filled(app_wants="Mange ideer."))
    with session_factory() as s:
        (row,) = s.scalars(select(Application)).all()
        assert (row.wants, row.member.role, row.member.slack_user_id) == (
            "Mange ideer.",
            Role.APPLICANT,
            NEWBIE,
        )

    bot.clock.now = DEADLINE + timedelta(minutes=1)
    closed = bot.command("/network", "apply", user=NEWBIE).text
    assert "Ansøgningsfristen for" in closed and "overskredet" in closed
    late = bot.submit(NEWBIE, again, filled(app_wants="For sent."))
    assert "overskredet" in json.dumps(late.json()["errors"], ensure_ascii=False)
    with session_factory() as s:
        assert s.scalars(select(Application)).one().wants == "Mange ideer."


def test_the_facilitator_accepts_and_the_applicant_is_told_once(
    bot: Any, session_factory: sessionmaker[Session]
) -> None:
    open_applications(session_factory, seats=12)
    bot.command("/network", "ansøg", user=NEWBIE)
    bot.submit(NEWBIE, opened_view(bot), filled())

    refused = bot.command("/network", "ansøgninger", user=ANNA).text
    assert refused.startswith("Kun netværkets tovholdere")
    listing = bot.command("/network", "ansøgninger", user=FACILITATOR).json()["blocks"]
    texts = [b.get("text", {}).get("text", "") for b in listing]
    assert any("1 ansøgninger; 0 af 12 pladser besat" in x for x in texts)
    buttons = next(b for b in listing if b["type"] == "actions")["elements"]
    assert [b["action_id"] for b in buttons] == [
        Action.APPLICATION_ACCEPT,
        Action.APPLICATION_WAITLIST,
        Action.APPLICATION_DECLINE,
    ]
    usage = bot.command("/network", "ansøgninger flyt 1", user=FACILITATOR).text
    assert "fx `/network ansøgninger flyt 12 1`" in usage
    not_waiting = bot.command(
        "/network", f"ansøgninger flyt {buttons[0]['value']} 1", user=FACILITATOR
    )
    assert "er ikke på ventelisten" in not_waiting.text
    bot.click(ANNA, Action.APPLICATION_ACCEPT, buttons[0]["value"])  # not hers to decide
    bot.click(FACILITATOR, Action.APPLICATION_ACCEPT, buttons[0]["value"])
    decision = opened_view(bot, 2)
    assert len(bot.slack.calls_to("views.open")) == 2
    done = bot.submit(FACILITATOR, decision, text("app_message", "Glæder mig!")).json()
    assert done["response_action"] == "update"
    with session_factory() as s:
        row = s.scalars(select(Application)).one()
        assert row.status is ApplicationStatus.ACCEPTED and row.member.role is Role.MEMBER

    client = make_web_client(
        standin_settings(bot.slack.url, slack_bot_token="xoxb-e2e"), retry_ambiguous=False
    )
    for _ in range(2):  # the second pass sends nothing again
        run_nudge_pass(
            session_factory=session_factory,
            messenger=SlackMessenger(client),
            now=bot.clock.now,
            refresh_zones=False,
        )
    told = [
        c.params
        for c in bot.slack.calls_to("chat.postMessage")
        if "Velkommen" in json.dumps(c.params, ensure_ascii=False)
    ]
    assert len(told) == 1
    said = json.dumps(told[0], ensure_ascii=False)
    assert "6.000 kr." in said and "Glæder mig!" in said and "21. september 2015" in said
