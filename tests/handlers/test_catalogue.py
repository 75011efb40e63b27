import ast
import re
import string
from datetime import date
from pathlib import Path

import pytest

from handlers.blocks import cut_mrkdwn
from handlers.catalogue import (
    MESSAGES,
    format_date,
    format_list,
    format_minutes,
    format_money,
    format_number,
    plain_text,
    relative_day,
    t,
)
from handlers.parsing import escape_slack

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE_PREFIXES = {
    "error",
    "sparring",
    "network",
    "period",
    "home",
    "meeting",
    "prep",
    "nudge",
    "between",
    "attendance",
    "headcount",
    "notice",
    "followup",
    "spread",
    "when",
}


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_danish_and_english_have_the_same_keys_and_placeholders() -> None:
    assert MESSAGES["da"].keys() == MESSAGES["en"].keys()
    for key in MESSAGES["da"]:
        assert _fields(MESSAGES["da"][key]) == _fields(MESSAGES["en"][key]), key


def _keys_used_in_code() -> set[str]:
    """Every catalogue key the code names as a string literal."""
    keys: set[str] = set()
    pattern = re.compile(r"^[a-z_]+(\.[a-z_]+)+$")
    for package in ("bot", "handlers", "jobs", "models"):
        for path in (ROOT / package).rglob("*.py"):
            if path.name == "catalogue.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and pattern.match(node.value)
                    and node.value.split(".")[0] in CATALOGUE_PREFIXES
                    and not node.value.endswith(".id")  # ForeignKey("meeting.id")
                ):
                    keys.add(node.value)
    return keys


def test_every_key_the_code_uses_exists() -> None:
    used = _keys_used_in_code()
    assert "sparring.error.too_long" in used  # the scan finds keys raised in models/
    assert used - MESSAGES["da"].keys() == set()


@pytest.mark.parametrize(
    ("minutes", "da", "en"),
    [(120, "2 t", "2 h"), (210, "3 t 30 min", "3 h 30 min"), (45, "45 min", "45 min")],
)
def test_durations_read_naturally(minutes: int, da: str, en: str) -> None:
    assert format_minutes("da", minutes) == da
    assert format_minutes("en", minutes) == en


def test_dates_and_lists() -> None:
    assert format_date("da", date(2015, 10, 2)) == "2. oktober 2015"
    assert format_date("en", date(2015, 10, 2)) == "2 October 2015"
    assert format_date("da", date(2015, 10, 2), short=True) == "2. okt."
    assert format_list("da", ["a", "b", "c"]) == "a, b og c"
    assert format_list("en", ["a", "b"]) == "a and b"


def test_parameters_render_for_the_language() -> None:
    assert t("da", "sparring.error.not_members", users=["U1", "U2"]).startswith(
        "<@U1> og <@U2> er ikke medlem"
    )
    assert t("en", "sparring.progress.reached", given_minutes=210, target_minutes=120) == (
        "3 h 30 min of 2 h — target reached"
    )
    assert t("xx", "sparring.undo.nothing") == MESSAGES["da"]["sparring.undo.nothing"]


@pytest.mark.parametrize(
    ("days", "da", "en"),
    [(0, "i dag", "today"), (1, "i morgen", "tomorrow"), (2, "om 2 dage", "in 2 days")],
)
def test_relative_days_follow_each_language(days: int, da: str, en: str) -> None:
    assert relative_day("da", days) == da
    assert relative_day("en", days) == en
    assert relative_day("da", days, capital=True) == da[0].upper() + da[1:]


def test_plurals_numbers_and_kroner_follow_each_language() -> None:
    assert t("da", "headcount.total", total=1, members=1, subs=0) == (
        "*Forplejning til 1* (1 medlem og 0 kolleger)"
    )
    assert t("en", "headcount.total", total=3, members=2, subs=1) == (
        "*Catering for 3* (2 members and 1 colleague)"
    )
    assert t("da", "sparring.status.more", count=1) == "… og 1 tidligere registrering."
    assert t("en", "nudge.text.agenda", count=1, number=2, relative="today") == (
        "You have 1 question for you at meeting 2 today."
    )
    assert format_money("da", 2460000) == "2.460.000 kr."
    assert format_money("en", 2460000) == "DKK 2,460,000"
    assert format_number("da", 1234567) == "1.234.567"


def test_danish_says_leder_not_chef() -> None:
    assert [k for k, text in MESSAGES["da"].items() if re.search("chef", text, re.I)] == []


def test_no_text_names_a_fixed_year() -> None:
    for lang in MESSAGES:
        assert [k for k, text in MESSAGES[lang].items() if re.search(r"\b20\d\d\b", text)] == []


HINTS = {
    "sparring.help": {"target_minutes": 120},
    "sparring.error.bad_date": {"value": "32/13"},
    "sparring.error.too_long": {"minutes": 800},
    "network.error.meeting_form": {},
}


@pytest.mark.parametrize("key", HINTS)
def test_hints_show_dates_of_this_season(key: str) -> None:
    for lang in MESSAGES:
        text = t(lang, key, today=date(2026, 11, 29), **HINTS[key])
        assert "2015" not in text
        assert "2026-11-26" in text or "2026-12-27" in text, text


def test_danish_help_shows_danish_command_words() -> None:
    sparring = t("da", "sparring.help", target_minutes=120, today=date(2026, 11, 29))
    assert "`/sparring logget 2t med @anna den 2026-11-26 " in sparring
    assert "`/sparring logget 1t30m med @anna @bo i går`" in sparring
    assert "`/sparring fortryd`" in sparring
    for english in ("logged", " with ", "undo", "`2h`", "`help`"):
        assert english not in sparring
    network = t("da", "network.help")
    assert "`/network overblik`" in network and "`/network glem @medlem`" in network
    for english in ("summary", "members", "forget", "mydata", "export"):
        assert english not in network
    for key in ("home.help", "between.sparring_hint", "sparring.status.hint", "prep.help"):
        assert "logged" not in t("da", key) and "help`" not in t("da", key), key
    assert "`/sparring logged 2h with @anna on 2026-11-26 " in t(
        "en", "sparring.help", target_minutes=120, today=date(2026, 11, 29)
    )


def test_escaping_happens_once_and_only_resolved_mentions_stay_live() -> None:
    typed = "<!here> <https://evil.example|klik> & <@U0ANNA0001>"
    text = t("da", "sparring.logged.note", note=typed)
    assert "<!here>" not in text and "<https:" not in text and "<@U0ANNA0001>" not in text
    assert "&lt;!here&gt;" in text and "&amp;" in text
    assert t("da", "sparring.logged.note", note=escape_slack(typed)) == text  # not twice
    assert plain_text(text).endswith(f"{typed}”")  # what a plain_text field shows
    listed = t("da", "sparring.error.not_members", users=["U0ANNA0001", "<!channel>"])
    assert listed.startswith("<@U0ANNA0001> og &lt;!channel&gt;")


def test_a_cut_never_leaves_half_an_escape_or_mention() -> None:
    text = escape_slack("a" * 10 + "<&>")  # aaaaaaaaaa&lt;&amp;&gt;
    assert cut_mrkdwn(text, 14) == "a" * 10 + "…"
    assert cut_mrkdwn("hej <@U0ANNA0001>", 10) == "hej …"
    assert cut_mrkdwn("kort", 10) == "kort"
