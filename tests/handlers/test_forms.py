"""The form toolkit: the modal skeleton, the reader of submitted values, errors on fields."""

from __future__ import annotations

from datetime import date

import pytest

from handlers.blocks import MAX_METADATA, modal, text_field
from handlers.catalogue import plain_text, t
from handlers.forms import Problems, Submitted, field_errors, problems_of
from models.errors import FieldErrors, InputError

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
