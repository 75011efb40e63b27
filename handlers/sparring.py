"""`/sparring`: log sparring given (B1), see this period's status, undo the latest entry."""

from __future__ import annotations

import json
import logging
from datetime import date, datetime
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from handlers.blocks import element_state, info_modal, mrkdwn_section, option, picker
from handlers.catalogue import format_date, markup_join, person_mention, plain_text, t
from handlers.context import RequestScope, scope_of
from handlers.ids import Action, Callback, Field
from handlers.parsing import (
    SparringCommand,
    escape_slack,
    parse_duration,
    parse_sparring_log,
    split_subcommand,
    unescape_slack,
)
from models.errors import InputError
from models.network import Member, Period, Role
from models.prep import network_members
from models.sparring import (
    MAX_NOTE_LENGTH,
    PeriodTotal,
    SparringEntry,
    SparringReceiver,
    SparringStatus,
    dispute_sparring,
    is_open_dispute,
    log_sparring,
    period_total,
    sparring_status,
    undo_latest_sparring,
)

log = logging.getLogger(__name__)

DEFAULT_TARGET_MINUTES = 120
STATUS_ENTRY_LIMIT = 15
NOTE_PREVIEW = 140


def render_period(lang: str, period: Period) -> str:
    if period.index == 0:
        return t(lang, "period.before_first")
    if period.index >= period.meeting_count:
        return t(lang, "period.after_last", a=period.index)
    return t(lang, "period.between", a=period.index, b=period.index + 1)


def render_progress(lang: str, given_minutes: int, target_minutes: int) -> str:
    if given_minutes >= target_minutes:
        return t(
            lang,
            "sparring.progress.reached",
            given_minutes=given_minutes,
            target_minutes=target_minutes,
        )
    return t(
        lang,
        "sparring.progress.missing",
        given_minutes=given_minutes,
        target_minutes=target_minutes,
        missing_minutes=target_minutes - given_minutes,
    )


def _receivers(lang: str, entry: SparringEntry) -> str:
    ids = [m.slack_user_id for m in entry.receiver_members]
    return t(lang, "sparring.logged.receivers", users=ids) if ids else ""


def _note(lang: str, entry: SparringEntry, limit: int | None = None) -> str:
    if not entry.note:
        return ""
    note = entry.note if limit is None or len(entry.note) <= limit else entry.note[:limit] + "…"
    # Mentions in a note are the entry's receivers: people Slack and the bot resolved.
    resolved = [m.slack_user_id or "" for m in entry.receiver_members]
    return t(lang, "sparring.logged.note", note=escape_slack(note, mentions=resolved))


def render_entry_reply(key: str, lang: str, entry: SparringEntry, total: PeriodTotal) -> str:
    """The reply after logging or undoing: the entry, then the period's total against target."""
    return t(
        lang,
        key,
        minutes=entry.minutes,
        receivers=_receivers(lang, entry),
        day=entry.given_on,
        note=_note(lang, entry),
        period=render_period(lang, total.period),
        progress=render_progress(lang, total.given_minutes, total.target_minutes),
    )


def render_status(lang: str, status: SparringStatus) -> str:
    lines = [
        t(
            lang,
            "sparring.status.header",
            period=render_period(lang, status.period),
            start=format_date(lang, status.period.start, short=True),
            end=status.period.end,
        )
    ]
    if not status.entries:
        lines.append(t(lang, "sparring.status.none"))
    hidden = status.entry_count - len(status.entries)
    if hidden:
        lines.append(t(lang, "sparring.status.more", count=hidden))
    for entry in status.entries:
        lines.append(
            t(
                lang,
                "sparring.status.entry",
                day=format_date(lang, entry.given_on, short=True),
                minutes=entry.minutes,
                receivers=_receivers(lang, entry),
                note=_note(lang, entry, NOTE_PREVIEW),
            )
        )
    lines.append(
        t(
            lang,
            "sparring.status.given",
            progress=render_progress(lang, status.given_minutes, status.target_minutes),
        )
    )
    if status.received:
        people = markup_join(
            ", ",
            (
                t(
                    lang,
                    "sparring.status.received_item",
                    user=person_mention(lang, r.giver.slack_user_id),
                    minutes=r.minutes,
                )
                for r in status.received
            ),
        )
        lines.append(
            t(lang, "sparring.status.received", minutes=status.received_minutes, people=people)
        )
    else:
        lines.append(t(lang, "sparring.status.received_none"))
    lines.append(t(lang, "sparring.status.hint"))
    return "\n".join(lines)


