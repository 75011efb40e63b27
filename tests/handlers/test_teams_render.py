"""The Teams renderer: every part and input of the neutral model as Adaptive Cards that
Microsoft's own card models accept, within Teams' limits, with typed text inert."""

from __future__ import annotations

import inspect
import json
import re
from datetime import date
from typing import Any

import pytest
from markdown_it import MarkdownIt
from microsoft_teams.cards import core as ms
from pydantic import BaseModel

from handlers import conversation as c
from handlers import teams_render as tr
from handlers.catalogue import Mrkdwn, escape, escape_teams, surface, t, teams_plain, teams_text
from models.people import Person

# --- checking a card with Microsoft's models and Teams' limits -------------------------------

# Every Adaptive Card type Microsoft's package models, by its "type"; the renderer may use only
# those Teams has had since schema 1.5.
MODELS: dict[str, type[BaseModel]] = {
    cls.model_fields["type"].default: cls
    for _, cls in inspect.getmembers(ms, inspect.isclass)
    if issubclass(cls, ms.SerializableObject)
    and "type" in cls.model_fields
    and isinstance(cls.model_fields["type"].default, str)
}
TEAMS_1_5 = {
    "AdaptiveCard", "TextBlock", "FactSet", "ColumnSet", "Column", "Container", "ActionSet",
    "Action.Submit", "Input.Text", "Input.Date", "Input.ChoiceSet", "Data.Query",
    "mention",  # not an element: an entity of msteams.entities
}  # fmt: skip


def _problems(obj: dict[str, Any], cls: type[BaseModel], where: str) -> list[str]:
    """What Microsoft's model of `cls` finds wrong in `obj`: pydantic's validation (types,
    enum spellings) plus any property the model does not know (it allows extras)."""
    model = cls.model_validate(obj)
    problems = [f"{where}: unknown {k!r}" for k in model.model_extra or {}]
    for name in cls.model_fields:
        alias = cls.model_config["alias_generator"].validation_alias(name)  # type: ignore[union-attr]
        value = obj.get(alias)
        if alias == "data" or value is None:
            continue  # an action's data is ours to shape
        items = value if isinstance(value, list) else [value]
        for i, item in enumerate(items):
            if isinstance(item, dict):
                problems += _nested(item, getattr(model, name), i, f"{where}.{alias}")
    return problems


def _nested(item: dict[str, Any], attr: Any, i: int, where: str) -> list[str]:
    if "type" in item:
        kind = item["type"]
        if kind not in TEAMS_1_5:
            return [f"{where}: {kind} is not an element Teams renders in 1.5"]
        return _problems(item, MODELS[kind], f"{where}[{kind}]")
    model = attr[i] if isinstance(attr, list) else attr
    return _problems(item, type(model), where)


def check_card(card: dict[str, Any]) -> list[str]:
    """Microsoft's models' and Teams' objections to `card` (none: it is sendable)."""
    problems = _problems(card, ms.AdaptiveCard, "card")
    if card.get("version") != "1.5":
        problems.append(f"version {card.get('version')}")
    if len(json.dumps(card)) > tr.MAX_CARD_SIZE:
        problems.append(f"{len(json.dumps(card))} characters")
    ids: list[str] = []
    for element in _walk(card):
        ids += [element["id"]] if "id" in element else []
        row = element.get("actions", []) if element.get("type") == "ActionSet" else []
        if len(row if element is not card else card.get("actions", [])) > tr.MAX_ACTIONS:
            problems.append(f"{len(element['actions'])} actions in a row")
        submit = element.get("type") == "Action.Submit"
        if submit and len(json.dumps(element["data"])) > tr.MAX_DATA_SIZE:
            problems.append("action data too long")
        if element.get("type") == "TextBlock" and element.get("wrap") is not True:
            problems.append("a TextBlock that does not wrap")
        if element.get("type") in ("TextBlock", "FactSet"):
            problems += _unmatched_mentions(element, card)
    if len(ids) != len(set(ids)):
        problems.append(f"ids not unique: {ids}")
    return problems


_AT_RE = re.compile(r"<at>.*?</at>")


