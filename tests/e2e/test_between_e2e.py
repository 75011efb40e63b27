"""Attendance buttons, the substitute form, sparring disputes, spread notices and the
between-meeting buttons, end to end."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.app import make_web_client
from handlers.ids import Action
from jobs.nudges import run_nudge_pass
from jobs.slack_messenger import SlackMessenger
from models.attendance import Attendance, AttendanceStatus
from models.history import ChangeRecord
from models.nudges import Nudge, NudgeKind
from models.sparring import SparringReceiver
from tests.conftest import ANNA, BO, FACILITATOR, person
from tests.e2e.test_followup_spread_e2e import radio
from tests.e2e.test_prep_e2e import opened_view, pick, text
from tests.slack_standin import explode, standin_settings


def meeting_id(session_factory: sessionmaker[Session], number: int) -> int:
    with session_factory() as s:
        return next(m.id for m in person(s, ANNA).network.meetings if m.number == number)


def told(bot: Any, count: int = 1) -> str:
    return str(bot.slack.wait_for("/response/action", count)[count - 1].params["text"])


def test_attendance_yes_then_no_keeps_history(
    bot: Any, session_factory: sessionmaker[Session]
) -> None:
    value = json.dumps({"meeting": meeting_id(session_factory, 2)})
    bot.click(ANNA, Action.ATTEND_YES, value)
    assert told(bot) == "Tak — du er meldt til møde 2."
    bot.click(ANNA, Action.ATTEND_NO, value)
    assert told(bot, 2) == "Tak for besked — du er meldt fra møde 2."
    with session_factory() as s:
        (row,) = s.scalars(select(Attendance)).all()
        assert row.status is AttendanceStatus.NO
        (change,) = s.scalars(select(ChangeRecord)).all()
        assert (change.field, change.old_value, change.new_value) == ("status", "yes", "no")


def test_sending_a_colleague(bot: Any, session_factory: sessionmaker[Session]) -> None:
    value = json.dumps({"meeting": meeting_id(session_factory, 2)})
    bot.click(ANNA, Action.ATTEND_SUBSTITUTE, value)
    view = opened_view(bot)
    bad = text("attendance_name", "Kim Kollega") | text("attendance_email", "kim-at-roskilde")
    assert bot.submit(ANNA, view, bad).json()["errors"] == {
        "attendance_email": (
            "“kim-at-roskilde” er ikke en e-mailadresse. Skriv fx `navn@kommune.dk`."
        )
    }
    good = text("attendance_name", "Kim Kollega") | text("attendance_email", "kim@roskilde.dk")
    body = bot.submit(ANNA, view, good).json()
    assert "Kim Kollega kommer i dit sted til møde 2." in body["view"]["blocks"][0]["text"]["text"]
    with session_factory() as s:
        (row,) = s.scalars(select(Attendance)).all()
        assert (row.status, row.substitute_email) == (
            AttendanceStatus.SUBSTITUTE,
            "kim@roskilde.dk",
        )


def test_attendance_cannot_change_once_the_meeting_started(
    bot: Any, session_factory: sessionmaker[Session]
) -> None:
    bot.clock.now = datetime(2015, 11, 17, 9, 30, tzinfo=UTC)
    bot.click(ANNA, Action.ATTEND_NO, json.dumps({"meeting": meeting_id(session_factory, 2)}))
    assert told(bot) == "Møde 2 er begyndt, så svaret kan ikke ændres."
    with session_factory() as s:
        assert s.scalars(select(Attendance)).all() == []


def test_logged_sparring_notifies_receivers_who_can_dispute(
    bot: Any, session_factory: sessionmaker[Session]
) -> None:
    bot.command("/sparring", f"logged 2h with <@{BO}> gennemgik borgerundersøgelsen", user=ANNA)
    with session_factory() as s:
        (notice,) = s.scalars(select(Nudge)).all()
        receiver = s.scalars(select(SparringReceiver)).one()
        assert (notice.kind, notice.member_id, notice.seq, notice.meeting_id) == (
            NudgeKind.SPARRING_RECEIVED,
            person(s, BO).id,
            receiver.id,
            None,
        )
    value = json.dumps({"nudge": notice.id, "receiver": receiver.id})
    bot.click(ANNA, Action.DISPUTE_SPARRING, value)  # not Anna's to dispute: nothing happens
    bot.click(BO, Action.DISPUTE_SPARRING, value)
    assert told(bot) == "Tak — registreringen er markeret til tovholderen."
    with session_factory() as s:
        flagged = s.scalars(select(SparringReceiver)).one()
        assert flagged.disputed_at == bot.clock.now
        assert flagged.entry.removed_at is None and flagged.entry.minutes == 120  # kept as is
    assert len(bot.slack.calls_to("/response/action")) == 1


def test_spreading_someones_solution_tells_them_and_they_can_opt_out(
    bot: Any, session_factory: sessionmaker[Session]
) -> None:
    bot.command("/spread", "", user=ANNA)
    view = opened_view(bot)
    form = (
        text("spread_solution", "Klageportalen")
        | pick("spread_source", BO)
        | radio("spread_status", "planned")
        | text("spread_effect", "")
    )
    bot.submit(ANNA, view, form)
    with session_factory() as s:
        (notice,) = s.scalars(select(Nudge)).all()
        assert (notice.kind, notice.member_id) == (NudgeKind.SPREAD_NOTICE, person(s, BO).id)
    bot.click(BO, Action.SPREAD_NOTICES_OFF, json.dumps({"nudge": notice.id}))
    assert told(bot) == "Du får ikke flere beskeder, når dine løsninger bliver spredt."
    with session_factory() as s:
        assert person(s, BO).notify_spread is False
    bot.command("/spread", "", user=ANNA)
    bot.submit(ANNA, opened_view(bot, 2), form)
    with session_factory() as s:
        assert len(s.scalars(select(Nudge)).all()) == 1  # no new notice for Bo


def test_between_buttons_open_the_forms(bot: Any, session_factory: sessionmaker[Session]) -> None:
    value = json.dumps({"meeting": meeting_id(session_factory, 1)})
    bot.click(ANNA, Action.OPEN_FOLLOWUP, value)
    assert opened_view(bot)["callback_id"] == "followup_modal"
    bot.click(ANNA, Action.OPEN_SPREAD, value)
    assert opened_view(bot, 2)["callback_id"] == "spread_modal"


def test_log_sparring_button_and_form(bot: Any, session_factory: sessionmaker[Session]) -> None:
    from models.sparring import SparringEntry

    bot.click(ANNA, Action.OPEN_SPARRING, json.dumps({"meeting": meeting_id(session_factory, 1)}))
    view = opened_view(bot)
    receivers = next(b for b in view["blocks"] if b["block_id"] == "sparring_receivers")
    assert ANNA not in [o["value"] for o in receivers["element"]["options"]]

    def form(duration: str, day: str, who: list[str]) -> dict[str, Any]:
        options = [{"value": w, "text": {"type": "plain_text", "text": w}} for w in who]
        return (
            text("sparring_duration", duration)
            | text("sparring_note", "kort snak")
            | {"sparring_date": {"value": {"type": "datepicker", "selected_date": day}}}
            | {
                "sparring_receivers": {
                    "value": {"type": "multi_static_select", "selected_options": options}
                }
            }
        )

    errors = bot.submit(ANNA, view, form("2 dage", "2015-10-02", [BO])).json()["errors"]
    assert list(errors) == ["sparring_duration"]
    errors = bot.submit(ANNA, view, form("2h", "2015-10-09", [BO])).json()["errors"]
    assert errors == {
        "sparring_date": "9. oktober 2015 ligger i fremtiden. Registrér sparring, "
        "når den er givet, fx med `i dag` eller `i går`."
    }
    body = bot.submit(ANNA, view, form("1t30m", "2015-10-02", [BO])).json()
    shown = body["view"]["blocks"][0]["text"]["text"]
    assert shown.startswith(f"✅ Registreret: 1 t 30 min sparring med <@{BO}> den 2. oktober 2015")
    with session_factory() as s:
        (entry,) = s.scalars(select(SparringEntry)).all()
        assert (entry.minutes, entry.note) == (90, "kort snak")
        assert s.scalars(select(Nudge)).one().kind is NudgeKind.SPARRING_RECEIVED


def test_a_dispute_reaches_the_facilitators_who_settle_it(
    bot: Any, session_factory: sessionmaker[Session]
) -> None:
    bot.command("/sparring", f"logged 2h with <@{BO}> gennemgik undersøgelsen", user=ANNA)
    with session_factory() as s:
        receiver = s.scalars(select(SparringReceiver)).one()
    bot.click(BO, Action.DISPUTE_SPARRING, json.dumps({"receiver": receiver.id}))
    bot.click(BO, Action.DISPUTE_SPARRING, json.dumps({"receiver": receiver.id}))  # twice

    # Each facilitator gets one DM through the outbox, with the two ways to settle it.
    client = make_web_client(
        standin_settings(bot.slack.url, slack_bot_token="xoxb-e2e"), retry_ambiguous=False
    )
    run_nudge_pass(
        session_factory=session_factory,
        messenger=SlackMessenger(client),
        now=bot.clock.now,
        refresh_zones=False,
    )
    to_facilitators = [  # each topic of a bundled DM as if sent alone
        part
        for c in bot.slack.calls_to("chat.postMessage")
        if c.params["channel"] in {"D0FACIL001", "D0FACIL002"}
        for part in explode(c.params)
        if "ikke passer" in part["text"] or "not right" in part["text"]
    ]
    assert len(to_facilitators) == 2
    notice = to_facilitators[0]
    blocks = json.loads(notice["blocks"]) if isinstance(notice["blocks"], str) else notice["blocks"]
    assert blocks[0]["text"]["text"] == (
        f"⚠️ <@{BO}> siger, at det ikke passer: <@{ANNA}> har registreret 2 t sparring med "
        f"<@{BO}> den 5. oktober 2015 — “gennemgik undersøgelsen”."
    )
    assert [b["action_id"] for b in blocks[1]["elements"]] == [
        Action.DISPUTE_KEEP,
        Action.DISPUTE_REMOVE,
    ]
    # The summary (and so the digest) shows it too, with the same buttons.
    summary = bot.command("/network", "summary", user=FACILITATOR).json()["blocks"]
    texts = [b.get("text", {}).get("text", "") for b in summary]
    assert "*Bestridte registreringer af sparring:* 1" in texts
    assert bot.command("/network", "disputes", user=FACILITATOR).json()["blocks"][1:] == blocks

    # And the facilitator's Home tab.
    bot.event({"type": "app_home_opened", "user": FACILITATOR, "tab": "home"})
    home = bot.slack.wait_for("views.publish")[0].params["view"]["blocks"]
    assert [b for b in home if b.get("block_id", "").startswith("dispute_")] == blocks

    value = str(receiver.id)
    bot.click(ANNA, Action.DISPUTE_REMOVE, value)  # a member cannot settle it
    assert told(bot, 3) == "Kun netværkets tovholdere kan bruge `/network`."
    bot.click(FACILITATOR, Action.DISPUTE_REMOVE, value)
    assert told(bot, 4) == "Registreringen er fjernet (2 t den 5. oktober 2015)."
    bot.click(FACILITATOR, Action.DISPUTE_KEEP, value)
    assert told(bot, 5) == "Den indsigelse er allerede afgjort."
    with session_factory() as s:
        settled = s.scalars(select(SparringReceiver)).one()
        assert settled.disputed_at is None and settled.entry.removed_at == bot.clock.now
        history = s.scalars(select(ChangeRecord).order_by(ChangeRecord.id)).all()
        assert [(c.entity, c.field, c.new_value) for c in history] == [
            ("sparring_entry", "removed_at", bot.clock.now.isoformat()),
            ("sparring_receiver", "disputed_at", None),
        ]
    assert (
        bot.command("/network", "disputes", user=FACILITATOR).json()["blocks"][0]["text"]["text"]
        == "Ingen bestridte registreringer."
    )
