"""Forms on Teams as dialogs, and pickers that type ahead: the invokes whose answer goes back
in the HTTP response (bot/teams_server.py).

- `task/fetch`: a button that opens a form (its data: {"action", "value", "msteams":
  {"type": "task/fetch"}}) gets `{"task": {"type": "continue", "value": <dialog>}}` — the
  same form as Slack's modal, built by the same function (`OPENERS`);
- `task/submit`: the dialog's data is {"form": kind, "metadata": ...} plus the inputs by
  field name. The form is built again from its metadata (`KINDS`), the values read as the
  form's typed values, and saved by the same domain function as Slack's view submission.
  Its errors (the same mapping as Slack's, `forms.problems_of` / `field_errors`) come back
  as the same card with each error under its field and everything typed kept; a saved form
  shows its saved view, as Slack's modal does. The close button closes (no answer);
- `application/search`: a picker past Teams' static list searches the same options as
  Slack's type-ahead; Teams shows at most 15 (`queryOptions.top`): past that the last
  result says how many there are, and to type more.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from handlers import teams_render
from handlers.attendance import submit_substitute, substitute_form
from handlers.bazaar import bazaar_form, submit_bazaar
from handlers.briefs import colleague_report_form, submit_colleague_report
from handlers.catalogue import t
from handlers.competencies import competencies_form, submit_competencies
from handlers.conversation import Form
from handlers.followup import followup_form, submit_followup
from handlers.forms import Submitted, field_errors, problems_of
from handlers.ids import Action, Block, Callback
from handlers.nudges import away_form, save_away
from handlers.prep import form_of_button, prep_form, submit_prep
from handlers.sparring import SPARRING_FIELDS, sparring_form, submit_sparring
from handlers.spread import (
    open_spread_form,
    searched_options,
    spread_update_form,
    submit_spread,
    submit_spread_update,
)
from handlers.teams.turn import Activity, Turn
from models.attendance import SubstituteField
from models.bazaar import BazaarField
from models.competencies import CompetenciesField
from models.errors import FieldErrors, InputError
from models.followup import FollowupField
from models.network import Member
from models.prep import PrepPart
from models.spread import SpreadField

SEARCH_RESPONSE = "application/vnd.microsoft.search.searchResponse"
SEARCH_TOP = 15  # what Teams shows of a typeahead's results (it asks for this many)

Body = dict[str, Any]
Metadata = Mapping[str, Any]
Open = Callable[[Turn, Member, str, str | None], Form | None]


def _prep(turn: Turn, member: Member, action: str, value: str | None) -> Form | None:
    return form_of_button(
        session=turn.session, member=member, now=turn.now, action=action, value=value
    )


def _away(turn: Turn, member: Member, action: str, value: str | None) -> Form | None:
    return away_form(member, turn.now)


def _sparring(turn: Turn, member: Member, action: str, value: str | None) -> Form | None:
    return sparring_form(session=turn.session, member=member, now=turn.now)


def _followup(turn: Turn, member: Member, action: str, value: str | None) -> Form | None:
    row = value if action == Action.FOLLOWUP_EDIT else None
    return followup_form(session=turn.session, member=member, now=turn.now, followup_id=row)


def _spread(turn: Turn, member: Member, action: str, value: str | None) -> Form | None:
    return open_spread_form(session=turn.session, member=member, now=turn.now)


def _spread_update(turn: Turn, member: Member, action: str, value: str | None) -> Form | None:
    return spread_update_form(session=turn.session, member=member, action_id=value)


def _substitute(turn: Turn, member: Member, action: str, value: str | None) -> Form | None:
    return substitute_form(member=member, value=value)


def _colleague(turn: Turn, member: Member, action: str, value: str | None) -> Form | None:
    return colleague_report_form(session=turn.session, member=member, value=value)


def _colleague_again(turn: Turn, member: Member, meta: Metadata) -> Form | None:
    value = json.dumps(dict(meta))
    return colleague_report_form(session=turn.session, member=member, value=value)


def _save_colleague(turn: Turn, member: Member, meta: Metadata, form: Submitted) -> Form:
    return submit_colleague_report(
        session=turn.session, member=member, now=turn.now, metadata=meta, form=form
    )


# Every button that opens a form, and the form it opens (as on Slack).
OPENERS: dict[str, Open] = {
    Action.OPEN_PREP_ALL: _prep,
    Action.OPEN_PREP_P1: _prep,
    Action.OPEN_PREP_P2: _prep,
    Action.OPEN_PREP_P3: _prep,
    Action.AWAY: _away,
    Action.OPEN_SPARRING: _sparring,
    Action.OPEN_FOLLOWUP: _followup,
    Action.FOLLOWUP_EDIT: _followup,
    Action.OPEN_SPREAD: _spread,
    Action.SPREAD_UPDATE: _spread_update,
    Action.ATTEND_SUBSTITUTE: _substitute,
    Action.OPEN_COMPETENCIES: lambda turn, member, action, value: competencies_form(member),
    Action.OPEN_COLLEAGUE_REPORT: _colleague,
    Action.BAZAAR_ADD: lambda turn, member, action, value: bazaar_form(turn.session, member),
}


@dataclass(frozen=True)
class Kind:
    """One form's way through a dialog: built again from its metadata, saved (the saved
    view back, or InputError/FieldErrors), where an error without a field goes."""

    build: Callable[[Turn, Member, Metadata], Form | None]
    save: Callable[[Turn, Member, Metadata, Submitted], Form]
    default_field: str | None = None  # None: the form's first field
    field_of_key: Mapping[str, str] = field(default_factory=dict)


def _prep_again(turn: Turn, member: Member, meta: Metadata) -> Form | None:
    parts = [PrepPart(p) for p in meta.get("parts", [])]
    return prep_form(
        session=turn.session,
        member=member,
        now=turn.now,
        meeting_id=meta.get("meeting"),
        parts=parts,
    )


def _save_prep(turn: Turn, member: Member, meta: Metadata, form: Submitted) -> Form:
    return submit_prep(session=turn.session, member=member, now=turn.now, metadata=meta, form=form)


def _save_away(turn: Turn, member: Member, meta: Metadata, form: Submitted) -> Form:
    return save_away(member=member, day=form.day(Block.AWAY_UNTIL), now=turn.now)


def _save_sparring(turn: Turn, member: Member, meta: Metadata, form: Submitted) -> Form:
    return submit_sparring(session=turn.session, member=member, now=turn.now, form=form)


def _followup_again(turn: Turn, member: Member, meta: Metadata) -> Form | None:
    row = meta.get("id")
    return followup_form(session=turn.session, member=member, now=turn.now, followup_id=row)


def _save_followup(turn: Turn, member: Member, meta: Metadata, form: Submitted) -> Form:
    return submit_followup(
        session=turn.session, member=member, now=turn.now, metadata=meta, form=form
    )


def _save_spread(turn: Turn, member: Member, meta: Metadata, form: Submitted) -> Form:
    return submit_spread(session=turn.session, member=member, now=turn.now, form=form)


def _spread_update_again(turn: Turn, member: Member, meta: Metadata) -> Form | None:
    return spread_update_form(session=turn.session, member=member, action_id=meta.get("id"))


def _save_spread_update(turn: Turn, member: Member, meta: Metadata, form: Submitted) -> Form:
    return submit_spread_update(
        session=turn.session, member=member, now=turn.now, metadata=meta, form=form
    )


def _substitute_again(turn: Turn, member: Member, meta: Metadata) -> Form | None:
    return substitute_form(member=member, value=json.dumps(dict(meta)))


def _save_substitute(turn: Turn, member: Member, meta: Metadata, form: Submitted) -> Form:
    return submit_substitute(
        session=turn.session, member=member, now=turn.now, metadata=meta, form=form
    )


# Every form, by its kind (the Slack callback id it is submitted under there).
KINDS: dict[str, Kind] = {
    Callback.PREP_MODAL: Kind(_prep_again, _save_prep),
    Callback.AWAY_MODAL: Kind(lambda turn, m, _: away_form(m, turn.now), _save_away),
    Callback.SPARRING_MODAL: Kind(
        lambda turn, m, _: sparring_form(session=turn.session, member=m, now=turn.now),
        _save_sparring,
        field_of_key=SPARRING_FIELDS,
    ),
    Callback.FOLLOWUP_MODAL: Kind(_followup_again, _save_followup, FollowupField.AGREED),
    Callback.SPREAD_MODAL: Kind(
        lambda turn, m, _: open_spread_form(session=turn.session, member=m, now=turn.now),
        _save_spread,
        SpreadField.SOLUTION,
    ),
    Callback.SPREAD_UPDATE_MODAL: Kind(
        _spread_update_again, _save_spread_update, SpreadField.SOLUTION
    ),
    Callback.SUBSTITUTE_MODAL: Kind(_substitute_again, _save_substitute),
    Callback.COMPETENCIES_MODAL: Kind(
        lambda turn, m, _: competencies_form(m),
        lambda turn, m, _, form: submit_competencies(
            session=turn.session, member=m, now=turn.now, form=form
        ),
        CompetenciesField.KEYWORDS,
    ),
    Callback.COLLEAGUE_REPORT_MODAL: Kind(
        _colleague_again, _save_colleague, SubstituteField.REPORT
    ),
    Callback.BAZAAR_MODAL: Kind(
        lambda turn, m, _: bazaar_form(turn.session, m),
        lambda turn, m, _, form: submit_bazaar(
            session=turn.session, member=m, now=turn.now, form=form
        ),
        BazaarField.TITLE,
    ),
}


# --- the invokes ------------------------------------------------------------------------------


def _message(text: str) -> Body:
    """A dialog's answer that shows `text` in a small box."""
    return {"task": {"type": "message", "value": teams_render.plain(text)}}