def _unmatched_mentions(element: dict[str, Any], card: dict[str, Any]) -> list[str]:
    """A mention in a card's text needs an entity with exactly its text (and one with no
    `<at>` left in the card is useless)."""
    texts = [element.get("text", "")] + [
        f"{f['title']} {f['value']}" for f in element.get("facts", [])
    ]
    known = {e["text"] for e in card.get("msteams", {}).get("entities", [])}
    return [
        f"mention {m} without its entity"
        for t in texts
        for m in _AT_RE.findall(t)
        if m not in known
    ]


def _walk(obj: Any) -> list[dict[str, Any]]:
    if isinstance(obj, list):
        return [e for item in obj for e in _walk(item)]
    if not isinstance(obj, dict):
        return []
    return [obj, *(e for k, v in obj.items() if k != "data" for e in _walk(v))]


def _texts(card: dict[str, Any]) -> list[str]:
    out = []
    for element in _walk(card):
        if element.get("type") == "TextBlock":
            out.append(element["text"])
        for fact in element.get("facts", []):
            out += [fact["title"], fact["value"]]
    return out


def test_the_checker_catches_what_teams_would_refuse() -> None:
    bad = {
        "type": "AdaptiveCard",
        "version": "1.5",
        "body": [
            {"type": "TextBlock", "text": "x", "wrap": True, "weight": "bold"},  # "Bolder"
            {"type": "TextBlock", "text": "x", "wrap": True, "colour": "Attention"},
            {"type": "Table", "rows": []},
            {"type": "Input.ChoiceSet", "id": "a", "choices": [{"title": "x", "vaule": "y"}]},
        ],
    }
    with pytest.raises(ValueError, match="weight"):
        check_card(bad)
    bad["body"] = bad["body"][1:]
    assert check_card(bad) == [
        "card.body[TextBlock]: unknown 'colour'",
        "card.body: Table is not an element Teams renders in 1.5",
        "card.body[Input.ChoiceSet].choices: unknown 'vaule'",
    ]


# --- messages and overviews -------------------------------------------------------------------


def _every_part() -> list[c.Part]:
    go = c.Button("Log", "act_log", value="7", style="primary")
    return [
        c.Heading("Møde 3", block="head"),
        c.Paragraph("Første afsnit\nanden linje", button=go, block="para"),
        c.Facts([(f"label {i}", f"value {i}") for i in range(12)], block="facts"),
        c.Divider(),
        c.Buttons(
            [c.Button(f"b{i}", f"act_{i}", value=str(i)) for i in range(7)]
            + [c.Button("Nej", "act_no", style="danger")],
            block="row",
        ),
        c.Note("small print", block="note"),
        c.Divider(),
    ]


def test_a_message_of_every_part_is_a_card_microsoft_accepts_and_nothing_is_dropped() -> None:
    msg = c.Message("Besked om møde 3", _every_part())
    card = tr.card(msg)
    assert check_card(card) == []
    assert card["fallbackText"] == "Besked om møde 3"
    body = card["body"]
    assert [(e["type"], e.get("id")) for e in body] == [
        ("TextBlock", "head"), ("ColumnSet", "para"), ("FactSet", "facts"),
        ("ActionSet", "row"), ("ActionSet", None), ("TextBlock", "note"),
    ]  # fmt: skip
    assert body[0] == {
        "type": "TextBlock", "text": "Møde 3", "wrap": True,
        "weight": "Bolder", "size": "Medium", "style": "heading", "id": "head",
    }  # fmt: skip
    text, beside = body[1]["columns"]
    assert text["items"][0]["text"] == "Første afsnit\n\nanden linje"  # a line break that shows
    assert beside["items"][0]["actions"] == [
        {
            "type": "Action.Submit",
            "title": "Log",
            "data": {"action": "act_log", "value": "7"},
            "style": "positive",
        }
    ]
    assert body[2]["facts"][11] == {"title": "label 11", "value": "value 11"}
    # The divider is the line above the buttons; the trailing one has nothing to separate.
    assert body[3]["separator"] is True and "separator" not in body[5]
    # Eight buttons: six in a row as Teams shows them, then the rest — none folded away.
    actions = body[3]["actions"] + body[4]["actions"]
    assert [len(body[3]["actions"]), len(body[4]["actions"])] == [6, 2]
    assert [a["data"]["action"] for a in actions] == [f"act_{i}" for i in range(7)] + ["act_no"]
    assert actions[-1]["style"] == "destructive" and "style" not in actions[0]
    assert body[5]["isSubtle"] is True and body[5]["size"] == "Small"
    assert tr.message_cards(msg) == [card]
    assert tr.attachment(card) == {
        "contentType": "application/vnd.microsoft.card.adaptive",
        "content": card,
    }


