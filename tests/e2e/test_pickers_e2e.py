"""Person pickers in a mixed network, through the real server: a member on Slack picks a
member who is on Teams only (the picker's value names members, not Slack users), and a
picked value that names nobody is refused with the person named, never an id."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from handlers.ids import Action
from models.network import Platform
from models.people import member_ref
from models.prep import PrepQuestion
from models.sparring import SparringEntry
from tests.conftest import ANNA, BO, CAMILLA, person
from tests.e2e.conftest import BotUnderTest
from tests.e2e.test_prep_e2e import full_form, opened_view, pick, text

BO_TEAMS = "29:1bo-on-teams-only"
# A name is typed data: markup in it stays inert wherever the name is shown.
HOSTILE_NAME = "Bo *fed* <!channel> <@U0ANNA0001>"


def bo_on_teams_only(session_factory: sessionmaker[Session], name: str = HOSTILE_NAME) -> str:
    """Bo leaves Slack for Teams (with a name full of markup); his picker value."""
    with session_factory() as s:
        bo = person(s, BO)
        bo.set_identity(Platform.SLACK, None)
        bo.set_identity(Platform.TEAMS, BO_TEAMS)
        bo.name = name
        s.commit()
        return member_ref(bo)


def options_of(view: dict[str, Any], block_id: str) -> dict[str, str]:
    """A picker's options: label -> value."""
    block = next(b for b in view["blocks"] if b.get("block_id") == block_id)
    return {o["text"]["text"]: o["value"] for o in block["element"]["options"]}


def receivers(values: list[str]) -> dict[str, Any]:
    chosen = [{"value": v, "text": {"type": "plain_text", "text": "x"}} for v in values]
    element = {"type": "multi_static_select", "selected_options": chosen}
    return {"sparring_receivers": {"value": element}}


def sparring_form(values: list[str]) -> dict[str, Any]:
    day = {"sparring_date": {"value": {"type": "datepicker", "selected_date": "2015-10-02"}}}
    return text("sparring_duration", "1t30m") | day | receivers(values)


def test_a_slack_member_logs_sparring_with_a_member_on_teams_only(
    bot: BotUnderTest, session_factory: sessionmaker[Session]
) -> None:
    bo = bo_on_teams_only(session_factory)
    bot.click(ANNA, Action.OPEN_SPARRING, "{}")
    view = opened_view(bot)
    offered = options_of(view, "sparring_receivers")
    with session_factory() as s:
        camilla = person(s, CAMILLA)
        assert offered[camilla.name] == member_ref(camilla)  # her label as before
    assert offered[HOSTILE_NAME] == bo  # Bo is offered although he has no Slack id
    body = bot.submit(ANNA, view, sparring_form([bo])).json()
    assert body["response_action"] == "update", body
    shown = body["view"]["blocks"][0]["text"]["text"]
    # Named by name (no Slack id to mention), his markup escaped: nothing comes alive.
    assert "sparring med Bo *fed* &lt;!channel&gt; &lt;@U0ANNA0001&gt; den 2. oktober" in shown
    assert "<!channel>" not in shown and "<@U0ANNA0001>" not in shown
    with session_factory() as s:
        (entry,) = s.scalars(select(SparringEntry)).all()
        assert [r.member.name for r in entry.receivers] == [HOSTILE_NAME]


def test_a_form_opened_before_the_change_still_sends_slack_ids(
    bot: BotUnderTest, session_factory: sessionmaker[Session]
) -> None:
    bot.click(ANNA, Action.OPEN_SPARRING, "{}")
    view = opened_view(bot)
    assert bot.submit(ANNA, view, sparring_form([BO])).json()["response_action"] == "update"
    with session_factory() as s:
        (entry,) = s.scalars(select(SparringEntry)).all()
        assert [r.member.slack_user_id for r in entry.receivers] == [BO]


def test_a_slack_member_asks_a_member_on_teams_only_in_the_prep_form(
    bot: BotUnderTest, session_factory: sessionmaker[Session]
) -> None:
    bo = bo_on_teams_only(session_factory, name="Bo Kjær")
    bot.command("/prep", "", user=ANNA)
    view = opened_view(bot)
    offered = options_of(view, "p2_q1_primary")
    assert bo in offered.values()
    with session_factory() as s:
        camilla = member_ref(person(s, CAMILLA))
    # New values for question 1, a Slack id (a form opened before) for Camilla in 2.
    form = full_form() | pick("p2_q1_primary", bo) | pick("p2_q1_secondary", camilla)
    form |= pick("p2_q2_primary", CAMILLA) | pick("p2_q2_secondary", bo)
    form |= pick("p2_q3_primary", bo) | pick("p2_q3_secondary", CAMILLA)
    assert bot.submit(ANNA, view, form).json()["response_action"] == "update"
    with session_factory() as s:
        questions = s.scalars(select(PrepQuestion).order_by(PrepQuestion.position)).all()
        assert [(q.primary.name, q.secondary.slack_user_id) for q in questions] == [
            ("Bo Kjær", CAMILLA),
            (person(s, CAMILLA).name, None),
            ("Bo Kjær", CAMILLA),
        ]
    # The form opens again with Bo chosen.
    bot.command("/prep", "", user=ANNA)
    again = opened_view(bot, 2)
    primary = next(b for b in again["blocks"] if b.get("block_id") == "p2_q1_primary")
    assert primary["element"]["initial_option"]["value"] == bo


def test_a_pick_that_names_nobody_is_refused_by_name(
    bot: BotUnderTest, session_factory: sessionmaker[Session]
) -> None:
    bo = bo_on_teams_only(session_factory)
    bot.click(ANNA, Action.OPEN_SPARRING, "{}")
    view = opened_view(bot)
    with session_factory() as s:  # Bo leaves the network while Anna's form is open
        next(m for m in person(s, ANNA).network.people if member_ref(m) == bo).active = False
        s.commit()
    body = bot.submit(ANNA, view, sparring_form([bo, "member:99999", "<!channel>"])).json()
    assert body["response_action"] == "errors"
    # A form's errors are plain text on Slack: people by name, as typed; no ids.
    assert body["errors"]["sparring_receivers"].startswith(
        f"{HOSTILE_NAME}, Den valgte person og Den valgte person er ikke medlem af dit netværk."
    )
    with session_factory() as s:
        assert s.scalars(select(SparringEntry)).all() == []
