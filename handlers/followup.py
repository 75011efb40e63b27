"""`/followup`: log the follow-up with one's own manager (B2), see and edit this period's."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from slack_bolt import Ack, App

from handlers.blocks import info_modal, mrkdwn_section, plain, section_with_button
from handlers.catalogue import format_date, t
from handlers.context import scope_of
from handlers.errors import submit_form
from handlers.ids import Action, Block, Callback, Field
from handlers.parsing import escape_slack, excerpt, unescape_slack
from handlers.render import render_period
from handlers.replies import open_view_lazy as open_view
from models.followup import (
    MAX_TEXT,
    FollowupField,
    ManagerFollowUp,
    followups_in_period,
    log_followup,
    update_followup,
)
from models.network import Member, period_for

HELP_WORDS = {"help", "hjælp", "hjaelp", "?"}

MAX_LISTED = 20  # the latest; the rest in /network mydata


def build_followup_modal(lang: str, *, today: date, row: ManagerFollowUp | None) -> dict[str, Any]:
    agreed: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": Field.VALUE,
        "multiline": True,
        "max_length": MAX_TEXT,
    }
    next_step: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": Field.VALUE,
        "multiline": True,
        "max_length": MAX_TEXT,
    }
    if row is not None:
        agreed["initial_value"] = row.agreed
        if row.next_step:
            next_step["initial_value"] = row.next_step
    return {
        "type": "modal",
        "callback_id": Callback.FOLLOWUP_MODAL,
        "title": plain(t(lang, "followup.modal.title")[:24]),
        "submit": plain(t(lang, "prep.modal.submit")),
        "close": plain(t(lang, "prep.modal.close")),
        "private_metadata": json.dumps({"id": row.id if row else None}),
        "blocks": [
            {
                "type": "input",
                "block_id": FollowupField.ON,
                "label": plain(t(lang, "followup.modal.date")),
                "element": {
                    "type": "datepicker",
                    "action_id": Field.VALUE,
                    "initial_date": (row.followed_up_on if row else today).isoformat(),
                },
            },
            {
                "type": "input",
                "block_id": FollowupField.AGREED,
                "label": plain(t(lang, "followup.modal.agreed")),
                "element": agreed,
            },
            {
                "type": "input",
                "block_id": FollowupField.NEXT_STEP,
                "optional": True,
                "label": plain(t(lang, "followup.modal.next_step")),
                "element": next_step,
            },
        ],
    }


def render_followups(
    lang: str, member: Member, rows: list[ManagerFollowUp], period_text: str
) -> list[dict[str, Any]]:
    blocks = [mrkdwn_section(t(lang, "followup.status.header", period=period_text))]
    if not rows:
        blocks.append(mrkdwn_section(t(lang, "followup.status.none")))
    if len(rows) > MAX_LISTED:
        blocks.append(mrkdwn_section(t(lang, "followup.status.more", count=len(rows) - MAX_LISTED)))
    for row in rows[-MAX_LISTED:]:
        next_step = (
            t(
                lang,
                "followup.status.next_step",
                next_step=escape_slack(excerpt(row.next_step, 300)),
            )
            if row.next_step
            else ""
        )
        text = t(
            lang,
            "followup.status.entry",
            day=format_date(lang, row.followed_up_on, short=True),
            agreed=escape_slack(excerpt(row.agreed, 600)),
            next_step=next_step,
        )
        blocks.append(
            section_with_button(
                text,
                block_id=f"{Block.FOLLOWUP_ROW}_{row.id}",
                action_id=Action.FOLLOWUP_EDIT,
                label=t(lang, "followup.edit"),
                value=str(row.id),
            )
        )
    return blocks


def handle_followup_command(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    scope = scope_of(context)
    text = str(body.get("text", "")).strip()
    word = text.split(maxsplit=1)[0].lower() if text else ""
    if word in HELP_WORDS:
        ack(response_type="ephemeral", text=t(scope.lang, "followup.help"))
        return
    member = scope.require_member()
    lang = member.lang
    today = member.today(scope.now)
    if not text:
        context["view_to_open"] = build_followup_modal(lang, today=today, row=None)
        ack()
        return
    if word == "status":
        period = period_for(member.network, today)
        if period is None:
            ack(response_type="ephemeral", text=t(lang, "followup.status.none"))
            return
        rows = followups_in_period(session=scope.db, member=member, period=period)
        blocks = render_followups(lang, member, rows, render_period(lang, period))
        ack(
            response_type="ephemeral",
            text=t(lang, "followup.status.header", period=render_period(lang, period)),
            blocks=blocks,
        )
        return
    row = log_followup(
        session=scope.db,
        member=member,
        on=today,
        agreed=unescape_slack(text),
        next_step="",
        now=scope.now,
    )
    scope.db.commit()
    ack(
        response_type="ephemeral",
        text=t(
            lang,
            "followup.saved",
            day=row.followed_up_on,
            agreed=escape_slack(excerpt(row.agreed, 300)),
        ),
    )


def handle_followup_edit(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    scope = scope_of(context)
    member = scope.require_member()
    row = scope.db.get(ManagerFollowUp, int(body["actions"][0]["value"]))
    if row is not None and row.member_id == member.id:
        context["view_to_open"] = build_followup_modal(
            member.lang, today=member.today(scope.now), row=row
        )
    ack()


def handle_followup_submission(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    scope = scope_of(context)
    member = scope.require_member()
    lang = member.lang
    values = body["view"]["state"]["values"]
    meta = json.loads(body["view"].get("private_metadata") or "{}")
    raw_day = values.get(FollowupField.ON, {}).get(Field.VALUE, {}).get("selected_date")
    on = date.fromisoformat(raw_day) if raw_day else member.today(scope.now)
    agreed = values.get(FollowupField.AGREED, {}).get(Field.VALUE, {}).get("value") or ""
    next_step = values.get(FollowupField.NEXT_STEP, {}).get(Field.VALUE, {}).get("value") or ""

    def save() -> object:
        if meta.get("id"):
            return update_followup(
                session=scope.db,
                member=member,
                followup_id=int(meta["id"]),
                on=on,
                agreed=agreed,
                next_step=next_step,
                now=scope.now,
            )
        return log_followup(
            session=scope.db,
            member=member,
            on=on,
            agreed=agreed,
            next_step=next_step,
            now=scope.now,
        )

    submit_form(
        ack,
        scope,
        lang,
        values,
        default_field=FollowupField.AGREED,
        save=save,
        saved_view=info_modal(
            lang,
            callback_id=Callback.FOLLOWUP_MODAL,
            title=t(lang, "followup.modal.title"),
            text=t(lang, "followup.modal.saved"),
        ),
    )


def handle_open_followup_button(ack: Ack, context: dict[str, Any]) -> None:
    scope = scope_of(context)
    member = scope.require_member()
    context["view_to_open"] = build_followup_modal(
        member.lang, today=member.today(scope.now), row=None
    )
    ack()


def register(app: App) -> None:
    app.command("/followup")(ack=handle_followup_command, lazy=[open_view])
    app.action(Action.OPEN_FOLLOWUP)(ack=handle_open_followup_button, lazy=[open_view])
    app.action(Action.FOLLOWUP_EDIT)(ack=handle_followup_edit, lazy=[open_view])
    app.view(Callback.FOLLOWUP_MODAL)(handle_followup_submission)