def test_an_overview_is_a_card_and_an_empty_message_shows_its_summary() -> None:
    card = tr.card(c.Overview(_every_part()))
    assert check_card(card) == [] and "fallbackText" not in card
    empty = tr.card(c.Message("Kun resumé"))
    assert check_card(empty) == []
    assert empty["body"] == [{"type": "TextBlock", "text": "Kun resumé", "wrap": True}]


def test_a_huge_message_is_split_into_cards_within_teams_size_and_nothing_is_cut() -> None:
    words = " ".join(f"**ord{i}** og_{i}" for i in range(6000))  # ~90,000 characters
    pairs = [(f"navn {i}", f"værdi {i} ø" * 3) for i in range(1500)]
    buttons = [c.Button(f"knap {i}", "act", value=str(i)) for i in range(400)]
    emoji = c.Note("🙂" * 5000)  # 12 characters each as escaped JSON
    msg = c.Message("lang", [c.Paragraph(words), c.Facts(pairs), c.Buttons(buttons), emoji])
    with pytest.raises(ValueError, match="28000"):
        tr.card(msg)
    cards = tr.message_cards(msg)
    assert len(cards) > 3
    assert all(check_card(card) == [] for card in cards)
    body = [e for card in cards for e in card["body"]]
    texts = [e["text"] for e in body if e["type"] == "TextBlock"]
    # Every piece of text keeps its bold balanced, and together they are the whole text.
    assert all(text.count("**") % 2 == 0 for text in texts)
    assert " ".join(texts[:-3]).replace("** **", " ") == words
    assert "".join(texts[-3:]) == "🙂" * 5000
    facts = [f for e in body if e["type"] == "FactSet" for f in e["facts"]]
    assert [(f["title"], f["value"]) for f in facts] == pairs
    values = [a["data"]["value"] for e in body if e["type"] == "ActionSet" for a in e["actions"]]
    assert values == [str(i) for i in range(400)]


def test_long_text_splits_at_a_space_or_line_never_inside_an_escape_or_bold() -> None:
    assert tr.split_text("a" * 10, 6) == ["aaaa", "aaaaaa"]  # room kept to close a bold span
    assert tr.split_text("ab cd\nef gh", 8) == ["ab cd", "ef gh"]
    escaped = escape_teams("*" * 9)  # \*\*\*... — a cut may not leave a lone backslash
    pieces = tr.split_text(escaped, 7)
    assert "".join(pieces) == escaped and all(not tr._escapes_open(p) for p in pieces)
    assert tr.split_text("**one two three**", 12) == ["**one two**", "**three**"]
    # A piece begins a line: never with what would make it a list or a heading there.
    assert tr.split_text("aa bb - cc 1. dd", 9) == ["aa", "bb -", "cc 1. dd"]
    assert tr.split_text("aaaa-bbbbbbb", 7) == ["aaaa-", "bbbbbbb"]
    long_value = "word " * 2000
    card = tr.card(c.Message("s", [c.Facts([("Langt", long_value)])]))
    facts = [f for e in card["body"] for f in e["facts"]]
    assert [f["title"] for f in facts] == ["Langt"] + [""] * 5  # 10,000 characters
    # Pieces of one table follow each other without a gap.
    assert [e.get("spacing") for e in card["body"]] == [None] + ["None"] * (len(card["body"]) - 1)
    assert " ".join(f["value"] for f in facts) == long_value


# --- Teams text: typed text is data -----------------------------------------------------------

HOSTILE = (
    "[klik her](https://evil.example) <https://evil.example> ![x](https://evil.example/i.png) "
    "**fed** *kursiv* _kursiv_ ~~streg~~ `kode` <at>Direktøren</at> <b>html</b> &lt;at&gt; "
    "\\*x\\* \n- punkt\n1. nummer\n# overskrift\n> citat\n===\n+ plus\r- cr"
)
MARKUP_TAGS = re.compile(r"<(a|strong|em|s|code|li|ol|ul|h\d|blockquote|img|pre|hr|b)\b")


