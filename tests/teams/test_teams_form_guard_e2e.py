"""A form card typed for in the Teams chat is saved once: pressed twice before the bot replaced
the card, or sent again with what was saved from it, the second submission saves nothing;
one that only showed errors gives the card back, so the corrected form saves."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from handlers.teams.actions import form_card_keys
from models.followup import FollowupField, ManagerFollowUp
from models.prep import PrepQuestion, question_field
from models.prep import QuestionField as Q
from models.replay import SeenRequest
from tests.conftest import BO, CAMILLA
from tests.teams.conftest import ANNA_TEAMS, TeamsBot, personal_conversation
from tests.teams.test_teams_actions_e2e import TUESDAY, _inputs, _submit_data, _under

TEXT, PRIMARY = question_field(1, Q.TEXT), question_field(1, Q.PRIMARY)
SECONDARY = question_field(1, Q.SECONDARY)
TYPED = "Hvordan får vi alle med?"


def _prep_card(teams_bot: TeamsBot) -> tuple[dict[str, Any], str]:
    """`prep` typed: the form card the bot posted, and its activity id."""
    teams_bot.clock.now = TUESDAY
    assert teams_bot.send(teams_bot.activity(ANNA_TEAMS, text="prep")).status == 200
    (posted,) = teams_bot.teams.sent
    return posted.body["attachments"][0]["content"], str(posted.activity_id)


def _send(teams_bot: TeamsBot, value: dict[str, Any], card_id: str) -> list[dict[str, Any]]:
    """The card sent as Teams reports it; the cards the bot put in its place."""
    teams_bot.teams.reset()
    activity = teams_bot.activity(ANNA_TEAMS, value=value, replyToId=card_id)
    assert teams_bot.send(activity).status == 200
    assert teams_bot.teams.messages() == []
    updates = [s for s in teams_bot.teams.sent if s.method == "PUT"]
    for update in updates:
        assert update.path.endswith(f"/{personal_conversation(ANNA_TEAMS)}/activities/{card_id}")
    return [u.body["attachments"][0]["content"] for u in updates]


def _questions(session_factory: sessionmaker[Session]) -> list[tuple[str, str | None]]:
    with session_factory() as s:
        return [(q.text, q.primary.slack_user_id) for q in s.scalars(select(PrepQuestion))]


def test_a_form_card_sent_twice_saves_once(
    teams_bot: TeamsBot, session_factory: sessionmaker[Session]
) -> None:
    card, card_id = _prep_card(teams_bot)
    value = _submit_data(card, {TEXT: TYPED, PRIMARY: BO, SECONDARY: CAMILLA})
    assert len(_send(teams_bot, value, card_id)) == 1  # saved: the card shows it
    assert _send(teams_bot, value, card_id) == []  # the same again: nothing done
    assert _questions(session_factory) == [(TYPED, BO)]


def test_a_form_card_with_errors_then_corrected_saves_once(
    teams_bot: TeamsBot, session_factory: sessionmaker[Session]
) -> None:
    card, card_id = _prep_card(teams_bot)
    wrong = _submit_data(card, {TEXT: TYPED})
    (again,) = _send(teams_bot, wrong, card_id)
    assert _under(again, PRIMARY) == ["Vælg, hvem du helst vil spørge."]
    (again,) = _send(teams_bot, wrong, card_id)  # the same mistake: shown again, not saved
    assert _questions(session_factory) == []
    corrected = _submit_data(again, {TEXT: TYPED, PRIMARY: BO, SECONDARY: CAMILLA})
    assert len(_send(teams_bot, corrected, card_id)) == 1
    assert _send(teams_bot, corrected, card_id) == []
    assert _questions(session_factory) == [(TYPED, BO)]
    with session_factory() as s:  # only the saved submission's key stays
        keys = s.scalars(select(SeenRequest.key).where(SeenRequest.key.contains("teams-form")))
        assert [k.split(":")[1] for k in keys] == ["teams-form-saved"]


def test_a_form_card_sent_while_it_is_handled_saves_nothing(
    teams_bot: TeamsBot, session_factory: sessionmaker[Session]
) -> None:
    card, card_id = _prep_card(teams_bot)
    value = _submit_data(card, {TEXT: TYPED, PRIMARY: BO, SECONDARY: CAMILLA})
    activity = teams_bot.activity(ANNA_TEAMS, value=value, replyToId=card_id)
    keys = form_card_keys(activity, value)
    assert keys is not None
    with session_factory() as s:  # the first press is being handled (another instance)
        s.add(SeenRequest(key=keys[0], seen_at=TUESDAY))
        s.commit()
    other = {**value, TEXT: "Noget andet"}  # even with other values: the card is busy
    assert _send(teams_bot, other, card_id) == []
    assert _questions(session_factory) == []
    with session_factory() as s:  # the first one done (it showed errors, say)
        s.delete(s.get_one(SeenRequest, keys[0]))
        s.commit()
    assert len(_send(teams_bot, value, card_id)) == 1
    assert _questions(session_factory) == [(TYPED, BO)]


def test_a_followup_card_sent_twice_saves_one_followup(
    teams_bot: TeamsBot, session_factory: sessionmaker[Session]
) -> None:
    """The double press that was seen: two follow-up rows from one card."""
    teams_bot.clock.now = TUESDAY
    assert teams_bot.send(teams_bot.activity(ANNA_TEAMS, text="opfølgning")).status == 200
    (posted,) = teams_bot.teams.sent
    card, card_id = posted.body["attachments"][0]["content"], str(posted.activity_id)
    assert FollowupField.AGREED in _inputs(card)
    value = _submit_data(card, {FollowupField.AGREED: "Vi aftalte at prøve portalen"})
    assert len(_send(teams_bot, value, card_id)) == 1
    assert _send(teams_bot, value, card_id) == []
    with session_factory() as s:
        (followup,) = s.scalars(select(ManagerFollowUp)).all()
        assert followup.agreed == "Vi aftalte at prøve portalen"


def test_a_followup_card_sent_twice_at_once_saves_one_followup(
    teams_bot: TeamsBot, session_factory: sessionmaker[Session]
) -> None:
    """Both presses in flight together: whichever claims the card first saves."""
    teams_bot.clock.now = TUESDAY
    assert teams_bot.send(teams_bot.activity(ANNA_TEAMS, text="opfølgning")).status == 200
    (posted,) = teams_bot.teams.sent
    card, card_id = posted.body["attachments"][0]["content"], str(posted.activity_id)
    value = _submit_data(card, {FollowupField.AGREED: "Vi aftalte at prøve portalen"})
    presses = [teams_bot.activity(ANNA_TEAMS, value=value, replyToId=card_id) for _ in "ab"]
    with ThreadPoolExecutor(2) as pool:
        replies = list(pool.map(teams_bot.send, presses))
    assert [r.status for r in replies] == [200, 200]
    with session_factory() as s:
        assert len(s.scalars(select(ManagerFollowUp)).all()) == 1


def test_a_form_cards_save_and_its_saved_mark_go_in_with_one_commit(
    teams_bot: TeamsBot, session_factory: sessionmaker[Session]
) -> None:
    """Saved and marked saved in one transaction: no moment after the save (a stop, a crash)
    leaves it unmarked, for an identical resend to save again once the busy claim expired."""
    card, card_id = _prep_card(teams_bot)
    value = _submit_data(card, {TEXT: TYPED, PRIMARY: BO, SECONDARY: CAMILLA})
    engine = session_factory.kw["bind"]
    transactions: list[list[str]] = []  # the tables each transaction inserted into
    open_on: dict[int, list[str]] = {}  # a connection's current transaction

    def began(connection: Any) -> None:
        transactions.append([])
        open_on[id(connection)] = transactions[-1]

    def inserts(connection: Any, _cursor: Any, sql: str, *_rest: Any) -> None:
        words = sql.split()
        if id(connection) in open_on and words[0].upper() == "INSERT":
            open_on[id(connection)].append(words[2].strip('"'))

    event.listen(engine, "begin", began)
    event.listen(engine, "before_cursor_execute", inserts)
    try:
        assert len(_send(teams_bot, value, card_id)) == 1
    finally:
        event.remove(engine, "begin", began)
        event.remove(engine, "before_cursor_execute", inserts)
    saving = [t for t in transactions if PrepQuestion.__tablename__ in t]
    assert len(saving) == 1 and SeenRequest.__tablename__ in saving[0], transactions
    assert _questions(session_factory) == [(TYPED, BO)]