def _continue(lang: str, form: Form, **shown: Any) -> Body:
    return {"task": {"type": "continue", "value": teams_render.dialog(lang, form, **shown)}}


def _data(activity: Activity) -> dict[str, Any]:
    value = activity.get("value")
    data = value.get("data") if isinstance(value, dict) else None
    return data if isinstance(data, dict) else {}


def fetch(turn: Turn, data: Mapping[str, Any]) -> Body:
    """`task/fetch`: the form the button opens, as a dialog."""
    if turn.member is None:
        return _message(t(turn.lang, "teams.stranger"))
    action, value = str(data.get("action")), data.get("value")
    opener = OPENERS.get(action)
    form = opener(turn, turn.member, action, str(value) if value else None) if opener else None
    if form is None:  # not theirs, or gone
        return _message(t(turn.lang, "teams.form.gone"))
    return _continue(turn.lang, form)


def submit(turn: Turn, data: Mapping[str, Any]) -> Body | None:
    """`task/submit`: save the dialog's form, or show it again with its errors."""
    kind = KINDS.get(str(data.get("form")))
    if teams_render.is_close(data) or kind is None:
        return None  # closes the dialog
    if turn.member is None:
        return _message(t(turn.lang, "teams.stranger"))
    meta = data.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    form = kind.build(turn, turn.member, meta)
    if form is None:
        return _message(t(turn.lang, "teams.form.gone"))
    values = teams_render.submitted_values(form, data)
    submitted = Submitted(values)
    try:
        saved = kind.save(turn, turn.member, meta, submitted)
    except (InputError, FieldErrors) as error:
        turn.session.rollback()
        default = kind.default_field or submitted.first_field("")
        problems = problems_of(error, kind.field_of_key)
        errors = field_errors(turn.lang, problems, submitted.fields, default, shown=str)
        return _continue(turn.lang, form, errors=errors, values=values)
    turn.session.commit()
    return _continue(turn.lang, saved)


