"""App Home end to end: the event is acked, then the view is published through the stand-in."""

import json
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from models.attendance import AttendanceStatus, set_attendance
from tests.blockkit import check_view
from tests.conftest import ANNA, BO, JENS, person
from tests.e2e.conftest import BotUnderTest

HOST = "U0HOST0001"


def _home_text(view: dict[str, object]) -> str:
    blocks = view["blocks"]
    assert isinstance(blocks, list)
    return "\n".join(b["text"]["text"] for b in blocks if b.get("type") in {"section", "header"})


def test_member_sees_next_meeting_and_sparring(bot: BotUnderTest) -> None:
    bot.command("/sparring", f"logged 1h with <@{BO}>", user=ANNA)
    reply = bot.event({"type": "app_home_opened", "user": ANNA, "channel": "D1", "tab": "home"})
    assert reply.status == 200
    (call,) = bot.slack.wait_for("views.publish")
    assert call.params["user_id"] == ANNA
    view = call.params["view"]
    assert view["type"] == "home"
    text = _home_text(view)
    assert "*Næste møde 2: Klagedrevet innovation*" in text
    assert "17. november 2015 kl. 10:00–13:00" in text
    assert "*Din sparring mellem møde 1 og 2*" in text
    assert "1 t af 2 t — 1 t tilbage til målet." in text
    assert "*Din forberedelse til møde 2: Klagedrevet innovation*" in text
    assert "⬜ 2. Tre spørgsmål (0 af 3)" in text
    actions = next(b for b in view["blocks"] if b.get("block_id") == "home_prep_actions")
    assert actions["elements"][0]["action_id"] == "prep_open_all"
    assert "*Mellem møderne:* ⬜ opfølgning med din leder · spredning: 0 i perioden" in text
    between = next(b for b in view["blocks"] if b.get("block_id") == "home_between_actions")
    assert [e["action_id"] for e in between["elements"]] == [
        "sparring_open",
        "followup_open",
        "spread_open",
        "competencies_open",  # the member's own competencies
    ]
    browse = next(b for b in view["blocks"] if b.get("block_id") == "home_browse_actions")
    # the bazaar (meeting 4) is still to come: both buttons
    assert [(e["action_id"], e["text"]["text"]) for e in browse["elements"]] == [
        ("home_library", "Eksempelbibliotek"),
        ("home_bazaar", "Idébasar"),
    ]


def test_member_abroad_sees_meeting_times_in_their_zone(bot: BotUnderTest) -> None:
    bot.event({"type": "app_home_opened", "user": JENS, "channel": "D2", "tab": "home"})
    (call,) = bot.slack.wait_for("views.publish")
    text = _home_text(call.params["view"])
    assert "*Next meeting 2: Klagedrevet innovation*" in text
    assert "17 November 2015, 04:00–07:00 (America/New_York)" in text


def test_after_the_last_meeting(bot: BotUnderTest) -> None:
    bot.clock.now = datetime(2016, 5, 2, 8, 0, tzinfo=UTC)
    bot.event({"type": "app_home_opened", "user": ANNA, "channel": "D1", "tab": "home"})
    (call,) = bot.slack.wait_for("views.publish")
    assert "Sæsonens møder er afholdt." in _home_text(call.params["view"])


def test_stranger_is_told_whom_to_contact(bot: BotUnderTest) -> None:
    bot.event({"type": "app_home_opened", "user": "U0OUTSIDER", "channel": "D3", "tab": "home"})
    (call,) = bot.slack.wait_for("views.publish")
    assert "Du er ikke medlem" in _home_text(call.params["view"])


def test_messages_tab_publishes_nothing(bot: BotUnderTest) -> None:
    reply = bot.event({"type": "app_home_opened", "user": ANNA, "channel": "D1", "tab": "messages"})
    assert reply.status == 200
    bot.event({"type": "app_home_opened", "user": BO, "channel": "D4", "tab": "home"})
    calls = bot.slack.wait_for("views.publish")
    assert [c.params["user_id"] for c in calls] == [BO]


def test_facilitator_sees_the_network_overview(bot: BotUnderTest) -> None:
    from tests.conftest import FACILITATOR

    bot.event({"type": "app_home_opened", "user": FACILITATOR, "channel": "D5", "tab": "home"})
    (call,) = bot.slack.wait_for("views.publish")
    view = call.params["view"]
    text = _home_text(view)
    assert "*Møde 2: Klagedrevet innovation* (17. november 2015) — 10 medlemmer" in text
    assert "Forberedt: 0 af 10 (0 %)" in text
    context = view["blocks"][-1]["elements"][0]["text"]
    assert context.startswith("10 er bagud. Se hvem med `/network overblik`")


