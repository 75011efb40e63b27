"""`/sparring` end to end: signed requests in, what the member is told and what is stored out."""

import time
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from models.sparring import SparringEntry
from tests.conftest import ANNA, BO, CAMILLA, FACILITATOR, FREDERIK
from tests.e2e.conftest import BotUnderTest


def entries(session_factory: sessionmaker[Session]) -> list[SparringEntry]:
    with session_factory() as s:
        rows = s.scalars(select(SparringEntry).order_by(SparringEntry.id)).all()
        for row in rows:
            _ = [r.member.slack_user_id for r in row.receivers]
        return list(rows)


def count(session_factory: sessionmaker[Session]) -> int:
    with session_factory() as s:
        return s.scalar(select(func.count()).select_from(SparringEntry)) or 0


def test_logging_the_issue_example(
    bot: BotUnderTest, session_factory: sessionmaker[Session]
) -> None:
    reply = bot.command(
        "/sparring",
        f"logged 2h with <@{BO}|bo> on 2015-10-02 went through her citizen survey",
        user=ANNA,
    )
    assert reply.status == 200
    assert reply.json()["response_type"] == "ephemeral"
    assert reply.text == (
        f"✅ Registreret: 2 t sparring med <@{BO}> den 2. oktober 2015 — "
        "“went through her citizen survey”.\n"
        "Din sparring mellem møde 1 og 2: 2 t af 2 t — målet er nået"
    )
    (entry,) = entries(session_factory)
    assert (entry.minutes, entry.given_on, entry.note) == (
        120,
        date(2015, 10, 2),
        "went through her citizen survey",
    )
    assert [r.member.slack_user_id for r in entry.receivers] == [BO]
    assert entry.created_at == bot.clock.now


def test_running_total_and_status(bot: BotUnderTest) -> None:
    first = bot.command("/sparring", f"logged 1t30m med <@{BO}> i går", user=ANNA)
    assert first.text.endswith("1 t 30 min af 2 t — 30 min tilbage til målet.")
    second = bot.command("/sparring", f"2 timer med <@{CAMILLA}> og <@{BO}>", user=ANNA)
    assert second.text.endswith("3 t 30 min af 2 t — målet er nået")
    bot.command("/sparring", f"logged 45 min with <@{ANNA}>", user=BO)

    status = bot.command("/sparring", "", user=ANNA).text
    assert (
        status.splitlines()[0] == "*Din sparring mellem møde 1 og 2* (21. sep. – 16. november 2015)"
    )
    assert f"• 4. okt.: 1 t 30 min med <@{BO}>" in status
    assert f"• 5. okt.: 2 t med <@{CAMILLA}> og <@{BO}>" in status
    assert "Givet i alt: 3 t 30 min af 2 t — målet er nået" in status
    assert f"Modtaget fra andre: 45 min (<@{BO}> 45 min)" in status
    assert bot.command("/sparring", "status", user=ANNA).text == status


def test_english_member_is_answered_in_english(bot: BotUnderTest) -> None:
    reply = bot.command("/sparring", f"logged 45 minutes with <@{ANNA}> yesterday", user=FREDERIK)
    assert reply.text == (
        f"✅ Recorded: 45 min of sparring with <@{ANNA}> on 4 October 2015.\n"
        "Your sparring between meetings 1 and 2: 45 min of 2 h — 1 h 15 min to go."
    )
    assert bot.command("/sparring", "help", user=FREDERIK).text.startswith("*/sparring* — log")


def test_undo_removes_the_latest_and_says_what(
    bot: BotUnderTest, session_factory: sessionmaker[Session]
) -> None:
    bot.command("/sparring", f"logged 1h with <@{BO}> 2/10", user=ANNA)
    bot.command("/sparring", f"logged 30m with <@{CAMILLA}> fik styr på det", user=ANNA)
    reply = bot.command("/sparring", "undo", user=ANNA).text
    assert reply == (
        f"↩️ Fjernet: 30 min sparring med <@{CAMILLA}> den 5. oktober 2015 — “fik styr på det”.\n"
        "Din sparring mellem møde 1 og 2: 1 t af 2 t — 1 t tilbage til målet."
    )
    kept = [e for e in entries(session_factory) if e.removed_at is None]
    assert [e.minutes for e in kept] == [60]
    bot.command("/sparring", "undo", user=ANNA)
    assert bot.command("/sparring", "undo", user=ANNA).text == (
        "Du har ingen registreret sparring at fjerne."
    )


