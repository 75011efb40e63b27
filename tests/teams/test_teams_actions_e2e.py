"""Buttons, dialogs and pickers on Teams, through the real server: a card's button as Teams
sends it (a message activity with the button's data as `value`, or a `task/fetch` invoke),
the dialog's submit, the typeahead's search — each doing what Slack's listener does, every
card and dialog the bot answers with one Teams accepts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from microsoft_teams.api.models.search import SearchResponse
from microsoft_teams.api.models.task_module import TaskModuleResponse
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.teams_server import activity_key
from handlers import teams_render
from handlers.catalogue import surface
from handlers.ids import Action, Callback, Field
from handlers.nudges import build_prep_nudge
from models.attendance import Attendance, AttendanceStatus
from models.followup import ManagerFollowUp
from models.nudges import Nudge, NudgeKind
from models.people import member_ref
from models.prep import Preparation, PrepQuestion, prep_status, question_field
from models.prep import QuestionField as Q
from models.reflection import Reflection
from models.replay import SeenRequest
from models.sparring import SparringEntry, SparringReceiver, log_sparring_with_total
from tests.conftest import ANNA, BO, CAMILLA, FACILITATOR, SEASON_NOW, person
from tests.handlers.test_teams_render import check_card
from tests.teams.conftest import (
    ANNA_TEAMS,
    BO_AAD,
    BO_TEAMS,
    STRANGER,
    TeamsBot,
    personal_conversation,
)

TUESDAY = datetime(2015, 11, 3, 8, 5, tzinfo=UTC)  # meeting 2 is on 17 November


def _nudge(session_factory: sessionmaker[Session], slack_id: str) -> int:
    """A kick-off nudge for meeting 2 in the outbox."""
    with session_factory() as s:
        member = person(s, slack_id)
        meeting = next(m for m in member.network.meetings if m.number == 2)
        nudge = Nudge(
            member_id=member.id,
            meeting_id=meeting.id,
            kind=NudgeKind.PREP_KICKOFF,
            due_at=datetime(2015, 11, 3, 8, tzinfo=UTC),
            created_at=datetime(2015, 11, 3, 8, tzinfo=UTC),
        )
        s.add(nudge)
        s.commit()
        return nudge.id


def _nudge_card(session_factory: sessionmaker[Session], slack_id: str, nudge_id: int) -> Any:
    """The kick-off card as the Teams messenger posts it."""
    with session_factory() as s, surface("teams"):
        member = person(s, slack_id)
        meeting = next(m for m in member.network.meetings if m.number == 2)
        message = build_prep_nudge(
            member.lang,
            kind=NudgeKind.PREP_KICKOFF,
            member=member,
            status=prep_status(session=s, member=member, meeting=meeting),
            nudge_id=nudge_id,
            now=TUESDAY,
        )
        assert message is not None
        (card,) = teams_render.message_cards(message)
        return card


def _button(card: dict[str, Any], action: str) -> dict[str, Any]:
    """The data of the card's button for `action`."""
    for element in _walk(card):
        if element.get("type") == "Action.Submit" and element["data"].get("action") == action:
            data: dict[str, Any] = element["data"]
            return data
    raise AssertionError(f"no {action} button")


def _walk(obj: Any) -> list[dict[str, Any]]:
    if isinstance(obj, list):
        return [e for item in obj for e in _walk(item)]
    if not isinstance(obj, dict):
        return []
    return [obj, *(e for v in obj.values() for e in _walk(v))]


def _press(teams_bot: TeamsBot, user: str, data: dict[str, Any], aad: str | None = None) -> None:
    """Press a card's button as Teams reports it: a message with the data, without text."""
    activity = teams_bot.activity(user, aad, value=data, replyToId="1card")
    assert teams_bot.send(activity).status == 200


def _invoke(teams_bot: TeamsBot, user: str, name: str, value: dict[str, Any]) -> dict[str, Any]:
    reply = teams_bot.send(teams_bot.activity(user, type="invoke", name=name, value=value))
    assert reply.status == 200
    return reply.json()


