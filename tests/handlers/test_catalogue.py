import ast
import re
import string
from datetime import date
from pathlib import Path

import pytest

from handlers.blocks import cut_mrkdwn
from handlers.catalogue import MESSAGES, format_date, format_list, format_minutes, plain_text, t
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
    assert format_date("da", date(2015, 10, 2), short=True) == "2. okt"
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
