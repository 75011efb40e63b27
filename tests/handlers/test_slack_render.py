"""The Slack renderer: every part and field of the neutral model as Block Kit, within limits."""

from datetime import date

from handlers import conversation as c
from handlers import slack_render
from handlers.ids import Field
from tests.blockkit import check_view


def _every_part() -> list[c.Part]:
    go = c.Button("Log", "act_log", value="7", style="primary")
    return [
        c.Heading("Hej" * 100, block="head"),
        c.Paragraph("x" * 4000, button=go, block="para"),
        c.Facts([(f"label {i}", f"value {i}") for i in range(12)], block="facts"),
        c.Buttons([c.Button(f"b{i}", f"act_{i}") for i in range(30)], block="row"),
        c.Note("small print", block="note"),
        c.Divider(),
    ]


def test_a_message_of_every_part_is_block_kit_within_slack_limits_and_nothing_dropped() -> None:
    rendered = slack_render.message(c.Message("summary", _every_part()))
    assert rendered["text"] == "summary"
    blocks = rendered["blocks"]
    assert check_view(rendered, "message") == []
    kinds = [b["type"] for b in blocks]
    # 12 facts need two sections, 30 buttons two action rows: split, never cut.
    assert kinds == [
        "header", "section", "section", "section", "actions", "actions", "context", "divider",
    ]  # fmt: skip
    assert len(blocks[0]["text"]["text"]) == 150
    assert blocks[1]["text"]["text"].endswith("…") and len(blocks[1]["text"]["text"]) == 3000
    assert blocks[1]["accessory"] == {
        "type": "button",
        "text": {"type": "plain_text", "text": "Log", "emoji": True},
        "action_id": "act_log",
        "value": "7",
        "style": "primary",
    }
    assert sum(len(b["fields"]) for b in blocks[2:4]) == 12
    assert blocks[2]["fields"][0]["text"] == "*label 0*\nvalue 0"
    assert sum(len(b["elements"]) for b in blocks[4:6]) == 30
    assert [b.get("block_id") for b in blocks] == [
        "head", "para", "facts", None, "row", None, "note", None,
    ]  # fmt: skip


def test_a_form_renders_as_a_modal_with_each_input_keeping_what_was_chosen() -> None:
    form = c.Form(
        kind="cb_form",
        title="A title much longer than Slack allows",
        submit="Gem",
        metadata={"meeting": 3},
        parts=[
            c.Paragraph("intro"),
            c.TextInput("note", "Note", max_length=10, initial="typed text over ten"),
            c.DateInput("day", "Day", initial=date(2026, 11, 30)),
            c.DateInput("until", "Until", optional=True),
            c.Choice("one", "One", [c.Option("a", "A"), c.Option("b", "B")], chosen=["b"]),
            c.Choice(
                "many",
                "Many",
                [c.Option("a", "A"), c.Option("b", "B")],
                chosen=["a", "b"],
                multi=True,
                expanded=True,
            ),
            c.Choice("radio", "Radio", [c.Option("x", "X")], chosen=["x"], expanded=True),
        ],
    )
    view = slack_render.form("da", form)
    assert check_view(view, "modal") == []
    assert view["callback_id"] == "cb_form" and len(view["title"]["text"]) == 24
    assert view["private_metadata"] == '{"meeting": 3}'
    by_id = {b["block_id"]: b for b in view["blocks"] if "block_id" in b}
    assert by_id["note"]["element"]["initial_value"] == "typed text"
    assert by_id["day"]["element"]["initial_date"] == "2026-11-30"
    assert by_id["until"]["optional"] is True and "initial_date" not in by_id["until"]["element"]
    assert by_id["one"]["element"]["type"] == "static_select"
    assert by_id["one"]["element"]["initial_option"]["value"] == "b"
    assert by_id["many"]["element"]["type"] == "checkboxes"
    assert [o["value"] for o in by_id["many"]["element"]["initial_options"]] == ["a", "b"]
    assert by_id["radio"]["element"]["type"] == "radio_buttons"
    assert all(
        b["element"]["action_id"] == Field.VALUE for b in view["blocks"] if b["type"] == "input"
    )


def test_a_choice_of_more_options_than_a_select_holds_becomes_a_type_ahead() -> None:
    options = [c.Option(str(i), f"Person {i}") for i in range(150)]
    form = c.Form("cb", "T", parts=[c.Choice("who", "Who", options, search_action="search_who")])
    element = slack_render.form("en", form)["blocks"][0]["element"]
    assert element["type"] == "external_select" and element["action_id"] == "search_who"
