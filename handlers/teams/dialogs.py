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
from handlers.applications import (
    DECISIONS,
    MESSAGE_FIELD,
    Asker,
    application_form,
    decision_form,
    submit_application,
    submit_decision,
)
from handlers.attendance import submit_substitute, substitute_form
from handlers.bazaar import bazaar_form, giver_form, submit_bazaar, submit_giver_view
from handlers.briefs import colleague_report_form, submit_colleague_report
from handlers.catalogue import t
from handlers.competencies import competencies_form, submit_competencies
from handlers.conversation import Form
from handlers.followup import followup_form, submit_followup
from handlers.forms import Submitted, field_errors, problems_of
from handlers.ids import Action, Block, Callback
from handlers.nudges import away_form, save_away
from handlers.prep import form_of_button, prep_form, submit_prep
from handlers.reflection import meeting_of_button, reflection_form, submit_reflection
from handlers.sparring import SPARRING_FIELDS, sparring_form, submit_sparring
from handlers.spread import (
    open_spread_form,
    searched_options,
    spread_update_form,
    submit_spread,
    submit_spread_update,
)
from handlers.teams.turn import Activity, Turn
from models.applications import ApplicationField
from models.attendance import SubstituteField
from models.bazaar import BazaarField
from models.competencies import CompetenciesField
from models.errors import FieldErrors, InputError
from models.followup import FollowupField
from models.network import Member, Platform
from models.prep import PrepPart
from models.reflection import ReflectionField
from models.replay import claim_with_next_commit
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


def _reflection(turn: Turn, member: Member, action: str, value: str | None) -> Form | None:
    meeting = meeting_of_button(value)
    return reflection_form(session=turn.session, member=member, now=turn.now, meeting_id=meeting)


def _save_reflection(turn: Turn, member: Member, meta: Metadata, form: Submitted) -> Form:
    return submit_reflection(
        session=turn.session, member=member, now=turn.now, metadata=meta, form=form
    )


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
    Action.OPEN_REFLECTION: _reflection,
    Action.BAZAAR_ADD: lambda turn, member, action, value: bazaar_form(turn.session, member),
    Action.BAZAAR_GIVER_VIEW: lambda turn, member, action, value: giver_form(
        session=turn.session, member=member, claim_id=value
    ),
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
    Callback.REFLECTION_MODAL: Kind(
        lambda turn, m, meta: reflection_form(
            session=turn.session, member=m, now=turn.now, meeting_id=meta.get("meeting")
        ),
        _save_reflection,
        ReflectionField.COMMON,
    ),
    Callback.BAZAAR_MODAL: Kind(
        lambda turn, m, _: bazaar_form(turn.session, m),
        lambda turn, m, _, form: submit_bazaar(
            session=turn.session, member=m, now=turn.now, form=form
        ),
        BazaarField.TITLE,
    ),
    Callback.BAZAAR_GIVER_MODAL: Kind(
        lambda turn, m, meta: giver_form(session=turn.session, member=m, claim_id=meta.get("id")),
        lambda turn, m, meta, form: submit_giver_view(
            session=turn.session, member=m, now=turn.now, metadata=meta, form=form
        ),
        SpreadField.STATUS,
    ),
}


# --- forms for anyone: the application form, and the facilitator's decision on one ----------


def _asker(turn: Turn) -> Asker | None:
    return Asker(Platform.TEAMS, turn.user_id, turn.lang) if turn.user_id else None


def _open_application(turn: Turn, action: str, value: str | None) -> Form | str | None:
    asker = _asker(turn)
    return application_form(turn.session, asker, turn.now) if asker else None


def _open_decision(turn: Turn, action: str, value: str | None) -> Form | str | None:
    return decision_form(turn.session, turn.people, action, value)


# Buttons that open a form for someone who need not be a member (each checks its own role).
ANYONE_OPENERS: dict[str, Callable[[Turn, str, str | None], Form | str | None]] = {
    Action.OPEN_APPLICATION: _open_application,
    **dict.fromkeys(DECISIONS, _open_decision),
}


@dataclass(frozen=True)
class AnyoneKind:
    """A form for anyone: built again from its metadata (or a text: why not), saved."""

    build: Callable[[Turn, Metadata], Form | str | None]
    save: Callable[[Turn, Metadata, Submitted], Form]
    default_field: str


def _save_application(turn: Turn, meta: Metadata, form: Submitted) -> Form:
    asker = _asker(turn)
    if asker is None:
        raise InputError("teams.form.gone")
    return submit_application(
        session=turn.session, asker=asker, now=turn.now, metadata=meta, form=form
    )


