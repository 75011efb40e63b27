"""`/prep` and the preparation modal (P1 manager alignment, P2 three questions, P3 examples)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App

from handlers.blocks import element_state, mrkdwn_section, option, picker, plain
from handlers.catalogue import format_date, plain_text, t
from handlers.context import RequestScope, scope_of
from handlers.ids import Action, Callback, Field
from handlers.parsing import escape_slack, excerpt, unescape_slack
from handlers.sparring import open_view_lazy as open_view
from models.errors import InputError
from models.network import Meeting, Member
from models.prep import (
    MAX_TEXT,
    MAX_TITLE,
    QUESTIONS_PER_MEETING,
    ExampleInput,
    ExampleSource,
    FieldErrors,
    PrepPart,
    PrepStatus,
    QuestionInput,
    ensure_editable,
    network_members,
    prep_status,
    save_examples,
    save_manager_alignment,
    save_questions,
    upcoming_meeting,
)

log = logging.getLogger(__name__)

MAX_EDITABLE_EXAMPLES = 8
PART_ACTIONS = {
    Action.OPEN_PREP_P1: [PrepPart.MANAGER],
    Action.OPEN_PREP_P2: [PrepPart.QUESTIONS],
    Action.OPEN_PREP_P3: [PrepPart.EXAMPLES],
    Action.OPEN_PREP_ALL: list(PrepPart),
}


def render_when(lang: str, meeting: Meeting, member: Member) -> str:
    return render_time_span(lang, meeting.starts_at, meeting.ends_at, member)


def render_time_span(lang: str, starts_at: datetime, ends_at: datetime, member: Member) -> str:
    """ "17. november 2015 kl. 10:00–13:00" in the member's zone (named when not the network's)."""
    start = starts_at.astimezone(member.zone)
    end = ends_at.astimezone(member.zone)
    key = "meeting.when" if member.zone.key == member.network.zone.key else "meeting.when_zone"
    return t(
        lang,
        key,
        date=format_date(lang, start.date()),
        start=start.strftime("%H:%M"),
        end=end.strftime("%H:%M"),
        zone=member.zone.key,
    )


def _text_input(
    block_id: str, label: str, initial: str, *, multiline: bool, max_length: int, hint: str = ""
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": Field.VALUE,
        "multiline": multiline,
        "max_length": max_length,
    }
    if initial:
        element["initial_value"] = initial[:max_length]
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "optional": True,
        "label": plain(label),
        "element": element,
    }
    if hint:
        block["hint"] = plain(hint)
    return block


def _option(text: str, value: str) -> dict[str, Any]:
    return option(text, value)


def member_label(member: Member) -> str:
    return f"{member.name} ({member.organisation})" if member.organisation else member.name


def _person_input(
    lang: str, block_id: str, label: str, members: list[Member], chosen: Member | None
) -> dict[str, Any]:
    # Only members of the network are offered; past Slack's 100 options, by type-ahead.
    element = picker(
        [_option(member_label(m), m.slack_user_id) for m in members if m.slack_user_id],
        search_action=Field.MEMBER_SEARCH,
        placeholder=t(lang, "prep.p2.pick"),
    )
    if chosen is not None and chosen.slack_user_id and any(m.id == chosen.id for m in members):
        element["initial_option"] = _option(member_label(chosen), chosen.slack_user_id)
    return {
        "type": "input",
        "block_id": block_id,
        "optional": True,
        "label": plain(label),
        "element": element,
    }


def _p1_blocks(lang: str, status: PrepStatus) -> list[dict[str, Any]]:
    option = _option(t(lang, "prep.p1.aligned"), "yes")
    checkbox: dict[str, Any] = {
        "type": "checkboxes",
        "action_id": Field.VALUE,
        "options": [option],
    }
    if status.manager_aligned:
        checkbox["initial_options"] = [option]
    return [
        {"type": "header", "text": plain(t(lang, "prep.p1.header"))},
        {
            "type": "input",
            "block_id": "p1_aligned",
            "optional": True,
            "label": plain(t(lang, "prep.p1.header")),
            "element": checkbox,
        },
        _text_input(
            "p1_agreed",
            t(lang, "prep.p1.agreed"),
            status.manager_agreed,
            multiline=True,
            max_length=MAX_TEXT,
            hint=t(lang, "prep.p1.agreed_hint"),
        ),
    ]


def _p2_blocks(lang: str, status: PrepStatus, members: list[Member]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [{"type": "header", "text": plain(t(lang, "prep.p2.header"))}]
    if not members:
        blocks.append(mrkdwn_section(t(lang, "prep.p2.nobody")))
        return blocks
    by_position = {q.position: q for q in status.questions}
    for position in range(1, QUESTIONS_PER_MEETING + 1):
        q = by_position.get(position)
        blocks.append(
            _text_input(
                f"p2_q{position}_text",
                t(lang, "prep.p2.question", position=position),
                q.text if q else "",
                multiline=True,
                max_length=MAX_TEXT,
            )
        )
        blocks.append(
            _person_input(
                lang,
                f"p2_q{position}_primary",
                t(lang, "prep.p2.primary"),
                members,
                q.primary if q else None,
            )
        )
        blocks.append(
            _person_input(
                lang,
                f"p2_q{position}_secondary",
                t(lang, "prep.p2.secondary"),
                members,
                q.secondary if q else None,
            )
        )
    return blocks


def _example_blocks(
    lang: str, key: str, heading: str, values: dict[str, Any]
) -> list[dict[str, Any]]:
    own = _option(t(lang, "prep.p3.own"), ExampleSource.OWN)
    colleague = _option(t(lang, "prep.p3.colleague"), ExampleSource.COLLEAGUE)
    failed = _option(t(lang, "prep.p3.did_not_work"), "yes")
    source: dict[str, Any] = {
        "type": "radio_buttons",
        "action_id": Field.VALUE,
        "options": [own, colleague],
        "initial_option": colleague if values.get("source") == ExampleSource.COLLEAGUE else own,
    }
    flags: dict[str, Any] = {"type": "checkboxes", "action_id": Field.VALUE, "options": [failed]}
    if values.get("did_not_work"):
        flags["initial_options"] = [failed]
    return [
        mrkdwn_section(f"*{escape_slack(heading)}*"),
        _text_input(
            f"p3_{key}_title",
            t(lang, "prep.p3.title"),
            values.get("title", ""),
            multiline=False,
            max_length=MAX_TITLE,
        ),
        _text_input(
            f"p3_{key}_idea",
            t(lang, "prep.p3.idea"),
            values.get("idea", ""),
            multiline=True,
            max_length=MAX_TEXT,
        ),
        _text_input(
            f"p3_{key}_effect",
            t(lang, "prep.p3.effect"),
            values.get("effect", ""),
            multiline=True,
            max_length=MAX_TEXT,
        ),
        _text_input(
            f"p3_{key}_learning",
            t(lang, "prep.p3.learning"),
            values.get("learning", ""),
            multiline=True,
            max_length=MAX_TEXT,
        ),
        {
            "type": "input",
            "block_id": f"p3_{key}_source",
            "optional": True,
            "label": plain(t(lang, "prep.p3.source")),
            "element": source,
        },
        {
            "type": "input",
            "block_id": f"p3_{key}_flags",
            "optional": True,
            "label": plain(t(lang, "prep.p3.did_not_work")),
            "element": flags,
        },
    ]


def _p3_blocks(lang: str, status: PrepStatus) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": plain(t(lang, "prep.p3.header"))},
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": t(lang, "prep.p3.hint")},
                {"type": "mrkdwn", "text": t(lang, "prep.p3.clear_to_remove")},
            ],
        },
    ]
    editable = status.examples[:MAX_EDITABLE_EXAMPLES]
    if len(status.examples) > len(editable):
        blocks.append(
            mrkdwn_section(t(lang, "prep.p3.more", count=len(status.examples), shown=len(editable)))
        )
    for example in editable:
        blocks += _example_blocks(
            lang,
            str(example.id),
            t(lang, "prep.p3.existing", title=example.title),
            {
                "title": example.title,
                "idea": example.idea,
                "effect": example.effect,
                "learning": example.learning,
                "source": example.source,
                "did_not_work": example.did_not_work,
            },
        )
    blocks += _example_blocks(lang, "new", t(lang, "prep.p3.new"), {})
    return blocks


def build_prep_modal(
    lang: str,
    *,
    member: Member,
    status: PrepStatus,
    members: list[Member],
    parts: list[PrepPart],
    now: datetime,
) -> dict[str, Any]:
    """The preparation form for one meeting, with the parts asked for, filled with what the
    member saved before. Read-only once the meeting has started."""
    meeting = status.meeting
    header = mrkdwn_section(
        t(
            lang,
            "prep.modal.meeting",
            number=meeting.number,
            theme=escape_slack(meeting.theme),
            when=render_when(lang, meeting, member),
            place=escape_slack(meeting.place),
        ),
        "prep_meeting",
    )
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": Callback.PREP_MODAL,
        "title": plain(t(lang, "prep.modal.title", number=meeting.number)[:24]),
        "close": plain(t(lang, "prep.modal.close")),
        "private_metadata": json.dumps({"meeting": meeting.id, "parts": [p.value for p in parts]}),
    }
    if meeting.starts_at <= now:
        view["blocks"] = [
            header,
            mrkdwn_section(t(lang, "prep.modal.read_only")),
            mrkdwn_section(render_prep_status(lang, member, status, now)),
        ]
        return view
    blocks = [header]
    if PrepPart.MANAGER in parts:
        blocks += _p1_blocks(lang, status)
    if PrepPart.QUESTIONS in parts:
        blocks += _p2_blocks(lang, status, members)
    if PrepPart.EXAMPLES in parts:
        blocks += _p3_blocks(lang, status)
    view["blocks"] = blocks
    view["submit"] = plain(t(lang, "prep.modal.submit"))
    return view


def build_saved_view(
    lang: str, member: Member, status: PrepStatus, now: datetime
) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": Callback.PREP_MODAL,
        "title": plain(t(lang, "prep.saved.title")),
        "close": plain(t(lang, "prep.modal.close")),
        "blocks": [
            mrkdwn_section(t(lang, "prep.saved.body", number=status.meeting.number)),
            mrkdwn_section(render_prep_status(lang, member, status, now)),
        ],
    }


def mark(done: bool) -> str:
    return "✅" if done else "⬜"


def render_prep_status(lang: str, member: Member, status: PrepStatus, now: datetime) -> str:
    meeting = status.meeting
    done = status.done
    detail = (
        escape_slack(f" — “{excerpt(status.manager_agreed, 140)}”") if status.manager_agreed else ""
    )
    lines: list[str] = [
        t(
            lang,
            "prep.status.header",
            number=meeting.number,
            theme=escape_slack(meeting.theme),
            when=render_when(lang, meeting, member),
        ),
        t(lang, "prep.status.p1", mark=mark(done[PrepPart.MANAGER]), detail=detail),
        t(lang, "prep.status.p2", mark=mark(done[PrepPart.QUESTIONS]), count=len(status.questions)),
        t(lang, "prep.status.p3", mark=mark(done[PrepPart.EXAMPLES]), count=len(status.examples)),
    ]
    lines.append(t(lang, "prep.status.all_done") if not status.missing else "")
    lines.append(t(lang, "prep.status.edit") if meeting.starts_at > now else "")
    return "\n".join(line for line in lines if line)


# --- reading a submitted modal -------------------------------------------------------------


def _value(values: dict[str, Any], block_id: str) -> dict[str, Any]:
    return dict(values.get(block_id, {}).get(Field.VALUE, {}))


def _text(values: dict[str, Any], block_id: str) -> str:
    return str(_value(values, block_id).get("value") or "")


def _selected(values: dict[str, Any], block_id: str) -> str | None:
    element = element_state(values, block_id)
    option = element.get("selected_option")
    return str(option["value"]) if option else None


def _checked(values: dict[str, Any], block_id: str) -> bool:
    return bool(_value(values, block_id).get("selected_options"))


def read_questions(values: dict[str, Any]) -> list[QuestionInput]:
    return [
        QuestionInput(
            position=p,
            text=_text(values, f"p2_q{p}_text"),
            primary_slack_id=_selected(values, f"p2_q{p}_primary"),
            secondary_slack_id=_selected(values, f"p2_q{p}_secondary"),
        )
        for p in range(1, QUESTIONS_PER_MEETING + 1)
        if f"p2_q{p}_text" in values
    ]


def read_examples(values: dict[str, Any]) -> list[ExampleInput]:
    keys = [
        b[len("p3_") : -len("_title")]
        for b in values
        if b.startswith("p3_") and b.endswith("_title")
    ]
    return [
        ExampleInput(
            key=key,
            title=_text(values, f"p3_{key}_title"),
            idea=_text(values, f"p3_{key}_idea"),
            effect=_text(values, f"p3_{key}_effect"),
            learning=_text(values, f"p3_{key}_learning"),
            source=ExampleSource(_selected(values, f"p3_{key}_source") or ExampleSource.OWN),
            did_not_work=_checked(values, f"p3_{key}_flags"),
        )
        for key in keys
    ]


# --- listeners ------------------------------------------------------------------------------


def _meeting_for(scope: RequestScope, member: Member, meeting_id: int | None) -> Meeting | None:
    if meeting_id is None:
        return upcoming_meeting(member, scope.now)
    return next((m for m in member.network.meetings if m.id == meeting_id), None)


def prep_modal_for(
    scope: RequestScope, member: Member, meeting: Meeting, parts: list[PrepPart]
) -> dict[str, Any]:
    status = prep_status(session=scope.db, member=member, meeting=meeting)
    return build_prep_modal(
        member.lang,
        member=member,
        status=status,
        members=network_members(scope.db, member),
        parts=parts,
        now=scope.now,
    )


def handle_prep_command(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    """`/prep` opens the form (after the ack, see open_view); `status` and `help` answer here."""
    scope = scope_of(context)
    word = str(body.get("text", "")).strip().split(maxsplit=1)[0:1]
    sub = word[0].lower() if word else ""
    if sub in {"help", "hjælp", "hjaelp", "?"}:
        ack(response_type="ephemeral", text=t(scope.lang, "prep.help"))
        return
    if sub not in {"", "status", "open", "åbn"}:
        ack(
            response_type="ephemeral",
            text=t(scope.lang, "prep.error.unknown_subcommand", word=unescape_slack(sub))
            + "\n\n"
            + t(scope.lang, "prep.help"),
        )
        return
    member = scope.require_member()
    meeting = upcoming_meeting(member, scope.now)
    if meeting is None:
        ack(response_type="ephemeral", text=t(member.lang, "prep.no_meeting"))
        return
    if sub == "status":
        status = prep_status(session=scope.db, member=member, meeting=meeting)
        ack(
            response_type="ephemeral",
            text=render_prep_status(member.lang, member, status, scope.now),
        )
        return
    context["view_to_open"] = prep_modal_for(scope, member, meeting, list(PrepPart))
    ack()


def handle_prep_button(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    """A nudge's button: open the form for one part (or all) of that meeting's preparation."""
    scope = scope_of(context)
    action = body["actions"][0]
    member = scope.require_member()
    value = json.loads(action.get("value") or "{}")
    meeting = _meeting_for(scope, member, value.get("meeting"))
    if meeting is not None:
        parts = PART_ACTIONS[Action(action["action_id"])]
        context["view_to_open"] = prep_modal_for(scope, member, meeting, parts)
    ack()


def handle_prep_submission(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    """Save what was submitted; errors go back onto the fields, and Slack keeps what was typed."""
    scope = scope_of(context)
    member = scope.require_member()
    lang = member.lang
    view = body["view"]
    meta = json.loads(view.get("private_metadata") or "{}")
    meeting = _meeting_for(scope, member, meta.get("meeting"))
    parts = [PrepPart(p) for p in meta.get("parts", [])]
    values = view["state"]["values"]
    first_block = next(iter(values), "prep_meeting")
    if meeting is None:
        ack(response_action="errors", errors={first_block: plain_text(t(lang, "prep.no_meeting"))})
        return
    try:
        ensure_editable(meeting, scope.now)
    except InputError as error:
        ack(
            response_action="errors",
            errors={first_block: plain_text(t(lang, error.key, **error.params))},
        )
        return
    collected = FieldErrors()
    savers: dict[PrepPart, Callable[[], object]] = {
        PrepPart.MANAGER: lambda: save_manager_alignment(
            session=scope.db,
            member=member,
            meeting=meeting,
            now=scope.now,
            aligned=_checked(values, "p1_aligned"),
            agreed=_text(values, "p1_agreed"),
        ),
        PrepPart.QUESTIONS: lambda: save_questions(
            session=scope.db,
            member=member,
            meeting=meeting,
            now=scope.now,
            questions=read_questions(values),
        ),
        PrepPart.EXAMPLES: lambda: save_examples(
            session=scope.db,
            member=member,
            meeting=meeting,
            now=scope.now,
            examples=read_examples(values),
        ),
    }
    for part in parts:
        try:
            savers[part]()
        except FieldErrors as errors:
            collected.errors.update(errors.errors)
    if collected.errors:
        scope.db.rollback()
        on_fields = {
            name: plain_text(t(lang, key, **params))
            for name, (key, params) in collected.errors.items()
            if name in values
        }
        if not on_fields:  # an error for a field not in this form: show it on the first one
            key, params = next(iter(collected.errors.values()))
            on_fields = {first_block: plain_text(t(lang, key, **params))}
        ack(response_action="errors", errors=on_fields)
        return
    scope.db.commit()
    status = prep_status(session=scope.db, member=member, meeting=meeting)
    ack(response_action="update", view=build_saved_view(lang, member, status, scope.now))


def register(app: App) -> None:
    app.command("/prep")(ack=handle_prep_command, lazy=[open_view])
    for action in PART_ACTIONS:
        app.action(action)(ack=handle_prep_button, lazy=[open_view])
    app.view(Callback.PREP_MODAL)(handle_prep_submission)