def render_help(lang: str, member: Member | None, now: datetime) -> str:
    target = member.network.sparring_target_minutes if member else DEFAULT_TARGET_MINUTES
    today = member.today(now) if member else now.date()
    return t(lang, "sparring.help", target_minutes=target, today=today)


def run_sparring_command(scope: RequestScope, text: str) -> str:
    """Carry out one `/sparring` command and return the reply; InputError on bad input."""
    lang = scope.lang
    command, word, rest = split_subcommand(text)
    if command is None:
        return (
            t(lang, "sparring.error.unknown_subcommand", word=unescape_slack(word))
            + "\n\n"
            + render_help(lang, scope.member, scope.now)
        )
    if command is SparringCommand.HELP:
        return render_help(lang, scope.member, scope.now)
    member = scope.require_member()
    if command is SparringCommand.STATUS:
        status = sparring_status(
            session=scope.db, member=member, now=scope.now, entry_limit=STATUS_ENTRY_LIMIT
        )
        return render_status(lang, status)
    if command is SparringCommand.UNDO:
        removed = undo_latest_sparring(session=scope.db, member=member, now=scope.now)
        if removed is None:
            return t(lang, "sparring.undo.nothing")
        total = period_total(session=scope.db, member=member, day=removed.given_on)
        scope.db.commit()
        return render_entry_reply("sparring.undo.done", lang, removed, total)
    parsed = parse_sparring_log(rest, today=member.today(scope.now))
    entry = log_sparring(
        session=scope.db,
        member=member,
        minutes=parsed.minutes,
        given_on=parsed.given_on,
        receiver_ids=parsed.receiver_ids,
        note=parsed.note,
        now=scope.now,
    )
    total = period_total(session=scope.db, member=member, day=entry.given_on)
    scope.db.commit()
    log.info("sparring logged member=%s entry=%s minutes=%s", member.id, entry.id, entry.minutes)
    return render_entry_reply("sparring.logged", lang, entry, total)