def _html(text: str) -> str:
    return MarkdownIt("commonmark").render(text)


def test_typed_text_becomes_no_link_bold_list_heading_or_mention_in_a_card() -> None:
    with surface("teams"):
        network = t("da", "home.network", network=HOSTILE)  # "**{network}**"
        label = t("en", "prep.error.unknown_subcommand", word=HOSTILE)
        msg = c.Message(
            escape(HOSTILE),
            [
                c.Paragraph(network, button=c.Button(escape(HOSTILE), "act")),
                c.Facts([(escape(HOSTILE), escape(HOSTILE))]),
                c.Note(escape(HOSTILE)),
            ],
        )
    card = tr.card(msg)
    assert check_card(card) == []
    for text in _texts(card):
        assert "<at>" not in text  # a mention needs this exact text (and an entity)
        html = _html(text)
        # The catalogue's own bold is the only markup, around the whole typed text.
        assert MARKUP_TAGS.findall(html.replace("<p><strong>", "<p>", 1)) == [], html
    with surface("teams"):
        one_line = t("da", "home.network", network=HOSTILE.splitlines()[0].strip())
    assert _html(tr.markdown(one_line)).count("<strong>") == 1  # the catalogue's bold stays
    # Where a card shows plain text, it shows exactly what was typed.
    button = card["body"][0]["columns"][1]["items"][0]["actions"][0]
    assert button["title"] == HOSTILE
    assert card["fallbackText"] == HOSTILE
    assert teams_plain(label) == f"I don't know prep {HOSTILE}."


def test_ordinary_typed_text_is_not_littered_with_backslashes() -> None:
    # The mobile clients show a backslash before most characters: escape only what matters.
    for text in ["kl. 9.00 - 10.00 (ca.)", "R&D, Q&A og 3+4=7", "#tag, -5 grader, 50%!", "2.5 t"]:
        assert escape_teams(text) == text
    assert escape_teams("1. møde") == f"1.{J} møde" and escape_teams("- x") == f"-{J} x"
    assert escape_teams("---\n## x\n=\n+") == f"-{J}--\n#{J}# x\n={J}\n+{J}"


J = "\u2060"  # the word joiner that keeps a line's marker from starting a list


@pytest.mark.parametrize(
    "typed",
    ["17. nov.", "17. nov. kl. 9", "3) tre", "- punkt", "+ plus", "# nr", "---", "1.", "==="],
)
def test_a_date_or_marker_at_a_line_start_is_inert_without_a_backslash(typed: str) -> None:
    # Teams mobile shows a backslash before "." or "-": a date that starts a line
    # ("17. nov.: møde") must not read "17\\. nov.", nor become list item 17.
    with surface("teams"):
        for text in (escape(typed), t("da", "home.network", network=typed)):
            card = tr.card(c.Message(text, [c.Paragraph(text), c.Facts([(text, text)])]))
            assert check_card(card) == []
            for shown in _texts(card):
                assert "\\" not in shown
                html = _html(shown)
                assert MARKUP_TAGS.findall(html.replace("<p><strong>", "<p>", 1)) == [], html
                assert html.replace(J, "").startswith(("<p>" + typed, "<p><strong>" + typed))
            assert teams_plain(text).replace("**", "") == typed
    assert teams_plain(escape_teams(f"1.{J}{J} x\n-{J}")) == f"1.{J}{J} x\n-{J}"


@pytest.mark.parametrize(
    "typed",
    [HOSTILE, "\\", "\\\\*", "a\\", "**", "x\r\ny", "", "1) 2. - + # > |", "&#42; &amp;", f"-{J}"],
)
def test_plain_text_is_exactly_what_was_typed(typed: str) -> None:
    assert teams_plain(escape_teams(typed)) == typed
    with surface("teams"):
        assert tr.plain(escape(typed)) == typed
    assert tr.plain(typed) == typed  # text that is not catalogue markup is left alone


