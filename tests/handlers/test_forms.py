"""The form toolkit: the modal skeleton, the reader of submitted values, errors on fields."""

from __future__ import annotations

import json
from datetime import date
from types import SimpleNamespace
from typing import Any, cast

import pytest

from handlers import conversation as c
from handlers import forms, slack_render
from handlers.attendance import build_substitute_modal
from handlers.blocks import MAX_METADATA, modal, text_field
from handlers.catalogue import plain_text, surface, t
from handlers.context import RequestScope
from handlers.followup import build_followup_modal
from handlers.forms import Problems, Submitted, field_errors, problems_of
from handlers.ids import Field
from handlers.nudges import build_away_modal
from handlers.sparring import build_sparring_modal
from handlers.spread import build_spread_update_modal
from models.errors import FieldErrors, InputError
from models.followup import FollowupField
from models.network import Member
from models.spread import SpreadAction, SpreadStatus
from tests.blockkit import check_view

STATE = {
    "text": {"value": {"type": "plain_text_input", "value": "Hej"}},
    "empty": {"value": {"type": "plain_text_input", "value": None}},
    "day": {"value": {"type": "datepicker", "selected_date": "2015-10-02"}},
    "static": {"value": {"type": "static_select", "selected_option": {"value": "a"}}},
    "external": {"member_search": {"type": "external_select", "selected_option": {"value": "U1"}}},
    "multi": {
        "value": {
            "type": "multi_static_select",
            "selected_options": [{"value": "U1"}, {"value": "U2"}],
        }
    },
    "user": {"value": {"type": "users_select", "selected_user": "U3"}},
    "users": {"value": {"type": "multi_users_select", "selected_users": ["U4", "U5"]}},
    "radio": {"value": {"type": "radio_buttons", "selected_option": None}},
    "boxes": {"value": {"type": "checkboxes", "selected_options": [{"value": "yes"}]}},
}


def test_reads_every_element_type() -> None:
    form = Submitted.from_slack_state(STATE)
    assert form.as_dict() == {
        "text": "Hej",
        "empty": "",
        "day": date(2015, 10, 2),
        "static": "a",
        "external": "U1",
        "multi": ["U1", "U2"],
        "user": "U3",
        "users": ["U4", "U5"],
        "radio": None,
        "boxes": ["yes"],
    }
    assert form.checked("boxes") and not form.checked("radio")
    assert form.text("not in the form") == "" and form.day("not in the form") is None


def test_modal_keeps_slack_limits() -> None:
    view = modal("da", callback_id="x", title="A" * 40, blocks=[], submit="Gem" * 20)
    assert len(view["title"]["text"]) == 24 and len(view["submit"]["text"]) == 24
    assert "private_metadata" not in view
    with pytest.raises(ValueError):
        modal("da", callback_id="x", title="t", blocks=[], metadata={"x": "y" * MAX_METADATA})
    with pytest.raises(ValueError):
        modal("da", callback_id="x", title="t", blocks=[text_field("f", "l", max_length=9)] * 101)


def test_errors_go_on_their_fields_in_the_members_language() -> None:
    error = InputError("followup.error.empty", field="followup_agreed")
    problems = problems_of(error, {})
    on_fields = field_errors("en", problems, ["followup_on", "followup_agreed"], "followup_on")
    assert on_fields == {"followup_agreed": plain_text(t("en", "followup.error.empty"))}
    assert field_errors("da", problems, ["followup_agreed"], "x") == {
        "followup_agreed": plain_text(t("da", "followup.error.empty"))
    }
    # A field the form does not show: the error is not lost, it goes on the default field.
    assert list(field_errors("da", problems, ["followup_on"], "followup_on")) == ["followup_on"]
    # An error without a field is placed by its key.
    keyed = problems_of(
        InputError("sparring.error.future_date", day=date(2015, 10, 9)),
        {"sparring.error.future_date": "sparring_date"},
    )
    assert list(keyed) == ["sparring_date"]
    many: Problems = problems_of(
        FieldErrors({"a": ("prep.error.self", {}), "b": ("prep.error.same_person", {})}), {}
    )
    assert list(field_errors("da", many, ["a", "b"], "a")) == ["a", "b"]


# --- one reader for every platform ---------------------------------------------------------

