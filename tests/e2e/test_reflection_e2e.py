"""Reflection after each meeting, end to end on Slack: `/reflection` and the day-after button
open the short form; it keeps what was typed with an error, saves, opens again filled in; the
facilitator's `/network refleksioner` collects it, anonymous unless agreed, with what the
sister network shared."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from handlers.ids import Action
from models.export import export_tables
from models.network import Role
from models.reflection import Reflection, ReflectionInput, save_reflection
from tests.blockkit import check_view
from tests.conftest import ANNA, BO, FACILITATOR, SEASON_NOW, add_second_network, person
from tests.e2e.test_prep_e2e import opened_view, text


def text_of(reply: Any) -> str:
    return "\n".join(b["text"]["text"] for b in reply.json()["blocks"] if "text" in b)


def boxes(*values: str) -> dict[str, Any]:
    chosen = [{"value": v, "text": {"type": "plain_text", "text": "x"}} for v in values]
    return {"reflection_consent": {"value": {"type": "checkboxes", "selected_options": chosen}}}


def test_the_reflection_form_errors_saves_and_opens_again_filled(
    bot: Any, session_factory: sessionmaker[Session]
) -> None:
    assert bot.command("/reflection", "", user=ANNA).body == ""
    view = opened_view(bot)
    assert check_view(view, "modal") == []
    assert "Møde 1." in json.dumps(view, ensure_ascii=False)  # the last meeting held
    empty = text("reflection_common", " ") | text("reflection_some", "") | boxes()
    assert bot.submit(ANNA, view, empty).json()["errors"] == {
        "reflection_common": "Skriv et svar på mindst ét af de tre spørgsmål."
    }
    answers = (
        text("reflection_common", "Alle kæmper med <b>tid</b>")
        | text("reflection_some", "")
        | text("reflection_particular", "Vi har en borgerservice i hver by")
        | boxes("named")
    )
    assert bot.submit(ANNA, view, answers).json()["response_action"] == "update"
    with session_factory() as s:
        (row,) = s.scalars(select(Reflection)).all()
        assert (row.common, row.some, row.named, row.share_with_sister) == (
            "Alle kæmper med <b>tid</b>",
            "",
            True,
            False,
        )
        meeting_id = row.meeting_id
    bot.click(ANNA, Action.OPEN_REFLECTION, json.dumps({"nudge": 0, "meeting": meeting_id}))
    again = opened_view(bot, 2)
    common = next(b for b in again["blocks"] if b.get("block_id") == "reflection_common")
    assert common["element"]["initial_value"] == "Alle kæmper med <b>tid</b>"
    consent = next(b for b in again["blocks"] if b.get("block_id") == "reflection_consent")
    assert [o["value"] for o in consent["element"]["initial_options"]] == ["named"]
    bad = bot.command("/reflection", "9", user=ANNA).json()["text"]
    assert bad.startswith("Der er intet møde 9. Møderne er 1–4.")
    assert "`/reflection 2`" in bot.command("/reflection", "hjælp", user=ANNA).json()["text"]


def test_the_facilitator_collects_them_anonymous_unless_agreed(
    bot: Any, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        anna, bo = person(s, ANNA), person(s, BO)
        m1 = next(m for m in anna.network.meetings if m.number == 1)
        save_reflection(
            session=s,
            member=anna,
            meeting=m1,
            data=ReflectionInput("Fælles *tid*", "", "", named=True),
            now=SEASON_NOW,
        )
        save_reflection(
            session=s,
            member=bo,
            meeting=m1,
            data=ReflectionInput("", "Nogle har budget", "Roskilde er lille"),
            now=SEASON_NOW,
        )
        s.commit()
    shown = text_of(bot.command("/network", "refleksioner 1", user=FACILITATOR))
    assert shown.startswith("*Refleksioner over møde 1* (2 svar)")
    assert f"• *<@{ANNA}>*\nFælles for alle: Fælles *tid*" in shown  # named: she agreed
    assert "Bo Kjær" not in shown and "• *Et medlem*\nFælles for nogle: Nogle har budget" in shown
    assert "Særligt for deres organisation: Roskilde er lille" in shown
    refused = bot.command("/network", "refleksioner", user=ANNA).json()["text"]
    assert refused == "Kun netværkets tovholdere kan bruge `/network`."
    with session_factory() as s:  # the export's sheet: the name only where agreed
        tables = export_tables(session=s, network=person(s, ANNA).network)
    assert tables["reflections"][1:] == [
        [1, "Anna Lund", "Fælles *tid*", "", "", False],
        [1, "", "", "Nogle har budget", "Roskilde er lille", False],
    ]


def test_the_sister_network_sees_only_what_was_shared(
    bot: Any, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        east = person(s, ANNA).network
        west = add_second_network(
            s,
            key="vest-2015-16",
            name="Netværk Vest",
            theme="Vestmøde",
            sister_key=east.key,
            people=[
                ("U0VESTMEM1", Role.MEMBER, "Vera Vest"),
                ("U0VESTMEM2", Role.MEMBER, "Villy Vest"),
            ],
        )
        east.sister_key = west.key
        (w1,) = [m for m in west.meetings if m.number == 1]
        for who, shared in (("U0VESTMEM1", True), ("U0VESTMEM2", False)):
            save_reflection(
                session=s,
                member=person(s, who),
                meeting=w1,
                data=ReflectionInput(f"Fra {who}", "", "", share_with_sister=shared),
                now=SEASON_NOW,
            )
        s.commit()
    shown = text_of(bot.command("/network", "refleksioner 1", user=FACILITATOR))
    assert "*Delt af søsternetværket Netværk Vest* (1 refleksion)" in shown
    assert "Fra U0VESTMEM1" in shown and "Fra U0VESTMEM2" not in shown
    assert "Vera Vest" not in shown  # shared, but not with her name
    # East's members see it too; West's see nothing of East, which shared nothing.
    mine = text_of(bot.command("/reflection", "delt 1", user=ANNA))
    assert mine.startswith("*Delt af søsternetværket Netværk Vest* (1 refleksion)")
    assert "Fra U0VESTMEM1" in mine and "Fra U0VESTMEM2" not in mine
    theirs = bot.command("/reflection", "delt 1", user="U0VESTMEM2").json()
    assert theirs["text"] == ("Søsternetværket har ikke delt nogen refleksioner over sit møde 1.")
