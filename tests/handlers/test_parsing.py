from datetime import date

import pytest

from handlers.parsing import (
    SparringCommand,
    escape_slack,
    excerpt,
    parse_date,
    parse_duration,
    parse_sparring_log,
    split_subcommand,
)
from models.errors import InputError

TODAY = date(2015, 10, 5)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("2h", 120),
        ("2 h", 120),
        ("1.5h", 90),
        ("1,5 t", 90),
        ("90m", 90),
        ("90 min", 90),
        ("1h30m", 90),
        ("1t30m", 90),
        ("1h 30 min", 90),
        ("2 timer", 120),
        ("1 time", 60),
        ("2 hours", 120),
        ("1 hour", 60),
        ("45 minutes", 45),
        ("30 minutter", 30),
        ("2H", 120),
        ("0.25h", 15),
        ("0h", 0),
        ("-2h", -120),
    ],
)
def test_durations(text: str, minutes: int) -> None:
    assert parse_duration(text) == minutes


@pytest.mark.parametrize("text", ["2", "2x", "two hours", "h", "2 dage", "1h30", ""])
def test_bad_durations(text: str) -> None:
    with pytest.raises(InputError) as err:
        parse_duration(text)
    assert err.value.key == "sparring.error.bad_duration"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2015-10-02", date(2015, 10, 2)),
        ("2/10", date(2015, 10, 2)),
        ("2.10", date(2015, 10, 2)),
        ("2.10.", date(2015, 10, 2)),
        ("2.10.2015", date(2015, 10, 2)),
        ("2/10/15", date(2015, 10, 2)),
        ("24/3", date(2015, 3, 24)),  # without a year: the latest one not after today …
        ("24/12", date(2014, 12, 24)),
        ("5/10", date(2015, 10, 5)),
        ("6/10", date(2015, 10, 6)),  # … unless it is within the coming month
        ("5/11", date(2015, 11, 5)),
        ("i dag", TODAY),
        ("idag", TODAY),
        ("today", TODAY),
        ("I går", date(2015, 10, 4)),
        ("igår", date(2015, 10, 4)),
        ("yesterday", date(2015, 10, 4)),
        ("i forgårs", date(2015, 10, 3)),
        ("29/2", date(2012, 2, 29)),
    ],
)
def test_dates(text: str, expected: date) -> None:
    assert parse_date(text, today=TODAY) == expected


@pytest.mark.parametrize("text", ["32/10", "2015-02-30", "13.13.2015", "tomorrow", "2/10/2015x"])
def test_bad_dates(text: str) -> None:
    with pytest.raises(InputError) as err:
        parse_date(text, today=TODAY)
    assert err.value.key == "sparring.error.bad_date"
    assert err.value.params["value"] == text


def test_the_issue_example() -> None:
    parsed = parse_sparring_log(
        "2h with <@U0ANNA0001|anna> on 2015-10-02 went through her citizen survey", today=TODAY
    )
    assert parsed.minutes == 120
    assert parsed.receiver_ids == ["U0ANNA0001"]
    assert parsed.given_on == date(2015, 10, 2)
    assert parsed.note == "went through her citizen survey"


@pytest.mark.parametrize(
    ("text", "minutes", "receivers", "day", "note"),
    [
        ("90 min", 90, [], TODAY, ""),
        ("1t30m med <@U1> <@U2> i går", 90, ["U1", "U2"], date(2015, 10, 4), ""),
        ("2 hours, with <@U1>, <@U2> and <@U3> ideas", 120, ["U1", "U2", "U3"], TODAY, "ideas"),
        (
            "3h <@U1> og <@U2>, i går; godt &amp; sjovt",
            180,
            ["U1", "U2"],
            date(2015, 10, 4),
            "godt & sjovt",
        ),
        ("1 time 2/10 <@U1> om <b>", 60, ["U1"], date(2015, 10, 2), "om <b>"),
        ("45 minutes den 2.10.2015 kort", 45, [], date(2015, 10, 2), "kort"),
        ("1h with <@U1> on the survey design", 60, ["U1"], TODAY, "on the survey design"),
        ("1h talked to <@U2> after", 60, ["U2"], TODAY, "talked to <@U2> after"),
        ("1h <@U1> <@U1>", 60, ["U1"], TODAY, ""),
        # Typed, not a mention: Slack escaped it, and it stays text after unescaping.
        ("1h hej &lt;@U1&gt; &lt;@member:7&gt;", 60, [], TODAY, "hej <@U1> <@member:7>"),
        ("1h <@member:7> og <@U2>", 60, ["member:7", "U2"], TODAY, ""),
    ],
)
def test_log_forms(text: str, minutes: int, receivers: list[str], day: date, note: str) -> None:
    parsed = parse_sparring_log(text, today=TODAY)
    assert (parsed.minutes, parsed.receiver_ids, parsed.given_on, parsed.note) == (
        minutes,
        receivers,
        day,
        note,
    )