def _replies(teams_bot: TeamsBot, user: str) -> list[str]:
    """The text of each card the bot answered with (each card checked)."""
    texts = []
    for sent in teams_bot.teams.messages(personal_conversation(user)):
        for attachment in sent["attachments"]:
            assert check_card(attachment["content"]) == []
            blocks = [e for e in _walk(attachment["content"]) if e.get("type") == "TextBlock"]
            texts.append(" ".join(b["text"] for b in blocks))
    return texts


def _dialog_card(answer: dict[str, Any]) -> dict[str, Any]:
    """The card of a dialog answer, checked by Microsoft's models and Teams' limits."""
    TaskModuleResponse.model_validate(answer)
    assert answer["task"]["type"] == "continue"
    card: dict[str, Any] = answer["task"]["value"]["card"]["content"]
    assert check_card(card) == []
    return card


def _inputs(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["id"]: e for e in _walk(card) if str(e.get("type")).startswith("Input.")}


def _submit_data(card: dict[str, Any], typed: dict[str, str]) -> dict[str, Any]:
    """What Teams sends when the dialog's send button is pressed: its data and the inputs."""
    send = next(a for a in card["actions"] if "metadata" in a["data"])
    shown = {k: str(e.get("value", "")) for k, e in _inputs(card).items()}
    return {**send["data"], **shown, **typed}


def _under(card: dict[str, Any], field: str) -> list[str]:
    """The errors shown between `field` and the next input."""
    body = card["body"]
    start = next(i for i, e in enumerate(body) if e.get("id") == field)
    after = []
    for element in body[start + 1 :]:
        if str(element.get("type")).startswith("Input."):
            break
        after += [element["text"]] if element.get("color") == "Attention" else []
    return after


def _errors(card: dict[str, Any]) -> list[str]:
    return [e["text"] for e in _walk(card) if e.get("color") == "Attention"]


def test_snooze_on_a_nudge_card_snoozes_once_even_pressed_twice(
    teams_bot: TeamsBot, session_factory: sessionmaker[Session]
) -> None:
    teams_bot.clock.now = TUESDAY
    nudge_id = _nudge(session_factory, ANNA)
    snooze = _button(_nudge_card(session_factory, ANNA, nudge_id), Action.SNOOZE_THREE_DAYS)
    assert "msteams" not in snooze  # acts at once: a message, no dialog
    _press(teams_bot, ANNA_TEAMS, snooze)
    _press(teams_bot, ANNA_TEAMS, snooze)
    assert _replies(teams_bot, ANNA_TEAMS) == [
        "Jeg minder dig igen fredag den 6. november kl. 09:00.",
        "Du har allerede bedt om en påmindelse.",
    ]
    with session_factory() as s:
        rows = s.scalars(select(Nudge).order_by(Nudge.seq)).all()
        assert [(r.seq, r.due_at) for r in rows] == [
            (0, datetime(2015, 11, 3, 8, tzinfo=UTC)),
            (1, datetime(2015, 11, 6, 8, tzinfo=UTC)),  # Fri 6 Nov, 09:00 in Copenhagen
        ]


def test_a_member_cannot_act_on_anothers_nudge(
    teams_bot: TeamsBot, session_factory: sessionmaker[Session]
) -> None:
    teams_bot.clock.now = TUESDAY
    nudge_id = _nudge(session_factory, ANNA)
    card = _nudge_card(session_factory, ANNA, nudge_id)
    _press(teams_bot, BO_TEAMS, _button(card, Action.SNOOZE_TOMORROW), aad=BO_AAD)
    assert teams_bot.teams.messages() == []
    with session_factory() as s:
        assert len(s.scalars(select(Nudge)).all()) == 1