def test_catalogue_markup_becomes_teams_markdown() -> None:
    neutral = "**Møde {number}:** `/prep_x {word}` & <{a}> [x] {{y}} {n:# dag|# dage}\n- 1. z"
    assert teams_text(neutral) == (
        "**Møde {number}:** /prep\\_x {word} & \\<{a}\\> \\[x\\] {{y}} {n:# dag|# dage}"
        "\n-\u00a01. z"
    )
    # The catalogue's "1. Forventninger" is a title, not a list, and shows no backslash.
    with surface("teams"):
        header = t("da", "prep.p1.header")
    assert header == "1.\u00a0Forventninger med din leder"
    assert _html(header) == "<p>1.\u00a0Forventninger med din leder</p>\n"
    with surface("teams"):
        text = t("en", "prep.error.unknown_subcommand", word="**x**")
        assert isinstance(text, Mrkdwn)
        assert text == "I don't know prep \\*\\*x\\*\\*."  # Teams' command word
        assert t("da", "home.network", network="a_b") == "**a\\_b**"
    assert "<code>" not in _html(teams_text("Brug `/prep`."))


def test_a_person_on_teams_is_a_real_mention_with_its_entity_in_every_card() -> None:
    anna = Person(name="Anna Lund", teams_id="29:1anna")
    bo = Person(name="Bo Berg", teams_id="bbbbbbbb-0000-4000-8000-00000000b002")  # Entra id
    slack_only = Person(name="Camilla", slack_id="U0CAMILLA1")
    odd = Person(name="Dan *D*", teams_id="29:1dan")  # a name a mention cannot show as is
    erased = Person(name="", erased=True)
    with surface("teams"):
        line = t("da", "sparring.logged.receivers", users=[anna, bo, slack_only, odd, erased])
        named = t("en", "home.network", network=anna)
        msg = c.Message(
            named,
            [
                c.Paragraph(line, button=c.Button(named, "act")),
                c.Facts([(named, line)]),
                *[c.Paragraph(line + " " + "x" * 1900) for _ in range(30)],  # several cards
            ],
        )
    cards = tr.message_cards(msg)
    assert len(cards) > 1
    for card in cards:
        assert check_card(card) == []
        assert {(e["text"], e["mentioned"]["id"]) for e in card["msteams"]["entities"]} == {
            ("<at>Anna Lund</at>", "29:1anna"),
            ("<at>Bo Berg</at>", "bbbbbbbb-0000-4000-8000-00000000b002"),
        }
        assert card["fallbackText"] == "Anna Lund"  # plain text: the name
        for text in _texts(card):
            assert "\ue002" not in text and "<at>Camilla" not in text and "<at>Dan" not in text
    first = cards[0]["body"][0]["columns"]
    assert first[0]["items"][0]["text"] == (
        " med <at>Anna Lund</at>, <at>Bo Berg</at>, **Camilla**, **Dan \\*D\\***"
        " og et slettet medlem"
    )
    assert first[1]["items"][0]["actions"][0]["title"] == "Anna Lund"  # a button: the name
    # One activity: its summary (the notification) names her plainly.
    assert tr.message_activities(c.Message(named, [c.Paragraph(line)]))[0]["summary"] == "Anna Lund"
    # A dialog names people in bold, with no entity (a dialog is no message).
    form = c.Form(
        "k", named, [c.Paragraph(line), c.TextInput("n", named, max_length=5)], submit="ok"
    )
    dialog = tr.form_card("da", form)
    assert "msteams" not in dialog and "**Anna Lund**" in dialog["body"][0]["text"]
    assert dialog["body"][1]["label"] == "Anna Lund"


def test_typed_text_cannot_pose_as_a_mention() -> None:
    forged = "\ue00229:1boss\ue003Direktøren\ue004 <at>Direktøren</at>"
    with surface("teams"):
        card = tr.card(
            c.Message(escape(forged), [c.Paragraph(t("da", "home.network", network=forged))])
        )
    assert "msteams" not in card and check_card(card) == []
    assert card["body"][0]["text"] == "**29:1bossDirektøren \\<at\\>Direktøren\\</at\\>**"


# --- forms ------------------------------------------------------------------------------------


def _options(n: int) -> list[c.Option]:
    return [c.Option(f"o{i}", f"Mulighed {i}") for i in range(n)]


