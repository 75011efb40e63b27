import os
import re
import shutil
import string
from datetime import date
from pathlib import Path

import pytest

from handlers import catalogue
from handlers import locale as catalogues
from handlers.blocks import cut_mrkdwn
from handlers.catalogue import (
    MESSAGES,
    command_word,
    format_date,
    format_list,
    format_minutes,
    format_money,
    format_number,
    plain_text,
    relative_day,
    render_text,
    slack_text,
    surface,
    t,
    template,
)
from handlers.parsing import escape_slack

ROOT = Path(__file__).resolve().parents[2]


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_danish_and_english_have_the_same_keys_and_placeholders() -> None:
    assert MESSAGES["da"].keys() == MESSAGES["en"].keys()
    for key in MESSAGES["da"]:
        assert _fields(MESSAGES["da"][key]) == _fields(MESSAGES["en"][key]), key


def test_every_key_the_code_uses_exists() -> None:
    used = catalogues.keys_used_in_code(ROOT)
    assert "sparring.error.too_long" in used  # the scan finds keys raised in models/
    assert used.keys() - MESSAGES["da"].keys() == set()


def test_the_catalogues_are_valid_complete_and_up_to_date() -> None:
    # Every .po and the .pot parse; the template matches the English; every Danish entry is
    # translated and not fuzzy, with the English placeholders; only the neutral markup; any
    # compiled .mo matches its .po. (`python -m bot i18n check` says the same.)
    assert catalogues.check(root=ROOT) == []
    assert set(MESSAGES) == set(catalogues.LANGUAGES)
    assert len(MESSAGES["da"]) > 300


def test_texts_carry_no_slack_markup() -> None:
    for lang, texts in MESSAGES.items():
        for key, text in texts.items():
            assert catalogues.markup_problems(text) == [], (lang, key)
            assert not re.search(r"(?<!\*)\*[^*\s][^*]*\*(?!\*)", text), (lang, key)  # *bold*
    assert MESSAGES["da"]["home.network"] == "**{network}**"


def test_the_slack_renderer_turns_neutral_markup_into_mrkdwn() -> None:
    neutral = "**Møde {number}:** `/prep` & <{a}> {{x}} {n:# dag|# dage}"  # & < > are text
    assert (
        slack_text(neutral) == "*Møde {number}:* `/prep` &amp; &lt;{a}&gt; {{x}} {n:# dag|# dage}"
    )
    assert render_text(neutral, "markdown") == neutral  # another surface reads it as it is
    assert template("da", "home.network") == "*{network}*"
    assert template("da", "home.network", "markdown") == "**{network}**"
    # Member text is data on every surface's path: typed asterisks are not bold markup.
    assert t("da", "home.network", network="**x** <@U1>") == "***x** &lt;@U1&gt;*"


def test_t_reads_no_file(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_io(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("t() read a catalogue file")

    monkeypatch.setattr(catalogues, "read_catalogue", no_io)
    monkeypatch.setattr(catalogues, "load", no_io)
    assert t("en", "sparring.undo.nothing") == MESSAGES["en"]["sparring.undo.nothing"]


def _copy_catalogues(to: Path) -> Path:
    shutil.copytree(
        catalogues.LOCALE_DIR, to, ignore=shutil.ignore_patterns("*.py", "*.mo", "__pycache__")
    )
    return to


def _edit(path: Path, old: str, new: str, *, append: str = "") -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new) + append, encoding="utf-8")


def test_a_changed_or_new_english_text_reaches_the_translator(tmp_path: Path) -> None:
    directory = _copy_catalogues(tmp_path / "locale")
    assert catalogues.extract(directory) is False  # nothing to do
    assert catalogues.update(directory) == {"da": (0, 0, 0)}
    _edit(
        catalogues.po_path("en", directory),
        'msgid "tomorrow"\n',
        'msgid "tomorrow morning"\n',
        append='\nmsgctxt "when.later"\nmsgid "later, {name}"\nmsgstr ""\n',
    )
    assert catalogues.extract(directory) is True
    assert catalogues.update(directory) == {"da": (1, 1, 0)}
    danish = catalogues.read_catalogue(catalogues.po_path("da", directory))
    changed = danish.get("tomorrow morning", context="when.tomorrow")
    assert changed is not None and changed.fuzzy
    assert '#| msgid "tomorrow"\n' in catalogues.po_path("da", directory).read_text("utf-8")
    assert changed.string == "i morgen"  # kept for the translator to review
    problems = catalogues.check(directory, root=tmp_path)
    assert "da/tovholder.po when.tomorrow: fuzzy" in problems
    assert "da/tovholder.po when.later: untranslated" in problems
    texts = catalogues.load("da", directory)  # until translated, gettext's way: the English
    assert (texts["when.tomorrow"], texts["when.later"]) == ("tomorrow morning", "later, {name}")