def _decision_again(turn: Turn, meta: Metadata) -> Form | str | None:
    action = next((a for a, s in DECISIONS.items() if s.value == meta.get("status")), None)
    if action is None:
        return None
    return decision_form(turn.session, turn.people, action, str(meta.get("id")))


def _save_decision(turn: Turn, meta: Metadata, form: Submitted) -> Form:
    return submit_decision(
        session=turn.session, people=turn.people, now=turn.now, metadata=meta, form=form
    )


ANYONE_KINDS: dict[str, AnyoneKind] = {
    Callback.APPLICATION_MODAL: AnyoneKind(
        lambda turn, _: _open_application(turn, Action.OPEN_APPLICATION, None),
        _save_application,
        ApplicationField.ABOUT,
    ),
    Callback.APPLICATION_DECISION_MODAL: AnyoneKind(_decision_again, _save_decision, MESSAGE_FIELD),
}


def _shown(turn: Turn, form: Form | str | None) -> Body:
    if isinstance(form, str):
        return _message(form)
    if form is None:  # not theirs, or gone
        return _message(t(turn.lang, "teams.form.gone"))
    return _continue(turn.lang, form)


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
    action, value = str(data.get("action")), data.get("value")
    if action in ANYONE_OPENERS:  # the application form (anyone), a decision (checked)
        return _shown(turn, ANYONE_OPENERS[action](turn, action, str(value) if value else None))
    if turn.member is None:
        return _message(t(turn.lang, "teams.stranger"))
    opener = OPENERS.get(action)
    form = opener(turn, turn.member, action, str(value) if value else None) if opener else None
    if form is None:  # not theirs, or gone
        return _message(t(turn.lang, "teams.form.gone"))
    return _continue(turn.lang, form)


Shown = tuple[Form, Mapping[str, str] | None, Mapping[str, teams_render.FieldValue] | None]


def submitted(
    turn: Turn, data: Mapping[str, Any], *, saved_key: str | None = None
) -> Shown | str | None:
    """A form's submission (a dialog's, or a form card's sent in the chat) saved: the saved
    form, or the form again with its errors (field -> text) and everything typed (field ->
    value); a text to show instead (not theirs, or gone); None for the close button or a
    form that is not one of ours (nothing to save). `saved_key` (a form card's) is stored by
    the save's own commit, and only by it."""
    kind_name = str(data.get("form"))
    if teams_render.is_close(data) or (kind_name not in KINDS and kind_name not in ANYONE_KINDS):
        return None
    meta = data.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    if kind_name in ANYONE_KINDS:
        anyone = ANYONE_KINDS[kind_name]
        again = anyone.build(turn, meta)
        if isinstance(again, str):
            return again
        return _save(
            turn,
            again,
            data,
            lambda f: anyone.save(turn, meta, f),
            anyone.default_field,
            saved_key=saved_key,
        )
    if turn.member is None:
        return t(turn.lang, "teams.stranger")
    kind, member = KINDS[kind_name], turn.member
    form = kind.build(turn, member, meta)
    return _save(
        turn,
        form,
        data,
        lambda f: kind.save(turn, member, meta, f),
        kind.default_field,
        kind.field_of_key,
        saved_key=saved_key,
    )


def _save(
    turn: Turn,
    form: Form | None,
    data: Mapping[str, Any],
    save: Callable[[Submitted], Form],
    default_field: str | None,
    field_of_key: Mapping[str, str] | None = None,
    *,
    saved_key: str | None = None,
) -> Shown | str:
    """Save `form` as submitted in `data`: its saved view, or the form again with each
    error under its field and everything typed kept. `saved_key` goes into the save's
    transaction (its commit stores it, the rollback of an error takes it out) — added only
    now, after the form was built, so nothing is written before the save itself."""
    if form is None:
        return t(turn.lang, "teams.form.gone")
    values = teams_render.submitted_values(form, data)
    submitted_form = Submitted(values)
    try:
        if saved_key is not None:
            claim_with_next_commit(turn.session, saved_key)
        saved = save(submitted_form)
    except (InputError, FieldErrors) as error:
        turn.session.rollback()
        default = default_field or submitted_form.first_field("")
        problems = problems_of(error, field_of_key or {})
        errors = field_errors(turn.lang, problems, submitted_form.fields, default, shown=str)
        return form, errors, values
    turn.session.commit()
    return saved, None, None


def submit(turn: Turn, data: Mapping[str, Any]) -> Body | None:
    """`task/submit`: save the dialog's form, or show it again with its errors."""
    shown = submitted(turn, data)
    if shown is None:
        return None  # closes the dialog
    if isinstance(shown, str):
        return _message(shown)
    form, errors, values = shown
    return _continue(turn.lang, form, errors=errors, values=values)


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