def test_host_contact_sees_their_meeting_and_who_is_coming(
    bot: BotUnderTest, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        meeting2 = next(m for m in person(s, ANNA).network.meetings if m.number == 2)
        set_attendance(
            session=s,
            member=person(s, ANNA),
            meeting=meeting2,
            status=AttendanceStatus.YES,
            now=bot.clock.now,
        )
        set_attendance(
            session=s,
            member=person(s, BO),
            meeting=meeting2,
            status=AttendanceStatus.SUBSTITUTE,
            substitute_name="Kim Kollega",
            substitute_email="kim@roskilde.dk",
            now=bot.clock.now,
        )
        s.commit()
    bot.event({"type": "app_home_opened", "user": HOST, "channel": "D1", "tab": "home"})
    (call,) = bot.slack.wait_for("views.publish")
    assert check_view(call.params["view"], "home") == []
    text = _home_text(call.params["view"])
    assert "ikke medlem" not in text
    assert text.startswith(
        "Tovholder\nDu er kontaktperson hos værten for 1 møde i "
        "*Spredningsnetværk for offentlig innovation 2015–16*."
    )
    assert (
        "*Deltagere til møde 2: Klagedrevet innovation* (17. november 2015 kl. 10:00–13:00)\n"
        "*Forplejning til 2* (1 medlem og 1 kollega)\n"
        "Kommer: Anna Lund\n"
        "Kolleger i stedet: Kim Kollega (kim@roskilde.dk) ↔ Bo Kjær\n"
    ) in text
    assert text.endswith(
        "Roskilde Kommune (lokale og adresse følger) · "
        "vært: Roskilde Kommune, Social- og Arbejdsmarkedssekretariatet"
    )

    bot.clock.now = datetime(2015, 11, 18, 9, 0, tzinfo=UTC)  # the meeting has been held
    bot.event({"type": "app_home_opened", "user": HOST, "channel": "D1", "tab": "home"})
    calls = bot.slack.wait_for("views.publish", 2)
    assert _home_text(calls[1].params["view"]).endswith(
        "Dine møder er afholdt. Tak for værtskabet!"
    )


def test_library_and_bazaar_buttons_answer_in_the_dm(
    bot: BotUnderTest, session_factory: sessionmaker[Session]
) -> None:
    """The Home buttons answer as `/network eksempler` and `/network basar` do, in the
    member's direct message (the Home tab has no thread); after the bazaar only the library."""
    from handlers.ids import Action
    from tests.models.test_bazaar import anna_offers
    from tests.models.test_library import bring
    from tests.slack_standin import dm_channel, explode

    with session_factory() as s:
        anna_offers(s)
        bring(s, ANNA, 2, "Klageportal", "Online klager", None)
    bot.clock.now = datetime(2016, 4, 1, 12, 0, tzinfo=UTC)  # meeting 2 held, 4 to come
    bot.click(BO, Action.HOME_BAZAAR, "")
    bot.click(BO, Action.HOME_LIBRARY, "")
    posted = bot.slack.wait_for("chat.postMessage", 2)
    assert {c.params["channel"] for c in posted} == {dm_channel(BO)}
    texts = [json.dumps(explode(c.params), ensure_ascii=False) for c in posted]
    bazaar = next(t for t in texts if "Idébasaren på møde 4" in t)
    assert "Borgerpanel på en uge" in bazaar and "bazaar_claim" in bazaar
    (found,) = [t for t in texts if t != bazaar]
    assert "Klageportal" in found and "library_open" in found

    bot.clock.now = datetime(2016, 4, 28, 10, 30, tzinfo=UTC)  # meeting 4 ends 13:00 (11 UTC)
    bot.event({"type": "app_home_opened", "user": BO, "channel": "D1", "tab": "home"})
    during = bot.slack.wait_for("views.publish")[-1].params["view"]
    browse = next(b for b in during["blocks"] if b.get("block_id") == "home_browse_actions")
    assert [e["action_id"] for e in browse["elements"]] == ["home_library", "home_bazaar"]
    bot.clock.now = datetime(2016, 4, 28, 11, 30, tzinfo=UTC)  # it has ended
    bot.event({"type": "app_home_opened", "user": BO, "channel": "D1", "tab": "home"})
    after = bot.slack.wait_for("views.publish", 2)[-1].params["view"]
    browse = next(b for b in after["blocks"] if b.get("block_id") == "home_browse_actions")
    assert [e["action_id"] for e in browse["elements"]] == ["home_library"]