def _form(**changes: Any) -> c.Form:
    fields: dict[str, Any] = {
        "kind": "cb_form",
        "title": "Forberedelse",
        "submit": "Gem",
        "metadata": {"meeting": 3},
        "parts": [
            c.Heading("Om mødet"),
            c.Paragraph("intro"),
            c.TextInput(
                "note", "Note", max_length=500, initial="før", multiline=True,
                hint="Skriv kort", placeholder="fx …",
            ),
            c.TextInput("title", "Titel", max_length=80, optional=True),
            c.DateInput("day", "Dag", initial=date(2026, 11, 30)),
            c.DateInput("until", "Indtil", optional=True),
            c.Divider(),
            c.Choice("radio", "Én", _options(3), chosen=["o1"], expanded=True),
            c.Choice("boxes", "Flere", _options(3), chosen=["o0", "o2"], multi=True, expanded=True),
            c.Choice("agree", "Enig", _options(1), multi=True, expanded=True, optional=True),
            c.Choice("pick", "Vælg", _options(5), placeholder="Vælg en"),
            c.Choice("many", "Mange", _options(40), chosen=["o33"]),
            c.Choice("multi", "Multi", _options(5), multi=True, optional=True),
            c.Choice(
                "who", "Hvem", _options(150), chosen=["o120", "o7"], multi=True,
                search_action="member_search",
            ),
            c.Note("small print"),
        ],
    }  # fmt: skip
    return c.Form(**{**fields, **changes})


def _inputs(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["id"]: e for e in _walk(card) if str(e.get("type", "")).startswith("Input.")}


def test_a_form_with_every_input_is_a_dialog_card_microsoft_accepts() -> None:
    card = tr.form_card("da", _form())
    assert check_card(card) == []
    inputs = _inputs(card)
    assert inputs["note"] == {
        "type": "Input.Text", "id": "note", "label": "Note", "isRequired": True,
        "errorMessage": "Udfyld dette felt.", "maxLength": 500, "isMultiline": True,
        "value": "før", "placeholder": "fx …",
    }  # fmt: skip
    assert inputs["title"] == {
        "type": "Input.Text", "id": "title", "label": "Titel", "isRequired": False,
        "maxLength": 80,
    }  # fmt: skip
    assert inputs["day"]["value"] == "2026-11-30" and "value" not in inputs["until"]
    assert (inputs["radio"]["style"], inputs["radio"]["value"]) == ("expanded", "o1")
    assert "isMultiSelect" not in inputs["radio"]
    assert (inputs["boxes"]["isMultiSelect"], inputs["boxes"]["value"]) == (True, "o0,o2")
    assert inputs["agree"]["choices"] == [{"title": "Mulighed 0", "value": "o0"}]
    assert (inputs["pick"]["style"], inputs["pick"]["placeholder"]) == ("compact", "Vælg en")
    assert len(inputs["pick"]["choices"]) == 5
    assert (inputs["many"]["style"], len(inputs["many"]["choices"])) == ("filtered", 40)
    assert inputs["multi"]["style"] == "compact"  # a filtered drop-down picks one
    # Past 100 options: Teams asks the bot as the member types; the chosen still show.
    who = inputs["who"]
    assert who["choices.data"] == {"type": "Data.Query", "dataset": "member_search"}
    assert who["choices"] == [
        {"title": "Mulighed 7", "value": "o7"},
        {"title": "Mulighed 120", "value": "o120"},
    ]
    assert (who["style"], who["value"]) == ("filtered", "o7,o120")
    # The hint under its field; the divider a line above the first choice.
    body = card["body"]
    at = body.index(inputs["note"])
    assert body[at + 1] == {
        "type": "TextBlock", "text": "Skriv kort", "wrap": True,
        "isSubtle": True, "size": "Small", "spacing": "Small",
    }  # fmt: skip
    assert inputs["radio"]["separator"] is True
    assert card["actions"] == [
        {
            "type": "Action.Submit", "title": "Gem", "style": "positive",
            "data": {"form": "cb_form", "metadata": {"meeting": 3}},
        },
        {
            "type": "Action.Submit", "title": "Luk",
            "data": {"form": "cb_form", "close": True}, "associatedInputs": "none",
        },
    ]  # fmt: skip
    assert tr.is_close(card["actions"][1]["data"]) and not tr.is_close(card["actions"][0]["data"])