ANSWERS_FORM = c.Form(
    kind="answers",
    title="Answers",
    parts=[
        c.Paragraph("Not a field"),
        c.TextInput("text", "Text", max_length=100),
        c.TextInput("empty", "Empty", max_length=100, optional=True),
        c.DateInput("day", "Day"),
        c.DateInput("no_day", "No day", optional=True),
        c.Choice("one", "One", [c.Option("a", "A"), c.Option("b", "B")]),
        c.Choice("none", "None", [c.Option("a", "A")], expanded=True, optional=True),
        c.Choice("many", "Many", [c.Option("U1", "1"), c.Option("U2", "2")], multi=True),
        c.Choice("boxes", "Boxes", [c.Option("yes", "Yes")], multi=True, expanded=True),
        c.Choice("no_boxes", "No boxes", [c.Option("yes", "Yes")], multi=True, expanded=True),
    ],
)
SLACK_ANSWERS = {
    "text": {"value": {"type": "plain_text_input", "value": "Hej, verden"}},
    "empty": {"value": {"type": "plain_text_input", "value": None}},
    "day": {"value": {"type": "datepicker", "selected_date": "2015-10-02"}},
    "no_day": {"value": {"type": "datepicker", "selected_date": None}},
    "one": {"value": {"type": "static_select", "selected_option": {"value": "b"}}},
    "none": {"value": {"type": "radio_buttons", "selected_option": None}},
    "many": {"member_search": {"type": "multi_external_select", "selected_options": [
        {"value": "U1"}, {"value": "U2"}]}},
    "boxes": {"value": {"type": "checkboxes", "selected_options": [{"value": "yes"}]}},
    "no_boxes": {"value": {"type": "checkboxes", "selected_options": []}},
}  # fmt: skip
# A Teams card's Action.Submit: every input's value as text, a multi-select's comma-joined.
TEAMS_ANSWERS = {
    "text": "Hej, verden",
    "empty": "",
    "day": "2015-10-02",
    "no_day": "",
    "one": "b",
    "none": "",
    "many": "U1,U2",
    "boxes": "yes",
    "no_boxes": "",
    "action": "answers",  # the submit button's own data is no field of the form
}


def test_a_flat_submission_reads_as_the_same_answers_as_slacks_view_state() -> None:
    slack = Submitted.from_slack_state(SLACK_ANSWERS)
    teams = Submitted.from_values(TEAMS_ANSWERS, ANSWERS_FORM.inputs)
    assert (
        teams.as_dict()
        == slack.as_dict()
        == {
            "text": "Hej, verden",  # typed commas are text, not a list
            "empty": "",
            "day": date(2015, 10, 2),
            "no_day": None,
            "one": "b",
            "none": None,
            "many": ["U1", "U2"],
            "boxes": ["yes"],
            "no_boxes": [],
        }
    )
    assert teams.fields == slack.fields == [i.name for i in ANSWERS_FORM.inputs]
    assert teams.checked("boxes") and not teams.checked("no_boxes")
    assert teams.choice("one") == "b" and teams.choices("many") == ["U1", "U2"]


def test_a_flat_submission_that_leaves_out_fields_or_sends_nonsense_reads_as_empty() -> None:
    form = Submitted.from_values({"day": "2015-13-45", "text": 7}, ANSWERS_FORM.inputs)
    assert form.day("day") is None and form.text("text") == ""
    assert form.choices("many") == [] and form.choice("one") is None and "boxes" in form
    # Without the form, the strings are kept and read as the accessor asks.
    loose = Submitted.from_values({"day": "2015-10-02", "many": "U1, U2", "n": 3})
    assert loose.fields == ["day", "many"]
    assert loose.day("day") == date(2015, 10, 2) and loose.choices("many") == ["U1", "U2"]


def test_a_real_form_read_from_slack_and_from_a_flat_submission_agrees() -> None:
    form = build_followup_modal("da", today=date(2015, 10, 2), row=None)
    names = [i.name for i in form.inputs]
    assert names == [FollowupField.ON, FollowupField.AGREED, FollowupField.NEXT_STEP]
    state = {
        FollowupField.ON: {"value": {"type": "datepicker", "selected_date": "2015-10-01"}},
        FollowupField.AGREED: {"value": {"type": "plain_text_input", "value": "<!channel> ok"}},
        FollowupField.NEXT_STEP: {"value": {"type": "plain_text_input", "value": None}},
    }
    flat = {FollowupField.ON: "2015-10-01", FollowupField.AGREED: "<!channel> ok"}
    teams = Submitted.from_values(flat, form.inputs)
    assert teams.as_dict() == Submitted.from_slack_state(state).as_dict()
    assert teams.text(FollowupField.AGREED) == "<!channel> ok"  # typed text stays as typed