@pytest.mark.parametrize(
    ("text", "expected_start"),
    [
        ("logged 2x", "Jeg forstod ikke varigheden “2x”."),
        ("logged 0h", "Varigheden skal være mere end 0"),
        ("logged -2h", "Varigheden skal være mere end 0"),
        ("logged 13h", "13 t er mere end 12 timer i én registrering."),
        ("logged 1h on 6/10", "6. oktober 2015 ligger i fremtiden."),
        ("logged 1h on 2015-08-30", "30. august 2015 ligger uden for netværkets sæson"),
        ("logged 1h on 31/2", "Jeg forstod ikke datoen “31/2”."),
        (f"logged 1h with <@{ANNA}>", "Du kan ikke registrere sparring med dig selv."),
        ("logged 1h with <@U0STRANGER|sam>", "<@U0STRANGER> er ikke medlem af dit netværk."),
        (f"logged 1h with <@{FACILITATOR}>", f"<@{FACILITATOR}> er ikke medlem af dit netværk."),
        ("logged 1h with @anna", "Jeg kan ikke se, hvem “@anna” er."),
        ("logged", "Skriv, hvor lang tid du gav sparring"),
    ],
)
def test_bad_input_is_explained_and_nothing_stored(
    bot: BotUnderTest, session_factory: sessionmaker[Session], text: str, expected_start: str
) -> None:
    reply = bot.command("/sparring", text, user=ANNA)
    assert reply.status == 200
    assert reply.text.startswith(expected_start), reply.text
    if text != "logged":
        # The member's own words come back, so nothing they typed is lost.
        # (A mention Slack resolved stays a mention, shown by the person's current name.)
        shown = text.replace("|sam>", ">")
        assert reply.text.endswith(f"Det, du skrev: `/sparring {shown}`")
    assert count(session_factory) == 0


def test_errors_in_english(bot: BotUnderTest) -> None:
    reply = bot.command("/sparring", "logged 2 dage", user=FREDERIK)
    assert reply.text.startswith("I did not understand the duration “2”.")
    assert "`1h30m`" in reply.text


def test_unknown_subcommand_gets_help(bot: BotUnderTest) -> None:
    reply = bot.command("/sparring", "gave 2h", user=ANNA).text
    assert reply.startswith("Jeg kender ikke `/sparring gave`.")
    assert "`/sparring fortryd`" in reply


def test_non_member_is_told_whom_to_contact(
    bot: BotUnderTest, session_factory: sessionmaker[Session]
) -> None:
    reply = bot.command("/sparring", f"logged 2h with <@{ANNA}>", user="U0OUTSIDER")
    assert reply.text.startswith("Du er ikke medlem af et netværk i Tovholder")
    assert "<@U0FACIL002> og <@U0FACIL001>" in reply.text  # by name
    assert count(session_factory) == 0
    assert "Du er ikke medlem" in bot.command("/sparring", "", user=FACILITATOR).text


def test_forged_signature_is_refused_and_stores_nothing(
    bot: BotUnderTest, session_factory: sessionmaker[Session]
) -> None:
    reply = bot.command("/sparring", "logged 2h", user=ANNA, secret="not-the-secret")
    assert reply.status == 401
    assert count(session_factory) == 0


def test_old_timestamp_is_refused_and_stores_nothing(
    bot: BotUnderTest, session_factory: sessionmaker[Session]
) -> None:
    six_minutes_ago = int(time.time()) - 6 * 60
    reply = bot.command("/sparring", "logged 2h", user=ANNA, timestamp=six_minutes_ago)
    assert reply.status == 401
    assert count(session_factory) == 0
    recent = int(time.time()) - 4 * 60
    assert bot.command("/sparring", "logged 2h", user=ANNA, timestamp=recent).status == 200
    assert count(session_factory) == 1


def test_health_check_and_unknown_paths(bot: BotUnderTest) -> None:
    import urllib.error
    import urllib.request

    with urllib.request.urlopen(bot.url + "/healthz", timeout=5) as resp:
        assert resp.status == 200
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(bot.url + "/nothing-here", timeout=5)
    assert err.value.code == 404


def test_the_app_checked_its_token_with_slack_api_url(bot: BotUnderTest) -> None:
    (call,) = [c for c in bot.startup_calls if c.method == "auth.test"]
    assert call.headers.get("Authorization") == "Bearer xoxb-test-token"


def test_after_the_season_status_shows_the_last_period(bot: BotUnderTest) -> None:
    bot.clock.now = datetime(2016, 5, 2, 8, 0, tzinfo=UTC)
    bot.command("/sparring", f"logged 2h with <@{BO}>", user=ANNA)
    bot.clock.now = datetime(2016, 8, 1, 8, 0, tzinfo=UTC)
    status = bot.command("/sparring", "", user=ANNA).text
    assert status.startswith("*Din sparring efter møde 4*")
    assert "Givet i alt: 2 t af 2 t" in status
    late = bot.command("/sparring", "logged 1h", user=ANNA).text
    assert late.startswith("1. august 2016 ligger uden for netværkets sæson")


def test_help_in_the_members_own_words_with_this_seasons_dates(bot: BotUnderTest) -> None:
    bot.clock.now = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)  # a later season's clock
    danish = bot.command("/sparring", "hjælp", user=ANNA).text
    assert "`/sparring logget 2t med @anna den 2026-11-26 gennemgik" in danish
    assert "`/sparring fortryd`" in danish and "logged" not in danish and "2015" not in danish
    english = bot.command("/sparring", "help", user=FREDERIK).text
    assert "`/sparring logged 2h with @anna on 2026-11-26 went through" in english
    wrong_date = bot.command("/sparring", "logget 1t den 31/2", user=ANNA).text
    assert wrong_date.startswith("Jeg forstod ikke datoen “31/2”. Skriv den fx som `2026-11-26`")