def test_the_prep_dialog_keeps_what_was_typed_with_the_error_and_saves_as_slack_does(
    teams_bot: TeamsBot, session_factory: sessionmaker[Session]
) -> None:
    teams_bot.clock.now = TUESDAY
    nudge_id = _nudge(session_factory, ANNA)
    open_p2 = _button(_nudge_card(session_factory, ANNA, nudge_id), Action.OPEN_PREP_P2)
    assert open_p2["msteams"] == {"type": "task/fetch"}
    card = _dialog_card(_invoke(teams_bot, ANNA_TEAMS, "task/fetch", {"data": open_p2}))
    text, primary = question_field(1, Q.TEXT), question_field(1, Q.PRIMARY)
    secondary = question_field(1, Q.SECONDARY)
    assert {text, primary} <= set(_inputs(card))
    typed = "Hvordan **får** vi <at>alle</at> med?\nOg [hvem](http://x) betaler?"
    answer = _invoke(
        teams_bot, ANNA_TEAMS, "task/submit", {"data": _submit_data(card, {text: typed})}
    )
    again = _dialog_card(answer)
    assert _inputs(again)[text]["value"] == typed  # kept exactly, as data
    assert _under(again, primary) == ["Vælg, hvem du helst vil spørge."]  # on its field
    assert _errors(again) == [
        "Vælg, hvem du helst vil spørge.",
        "Vælg en sekundær person, hvis den primære ikke kan.",
    ]
    with session_factory() as s:
        assert s.scalars(select(PrepQuestion)).all() == []
    answer = _invoke(
        teams_bot,
        ANNA_TEAMS,
        "task/submit",
        {"data": _submit_data(again, {text: typed, primary: BO, secondary: CAMILLA})},
    )
    saved = _dialog_card(answer)
    assert "actions" in saved and len(saved["actions"]) == 1  # the saved view: only close
    with session_factory() as s:
        (question,) = s.scalars(select(PrepQuestion)).all()
        assert (question.text, question.primary.slack_user_id) == (typed, BO)
        assert question.member.slack_user_id == ANNA
    close = {"data": saved["actions"][0]["data"]}
    closed = teams_bot.send(
        teams_bot.activity(ANNA_TEAMS, type="invoke", name="task/submit", value=close)
    )
    assert (closed.status, closed.body) == (200, "")  # no answer: the dialog closes


def _sent_in_chat(teams_bot: TeamsBot, user: str, value: dict[str, Any], card_id: str) -> Any:
    """A form card in the chat sent as Teams reports it (a message with the card's data and
    inputs, replying to the card); the card the bot put in its place (checked)."""
    teams_bot.teams.reset()
    activity = teams_bot.activity(user, value=value, replyToId=card_id)
    assert teams_bot.send(activity).status == 200
    assert teams_bot.teams.messages() == []  # no new message: the card itself changes
    (update,) = [s for s in teams_bot.teams.sent if s.method == "PUT"]
    assert update.path.endswith(f"/{personal_conversation(user)}/activities/{card_id}")
    (attachment,) = update.body["attachments"]
    assert check_card(attachment["content"]) == []
    return attachment["content"]


def test_a_form_typed_for_in_the_chat_keeps_what_was_typed_and_saves_in_its_card(
    teams_bot: TeamsBot, session_factory: sessionmaker[Session]
) -> None:
    """`prep` typed: the form comes as a card in the chat, not a dialog. Sent, it is saved as
    the dialog is (it was answered "not understood", and what was typed lost)."""
    teams_bot.clock.now = TUESDAY
    asked = teams_bot.activity(ANNA_TEAMS, text="prep")
    assert teams_bot.send(asked).status == 200
    (posted,) = teams_bot.teams.sent
    card, card_id = posted.body["attachments"][0]["content"], str(posted.activity_id)
    assert [a["data"].get("close") for a in card["actions"]] == [None]  # nothing to close
    text, primary = question_field(1, Q.TEXT), question_field(1, Q.PRIMARY)
    secondary = question_field(1, Q.SECONDARY)
    typed = "Hvordan får vi <at>alle</at> med?"
    again = _sent_in_chat(teams_bot, ANNA_TEAMS, _submit_data(card, {text: typed}), card_id)
    assert _inputs(again)[text]["value"] == typed
    assert _under(again, primary) == ["Vælg, hvem du helst vil spørge."]
    with session_factory() as s:
        assert s.scalars(select(PrepQuestion)).all() == []
    chosen = {text: typed, primary: BO, secondary: CAMILLA}
    saved = _sent_in_chat(teams_bot, ANNA_TEAMS, _submit_data(again, chosen), card_id)
    assert "actions" not in saved and _errors(saved) == []
    with session_factory() as s:
        (question,) = s.scalars(select(PrepQuestion)).all()
        assert (question.text, question.primary.slack_user_id) == (typed, BO)