@pytest.mark.parametrize(
    ("text", "key", "value"),
    [
        ("", "sparring.error.missing_duration", None),
        ("with <@U1>", "sparring.error.missing_duration", None),
        ("2x with <@U1>", "sparring.error.bad_duration", "2x"),
        ("2 with <@U1>", "sparring.error.bad_duration", "2"),
        ("2h with @anna", "sparring.error.unresolved_name", "@anna"),
        ("2h @anna", "sparring.error.unresolved_name", "@anna"),
        ("2h with", "sparring.error.empty_with", "with"),
        ("2h on 33/2", "sparring.error.bad_date", "33/2"),
        ("2h on 2015-13-01 notes", "sparring.error.bad_date", "2015-13-01"),
    ],
)
def test_log_errors(text: str, key: str, value: str | None) -> None:
    with pytest.raises(InputError) as err:
        parse_sparring_log(text, today=TODAY)
    assert err.value.key == key
    assert err.value.params.get("value") == value


@pytest.mark.parametrize(
    ("text", "command", "rest"),
    [
        ("", SparringCommand.STATUS, ""),
        ("status", SparringCommand.STATUS, ""),
        ("logged 2h with <@U1>", SparringCommand.LOG, "2h with <@U1>"),
        ("LOGGET 2 timer", SparringCommand.LOG, "2 timer"),
        ("2h with <@U1>", SparringCommand.LOG, "2h with <@U1>"),
        ("undo", SparringCommand.UNDO, ""),
        ("fortryd", SparringCommand.UNDO, ""),
        ("help", SparringCommand.HELP, ""),
        ("hjælp", SparringCommand.HELP, ""),
        ("gave 2h", None, "2h"),
    ],
)
def test_subcommands(text: str, command: SparringCommand | None, rest: str) -> None:
    got_command, _word, got_rest = split_subcommand(text)
    assert (got_command, got_rest) == (command, rest)


def test_escape_leaves_no_markup_but_resolved_mentions() -> None:
    typed = "a < b & <@U1> <@U2|bo> <https://x.dk|x> <!channel> <!subteam^S1|@all> <#C1>"
    assert escape_slack(typed) == (
        "a &lt; b &amp; &lt;@U1&gt; &lt;@U2|bo&gt; &lt;https://x.dk|x&gt; &lt;!channel&gt; "
        "&lt;!subteam^S1|@all&gt; &lt;#C1&gt;"
    )
    # Only the people the bot resolved stay live, without the label typed beside them.
    assert escape_slack(typed, mentions=["U2"]).startswith("a &lt; b &amp; &lt;@U1&gt; <@U2> &lt;")
    assert escape_slack(escape_slack(typed)) == escape_slack(typed)  # never escaped twice


@pytest.mark.parametrize(
    ("danish", "english"),
    [
        ("logget 2t med <@U0BO000002> i går", "logged 2h with <@U0BO000002> yesterday"),
        ("logget 1t30m med <@U0BO000002> den 2/10", "logged 1h30m with <@U0BO000002> on 2/10"),
        ("logget 45 min i dag", "logged 45 minutes today"),
    ],
)
def test_danish_and_english_command_words_mean_the_same(danish: str, english: str) -> None:
    da_command, _, da_rest = split_subcommand(danish)
    en_command, _, en_rest = split_subcommand(english)
    assert da_command is en_command is SparringCommand.LOG
    assert parse_sparring_log(da_rest, today=TODAY) == parse_sparring_log(en_rest, today=TODAY)
    assert split_subcommand("fortryd")[0] is split_subcommand("undo")[0] is SparringCommand.UNDO
    assert split_subcommand("hjælp")[0] is split_subcommand("help")[0] is SparringCommand.HELP


def test_network_options_in_either_language() -> None:
    from handlers.network import options_of

    danish = options_of('2 dato=2026-12-01 tid=10:00-13:00 sted="Rådhuset" vært="Vejle Kommune"')
    english = options_of('2 date=2026-12-01 time=10:00-13:00 place="Rådhuset" host="Vejle Kommune"')
    assert danish == english
    assert options_of('@kim org=X leder="Lone" sprog=en') == {
        "org": "X",
        "manager": "Lone",
        "lang": "en",
    }


def test_an_excerpt_says_it_was_cut() -> None:
    assert excerpt("kort", 10) == "kort"
    assert excerpt("en meget lang tekst", 10) == "en meget…"
