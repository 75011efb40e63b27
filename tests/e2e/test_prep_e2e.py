"""`/prep`, its modal and the nudge buttons end to end: signed requests in, the views the bot
opened and what it stored out."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from handlers.ids import Action
from models.nudges import Nudge, NudgeKind
from models.people import member_ref
from models.prep import Preparation, PrepExample, PrepQuestion
from tests.blockkit import check_view
from tests.conftest import ANNA, BO, CAMILLA, FREDERIK, person
from tests.e2e.conftest import BotUnderTest


def opened_view(bot: BotUnderTest, count: int = 1) -> dict[str, Any]:
    call = bot.slack.wait_for("views.open", count)[count - 1]
    assert call.params["trigger_id"]
    view = call.params["view"]
    return json.loads(view) if isinstance(view, str) else dict(view)


def text(block_id: str, value: str) -> dict[str, Any]:
    return {block_id: {"value": {"type": "plain_text_input", "value": value}}}


def pick(block_id: str, slack_id: str | None) -> dict[str, Any]:
    option = {"value": slack_id, "text": {"type": "plain_text", "text": "x"}} if slack_id else None
    return {block_id: {"value": {"type": "static_select", "selected_option": option}}}


def checked(block_id: str, on: bool) -> dict[str, Any]:
    options = [{"value": "yes", "text": {"type": "plain_text", "text": "x"}}] if on else []
    return {block_id: {"value": {"type": "checkboxes", "selected_options": options}}}


def full_form(*, q1_secondary: str = CAMILLA) -> dict[str, Any]:
    values: dict[str, Any] = {}
    values |= checked("p1_aligned", True) | text("p1_agreed", "At jeg tager en klage-idé med hjem")
    for i, (primary, secondary) in enumerate([(BO, q1_secondary), (CAMILLA, BO), (BO, CAMILLA)], 1):
        values |= text(f"p2_q{i}_text", f"Spørgsmål {i}?")
        values |= pick(f"p2_q{i}_primary", primary) | pick(f"p2_q{i}_secondary", secondary)
    values |= text("p3_new_title", "Klageportalen") | text("p3_new_idea", "Borgere klager online")
    values |= text("p3_new_effect", "") | text("p3_new_learning", "Svar hurtigt")
    values |= {"p3_new_source": {"value": {"type": "radio_buttons", "selected_option": None}}}
    values |= checked("p3_new_flags", True)
    return values


def test_prep_opens_the_form_after_the_ack(
    bot: BotUnderTest, session_factory: sessionmaker[Session]
) -> None:
    reply = bot.command("/prep", "", user=ANNA)
    assert reply.status == 200 and reply.body == ""
    view = opened_view(bot)
    assert view["title"]["text"] == "Forberedelse til møde 2"
    assert len(view["title"]["text"]) <= 24
    assert check_view(view, "modal") == []
    block_ids = [b.get("block_id") for b in view["blocks"]]
    assert {"p1_aligned", "p1_agreed", "p2_q1_text", "p2_q3_secondary", "p3_new_title"} <= set(
        block_ids
    )
    primary = next(b for b in view["blocks"] if b.get("block_id") == "p2_q1_primary")
    options = [o["value"] for o in primary["element"]["options"]]
    with session_factory() as s:  # members by the value that names them on every platform
        anna, bo = (member_ref(person(s, who)) for who in (ANNA, BO))
    assert anna not in options and bo in options and len(options) == 9  # not oneself


def test_submitting_saves_everything_and_shows_the_checklist(
    bot: BotUnderTest, session_factory: sessionmaker[Session]
) -> None:
    bot.command("/prep", "", user=ANNA)
    view = opened_view(bot)
    reply = bot.submit(ANNA, view, full_form())
    assert reply.status == 200
    body = reply.json()
    assert body["response_action"] == "update"
    summary = "\n".join(b["text"]["text"] for b in body["view"]["blocks"])
    assert "✅ 1. Forventninger med din leder" in summary
    assert "✅ 2. Tre spørgsmål (3 af 3)" in summary
    assert "✅ 3. Eksempler (1)" in summary
    with session_factory() as s:
        anna = person(s, ANNA)
        prep = s.scalars(select(Preparation).where(Preparation.member_id == anna.id)).one()
        assert prep.manager_agreed == "At jeg tager en klage-idé med hjem"
        questions = s.scalars(select(PrepQuestion).where(PrepQuestion.member_id == anna.id)).all()
        assert [(q.position, q.primary.slack_user_id) for q in questions] == [
            (1, BO),
            (2, CAMILLA),
            (3, BO),
        ]
        (example,) = s.scalars(select(PrepExample)).all()
        assert (example.title, example.did_not_work) == ("Klageportalen", True)
    # The form opens again with what was saved.
    bot.command("/prep", "", user=ANNA)
    again = opened_view(bot, 2)
    agreed = next(b for b in again["blocks"] if b.get("block_id") == "p1_agreed")
    assert agreed["element"]["initial_value"] == "At jeg tager en klage-idé med hjem"
    status = bot.command("/prep", "status", user=ANNA).text
    assert "Du er klar til mødet." in status


def test_errors_land_on_the_field_and_nothing_is_saved(
    bot: BotUnderTest, session_factory: sessionmaker[Session]
) -> None:
    bot.command("/prep", "", user=ANNA)
    view = opened_view(bot)
    form = full_form(q1_secondary=BO) | pick("p2_q2_primary", None) | text("p1_agreed", "")
    reply = bot.submit(ANNA, view, form)
    body = reply.json()
    assert body["response_action"] == "errors"
    assert body["errors"] == {
        "p2_q1_secondary": "Den sekundære skal være en anden end den primære.",
        "p2_q2_primary": "Vælg, hvem du helst vil spørge.",
        "p1_agreed": "Skriv kort, hvad du og din leder aftalte.",
    }
    with session_factory() as s:
        assert s.scalars(select(PrepQuestion)).all() == []
        assert s.scalars(select(Preparation)).all() == []
        assert s.scalars(select(PrepExample)).all() == []


def test_read_only_once_the_meeting_started(bot: BotUnderTest) -> None:
    bot.command("/prep", "", user=ANNA)
    view = opened_view(bot)
    bot.clock.now = datetime(2015, 11, 17, 9, 0, tzinfo=UTC)  # meeting 2 begins
    reply = bot.submit(ANNA, view, full_form())
    errors = reply.json()["errors"]
    assert list(errors.values()) == ["Møde 2 er begyndt, så forberedelsen kan ikke længere ændres."]
    # /prep now prepares meeting 3.
    bot.command("/prep", "", user=ANNA)
    assert opened_view(bot, 2)["title"]["text"] == "Forberedelse til møde 3"


def test_prep_help_status_and_english(bot: BotUnderTest) -> None:
    assert bot.command("/prep", "help", user=ANNA).text.startswith("*/prep* — forbered dig")
    status = bot.command("/prep", "status", user=FREDERIK).text
    assert status.startswith("*Your preparation for meeting 2: Klagedrevet innovation*")
    assert "⬜ 2. Three questions (0 of 3)" in status
    assert bot.command("/prep", "nonsense", user=ANNA).text.startswith(
        "Jeg kender ikke `/prep nonsense`."
    )
    assert "Du er ikke medlem" in bot.command("/prep", "", user="U0OUTSIDER").text


def _nudge(session_factory: sessionmaker[Session], slack_id: str) -> tuple[int, int]:
    """A kick-off nudge for meeting 2 in the outbox: (nudge id, meeting id)."""
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
        return nudge.id, meeting.id


def test_nudge_button_opens_just_that_part(
    bot: BotUnderTest, session_factory: sessionmaker[Session]
) -> None:
    bot.clock.now = datetime(2015, 11, 3, 8, 5, tzinfo=UTC)
    nudge_id, meeting_id = _nudge(session_factory, ANNA)
    value = json.dumps({"nudge": nudge_id, "meeting": meeting_id})
    assert bot.click(ANNA, Action.OPEN_PREP_P2, value).status == 200
    view = opened_view(bot)
    block_ids = {b.get("block_id") for b in view["blocks"]}
    assert (
        "p2_q1_text" in block_ids
        and "p1_agreed" not in block_ids
        and "p3_new_title" not in block_ids
    )
    assert json.loads(view["private_metadata"])["parts"] == ["p2"]


def test_snooze_once_even_on_a_double_click(
    bot: BotUnderTest, session_factory: sessionmaker[Session]
) -> None:
    bot.clock.now = datetime(2015, 11, 3, 8, 5, tzinfo=UTC)  # Tue 3 Nov
    nudge_id, meeting_id = _nudge(session_factory, ANNA)
    value = json.dumps({"nudge": nudge_id, "meeting": meeting_id})
    assert bot.click(ANNA, Action.SNOOZE_THREE_DAYS, value).status == 200
    assert bot.click(ANNA, Action.SNOOZE_THREE_DAYS, value).status == 200
    replies = bot.slack.wait_for("/response/action", 2)
    # One click snoozes, the other is told it was done; each reply goes to its own click's
    # response_url after the ack, so they may arrive in either order.
    assert sorted(r.params["text"] for r in replies) == [
        "Du har allerede bedt om en påmindelse.",
        "Jeg minder dig igen fredag den 6. november kl. 09:00.",
    ]
    with session_factory() as s:
        rows = s.scalars(select(Nudge).order_by(Nudge.seq)).all()
        assert [(r.seq, r.due_at) for r in rows] == [
            (0, datetime(2015, 11, 3, 8, tzinfo=UTC)),
            (1, datetime(2015, 11, 6, 8, tzinfo=UTC)),  # Fri 6 Nov, 09:00 in Copenhagen
        ]


def test_someone_elses_button_does_nothing(
    bot: BotUnderTest, session_factory: sessionmaker[Session]
) -> None:
    nudge_id, meeting_id = _nudge(session_factory, ANNA)
    value = json.dumps({"nudge": nudge_id, "meeting": meeting_id})
    assert bot.click(BO, Action.SNOOZE_TOMORROW, value).status == 200
    with session_factory() as s:
        assert len(s.scalars(select(Nudge)).all()) == 1


def test_snooze_past_the_meeting_is_refused(
    bot: BotUnderTest, session_factory: sessionmaker[Session]
) -> None:
    bot.clock.now = datetime(2015, 11, 16, 8, 5, tzinfo=UTC)  # the day before the meeting
    nudge_id, _ = _nudge(session_factory, ANNA)
    bot.click(ANNA, Action.SNOOZE_THREE_DAYS, json.dumps({"nudge": nudge_id}))
    (reply,) = bot.slack.wait_for("/response/action")
    assert reply.params["text"] == "Det er efter mødets start, så jeg minder dig ikke igen."


def test_away_until(bot: BotUnderTest, session_factory: sessionmaker[Session]) -> None:
    nudge_id, _ = _nudge(session_factory, ANNA)
    bot.click(ANNA, Action.AWAY, json.dumps({"nudge": nudge_id}))
    view = opened_view(bot)
    assert view["blocks"][0]["element"]["initial_date"] == "2015-10-12"  # a week ahead
    past = {"away_until": {"value": {"type": "datepicker", "selected_date": "2015-10-01"}}}
    assert bot.submit(ANNA, view, past).json()["errors"] == {
        "away_until": "Vælg en dato fra i dag og frem."
    }
    ok = {"away_until": {"value": {"type": "datepicker", "selected_date": "2015-10-20"}}}
    body = bot.submit(ANNA, view, ok).json()
    assert body["response_action"] == "update"
    assert "til og med 20. oktober 2015" in body["view"]["blocks"][0]["text"]["text"]
    with session_factory() as s:
        assert str(person(s, ANNA).away_until) == "2015-10-20"


def test_nudge_builders_stay_inside_block_kit_limits(
    bot: BotUnderTest, session_factory: sessionmaker[Session]
) -> None:
    from handlers import slack_render
    from handlers.nudges import build_agenda_nudge, build_prep_nudge
    from models.prep import AgendaItem, prep_status

    with session_factory() as s:
        anna = person(s, ANNA)
        meeting = next(m for m in anna.network.meetings if m.number == 2)
        status = prep_status(session=s, member=anna, meeting=meeting)
        for kind in (NudgeKind.PREP_KICKOFF, NudgeKind.PREP_REMINDER, NudgeKind.PREP_LAST_CALL):
            message = build_prep_nudge(
                "da", kind=kind, member=anna, status=status, nudge_id=1, now=bot.clock.now
            )
            assert message is not None
            assert check_view(slack_render.message(message), "message") == []
        items = [AgendaItem(anna, "x" * 2000, True, None) for _ in range(120)]
        built = build_agenda_nudge(
            "da", member=anna, meeting=meeting, items=items, nudge_id=1, now=bot.clock.now
        )
        assert built is not None
        agenda = slack_render.message(built)
        assert check_view(agenda, "message") == []
        shown = "\n".join(b["text"]["text"] for b in agenda["blocks"])
        # Two 1,000-character questions fit a section; 48 sections hold 96, the rest are counted.
        assert shown.endswith("… og 24 flere.")


def test_a_stranger_clicking_a_button_is_told_politely(bot: BotUnderTest) -> None:
    reply = bot.click("U0OUTSIDER", Action.OPEN_PREP_P1, json.dumps({"meeting": 2}))
    assert reply.status == 200
    (told,) = bot.slack.wait_for("/response/action")
    assert told.params["text"].startswith("Du er ikke medlem af et netværk i Tovholder")
