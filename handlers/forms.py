"""The form toolkit every modal is built on: one skeleton, its input fields, one reader of what
was submitted, and one way to put errors back onto the fields, in the member's language.

A new form: name its fields in an enum (in models/ when the domain's errors name them), build
it with `modal(...)` and the `*_field` helpers, read the submission with `Submitted`, and save
it with `submit_form`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping
from datetime import date
from typing import Any, TypeVar

from slack_bolt import Ack

from handlers.blocks import MAX_MODAL_TITLE, element_state, mrkdwn_section, plain
from handlers.catalogue import plain_text, t
from handlers.context import RequestScope
from handlers.ids import Field
from models.errors import FieldErrors, InputError

MAX_BUTTON_TEXT = 24  # a modal's submit and close labels
MAX_METADATA = 3000  # private_metadata
MAX_MODAL_BLOCKS = 100

T = TypeVar("T")
Problems = dict[str | None, tuple[str, dict[str, Any]]]
"""What was wrong with a submission: field (None: the form's default) -> (catalogue key, params)."""


# --- the skeleton and its fields -------------------------------------------------------------


def modal(
    lang: str,
    *,
    callback_id: str,
    title: str,
    blocks: list[dict[str, Any]],
    submit: str | None = None,
    close: str | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A modal within Slack's limits: a form when it has a `submit` label, else a read-only view
    with only Close. `metadata` comes back with the submission (as `private_metadata`)."""
    if len(blocks) > MAX_MODAL_BLOCKS:
        raise ValueError(f"a modal holds {MAX_MODAL_BLOCKS} blocks, not {len(blocks)}")
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title[:MAX_MODAL_TITLE]),
    }
    if submit is not None:
        view["submit"] = plain(submit[:MAX_BUTTON_TEXT])
    view["close"] = plain((close or t(lang, "prep.modal.close"))[:MAX_BUTTON_TEXT])
    if metadata is not None:
        text = json.dumps(dict(metadata))
        if len(text) > MAX_METADATA:
            raise ValueError(f"private_metadata holds {MAX_METADATA} characters, not {len(text)}")
        view["private_metadata"] = text
    view["blocks"] = blocks
    return view


def info_modal(lang: str, *, callback_id: str, title: str, text: str) -> dict[str, Any]:
    """A modal that only says something (after a form is saved), with a Close button."""
    return modal(lang, callback_id=callback_id, title=title, blocks=[mrkdwn_section(text)])


def metadata_of(body: dict[str, Any]) -> dict[str, Any]:
    """The `metadata` a submitted modal was built with."""
    return dict(json.loads(body["view"].get("private_metadata") or "{}"))


def input_field(
    block_id: str,
    label: str,
    element: dict[str, Any],
    *,
    optional: bool = False,
    hint: str = "",
) -> dict[str, Any]:
    """One field of a form: its block id names it (the element's action_id is `Field.VALUE`,
    or a type-ahead's search action)."""
    block: dict[str, Any] = {"type": "input", "block_id": block_id}
    if optional:
        block["optional"] = True
    block["label"] = plain(label)
    block["element"] = element
    if hint:
        block["hint"] = plain(hint)
    return block


def text_field(
    block_id: str,
    label: str,
    *,
    max_length: int,
    initial: str = "",
    multiline: bool = False,
    optional: bool = False,
    hint: str = "",
) -> dict[str, Any]:
    """A typed-text field, filled with `initial` (cut to what the field can hold)."""
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": Field.VALUE}
    if multiline:
        element["multiline"] = True
    element["max_length"] = max_length
    if initial:
        element["initial_value"] = initial[:max_length]
    return input_field(block_id, label, element, optional=optional, hint=hint)


def date_field(block_id: str, label: str, *, initial: date, hint: str = "") -> dict[str, Any]:
    """A date picker, showing `initial`."""
    element = {"type": "datepicker", "action_id": Field.VALUE, "initial_date": initial.isoformat()}
    return input_field(block_id, label, element, hint=hint)


def choice_element(
    kind: str, options: list[dict[str, Any]], chosen: list[dict[str, Any]]
) -> dict[str, Any]:
    """Radio buttons (one of `options`) or checkboxes (any), with `chosen` selected."""
    element: dict[str, Any] = {"type": kind, "action_id": Field.VALUE, "options": options}
    if kind == "radio_buttons" and chosen:
        element["initial_option"] = chosen[0]
    elif chosen:
        element["initial_options"] = chosen
    return element


# --- reading a submission --------------------------------------------------------------------

FieldValue = str | bool | date | list[str] | None


class Submitted:
    """What a member submitted in a form (`view.state.values`), read field by field, whichever
    element the field has. A field the form did not have reads as empty."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    @classmethod
    def of(cls, body: dict[str, Any]) -> Submitted:
        return cls(body["view"]["state"]["values"])

    @property
    def fields(self) -> list[str]:
        return list(self.values)

    def __contains__(self, field: object) -> bool:
        return field in self.values

    def first_field(self, default: str) -> str:
        return next(iter(self.values), default)

    def text(self, field: str) -> str:
        """A plain_text_input's text ("" when left empty)."""
        return str(element_state(self.values, field).get("value") or "")

    def day(self, field: str) -> date | None:
        """A datepicker's date (None when none was picked)."""
        raw = element_state(self.values, field).get("selected_date")
        return date.fromisoformat(raw) if raw else None

    def choice(self, field: str) -> str | None:
        """The value of a static or external select, radio buttons or a users_select."""
        state = element_state(self.values, field)
        option = state.get("selected_option")
        if option:
            return str(option["value"])
        user = state.get("selected_user")
        return str(user) if user else None

    def choices(self, field: str) -> list[str]:
        """The values of a multi-select, checkboxes or a multi_users_select."""
        state = element_state(self.values, field)
        chosen = [str(o["value"]) for o in state.get("selected_options") or []]
        return chosen + [str(u) for u in state.get("selected_users") or []]

    def checked(self, field: str) -> bool:
        """Whether any of a checkbox field's boxes is ticked."""
        return bool(self.choices(field))

    def as_dict(self) -> dict[str, FieldValue]:
        """Every field's value, typed by its element."""
        return {field: self._typed(field) for field in self.values}

    def _typed(self, field: str) -> FieldValue:
        kind = element_state(self.values, field).get("type", "")
        if kind == "datepicker":
            return self.day(field)
        if kind.startswith("multi_") or kind == "checkboxes":
            return self.choices(field)
        if kind == "plain_text_input":
            return self.text(field)
        return self.choice(field)


# --- errors onto the fields ------------------------------------------------------------------


def problems_of(error: InputError | FieldErrors, field_of_key: Mapping[str, str]) -> Problems:
    """Where each of `error`'s problems belongs: the field it names, else the field its key
    belongs to in `field_of_key`, else the form's default (None)."""
    if isinstance(error, FieldErrors):
        return {name: (key, dict(params)) for name, (key, params) in error.errors.items()}
    params = {k: v for k, v in error.params.items() if k != "field"}
    field = error.params.get("field") or field_of_key.get(error.key)
    return {str(field) if field else None: (error.key, params)}


def field_errors(
    lang: str, problems: Problems, fields: Collection[str], default: str
) -> dict[str, str]:
    """`response_action: errors` for a form: each problem on its field, in `lang`; a problem
    for a field this form does not show goes on `default`, so none is lost."""
    errors: dict[str, str] = {}
    for name, (key, params) in problems.items():
        target = name if name is not None and name in fields else default
        errors.setdefault(target, plain_text(t(lang, key, **params)))
    return errors


def reject(ack: Ack, lang: str, field: str, key: str, **params: Any) -> None:
    """Answer a submission with one error on `field`; the modal keeps what was typed."""
    ack(response_action="errors", errors=field_errors(lang, {field: (key, params)}, [field], field))


def submit_form(
    ack: Ack,
    scope: RequestScope,
    lang: str,
    form: Submitted,
    *,
    default_field: str,
    save: Callable[[], T],
    saved_view: dict[str, Any] | Callable[[T], dict[str, Any]],
    field_of_key: Mapping[str, str] | None = None,
) -> None:
    """Save a submitted form: its errors go back onto the fields (and nothing is kept), or it
    is committed and the modal shows `saved_view` (built from what `save` returned)."""
    try:
        saved = save()
    except (InputError, FieldErrors) as error:
        scope.db.rollback()
        problems = problems_of(error, field_of_key or {})
        ack(
            response_action="errors",
            errors=field_errors(lang, problems, form.fields, default_field),
        )
        return
    scope.db.commit()
    view = saved_view(saved) if callable(saved_view) else saved_view
    ack(response_action="update", view=view)