def test_a_form_shows_typed_text_in_its_plain_places_exactly_and_opens_as_a_dialog() -> None:
    with surface("teams"):
        typed = escape(HOSTILE)
        form = _form(
            title=t("da", "home.network", network="A_B"),
            parts=[
                c.TextInput("note", typed, max_length=5, placeholder=typed, hint=typed),
                c.Choice("pick", typed, [c.Option("o", typed)], placeholder=typed),
            ],
        )
    task = tr.dialog("da", form)
    assert task["title"] == "A_B"
    assert task["card"] == tr.attachment(tr.form_card("da", form))
    card = task["card"]["content"]
    assert check_card(card) == []
    inputs = _inputs(card)
    assert inputs["note"]["label"] == inputs["note"]["placeholder"] == HOSTILE
    assert inputs["pick"]["label"] == inputs["pick"]["choices"][0]["title"] == HOSTILE
    assert all(MARKUP_TAGS.findall(_html(text)) == [] for text in _texts(card))


def test_a_read_only_form_has_only_its_close() -> None:
    card = tr.form_card("en", _form(submit=None, close="Done", parts=[c.Paragraph("saved")]))
    assert check_card(card) == []
    assert [a["title"] for a in card["actions"]] == ["Done"]
    assert tr.form_card("en", _form(submit=None, parts=[]))["actions"][0]["title"] == "Close"


def test_a_form_that_cannot_travel_on_teams_is_refused_not_cut() -> None:
    with pytest.raises(ValueError, match="data holds"):
        tr.form_card("da", _form(metadata={"x": "y" * 4000}))
    with pytest.raises(ValueError, match="comma"):
        tr.form_card("da", _form(parts=[c.Choice("m", "M", [c.Option("a,b", "A")], multi=True)]))
    with pytest.raises(ValueError, match="form"):
        tr.form_card("da", _form(parts=[c.TextInput("form", "F", max_length=5)]))
    with pytest.raises(ValueError, match="28000"):
        tr.form_card("da", _form(parts=[c.Choice("x", "X", _options(2000))]))


def _teams_submit(card: dict[str, Any], typed: dict[str, str]) -> dict[str, Any]:
    """What Teams sends for the card's send button: its data merged with every input's value
    (as text: a date as YYYY-MM-DD, a multi-select comma-joined), the typed ones changed."""
    values = {name: e.get("value", "") for name, e in _inputs(card).items()}
    return {**card["actions"][0]["data"], **values, **typed}


def test_a_submission_reads_back_as_typed_values_and_the_card_comes_back_with_errors() -> None:
    form = _form()
    first = tr.form_card("da", form)
    data = _teams_submit(
        first,
        {
            "note": "ny tekst\r\nanden linje",
            "title": "",
            "until": "2026-12-24",
            "boxes": "o2,o1,forged",
            "agree": "o0",
            "pick": "o4",
            "many": "",
            "who": "o149",
            "day": "not a date",
        },
    )
    values = tr.submitted_values(form, data)
    assert values == {
        "note": "ny tekst\nanden linje",
        "title": "",
        "day": None,
        "until": date(2026, 12, 24),
        "radio": "o1",
        "boxes": ["o1", "o2"],  # in the form's order; a value it did not offer is dropped
        "agree": True,  # a lone checkbox reads as yes/no
        "pick": "o4",
        "many": None,
        "multi": [],
        "who": ["o149"],
    }
    assert data["metadata"] == {"meeting": 3} and data["form"] == "cb_form"
    with surface("teams"):
        errors = {
            "day": t("en", "prep.error.unknown_subcommand", word="<at>x</at>"),
            "nowhere": t("en", "form.required"),
        }
    again = tr.form_card("en", form, errors, values=values)
    assert check_card(again) == []
    inputs = _inputs(again)
    # What was typed is kept...
    assert inputs["note"]["value"] == "ny tekst\nanden linje"
    assert "value" not in inputs["title"] and "value" not in inputs["day"]
    assert inputs["until"]["value"] == "2026-12-24"
    assert inputs["boxes"]["value"] == "o1,o2" and inputs["agree"]["value"] == "o0"
    assert "value" not in inputs["many"] and inputs["who"]["value"] == "o149"
    assert inputs["who"]["choices"] == [{"title": "Mulighed 149", "value": "o149"}]
    # ...each error under its field, one for no field at the top.
    body = again["body"]
    under = body[body.index(inputs["day"]) + 1]
    assert under["color"] == "Attention" and "\\<at\\>x" in under["text"]
    assert body[0] == {"type": "TextBlock", "text": "Fill in this field.", "wrap": True,
                       "color": "Attention"}  # fmt: skip
    # Submitting the returned card unchanged reads the same values.
    assert tr.submitted_values(form, _teams_submit(again, {})) == {**values, "day": None}