def test_attendance_yes_on_a_card_is_saved_and_answered(
    teams_bot: TeamsBot, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        meeting = next(m for m in person(s, ANNA).network.meetings if m.number == 2)
        value = json.dumps({"nudge": 0, "meeting": meeting.id})
    _press(teams_bot, ANNA_TEAMS, {"action": Action.ATTEND_YES, "value": value})
    assert _replies(teams_bot, ANNA_TEAMS) == ["Tak — du er meldt til møde 2."]
    with session_factory() as s:
        (row,) = s.scalars(select(Attendance)).all()
        assert row.status is AttendanceStatus.YES


def test_a_form_button_from_an_older_card_offers_the_dialog(teams_bot: TeamsBot) -> None:
    _press(teams_bot, ANNA_TEAMS, {"action": Action.OPEN_SPARRING, "value": "{}"})
    (sent,) = teams_bot.teams.messages()
    card = sent["attachments"][0]["content"]
    assert check_card(card) == []
    assert _button(card, Action.OPEN_SPARRING)["msteams"] == {"type": "task/fetch"}


def test_a_dialog_for_every_form_button_is_one_teams_accepts(
    teams_bot: TeamsBot, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        meeting = next(m for m in person(s, ANNA).network.meetings if m.number == 2)
        value = json.dumps({"meeting": meeting.id})
    for action in (
        Action.OPEN_PREP_ALL,
        Action.AWAY,
        Action.OPEN_SPARRING,
        Action.OPEN_FOLLOWUP,
        Action.OPEN_SPREAD,
        Action.ATTEND_SUBSTITUTE,
        Action.OPEN_REFLECTION,
    ):
        data = {"action": action, "value": value, "msteams": {"type": "task/fetch"}}
        card = _dialog_card(_invoke(teams_bot, ANNA_TEAMS, "task/fetch", {"data": data}))
        assert _inputs(card), action


def test_the_reflection_dialog_keeps_what_was_typed_and_saves_as_slack_does(
    teams_bot: TeamsBot, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        meeting = next(m for m in person(s, ANNA).network.meetings if m.number == 1)
        value = json.dumps({"nudge": 0, "meeting": meeting.id})
    data = {"action": Action.OPEN_REFLECTION, "value": value, "msteams": {"type": "task/fetch"}}
    card = _dialog_card(_invoke(teams_bot, ANNA_TEAMS, "task/fetch", {"data": data}))
    assert {"reflection_common", "reflection_some", "reflection_particular"} <= set(_inputs(card))
    assert _inputs(card)["reflection_consent"]["isMultiSelect"] is True
    empty = _submit_data(card, {"reflection_common": "  ", "reflection_consent": "named"})
    again = _dialog_card(_invoke(teams_bot, ANNA_TEAMS, "task/submit", {"data": empty}))
    assert _under(again, "reflection_common") == ["Skriv et svar på mindst ét af de tre spørgsmål."]
    typed = "Alle mangler **tid** <at>alle</at>"
    good = _submit_data(
        again,
        {"reflection_some": typed, "reflection_consent": "named,sister"},
    )
    done = _dialog_card(_invoke(teams_bot, ANNA_TEAMS, "task/submit", {"data": good}))
    assert _errors(done) == []
    with session_factory() as s:
        (row,) = s.scalars(select(Reflection)).all()
        assert (row.some, row.named, row.share_with_sister) == (typed, True, True)
        assert row.member.slack_user_id == ANNA and row.meeting_id == meeting.id
    sent = _say_reflection(teams_bot)  # the command opens the same form, filled in
    assert _inputs(sent)["reflection_some"]["value"] == typed


def _say_reflection(teams_bot: TeamsBot) -> dict[str, Any]:
    before = len(teams_bot.teams.messages(personal_conversation(ANNA_TEAMS)))
    assert teams_bot.send(teams_bot.activity(ANNA_TEAMS, text="refleksion 1")).status == 200
    (reply,) = teams_bot.teams.messages(personal_conversation(ANNA_TEAMS))[before:]
    card: dict[str, Any] = reply["attachments"][0]["content"]
    return card


def test_the_sparring_dialog_logs_as_slack_does(
    teams_bot: TeamsBot, session_factory: sessionmaker[Session]
) -> None:
    data = {"action": Action.OPEN_SPARRING, "value": "", "msteams": {"type": "task/fetch"}}
    card = _dialog_card(_invoke(teams_bot, ANNA_TEAMS, "task/fetch", {"data": data}))
    bad = _submit_data(card, {"sparring_duration": "lots"})
    again = _dialog_card(_invoke(teams_bot, ANNA_TEAMS, "task/submit", {"data": bad}))
    assert _inputs(again)["sparring_duration"]["value"] == "lots"
    assert len(_errors(again)) == 1
    good = _submit_data(again, {"sparring_duration": "1t30m", "sparring_receivers": BO})
    done = _dialog_card(_invoke(teams_bot, ANNA_TEAMS, "task/submit", {"data": good}))
    assert _errors(done) == []
    with session_factory() as s:
        (entry,) = s.scalars(select(SparringEntry)).all()
        assert entry.minutes == 90
        assert [r.member.slack_user_id for r in entry.receivers] == [BO]


def test_a_picker_searches_the_network_and_says_how_many_more(teams_bot: TeamsBot) -> None:
    def search(**query: Any) -> list[dict[str, str]]:
        query.setdefault("dataset", Field.MEMBER_SEARCH)
        answer = _invoke(teams_bot, ANNA_TEAMS, "application/search", query)
        SearchResponse.model_validate(answer)
        results: list[dict[str, str]] = answer["value"]["results"]
        return results

    with teams_bot.session_factory() as s:
        anna, bo = (member_ref(person(s, who)) for who in (ANNA, BO))
    assert search(queryText="bo") == [{"title": "Bo Kjær", "value": bo}]
    everyone = search(queryText="")
    assert len(everyone) == 9 and anna not in {r["value"] for r in everyone}
    paged = search(queryText="", queryOptions={"skip": 0, "top": 3})
    assert paged[:2] == everyone[:2]
    assert paged[2] == {"title": "2 af 9 vist — skriv mere for at finde flere", "value": ""}
    assert search(queryText="x", dataset="something else") == []


def test_the_dialog_kinds_are_every_slack_form() -> None:
    from handlers.teams.dialogs import ANYONE_KINDS, KINDS

    assert set(KINDS) | set(ANYONE_KINDS) == set(Callback)


FACILITATOR_TEAMS = "29:1facilitator-teams-id"


def _disputable(session_factory: sessionmaker[Session]) -> int:
    """Bo logged an hour of sparring with Anna; the id of Anna's receiver row. The
    facilitator is on Teams too."""
    with session_factory() as s:
        entry, _ = log_sparring_with_total(
            session=s,
            member=person(s, BO),
            minutes=60,
            given_on=SEASON_NOW.date(),
            receiver_ids=[ANNA],
            note="",
            now=SEASON_NOW,
        )
        person(s, FACILITATOR).teams_user_id = FACILITATOR_TEAMS
        s.commit()
        (receiver,) = entry.receivers
        return receiver.id


def test_a_dispute_is_raised_by_its_receiver_only_and_settled_by_the_facilitator(
    teams_bot: TeamsBot, session_factory: sessionmaker[Session]
) -> None:
    receiver_id = _disputable(session_factory)
    dispute = {"action": Action.DISPUTE_SPARRING, "value": json.dumps({"receiver": receiver_id})}
    _press(teams_bot, BO_TEAMS, dispute, aad=BO_AAD)  # not his to dispute
    assert teams_bot.teams.messages() == []
    _press(teams_bot, ANNA_TEAMS, dispute)
    assert _replies(teams_bot, ANNA_TEAMS) == ["Tak — registreringen er markeret til tovholderen."]
    keep = {"action": Action.DISPUTE_KEEP, "value": str(receiver_id)}
    _press(teams_bot, ANNA_TEAMS, keep)  # a member settles nothing
    assert _replies(teams_bot, ANNA_TEAMS)[-1].startswith("Kun netværkets tovholdere")
    _press(teams_bot, FACILITATOR_TEAMS, {**keep, "action": Action.DISPUTE_REMOVE})
    (settled,) = _replies(teams_bot, FACILITATOR_TEAMS)
    assert settled.startswith("Registreringen er fjernet")
    with session_factory() as s:
        receiver = s.get(SparringReceiver, receiver_id)
        assert receiver is not None and receiver.entry.removed_at is not None


def test_turning_spread_notices_off_on_teams(
    teams_bot: TeamsBot, session_factory: sessionmaker[Session]
) -> None:
    _press(teams_bot, ANNA_TEAMS, {"action": Action.SPREAD_NOTICES_OFF, "value": "{}"})
    assert len(_replies(teams_bot, ANNA_TEAMS)) == 1
    with session_factory() as s:
        assert person(s, ANNA).notify_spread is False


def test_away_and_substitute_dialogs_save_as_slack_does(
    teams_bot: TeamsBot, session_factory: sessionmaker[Session]
) -> None:
    fetch = {"action": Action.AWAY, "value": "{}", "msteams": {"type": "task/fetch"}}
    card = _dialog_card(_invoke(teams_bot, ANNA_TEAMS, "task/fetch", {"data": fetch}))
    past = _submit_data(card, {"away_until": "2015-10-01"})
    again = _dialog_card(_invoke(teams_bot, ANNA_TEAMS, "task/submit", {"data": past}))
    assert _errors(again) == ["Vælg en dato fra i dag og frem."]
    assert _inputs(again)["away_until"]["value"] == "2015-10-01"
    ok = _submit_data(again, {"away_until": "2015-10-20"})
    _dialog_card(_invoke(teams_bot, ANNA_TEAMS, "task/submit", {"data": ok}))
    with session_factory() as s:
        assert str(person(s, ANNA).away_until) == "2015-10-20"
        meeting = next(m for m in person(s, ANNA).network.meetings if m.number == 2)
    fetch = {
        "action": Action.ATTEND_SUBSTITUTE,
        "value": json.dumps({"meeting": meeting.id}),
        "msteams": {"type": "task/fetch"},
    }
    card = _dialog_card(_invoke(teams_bot, ANNA_TEAMS, "task/fetch", {"data": fetch}))
    typed = {"attendance_name": "Kim <b>", "attendance_email": "kim@example.dk"}
    saved = _dialog_card(
        _invoke(teams_bot, ANNA_TEAMS, "task/submit", {"data": _submit_data(card, typed)})
    )
    assert _errors(saved) == []
    with session_factory() as s:
        (row,) = s.scalars(select(Attendance)).all()
        assert (row.status, row.substitute_name) == (AttendanceStatus.SUBSTITUTE, "Kim <b>")


def test_followup_and_spread_dialogs_edit_only_ones_own(
    teams_bot: TeamsBot, session_factory: sessionmaker[Session]
) -> None:
    fetch = {"action": Action.OPEN_FOLLOWUP, "value": "{}", "msteams": {"type": "task/fetch"}}
    card = _dialog_card(_invoke(teams_bot, ANNA_TEAMS, "task/fetch", {"data": fetch}))
    typed = {"followup_agreed": "Vi aftalte *mere* sparring"}
    _dialog_card(_invoke(teams_bot, ANNA_TEAMS, "task/submit", {"data": _submit_data(card, typed)}))
    with session_factory() as s:
        (row,) = s.scalars(select(ManagerFollowUp)).all()
        assert row.agreed == "Vi aftalte *mere* sparring"
    edit = {"action": Action.FOLLOWUP_EDIT, "value": str(row.id), "msteams": {"type": "task/fetch"}}
    bo = teams_bot.activity(BO_TEAMS, BO_AAD, type="invoke", name="task/fetch")
    answer = teams_bot.send({**bo, "value": {"data": edit}}).json()
    assert answer["task"] == {"type": "message", "value": "Den formular kan ikke åbnes længere."}
    mine = _dialog_card(_invoke(teams_bot, ANNA_TEAMS, "task/fetch", {"data": edit}))
    assert _inputs(mine)["followup_agreed"]["value"] == "Vi aftalte *mere* sparring"


def test_the_whole_prep_dialog_reads_a_ticked_box_and_names_what_is_missing(
    teams_bot: TeamsBot, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        meeting = next(m for m in person(s, ANNA).network.meetings if m.number == 2)
    fetch = {
        "action": Action.OPEN_PREP_ALL,
        "value": json.dumps({"meeting": meeting.id}),
        "msteams": {"type": "task/fetch"},
    }
    card = _dialog_card(_invoke(teams_bot, ANNA_TEAMS, "task/fetch", {"data": fetch}))
    ticked = _submit_data(card, {"p1_aligned": "yes"})
    again = _dialog_card(_invoke(teams_bot, ANNA_TEAMS, "task/submit", {"data": ticked}))
    assert _errors(again) == ["Skriv kort, hvad du og din leder aftalte."]
    assert _inputs(again)["p1_aligned"]["value"] == "yes"  # still ticked
    done = _submit_data(again, {"p1_aligned": "yes", "p1_agreed": "Fokus på onboarding"})
    _dialog_card(_invoke(teams_bot, ANNA_TEAMS, "task/submit", {"data": done}))
    with session_factory() as s:
        (prep,) = s.scalars(select(Preparation)).all()
        assert (prep.manager_aligned, prep.manager_agreed) == (True, "Fokus på onboarding")


def test_a_stranger_pressing_a_button_is_told_whom_to_ask(teams_bot: TeamsBot) -> None:
    _press(teams_bot, STRANGER, {"action": Action.SNOOZE_TOMORROW, "value": "{}"})
    (reply,) = _replies(teams_bot, STRANGER)
    assert "Jeg kan ikke finde dig" in reply
    fetch = {"action": Action.OPEN_SPARRING, "value": "", "msteams": {"type": "task/fetch"}}
    answer = _invoke(teams_bot, STRANGER, "task/fetch", {"data": fetch})
    assert (
        answer["task"]["type"] == "message" and "Jeg kan ikke finde dig" in answer["task"]["value"]
    )


def test_a_retried_invoke_gets_the_same_answer_and_is_handled_once(
    teams_bot: TeamsBot, session_factory: sessionmaker[Session]
) -> None:
    """Teams sends an invoke again when our answer is slow: the repeat (same activity id) gets
    the very answer the first one got — the dialog's next step — and the form is saved once,
    with one seen-request row holding that answer."""
    data = {"action": Action.OPEN_SPARRING, "value": "", "msteams": {"type": "task/fetch"}}
    card = _dialog_card(_invoke(teams_bot, ANNA_TEAMS, "task/fetch", {"data": data}))
    good = _submit_data(card, {"sparring_duration": "1t30m", "sparring_receivers": BO})
    submit = teams_bot.activity(ANNA_TEAMS, type="invoke", name="task/submit", value={"data": good})
    first, again = teams_bot.send(submit), teams_bot.send(submit)
    assert (first.status, again.status) == (200, 200)
    assert again.body == first.body and _errors(_dialog_card(again.json())) == []
    with session_factory() as s:
        (entry,) = s.scalars(select(SparringEntry)).all()  # saved once
        assert entry.minutes == 90
        (kept,) = s.scalars(
            select(SeenRequest).where(SeenRequest.key == activity_key(submit))
        ).all()
        assert kept.response is not None and json.loads(kept.response)["body"] == first.json()
