"""Forms: the one way a form is read once submitted (`Submitted`, whichever platform sent it),
the read-only form shown after one is saved, and on Slack how a submission is answered —
errors back onto the fields, in the member's language, or the saved view.

A new form: name its fields in an enum (in models/ when the domain's errors name them), build
it as a neutral `conversation.Form`, read the submission with `Submitted`, and save it with
`submit_form`. Its Block Kit (a modal) is made at the edge by `slack_render.form`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import date
from typing import Any, TypeVar

from slack_bolt import Ack, App

from handlers import slack_render
from handlers.blocks import element_state
from handlers.catalogue import format_list, name_of, plain_text, t
from handlers.context import RequestScope, scope_of
from handlers.conversation import Choice, DateInput, Form, Input, Paragraph
from handlers.replies import open_form, open_view_lazy
from models.errors import FieldErrors, InputError
from models.network import Member
from models.people import Person

T = TypeVar("T")
Problems = dict[str | None, tuple[str, dict[str, Any]]]
"""What was wrong with a submission: field (None: the form's default) -> (catalogue key, params)."""


def info_form(kind: str, title: str, text: str) -> Form:
    """A form that only says something (after one is saved), with a Close button."""
    return Form(kind=kind, title=title, parts=[Paragraph(text)])


def metadata_of(body: dict[str, Any]) -> dict[str, Any]:
    """The `metadata` a submitted Slack modal was built with."""
    return dict(json.loads(body["view"].get("private_metadata") or "{}"))


# --- reading a submission --------------------------------------------------------------------

FieldValue = str | bool | date | list[str] | None
"""A field's value: typed text, a day, the chosen value(s), ticked or not; None: nothing."""


def _day(value: FieldValue) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:  # not a day: as if none was picked
        return None


def _values(value: FieldValue) -> list[str]:
    if isinstance(value, list):
        return value
    if isinstance(value, str):  # a flat submission joins a multi-select's values with commas
        return [v.strip() for v in value.split(",") if v.strip()]
    return ["true"] if value is True else []


class Submitted:
    """What a member submitted in a form, field name -> value, read field by field; a field
    the form did not have reads as empty. Slack's view state is read by `of`, a platform that
    submits a flat dict of strings (a Teams card's Action.Submit) by `from_values`."""

    def __init__(self, values: Mapping[str, FieldValue]) -> None:
        self.values = dict(values)

    @classmethod
    def of(cls, body: dict[str, Any]) -> Submitted:
        """A Slack view_submission."""
        return cls.from_slack_state(body["view"]["state"]["values"])

    @classmethod
    def from_slack_state(cls, state: dict[str, Any]) -> Submitted:
        """Slack's `view.state.values`: each block's one element, typed by its kind."""
        return cls({field: _slack_value(element_state(state, field)) for field in state})

    @classmethod
    def from_values(
        cls, values: Mapping[str, object], inputs: Iterable[Input] | None = None
    ) -> Submitted:
        """A flat submission, field name -> text (multi-select values comma-joined, days as
        YYYY-MM-DD). With the form's `inputs`, exactly its fields, each typed by its input
        (a field left out reads as empty); without, every string value as it came."""
        if inputs is None:
            return cls({k: v for k, v in values.items() if isinstance(v, str)})
        return cls({i.name: _typed(i, values.get(i.name)) for i in inputs})

    @property
    def fields(self) -> list[str]:
        return list(self.values)

    def __contains__(self, field: object) -> bool:
        return field in self.values

    def first_field(self, default: str) -> str:
        return next(iter(self.values), default)

    def text(self, field: str) -> str:
        """Typed text ("" when left empty)."""
        value = self.values.get(field)
        return value if isinstance(value, str) else ""

    def day(self, field: str) -> date | None:
        """The day picked (None when none was)."""
        return _day(self.values.get(field))

    def choice(self, field: str) -> str | None:
        """The value chosen of one-of choices (None when none was)."""
        value = self.values.get(field)
        if isinstance(value, list):
            return value[0] if value else None
        return (value or None) if isinstance(value, str) else None

    def choices(self, field: str) -> list[str]:
        """The values chosen of an any-of choice."""
        return _values(self.values.get(field))

    def checked(self, field: str) -> bool:
        """Whether any of a checkbox field's boxes is ticked."""
        return bool(self.choices(field))

    def as_dict(self) -> dict[str, FieldValue]:
        """Every field's value."""
        return dict(self.values)


def _typed(field: Input, raw: object) -> FieldValue:
    """A flat submission's text as the value `field` holds."""
    text = raw if isinstance(raw, str) else ""
    if isinstance(field, DateInput):
        return _day(text)
    if isinstance(field, Choice):
        chosen = _values(text)
        return chosen if field.multi else (chosen[0] if chosen else None)
    return text


def _slack_value(state: dict[str, Any]) -> FieldValue:
    """One Slack element's submitted state as its value, whichever element it is."""
    kind = str(state.get("type", ""))
    if kind == "datepicker":
        raw = state.get("selected_date")
        return date.fromisoformat(raw) if raw else None
    if kind.startswith("multi_") or kind == "checkboxes":
        chosen = [str(o["value"]) for o in state.get("selected_options") or []]
        return chosen + [str(u) for u in state.get("selected_users") or []]
    if kind == "plain_text_input":
        return str(state.get("value") or "")
    option = state.get("selected_option")
    if option:
        return str(option["value"])
    user = state.get("selected_user")
    return str(user) if user else None


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
    lang: str,
    problems: Problems,
    fields: Collection[str],
    default: str,
    shown: Callable[[str], str] = plain_text,
) -> dict[str, str]:
    """`response_action: errors` for a form: each problem on its field, in `lang` (as
    `shown`: Slack shows plain text, a Teams card the surface's Markdown); a problem for a
    field this form does not show goes on `default`, so none is lost."""
    errors: dict[str, str] = {}
    for name, (key, params) in problems.items():
        target = name if name is not None and name in fields else default
        errors.setdefault(target, shown(t(lang, key, **params)))
    return errors