def search(turn: Turn, query: Mapping[str, Any]) -> Body:
    """`application/search`: the options of the picker's dataset that contain what was
    typed, a page of them; past the page, the last result says how many there are."""
    options = None
    if turn.member is not None:
        options = searched_options(
            session=turn.session,
            member=turn.member,
            now=turn.now,
            dataset=str(query.get("dataset")),
        )
    typed = str(query.get("queryText") or "").strip().casefold()
    found = [o for o in options or [] if typed in teams_render.plain(o.label).casefold()]
    paging = query.get("queryOptions")
    paging = paging if isinstance(paging, dict) else {}
    top = _count(paging.get("top"), SEARCH_TOP) or SEARCH_TOP
    skip = _count(paging.get("skip"), 0)
    page = found[skip : skip + top]
    results = [{"title": teams_render.plain(o.label), "value": o.value} for o in page]
    if len(found) > skip + top:
        more = t(turn.lang, "picker.more", shown=skip + top - 1, total=len(found))
        results[-1] = {"title": teams_render.plain(more), "value": ""}
    return {"type": SEARCH_RESPONSE, "value": {"results": results}}


def _count(raw: object, default: int) -> int:
    return raw if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0 else default


def handle_invoke(activity: Activity, turn: Turn) -> Body | None:
    """An invoke's answer: a dialog, a search's results; None for one we do not know."""
    name = activity.get("name")
    if name == "task/fetch":
        return fetch(turn, _data(activity))
    if name == "task/submit":
        return submit(turn, _data(activity))
    if name == "application/search":
        value = activity.get("value")
        return search(turn, value if isinstance(value, dict) else {})
    return None
