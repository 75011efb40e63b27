"""Briefs the member owns, on Slack through the real server: `/prep brief` (for the manager,
and for the colleague who goes instead), the day-after question "what did your colleague bring
back?" sent by the nudge pass with its small form, and `/followup brief` afterwards."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from handlers.ids import Action, Block
from jobs.nudges import run_nudge_pass
from jobs.slack_messenger import SlackMessenger
from models.attendance import Attendance, AttendanceStatus, SubstituteField, set_attendance
from models.followup import log_followup
from models.prep import (
    ExampleInput,
    ExampleSource,
    QuestionInput,
    save_examples,
    save_manager_alignment,
    save_questions,
)
from tests.conftest import ANNA, BO, CAMILLA, SEASON_NOW, person
from tests.e2e.test_prep_e2e import opened_view, text
from tests.jobs.conftest import standin_client
from tests.slack_standin import dm_channel

DAY_AFTER = datetime(2015, 11, 18, 8, 0, tzinfo=UTC)  # 09:00 the day after meeting 2


@pytest.fixture
def prepared(session_factory: sessionmaker[Session], bot: Any) -> None:
    prepare(session_factory)


def prepare(session_factory: sessionmaker[Session]) -> None:
    """Anna prepared meeting 2 and sends her colleague Lise; Bo has a question for Anna."""
    now = SEASON_NOW
    with session_factory() as s:
        anna, bo = person(s, ANNA), person(s, BO)
        m2 = next(m for m in anna.network.meetings if m.number == 2)
        save_manager_alignment(
            session=s,
            member=anna,
            meeting=m2,
            aligned=True,
            agreed="Ideer til <b>klager</b>",
            now=now,
        )
        questions = [QuestionInput(i, f"Spørgsmål {i}", BO, CAMILLA) for i in (1, 2, 3)]
        save_questions(session=s, member=anna, meeting=m2, now=now, questions=questions)
        example = ExampleInput("new", "Klageportalen", "Idé", "", "", ExampleSource.OWN, False)
        save_examples(session=s, member=anna, meeting=m2, now=now, examples=[example])
        save_questions(
            session=s,
            member=bo,
            meeting=m2,
            now=now,
            questions=[QuestionInput(1, "Hvordan måler I klager?", ANNA, CAMILLA)],
        )
        set_attendance(
            session=s,
            member=anna,
            meeting=m2,
            status=AttendanceStatus.SUBSTITUTE,
            substitute_name="Lise Holm",
            substitute_email="lise@roskilde.dk",
            now=now,
        )
        s.commit()


def _texts(reply: dict[str, Any]) -> str:
    out = []
    for block in reply["blocks"]:
        if "text" in block:
            out.append(block["text"]["text"])
        for element in block.get("elements", []):
            if isinstance(element.get("text"), str):
                out.append(element["text"])
    return "\n".join(out)


def test_prep_brief_for_the_manager_and_the_colleague(bot: Any, prepared: None) -> None:
    brief = _texts(bot.command("/prep", "brief", user=ANNA).json())
    assert "Til din leder: møde 2" in brief
    assert "Det vil jeg have ud af mødet: Ideer til &lt;b&gt;klager&lt;/b&gt;" in brief
    assert "• Spørgsmål 1" in brief and "• Klageportalen" in brief
    assert "Til Lise Holm, der tager til møde 2 i mit sted" in brief
    assert "17. november 2015 kl. 10:00–13:00" in brief  # in Anna's zone
    assert "• Spørgsmål 1 → Bo Kjær (ellers Camilla Østergaard)" in brief
    assert "• Anna Lund: " not in brief and "• Bo Kjær: Hvordan måler I klager?" in brief
    assert "Tovholder skriver aldrig til din leder eller din kollega." in brief
    # Bo sends nobody: his brief is the manager's only.
    assert "i mit sted" not in _texts(bot.command("/prep", "brief", user=BO).json())


def test_colleague_report_through_the_day_after_message_and_followup_brief(
    bot: Any, prepared: None, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        anna = person(s, ANNA)
        log_followup(
            session=s,
            member=anna,
            on=date(2015, 11, 18),
            agreed="Vi prøver klageportalen",
            next_step="Møde i december",
            now=DAY_AFTER,
        )
        s.commit()
    bot.clock.now = DAY_AFTER
    run_nudge_pass(
        session_factory=session_factory,
        messenger=SlackMessenger(standin_client(bot.slack)),
        now=DAY_AFTER,
        refresh_zones=False,
    )
    (message,) = [
        c.params
        for c in bot.slack.calls_to("chat.postMessage")
        if c.params["channel"] == dm_channel(ANNA)
    ]
    asked = next(b for b in message["blocks"] if b.get("block_id") == Block.COLLEAGUE_REPORT)
    assert asked["text"]["text"] == (
        "Lise Holm tog til møde 2 i dit sted. Hvad fik din kollega med hjem?"
    )
    assert not any(
        b.get("block_id") == Block.COLLEAGUE_REPORT
        for c in bot.slack.calls_to("chat.postMessage")
        if c.params["channel"] == dm_channel(BO)
        for b in c.params["blocks"]
    )  # Bo sent nobody
    bot.click(ANNA, Action.OPEN_COLLEAGUE_REPORT, asked["accessory"]["value"])
    view = opened_view(bot)
    empty = bot.submit(ANNA, view, text(SubstituteField.REPORT, "  ")).json()
    assert empty["response_action"] == "errors"
    assert SubstituteField.REPORT in empty["errors"]
    saved = bot.submit(ANNA, view, text(SubstituteField.REPORT, "Tre idéer fra Gribskov"))
    assert saved.json()["response_action"] == "update"
    with session_factory() as s:
        (row,) = s.query(Attendance).filter_by(member_id=person(s, ANNA).id).all()
        assert row.substitute_report == "Tre idéer fra Gribskov"
    brief = _texts(bot.command("/followup", "brief", user=ANNA).json())
    assert "Til din leder: det tog jeg med hjem fra møde 2" in brief
    assert "• 18. november 2015: Vi prøver klageportalen — næste skridt: Møde i december" in brief
    assert "Min kollega Lise Holm tog afsted i mit sted og bragte med hjem: Tre idéer" in brief
    # Bo has logged nothing since: his brief says so and how.
    assert "Du har ikke registreret nogen opfølgning" in _texts(
        bot.command("/followup", "brief", user=BO).json()
    )
