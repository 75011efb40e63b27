"""Person pickers and person errors in a mixed network on Teams, through the real server: a
member on Teams picks a member who is on Slack only (the picker's value names members, not
Slack users), and errors name people by name, their markup inert."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from handlers.ids import Action
from models.network import Platform
from models.people import member_ref
from models.prep import PrepQuestion, question_field
from models.prep import QuestionField as Q
from models.sparring import SparringEntry
from tests.conftest import ANNA, BO, CAMILLA, person
from tests.teams.cards import mentions
from tests.teams.conftest import ANNA_TEAMS, TeamsBot
from tests.teams.test_teams_actions_e2e import (
    TUESDAY,
    _button,
    _dialog_card,
    _errors,
    _inputs,
    _invoke,
    _nudge,
    _nudge_card,
    _submit_data,
)
from tests.teams.test_teams_network_e2e import (  # noqa: F401  (the fixture)
    CAMILLA_TEAMS,
    FACIL_TEAMS,
    _mention,
    card_text,
    mixed,
    say,
)


def anna_on_teams_bo_on_slack(session_factory: sessionmaker[Session]) -> tuple[str, str]:
    """Anna leaves Slack for Teams, Bo is on Slack only; their picker values."""
    with session_factory() as s:
        anna, bo = person(s, ANNA), person(s, BO)
        anna.set_identity(Platform.SLACK, None)
        bo.set_identity(Platform.TEAMS, None)
        s.commit()
        return member_ref(anna), member_ref(bo)


def choices(card: dict[str, Any], field: str) -> dict[str, str]:
    """A picker's choices on the card: title -> value."""
    return {c["title"]: c["value"] for c in _inputs(card)[field].get("choices", [])}


def test_a_teams_member_logs_sparring_with_a_member_on_slack_only(
    teams_bot: TeamsBot, session_factory: sessionmaker[Session]
) -> None:
    anna, bo = anna_on_teams_bo_on_slack(session_factory)
    data = {"action": Action.OPEN_SPARRING, "value": "", "msteams": {"type": "task/fetch"}}
    card = _dialog_card(_invoke(teams_bot, ANNA_TEAMS, "task/fetch", {"data": data}))
    offered = choices(card, "sparring_receivers")
    assert offered["Bo Kjær"] == bo and anna not in offered.values()
    good = _submit_data(card, {"sparring_duration": "1t", "sparring_receivers": bo})
    done = _dialog_card(_invoke(teams_bot, ANNA_TEAMS, "task/submit", {"data": good}))
    assert _errors(done) == []
    assert "sparring med **Bo Kjær**" in str(done)  # by name on Teams
    with session_factory() as s:
        (entry,) = s.scalars(select(SparringEntry)).all()
        assert [r.member.slack_user_id for r in entry.receivers] == [BO]


def test_a_teams_member_asks_a_member_on_slack_only_in_the_prep_dialog(
    teams_bot: TeamsBot, session_factory: sessionmaker[Session]
) -> None:
    teams_bot.clock.now = TUESDAY
    _, bo = anna_on_teams_bo_on_slack(session_factory)
    with session_factory() as s:
        camilla = member_ref(person(s, CAMILLA))
    nudge_id = _nudge(session_factory, BO)  # (any nudge's card: the button's data is the same)
    open_p2 = _button(_nudge_card(session_factory, BO, nudge_id), Action.OPEN_PREP_P2)
    card = _dialog_card(_invoke(teams_bot, ANNA_TEAMS, "task/fetch", {"data": open_p2}))
    primary, secondary = question_field(1, Q.PRIMARY), question_field(1, Q.SECONDARY)
    assert choices(card, primary)["Bo Kjær (Roskilde Kommune)"] == bo
    typed = {question_field(1, Q.TEXT): "Hvordan?", primary: bo, secondary: camilla}
    answer = _invoke(teams_bot, ANNA_TEAMS, "task/submit", {"data": _submit_data(card, typed)})
    assert _errors(_dialog_card(answer)) == []
    with session_factory() as s:
        (question,) = s.scalars(select(PrepQuestion)).all()
        assert (question.primary.slack_user_id, question.secondary.slack_user_id) == (BO, CAMILLA)


def test_a_mention_of_someone_outside_the_network_is_named_inertly(
    teams_bot: TeamsBot,
) -> None:
    name = "Zed *fed* [klik](http://x)"
    (answer,) = say(
        teams_bot,
        ANNA_TEAMS,
        f"sparring 2t med <at>{name}</at>",
        entities=[_mention("29:1z", name)],
    )
    text = card_text(answer)
    assert text.startswith(
        "**Zed \\*fed\\* \\[klik\\](http://x)** er ikke medlem af dit netværk."
    ), text


def test_a_facilitator_adding_a_member_again_is_told_her_name(mixed: TeamsBot) -> None:  # noqa: F811
    name = "Camilla Østergaard"  # on Teams only
    (again,) = say(
        mixed,
        FACIL_TEAMS,
        'netværk tilføj <at>Camilla</at> org=Lejre leder="Mette Unik"',
        entities=[_mention(CAMILLA_TEAMS, "Camilla")],
    )
    # Camilla is on Teams: named by a real mention, its entity in the card.
    assert card_text(again).startswith(f"<at>{name}</at> er allerede medlem."), card_text(again)
    assert mentions(again) == [(f"<at>{name}</at>", CAMILLA_TEAMS)]
