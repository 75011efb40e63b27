"""`/spread`: what a member did with a solution from the network (B3), and its status later."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, App
from sqlalchemy.orm import Session

from handlers.blocks import (
    element_state,
    info_modal,
    mrkdwn_section,
    option,
    picker,
    plain,
    search_options,
    section_with_button,
)
from handlers.catalogue import person_mention, t
from handlers.context import scope_of
from handlers.errors import submit_form
from handlers.ids import Action, Callback, Field
from handlers.parsing import escape_slack, excerpt, unescape_slack
from handlers.sparring import open_view_lazy as open_view
from handlers.sparring import reply_ephemeral
from models.network import Member
from models.prep import PrepExample, network_members
from models.spread import (
    MAX_TEXT,
    SpreadAction,
    SpreadInput,
    SpreadStatus,
    log_spread,
    shared_examples,
    spread_actions,
    update_spread,
)

HELP_WORDS = {"help", "hjælp", "hjaelp", "?"}
MAX_LISTED = 20


def _option(text: str, value: str) -> dict[str, Any]:
    return option(text, value)


def _status_input(lang: str, current: SpreadStatus | None) -> dict[str, Any]:
    options = [_option(t(lang, f"spread.status.{s.value}"), s.value) for s in SpreadStatus]
    element: dict[str, Any] = {
        "type": "radio_buttons",
        "action_id": Field.VALUE,
        "options": options,
    }
    if current is not None:
        element["initial_option"] = options[list(SpreadStatus).index(current)]
    return {
        "type": "input",
        "block_id": "spread_status",
        "label": plain(t(lang, "spread.modal.status")),
        "element": element,
    }


def _effect_input(lang: str, effect: str) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": Field.VALUE,
        "multiline": True,
        "max_length": MAX_TEXT,
    }
    if effect:
        element["initial_value"] = effect
    return {
        "type": "input",
        "block_id": "spread_effect",
        "optional": True,
        "label": plain(t(lang, "spread.modal.effect")),
        "element": element,
    }


def _select(
    lang: str,
    block_id: str,
    label: str,
    options: list[dict[str, Any]],
    search_action: str = Field.VALUE,
) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block_id,
        "optional": True,
        "label": plain(label),
        "element": picker(
            options, search_action=search_action, placeholder=t(lang, "spread.modal.pick")
        ),
    }


def example_options(examples: list[PrepExample], members: list[Member]) -> list[dict[str, Any]]:
    by_id = {m.id: m for m in members}
    return [
        _option(
            f"{e.title} ({by_id[e.member_id].name})" if e.member_id in by_id else e.title,
            str(e.id),
        )
        for e in examples
    ]


def member_options(members: list[Member]) -> list[dict[str, Any]]:
    return [_option(m.name, m.slack_user_id) for m in members if m.slack_user_id]


def build_spread_modal(
    lang: str, *, member: Member, examples: list[Any], members: list[Member], now: Any
) -> dict[str, Any]:
    held = [m for m in member.network.meetings if m.starts_at <= now]
    blocks: list[dict[str, Any]] = [
        {
            "type": "input",
            "block_id": "spread_solution",
            "optional": True,
            "label": plain(t(lang, "spread.modal.solution")),
            "element": {
                "type": "plain_text_input",
                "action_id": Field.VALUE,
                "max_length": MAX_TEXT,
            },
        },
    ]
    if examples:
        blocks.append(
            _select(
                lang,
                "spread_example",
                t(lang, "spread.modal.example"),
                example_options(examples, members),
                Field.EXAMPLE_SEARCH,
            )
        )
    if members:
        blocks.append(
            _select(
                lang,
                "spread_source",
                t(lang, "spread.modal.source"),
                member_options(members),
                Field.MEMBER_SEARCH,
            )
        )
    if held:
        blocks.append(
            _select(
                lang,
                "spread_meeting",
                t(lang, "spread.modal.meeting"),
                [
                    _option(
                        t(lang, "spread.modal.meeting_option", number=m.number, theme=m.theme),
                        str(m.id),
                    )
                    for m in held
                ],
            )
        )
    blocks += [_status_input(lang, None), _effect_input(lang, "")]
    return {
        "type": "modal",
        "callback_id": Callback.SPREAD_MODAL,
        "title": plain(t(lang, "spread.modal.title")[:24]),
        "submit": plain(t(lang, "prep.modal.submit")),
        "close": plain(t(lang, "prep.modal.close")),
        "blocks": blocks,
    }


def build_spread_update_modal(lang: str, row: SpreadAction) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": Callback.SPREAD_UPDATE_MODAL,
        "title": plain(t(lang, "spread.modal.title")[:24]),
        "submit": plain(t(lang, "prep.modal.submit")),
        "close": plain(t(lang, "prep.modal.close")),
        "private_metadata": json.dumps({"id": row.id}),
        "blocks": [
            mrkdwn_section(f"*{escape_slack(excerpt(row.solution, 300))}*"),
            _status_input(lang, row.status),
            _effect_input(lang, row.effect),
        ],
    }


def render_spread_list(lang: str, rows: list[SpreadAction]) -> list[dict[str, Any]]:
    blocks = [mrkdwn_section(t(lang, "spread.list.header"))]
    if not rows:
        blocks.append(mrkdwn_section(t(lang, "spread.list.none")))
    if len(rows) > MAX_LISTED:
        blocks.append(mrkdwn_section(t(lang, "spread.list.more", count=len(rows) - MAX_LISTED)))
    for row in rows[:MAX_LISTED]:
        text = t(
            lang,
            "spread.list.entry",
            solution=escape_slack(excerpt(row.solution, 300)),
            source=t(
                lang, "spread.list.source", user=person_mention(lang, row.source.slack_user_id)
            )
            if row.source
            else "",
            meeting=t(lang, "spread.list.meeting", number=row.meeting.number)
            if row.meeting
            else "",
            status=t(lang, f"spread.status.{row.status.value}"),
            effect=t(lang, "spread.list.effect", effect=escape_slack(excerpt(row.effect, 600)))
            if row.effect
            else "",
        )
        blocks.append(
            section_with_button(
                text,
                block_id=f"spread_{row.id}",
                action_id=Action.SPREAD_UPDATE,
                label=t(lang, "spread.update"),
                value=str(row.id),
            )
        )
    return blocks


def _selected(values: dict[str, Any], block_id: str) -> str | None:
    chosen = element_state(values, block_id).get("selected_option")
    return str(chosen["value"]) if chosen else None


def _typed(values: dict[str, Any], block_id: str) -> str:
    return str(values.get(block_id, {}).get(Field.VALUE, {}).get("value") or "")


def build_spread_notice(
    *, session: Session, member: Member, action_id: int, nudge_id: int
) -> dict[str, Any] | None:
    """Tell a member that someone took up their solution; None if they turned this off."""
    row = session.get(SpreadAction, action_id)
    if row is None or row.source_member_id != member.id or not member.notify_spread:
        return None
    lang = member.lang
    solution = escape_slack(excerpt(row.solution, 300))
    text = t(
        lang,
        "notice.spread",
        member=person_mention(lang, row.member.slack_user_id),
        solution=solution,
        status=t(lang, f"spread.status.{row.status.value}").lower(),
        effect=escape_slack(" " + excerpt(row.effect, 600)) if row.effect else "",
    )
    return {
        "text": t(lang, "notice.spread.text", solution=solution),
        "blocks": [
            mrkdwn_section(text, "spread_notice"),
            {
                "type": "actions",
                "block_id": "spread_notice_actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": Action.SPREAD_NOTICES_OFF,
                        "text": plain(t(lang, "notice.spread.off")),
                        "value": json.dumps({"nudge": nudge_id}),
                    }
                ],
            },
        ],
    }


def handle_spread_notices_off(ack: Ack, context: dict[str, Any]) -> None:
    scope = scope_of(context)
    member = scope.require_member()
    member.notify_spread = False
    scope.db.commit()
    context["reply"] = t(member.lang, "notice.spread.turned_off")
    ack()


def open_spread_form(scope: Any, member: Member) -> dict[str, Any]:
    return build_spread_modal(
        member.lang,
        member=member,
        examples=shared_examples(session=scope.db, member=member, now=scope.now),
        members=network_members(scope.db, member),
        now=scope.now,
    )


def handle_member_options(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    """Type-ahead over the other members of the network (a picker past Slack's 100)."""
    scope = scope_of(context)
    member = scope.require_member()
    options = member_options(network_members(scope.db, member))
    ack(**search_options(member.lang, options, str(body.get("value") or "")))


def handle_example_options(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    """Type-ahead over the examples shared at meetings held (a picker past Slack's 100)."""
    scope = scope_of(context)
    member = scope.require_member()
    examples = shared_examples(session=scope.db, member=member, now=scope.now)
    options = example_options(examples, network_members(scope.db, member))
    ack(**search_options(member.lang, options, str(body.get("value") or "")))


def handle_open_spread_button(ack: Ack, context: dict[str, Any]) -> None:
    scope = scope_of(context)
    context["view_to_open"] = open_spread_form(scope, scope.require_member())
    ack()


def handle_spread_command(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    scope = scope_of(context)
    text = str(body.get("text", "")).strip()
    word = text.split(maxsplit=1)[0].lower() if text else ""
    if word in HELP_WORDS:
        ack(response_type="ephemeral", text=t(scope.lang, "spread.help"))
        return
    if word not in {"", "status"}:
        ack(
            response_type="ephemeral",
            text=t(scope.lang, "spread.error.unknown_subcommand", word=unescape_slack(word))
            + "\n\n"
            + t(scope.lang, "spread.help"),
        )
        return
    member = scope.require_member()
    lang = member.lang
    if word == "status":
        blocks = render_spread_list(lang, spread_actions(session=scope.db, member=member))
        ack(response_type="ephemeral", text=t(lang, "spread.list.header"), blocks=blocks)
        return
    context["view_to_open"] = open_spread_form(scope, member)
    ack()


def _saved_view(lang: str, callback: Callback) -> dict[str, Any]:
    return info_modal(
        lang,
        callback_id=callback,
        title=t(lang, "spread.modal.title"),
        text=t(lang, "spread.modal.saved"),
    )


def handle_spread_submission(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    scope = scope_of(context)
    member = scope.require_member()
    lang = member.lang
    values = body["view"]["state"]["values"]
    example = _selected(values, "spread_example")
    meeting = _selected(values, "spread_meeting")
    data = SpreadInput(
        solution=_typed(values, "spread_solution"),
        example_id=int(example) if example else None,
        source_slack_id=_selected(values, "spread_source"),
        meeting_id=int(meeting) if meeting else None,
        status=_selected(values, "spread_status"),
        effect=_typed(values, "spread_effect"),
    )
    submit_form(
        ack,
        scope,
        lang,
        values,
        default_field="spread_solution",
        save=lambda: log_spread(session=scope.db, member=member, data=data, now=scope.now),
        saved_view=_saved_view(lang, Callback.SPREAD_MODAL),
    )


def handle_spread_update_button(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    scope = scope_of(context)
    member = scope.require_member()
    row = scope.db.get(SpreadAction, int(body["actions"][0]["value"]))
    if row is not None and row.member_id == member.id:
        context["view_to_open"] = build_spread_update_modal(member.lang, row)
    ack()


def handle_spread_update_submission(
    ack: Ack, body: dict[str, Any], context: dict[str, Any]
) -> None:
    scope = scope_of(context)
    member = scope.require_member()
    lang = member.lang
    values = body["view"]["state"]["values"]
    meta = json.loads(body["view"].get("private_metadata") or "{}")
    submit_form(
        ack,
        scope,
        lang,
        values,
        default_field="spread_solution",
        save=lambda: update_spread(
            session=scope.db,
            member=member,
            action_id=int(meta.get("id") or 0),
            status=_selected(values, "spread_status"),
            effect=_typed(values, "spread_effect"),
            now=scope.now,
        ),
        saved_view=_saved_view(lang, Callback.SPREAD_UPDATE_MODAL),
    )


def register(app: App) -> None:
    app.command("/spread")(ack=handle_spread_command, lazy=[open_view])
    app.action(Action.SPREAD_UPDATE)(ack=handle_spread_update_button, lazy=[open_view])
    app.view(Callback.SPREAD_MODAL)(handle_spread_submission)
    app.view(Callback.SPREAD_UPDATE_MODAL)(handle_spread_update_submission)
    app.action(Action.OPEN_SPREAD)(ack=handle_open_spread_button, lazy=[open_view])
    app.action(Action.SPREAD_NOTICES_OFF)(ack=handle_spread_notices_off, lazy=[reply_ephemeral])
    app.options(Field.MEMBER_SEARCH)(handle_member_options)
    app.options(Field.EXAMPLE_SEARCH)(handle_example_options)
