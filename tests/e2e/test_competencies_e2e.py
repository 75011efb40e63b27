"""Competencies and the east/west exchange on Slack, end to end: `/network kompetencer` (the
form, its errors on the field), `/network hvem kan …`, the facilitator's spread, the
question pickers showing competencies, `/network del` with its buttons and `/network
søster` in the sister network."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from handlers.ids import Action, Callback
from models.competencies import CompetenciesField
from models.exchange import SisterShare
from models.network import Member, Role
from models.prep import PrepExample
from tests.blockkit import check_view
from tests.conftest import ANNA, BO, CAMILLA, FACILITATOR, SEASON_NOW, person
from tests.e2e.test_between_e2e import told
from tests.e2e.test_network_e2e import text_of, text_of_blocks
from tests.e2e.test_prep_e2e import opened_view, text
from tests.models.test_exchange import VERA, anna_prepares, link_sister

KEYWORDS, CONTRIBUTES = CompetenciesField.KEYWORDS, CompetenciesField.CONTRIBUTES


def _give(session_factory: sessionmaker[Session], who: str, keywords: list[str]) -> None:
    with session_factory.begin() as s:
        person(s, who).competencies = keywords


def test_a_member_edits_their_competencies_in_a_form(
    bot: Any, session_factory: sessionmaker[Session]
) -> None:
    assert bot.command("/network", "kompetencer", user=ANNA).body == ""
    view = opened_view(bot)
    assert check_view(view, "modal") == []
    assert view["callback_id"] == Callback.COMPETENCIES_MODAL
    too_long = text(KEYWORDS, "jura, " + "x" * 41) | text(CONTRIBUTES, "Sparring om GDPR")
    errors = bot.submit(ANNA, view, too_long).json()["errors"]
    assert list(errors) == [KEYWORDS]
    assert "højst 40 tegn" in errors[KEYWORDS]
    with session_factory() as s:
        assert person(s, ANNA).competencies == []  # nothing kept
    ok = text(KEYWORDS, " jura, GDPR , gdpr") | text(CONTRIBUTES, "Sparring om GDPR")
    saved = bot.submit(ANNA, view, ok).json()
    assert saved["response_action"] == "update"
    assert "jura, GDPR" in text_of_blocks(saved["view"]["blocks"])
    with session_factory() as s:
        anna = person(s, ANNA)
        assert (anna.competencies, anna.contributes) == (["jura", "GDPR"], "Sparring om GDPR")
    # The Home button opens the same form, filled in.
    bot.click(ANNA, Action.OPEN_COMPETENCIES, "{}")
    again = opened_view(bot, 2)
    filled = {
        b["block_id"]: b["element"].get("initial_value")
        for b in again["blocks"]
        if b.get("element")
    }
    assert filled[KEYWORDS] == "jura, GDPR"


def test_who_knows_finds_members_by_their_competencies(
    bot: Any, session_factory: sessionmaker[Session]
) -> None:
    _give(session_factory, BO, ["Jura", "økonomi"])
    _give(session_factory, CAMILLA, ["jurist"])
    found = text_of(bot.command("/network", "hvem kan jur", user=ANNA))
    assert found.startswith("*Hvem kan “jur”* — 2 personer:")
    assert found.index(f"<@{BO}>") < found.index(f"<@{CAMILLA}>")  # a keyword's start, by name
    assert f"• <@{BO}> (Roskilde Kommune) — Jura" in found
    english = text_of(bot.command("/network", "who knows oekonomi", user=ANNA))
    assert f"<@{BO}>" in english and CAMILLA not in english
    nobody = bot.command("/network", "hvem kan astrofysik", user=ANNA).json()
    assert "Ingen i netværket" in text_of_blocks(nobody.get("blocks", [])) + nobody["text"]
    empty = bot.command("/network", "hvem kan", user=ANNA).json()["text"]
    assert "Skriv, hvad du leder efter" in empty
    outsider = bot.command("/network", "hvem kan jura", user="U0OUTSIDER").json()["text"]
    assert outsider == "Kun medlemmer af et netværk kan bruge denne del af `/network`."


def test_the_facilitator_sees_the_spread_and_a_member_does_not(
    bot: Any, session_factory: sessionmaker[Session]
) -> None:
    _give(session_factory, BO, ["Jura", "GDPR"])
    _give(session_factory, CAMILLA, ["gdpr"])
    spread = text_of(bot.command("/network", "kompetencer oversigt", user=FACILITATOR))
    assert "2 af 10 medlemmer har skrevet deres" in spread
    assert "• GDPR: 2" in spread and "• Jura: 1" in spread
    assert "*Ingen kompetencer endnu:*" in spread and f"<@{ANNA}>" in spread
    member = bot.command("/network", "kompetencer oversigt", user=ANNA).json()["text"]
    assert member == "Kun netværkets tovholdere kan bruge `/network`."


def test_the_question_pickers_show_competencies(
    bot: Any, session_factory: sessionmaker[Session]
) -> None:
    _give(session_factory, BO, ["Jura", "GDPR"])
    bot.command("/prep", "", user=ANNA)
    view = opened_view(bot)
    labels = {
        o["text"]["text"]
        for b in view["blocks"]
        if b.get("element", {}).get("type") == "static_select"
        for o in b["element"]["options"]
    }
    assert "Bo Kjær (Roskilde Kommune) — Jura, GDPR" in labels
    assert "Camilla Østergaard (Gribskov Kommune)" in labels


def test_sharing_with_the_sister_network_and_reading_what_it_shared(
    bot: Any, session_factory: sessionmaker[Session]
) -> None:
    assert "ikke et søsternetværk" in bot.command("/network", "del", user=ANNA).json()["text"]
    with session_factory() as s:
        link_sister(s)
        example_id, _ = anna_prepares(s)
    listed = bot.command("/network", "del", user=ANNA).json()
    buttons = [
        b["accessory"] for b in listed["blocks"] if b.get("accessory", {}).get("type") == "button"
    ]
    assert (buttons[0]["action_id"], buttons[0]["value"]) == (
        Action.SISTER_SHARE,
        f"example:{example_id}",
    )
    assert [b["action_id"] for b in buttons] == [Action.SISTER_SHARE, Action.SISTER_SHARE]
    bot.click(ANNA, Action.SISTER_SHARE, f"example:{example_id}")
    assert told(bot).startswith("Dit eksempel er delt med søsternetværket.")
    bot.click(BO, Action.SISTER_SHARE, f"example:{example_id}")  # not his
    assert told(bot, 2) == "Du kan kun dele dine egne eksempler og spørgsmål."
    with session_factory() as s:
        (row,) = s.scalars(select(SisterShare)).all()
        assert row.member_id == person(s, ANNA).id
    sister = text_of(bot.command("/network", "søster", user=VERA))
    assert f"Eksempel fra <@{ANNA}> (Roskilde Kommune), møde 2" in sister
    assert "*Borgerpanel*" in sister
    bot.click(ANNA, Action.SISTER_WITHDRAW, f"example:{example_id}")
    assert told(bot, 3) == "Dit eksempel er ikke længere delt med søsternetværket."
    nothing = bot.command("/network", "sister", user=VERA).json()["text"]
    assert "har ikke delt noget endnu" in nothing
    with session_factory() as s:
        assert s.scalars(select(PrepExample)).one().id == example_id  # the example stays hers


def test_a_long_answer_pages_on_and_typed_text_stays_text(
    bot: Any, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        link_sister(s)
        vest = s.query(Member).filter_by(name="Vera Vest").one().network
        for i in range(40):
            vest.people.append(
                Member(
                    slack_user_id=f"U0VESTX{i:03d}",
                    role=Role.MEMBER,
                    name=f"Vest {i:02d}",
                    organisation="Aarhus",
                    competencies=["jura"],
                    created_at=SEASON_NOW,
                    updated_at=SEASON_NOW,
                )
            )
        s.commit()
    first = text_of(bot.command("/network", "hvem kan jura", user=ANNA))
    assert first.startswith("*Hvem kan “jura”* — 40 personer:")
    assert "søsternetværket: Netværk Vest" in first
    assert "… og 16 flere. Se dem med `/network hvem kan jura 2`" in first
    second = text_of(bot.command("/network", "hvem kan jura 2", user=ANNA))
    assert "U0VESTX039" in second and "U0VESTX000" not in second
    hostile = bot.command("/network", "hvem kan &lt;!channel&gt;", user=ANNA).json()
    shown = hostile["text"] + text_of_blocks(hostile.get("blocks", []))
    assert "&lt;!channel&gt;" in shown and "<!channel>" not in shown