def test_typed_text_shown_in_a_form_is_data_on_every_surface() -> None:
    row = SpreadAction(id=4, solution="*Klage* <@U1> & _co_", status=SpreadStatus.IN_USE)
    row.effect = ""
    slack = build_spread_update_modal("en", row)
    assert isinstance(slack.parts[0], c.Paragraph)
    assert slack.parts[0].text == "**Klage* &lt;@U1&gt; &amp; _co_*"
    with surface("teams"):
        teams = build_spread_update_modal("en", row)
    assert isinstance(teams.parts[0], c.Paragraph)
    assert teams.parts[0].text == r"**\*Klage\* \<@U1\> & \_co\_**"
    # The same fields, the status chosen, on both.
    assert [i.name for i in teams.inputs] == [i.name for i in slack.inputs]
    status = slack.inputs[0]
    assert isinstance(status, c.Choice) and status.chosen == ["in_use"] and status.expanded
    view = slack_render.form("en", slack)
    assert view["blocks"][1]["element"]["initial_option"]["value"] == "in_use"
    assert json.loads(view["private_metadata"]) == {"id": 4}


def test_a_saved_form_is_answered_with_its_modal_and_errors_go_on_fields() -> None:
    acks: list[dict[str, Any]] = []

    class Db:
        def commit(self) -> None:
            acks.append({"committed": True})

        def rollback(self) -> None:
            acks.append({"rolled_back": True})

    scope = cast(RequestScope, SimpleNamespace(db=Db()))
    form = Submitted.from_values({"text": "x"}, ANSWERS_FORM.inputs)
    saved = forms.info_form("answers", "Saved", "It is saved")
    forms.submit_form(
        lambda **kw: acks.append(kw), scope, "da", form,
        default_field="text", save=lambda: 1, saved_view=lambda n: saved,
    )  # fmt: skip
    assert acks[0] == {"committed": True}
    assert acks[1]["response_action"] == "update"
    assert acks[1]["view"] == slack_render.form("da", saved)

    def fail() -> None:
        raise InputError("followup.error.empty", field="day")

    acks.clear()
    forms.submit_form(
        lambda **kw: acks.append(kw), scope, "en", form,
        default_field="text", save=fail, saved_view=saved,
    )  # fmt: skip
    assert acks == [
        {"rolled_back": True},
        {
            "response_action": "errors",
            "errors": {"day": plain_text(t("en", "followup.error.empty"))},
        },
    ]


def _simple_forms() -> list[c.Form]:
    """Every form builder that needs no database, as the current surface builds it."""
    people = [Member(id=i, name=f"Navn {i} <b>", slack_user_id=f"U{i:09d}") for i in range(150)]
    today = date(2015, 10, 2)
    return [
        build_followup_modal("da", today=today, row=None),
        build_sparring_modal("en", today=today, members=people[:3]),
        build_sparring_modal("da", today=today, members=people),
        build_away_modal("da", today=today, away_until=None),
        build_substitute_modal("en", 7),
        forms.info_form("x", "Saved", "Saved it"),
    ]


def test_every_form_is_the_same_on_each_surface_and_a_modal_within_slacks_limits() -> None:
    slack = _simple_forms()
    with surface("teams"):
        teams = _simple_forms()
    for on_slack, on_teams in zip(slack, teams, strict=True):
        assert [type(p) for p in on_teams.parts] == [type(p) for p in on_slack.parts]
        assert [i.name for i in on_teams.inputs] == [i.name for i in on_slack.inputs]
        assert check_view(slack_render.form("da", on_slack), "modal") == []
    # Past Slack's 100 options the receivers are searched as the member types.
    receivers = slack_render.form("da", slack[2])["blocks"][2]["element"]
    assert receivers["type"] == "multi_external_select"
    assert receivers["action_id"] == Field.MEMBER_SEARCH
    few = slack_render.form("en", slack[1])["blocks"][2]["element"]
    assert few["type"] == "multi_static_select" and len(few["options"]) == 3
    assert few["options"][0]["text"]["text"] == "Navn 0 <b>"  # a name is shown as typed