def test_a_wrong_translation_is_reported(tmp_path: Path) -> None:
    directory = _copy_catalogues(tmp_path / "locale")
    _edit(
        catalogues.po_path("da", directory), 'msgstr "om {days:# dag|# dage}"', 'msgstr "om {dage}"'
    )
    _edit(catalogues.po_path("da", directory), 'msgstr "i morgen"', 'msgstr "*i morgen* <!here>"')
    _edit(catalogues.po_path("da", directory), 'msgstr "i dag"', 'msgstr "_i dag_ & <3"')
    problems = catalogues.check(directory, root=tmp_path)
    assert any("when.in_days: placeholders ['dage'] differ" in p for p in problems), problems
    assert any("when.tomorrow: a `*` outside **bold**" in p for p in problems), problems
    assert any("when.tomorrow: a Slack mention, link or entity" in p for p in problems), problems
    assert [p for p in problems if "when.today" in p] == [
        "da/tovholder.po when.today: Slack's _italic_ (the markup is **bold** and `code` only)"
    ]  # a plain & or < is text
    catalogues.po_path("en", directory).write_text('msgid "unclosed\n', encoding="utf-8")
    assert catalogues.check(directory, root=tmp_path)[0].startswith("cannot read a catalogue")


def test_compiled_catalogues_give_the_same_texts_and_a_stale_one_is_not_used(
    tmp_path: Path,
) -> None:
    directory = _copy_catalogues(tmp_path / "locale")
    from_po = {lang: catalogues.load(lang, directory) for lang in catalogues.LANGUAGES}
    assert catalogues.compile_all(directory) == [
        catalogues.mo_path(lang, directory) for lang in catalogues.LANGUAGES
    ]
    assert {lang: catalogues.load(lang, directory) for lang in catalogues.LANGUAGES} == from_po
    assert from_po == MESSAGES
    assert catalogues.check(directory, root=tmp_path) == []
    po = catalogues.po_path("da", directory)
    _edit(po, 'msgstr "i morgen"', 'msgstr "imorgen"')
    mo_time = catalogues.mo_path("da", directory).stat().st_mtime
    os.utime(po, (mo_time + 1, mo_time + 1))  # the .po edited after compiling
    assert catalogues.load("da", directory)["when.tomorrow"] == "imorgen"
    assert "da/tovholder.mo is stale: run `python -m bot i18n compile`" in catalogues.check(
        directory, root=tmp_path
    )


def test_the_i18n_command_checks_the_catalogues(capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli import main

    assert main(["i18n", "check"]) == 0
    assert "complete and consistent" in capsys.readouterr().out
    assert catalogue.language("xx") == "da"


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


def test_texts_from_a_branch_written_against_the_old_dict_can_be_taken_in(
    tmp_path: Path,
) -> None:
    # Another branch may still add keys to the old `MESSAGES = {...}` in catalogue.py.
    directory = _copy_catalogues(tmp_path / "locale")
    old = {lang: {key: template(lang, key) for key in MESSAGES[lang]} for lang in MESSAGES}
    for lang, soon in (("da", "*snart*, {name}"), ("en", "*soon*, {name}")):
        items = list(old[lang].items())
        at = [key for key, _ in items].index("when.tomorrow") + 1
        old[lang] = dict([*items[:at], ("when.soon", soon), *items[at:]])
    old["en"]["home.network"] = "*Network:* {network}"
    legacy = tmp_path / "catalogue.py"
    legacy.write_text(f"MESSAGES: dict[str, dict[str, str]] = {old!r}\n", encoding="utf-8")

    added, changed = catalogues.absorb(catalogues.legacy_messages(legacy), directory)
    assert (added, changed) == (["when.soon"], ["home.network"])
    assert catalogues.extract(directory) is True
    assert catalogues.check(directory, root=tmp_path) == []
    da = catalogues.load("da", directory)
    assert list(da)[list(da).index("when.tomorrow") + 1] == "when.soon"
    assert da["when.soon"] == "**snart**, {name}"
    assert catalogues.load("en", directory)["home.network"] == "**Network:** {network}"
    assert catalogues.absorb(catalogues.legacy_messages(legacy), directory) == ([], [])


def test_texts_are_built_for_the_surface_in_force_and_typed_text_stays_inert_on_each() -> None:
    from handlers.catalogue import current_surface, escape, surface

    typed = "se [her](https://evil.example) <!channel> **vigtigt**"
    slack = t("en", "network.forget.erased_person")
    assert current_surface() == "slack"
    with surface("teams"):
        assert current_surface() == "teams"
        shown = escape(typed)
        # No Markdown link, bold or HTML survives: each markup character is escaped.
        assert "[her](" not in shown and "**vigtigt**" not in shown
        assert "\\<!channel\\>" in shown
        assert shown.replace("\\", "") == typed
        assert t("en", "network.forget.erased_person") == slack  # same words, other surface
    assert current_surface() == "slack"
    assert escape(typed) == typed.replace("<", "&lt;").replace(">", "&gt;")
    with pytest.raises(ValueError), surface("fax"):
        pass


def test_texts_name_commands_and_the_platform_as_the_surface_takes_them() -> None:
    assert "`/sparring logget 2t med @anna`" in t("da", "home.help")
    assert "Slack" in t("da", "sparring.error.unresolved_name", value="@bo")
    with surface("teams"):
        assert t("da", "followup.help").startswith("**opfølgning** — ")
        assert "`" not in t("en", "home.help") and "sparring logged 2h" in t("en", "home.help")
        unresolved = t("da", "sparring.error.unresolved_name", value="/sparring")
        assert "Teams" in unresolved and "Slack" not in unresolved
        assert "/sparring" in unresolved  # a typed value is never rewritten
    assert command_word("da", "spread", "teams") == "spredning"
    assert command_word("en", "spread", "teams") == "spread"
    assert command_word("da", "spread") == "/spread"