def test_a_submission_without_a_field_reads_it_as_empty() -> None:
    assert tr.submitted_values(_form(), {"form": "cb_form"}) == {
        "note": "", "title": "", "day": None, "until": None, "radio": None, "boxes": [],
        "agree": False, "pick": None, "many": None, "multi": [], "who": [],
    }  # fmt: skip


# --- one message, one activity ------------------------------------------------------------------


class _Recorder:
    """A connector that records what the bot sent."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send(self, service_url: str, conversation_id: str, activity: dict[str, Any]) -> str:
        self.sent.append(activity)
        return str(len(self.sent))


def _incoming() -> dict[str, Any]:
    return {
        "type": "message",
        "id": "1000",
        "serviceUrl": "https://smba.example/teams/",
        "conversation": {"id": "a:1"},
    }


def test_a_reply_is_one_activity_with_its_summary_and_cards_in_order() -> None:
    from handlers.teams.files import reply_with
    from handlers.teams.turn import reply

    with surface("teams"):
        msg = c.Message(
            t("da", "home.title"), [c.Paragraph(f"p{i} " + "x" * 1500) for i in range(20)]
        )
    assert len(tr.message_cards(msg)) == 2  # over one card, within one message
    for send in (reply_with, reply):
        connector = _Recorder()
        send(connector, _incoming(), msg)  # type: ignore[operator]
        (answer,) = connector.sent
        assert answer["summary"] == teams_plain(msg.summary) and answer["replyToId"] == "1000"
        assert [a["content"] for a in answer["attachments"]] == tr.message_cards(msg)


def test_a_message_past_teams_size_goes_in_parts_that_say_so() -> None:
    from handlers.teams.commands import reply_activities

    with surface("teams"):
        msg = c.Message(
            escape("Medlemmer"), [c.Paragraph(f"p{i} " + "x" * 1900) for i in range(60)]
        )
    activities = reply_activities("da", msg)
    assert len(activities) > 1
    shown = []
    for part, activity in enumerate(activities, 1):
        assert len(json.dumps(activity)) <= tr.MAX_ACTIVITY_SIZE
        assert activity["summary"] == f"Medlemmer ({part}/{len(activities)})"
        texts = [x for a in activity["attachments"] for x in _texts(a["content"])]
        if part < len(activities):
            assert texts.pop() == f"Fortsættes i næste besked ({part} af {len(activities)})."
        shown += texts
    assert [s.split()[0] for s in shown] == [f"p{i}" for i in range(60)]  # all, in order
    with surface("teams"):
        form = c.Form("k", "Titel", [c.TextInput("n", "Navn", max_length=9)], submit="Gem")
    (as_card,) = reply_activities("da", form)
    assert as_card["summary"] == "Titel"
    # a form sent as a reply is a card in the chat: no close button (there is no dialog)
    assert as_card["attachments"] == [tr.attachment(tr.form_card("da", form, in_chat=True))]


def test_long_text_is_never_cut_inside_a_mention() -> None:
    with surface("teams"):
        anna = t("da", "home.network", network=Person(name="Anna Marie Lund", teams_id="29:1a"))
    for pad in range(0, 40):
        text = "x" * pad + " ".join([anna] * 300)
        pieces = tr.split_text(text, 500)
        assert all(p.count("\ue002") == p.count("\ue004") for p in pieces)
        assert "".join(re.sub(r"[ *]", "", p) for p in pieces) == re.sub(r"[ *]", "", text)
        card = tr.card(c.Message("m", [c.Paragraph(text)]))
        assert check_card(card) == [] and "\ue002" not in json.dumps(card)
        assert "\\ue002" not in json.dumps(card)