def handle_sparring_command(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    """Slash command listener: does the (fast, local) work, then acks with the reply."""
    reply = run_sparring_command(scope_of(context), str(body.get("text", "")))
    ack(response_type="ephemeral", text=reply)


def build_sparring_received(
    *, session: Session, member: Member, receiver_id: int, nudge_id: int
) -> dict[str, Any] | None:
    """ "Anna logged 2 h of sparring with you" with a "that's not right" button; None when the
    entry was undone in the meantime."""
    receiver = session.get(SparringReceiver, receiver_id)
    if receiver is None or receiver.member_id != member.id or receiver.entry.removed_at:
        return None
    lang = member.lang
    entry = receiver.entry
    giver = person_mention(lang, entry.giver.slack_user_id)
    text = t(
        lang,
        "notice.sparring",
        giver=giver,
        minutes=entry.minutes,
        day=entry.given_on,
        note=_note(lang, entry, NOTE_PREVIEW),
    )
    return {
        "text": t(lang, "notice.sparring.text", giver=giver),
        "blocks": [
            {
                "type": "section",
                "block_id": "sparring_notice",
                "text": {"type": "mrkdwn", "text": text},
                "accessory": {
                    "type": "button",
                    "action_id": Action.DISPUTE_SPARRING,
                    "text": {"type": "plain_text", "text": t(lang, "notice.sparring.dispute")},
                    "value": json.dumps({"nudge": nudge_id, "receiver": receiver.id}),
                },
            },
        ],
    }


def dispute_blocks(lang: str, receiver: SparringReceiver) -> list[dict[str, Any]]:
    """A disputed entry for a facilitator, with the two ways to settle it."""
    entry = receiver.entry
    text = t(
        lang,
        "notice.dispute",
        receiver=person_mention(lang, receiver.member.slack_user_id),
        giver=person_mention(lang, entry.giver.slack_user_id),
        minutes=entry.minutes,
        day=entry.given_on,
        note=_note(lang, entry, NOTE_PREVIEW),
    )
    buttons = [
        {
            "type": "button",
            "action_id": action,
            "text": {"type": "plain_text", "text": t(lang, key)},
            "value": str(receiver.id),
        }
        for action, key in (
            (Action.DISPUTE_KEEP, "notice.dispute.keep"),
            (Action.DISPUTE_REMOVE, "notice.dispute.remove"),
        )
    ]
    buttons[1]["style"] = "danger"
    return [
        mrkdwn_section(text, f"dispute_{receiver.id}"),
        {"type": "actions", "block_id": f"dispute_{receiver.id}_actions", "elements": buttons},
    ]


def build_dispute_notice(
    *, session: Session, member: Member, receiver_id: int, nudge_id: int
) -> dict[str, Any] | None:
    """To a facilitator: a receiver disputes an entry. None once it is settled (or when the
    facilitator is not one of that network's)."""
    receiver = session.get(SparringReceiver, receiver_id)
    if (
        receiver is None
        or not is_open_dispute(receiver)
        or member.role is not Role.FACILITATOR
        or receiver.member.network_id != member.network_id
    ):
        return None
    lang = member.lang
    return {
        "text": t(
            lang,
            "notice.dispute.text",
            receiver=person_mention(lang, receiver.member.slack_user_id),
        ),
        "blocks": dispute_blocks(lang, receiver),
    }


def open_view_lazy(body: dict[str, Any], client: WebClient, context: dict[str, Any]) -> None:
    """Lazy listener: open the modal the ack step built, with the request's trigger_id."""
    view = context.get("view_to_open")
    if view is not None:
        client.views_open(trigger_id=body["trigger_id"], view=view)


def reply_ephemeral(respond: Respond, context: dict[str, Any]) -> None:
    """Lazy listener: tell the member what their click did."""
    if context.get("reply"):
        respond(text=context["reply"], response_type="ephemeral", replace_original=False)


def handle_dispute(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    """ "That's not right": flag the entry for the facilitator; the entry itself stays."""
    scope = scope_of(context)
    member = scope.require_member()
    value = json.loads(body["actions"][0].get("value") or "{}")
    receiver = scope.db.get(SparringReceiver, value.get("receiver"))
    ack()
    if receiver is None or receiver.member_id != member.id:
        return
    if dispute_sparring(session=scope.db, receiver=receiver, now=scope.now):
        scope.db.commit()
        log.info("sparring entry %s disputed by member %s", receiver.entry_id, member.id)
    context["reply"] = t(member.lang, "notice.sparring.disputed")


SPARRING_FIELDS = {
    "sparring.error.bad_duration": "sparring_duration",
    "sparring.error.not_positive": "sparring_duration",
    "sparring.error.too_long": "sparring_duration",
    "sparring.error.future_date": "sparring_date",
    "sparring.error.outside_season": "sparring_date",
    "sparring.error.self_receiver": "sparring_receivers",
    "sparring.error.not_members": "sparring_receivers",
    "sparring.error.note_too_long": "sparring_note",
}


def build_sparring_modal(lang: str, *, today: date, members: list[Member]) -> dict[str, Any]:
    """The form behind the "Log sparring" button: the same rules as `/sparring logged`."""

    def plain(text: str) -> dict[str, Any]:
        return {"type": "plain_text", "text": plain_text(text)}

    blocks: list[dict[str, Any]] = [
        {
            "type": "input",
            "block_id": "sparring_duration",
            "label": plain(t(lang, "sparring.modal.duration")),
            "hint": plain(t(lang, "sparring.modal.duration_hint")),
            "element": {"type": "plain_text_input", "action_id": Field.VALUE, "max_length": 20},
        },
        {
            "type": "input",
            "block_id": "sparring_date",
            "label": plain(t(lang, "sparring.modal.date")),
            "element": {
                "type": "datepicker",
                "action_id": Field.VALUE,
                "initial_date": today.isoformat(),
            },
        },
    ]
    if members:
        blocks.append(
            {
                "type": "input",
                "block_id": "sparring_receivers",
                "optional": True,
                "label": plain(t(lang, "sparring.modal.receivers")),
                "element": picker(
                    [option(m.name, m.slack_user_id) for m in members if m.slack_user_id],
                    search_action=Field.MEMBER_SEARCH,
                    multi=True,
                ),
            }
        )
    blocks.append(
        {
            "type": "input",
            "block_id": "sparring_note",
            "optional": True,
            "label": plain(t(lang, "sparring.modal.note")),
            "element": {
                "type": "plain_text_input",
                "action_id": Field.VALUE,
                "multiline": True,
                "max_length": MAX_NOTE_LENGTH,
            },
        }
    )
    return {
        "type": "modal",
        "callback_id": Callback.SPARRING_MODAL,
        "title": plain(t(lang, "sparring.modal.title")[:24]),
        "submit": plain(t(lang, "prep.modal.submit")),
        "close": plain(t(lang, "prep.modal.close")),
        "blocks": blocks,
    }


def handle_open_sparring_button(ack: Ack, context: dict[str, Any]) -> None:
    scope = scope_of(context)
    member = scope.require_member()
    context["view_to_open"] = build_sparring_modal(
        member.lang, today=member.today(scope.now), members=network_members(scope.db, member)
    )
    ack()


def handle_sparring_submission(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    scope = scope_of(context)
    member = scope.require_member()
    lang = member.lang
    values = body["view"]["state"]["values"]

    def value(block: str) -> dict[str, Any]:
        return element_state(values, block)

    try:
        minutes = parse_duration(value("sparring_duration").get("value") or "")
        raw_day = value("sparring_date").get("selected_date")
        given_on = date.fromisoformat(raw_day) if raw_day else member.today(scope.now)
        receivers = [o["value"] for o in value("sparring_receivers").get("selected_options") or []]
        entry = log_sparring(
            session=scope.db,
            member=member,
            minutes=minutes,
            given_on=given_on,
            receiver_ids=receivers,
            note=value("sparring_note").get("value") or "",
            now=scope.now,
        )
    except InputError as error:
        scope.db.rollback()
        field = SPARRING_FIELDS.get(error.key, "sparring_duration")
        ack(
            response_action="errors",
            errors={field: plain_text(t(lang, error.key, **error.params))},
        )
        return
    total = period_total(session=scope.db, member=member, day=entry.given_on)
    scope.db.commit()
    ack(
        response_action="update",
        view=info_modal(
            lang,
            callback_id=Callback.SPARRING_MODAL,
            title=t(lang, "sparring.modal.title"),
            text=render_entry_reply("sparring.logged", lang, entry, total),
        ),
    )


def register(app: App) -> None:
    app.command("/sparring")(handle_sparring_command)
    app.action(Action.OPEN_SPARRING)(ack=handle_open_sparring_button, lazy=[open_view_lazy])
    app.view(Callback.SPARRING_MODAL)(handle_sparring_submission)
    app.action(Action.DISPUTE_SPARRING)(ack=handle_dispute, lazy=[reply_ephemeral])