def named_plainly(lang: str, problems: Problems) -> Problems:
    """`problems` with the people they name by name: Slack shows a form's errors as plain
    text, where a mention would show as its `<@U…>` markup."""

    def plainly(value: Any) -> Any:
        if isinstance(value, Person):
            return name_of(lang, value)
        if isinstance(value, list) and any(isinstance(v, Person) for v in value):
            return format_list(lang, [plainly(v) for v in value])
        return value

    return {
        name: (key, {k: plainly(v) for k, v in params.items()})
        for name, (key, params) in problems.items()
    }


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
    saved_view: Form | Callable[[T], Form],
    field_of_key: Mapping[str, str] | None = None,
) -> None:
    """Save a submitted form: its errors go back onto the fields (and nothing is kept), or it
    is committed and the modal shows `saved_view` (built from what `save` returned)."""
    try:
        saved = save()
    except (InputError, FieldErrors) as error:
        scope.db.rollback()
        problems = named_plainly(lang, problems_of(error, field_of_key or {}))
        ack(
            response_action="errors",
            errors=field_errors(lang, problems, form.fields, default_field),
        )
        return
    scope.db.commit()
    view = saved_view(saved) if callable(saved_view) else saved_view
    ack(response_action="update", view=slack_render.form(lang, view))


SaveForm = Callable[..., Form]  # a neutral submit_*(session=, member=, now=, form=[, metadata=])
# A member's form from the request and the clicked button's value; None: nothing to open (the
# row is gone, or not theirs).
FormOfButton = Callable[[RequestScope, Member, str | None], Form | None]


def opening_listener(build: FormOfButton) -> Callable[[Ack, dict[str, Any], dict[str, Any]], None]:
    """The Slack ack listener of a button that opens a member's form: the form is built before
    the ack and opened as a modal after it (`open_view_lazy`, see `on_form_button`)."""

    def listener(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
        scope = scope_of(context)
        member = scope.require_member()
        actions = body.get("actions") or [{}]
        value = actions[0].get("value")
        form = build(scope, member, None if value is None else str(value))
        if form is not None:
            open_form(context, member.lang, form)
        ack()

    return listener


def on_form_button(app: App, action: str, build: FormOfButton) -> None:
    """Register the Slack button `action` to open the member's form made by `build`."""
    app.action(action)(ack=opening_listener(build), lazy=[open_view_lazy])


def saving_listener(
    default_field: str, submit: SaveForm, *, with_metadata: bool = False
) -> Callable[[Ack, dict[str, Any], dict[str, Any]], None]:
    """The Slack `view_submission` listener of a member's form saved by a neutral `submit_*`
    (which Teams' dialogs call too): errors back onto the fields, or the saved form shown.
    `with_metadata`: the form's private metadata (which row or meeting) goes to `submit`."""

    def listener(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
        scope = scope_of(context)
        member = scope.require_member()
        form = Submitted.of(body)
        extra = {"metadata": metadata_of(body)} if with_metadata else {}
        submit_form(
            ack,
            scope,
            member.lang,
            form,
            default_field=default_field,
            save=lambda: submit(session=scope.db, member=member, now=scope.now, form=form, **extra),
            saved_view=lambda saved: saved,
        )

    return listener
