"""`/sparring`: log sparring given (B1), see this period's status, undo the latest entry."""

from __future__ import annotations

import json
import logging
from datetime import date, datetime
from typing import Any

from slack_bolt import Ack, App
from sqlalchemy.orm import Session

from handlers import conversation as c
from handlers.catalogue import t
from handlers.context import RequestScope, scope_of
from handlers.conversation import Choice, DateInput, Form, FormPart, TextInput
from handlers.forms import Submitted, info_form, on_form_button, submit_form
from handlers.ids import Action, Block, Callback, Field, SparringField
from handlers.parsing import (
    ParsedSparring,
    SparringCommand,
    parse_duration,
    parse_sparring_log,
    split_subcommand,
    unescape_slack,
)
from handlers.prep import person_option
from handlers.render import (
    NOTE_PREVIEW,
    dispute_parts,
    render_entry_reply,
    render_note,
    render_status,
)
from handlers.replies import reply_ephemeral
from models.network import Member, Role
from models.people import person_of
from models.prep import network_members
from models.sparring import (
    MAX_NOTE_LENGTH,
    SparringReceiver,
    dispute_sparring,
    is_open_dispute,
    log_sparring_with_total,
    period_total,
    sparring_status,
    undo_latest_sparring,
)

log = logging.getLogger(__name__)

DEFAULT_TARGET_MINUTES = 120
STATUS_ENTRY_LIMIT = 15


def render_help(lang: str, member: Member | None, now: datetime) -> str:
    target = member.network.sparring_target_minutes if member else DEFAULT_TARGET_MINUTES
    today = member.today(now) if member else now.date()
    return t(lang, "sparring.help", target_minutes=target, today=today)


def run_sparring_command(scope: RequestScope, text: str) -> str:
    """Carry out one `/sparring` command and return the reply; InputError on bad input."""
    hot = _log_hot(scope, text)
    if hot is not None:
        return hot
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
    return _log(scope, member, parsed)


def _log_hot(scope: RequestScope, text: str) -> str | None:
    """`/sparring logged …` without receivers, on the driver (models/hot_path.py); None when
    it is not that or not valid (the ORM way then logs it or says what is wrong)."""
    person, hot = scope.person, scope.hot
    command, _word, rest = split_subcommand(text)
    if person is None or hot is None or command is not SparringCommand.LOG:
        return None
    parsed = parse_sparring_log(rest, today=person.today(scope.now))
    if parsed.receiver_ids:
        return None
    minutes = parsed.minutes
    keys = scope.key_rows()
    logged = hot.log_plain_entry(person, minutes, parsed.given_on, parsed.note, scope.now, keys)
    if logged is None:
        return None
    scope.keys_stored()
    entry, total = logged
    log.info("sparring logged member=%s entry=%s minutes=%s", person.member_id, entry.id, minutes)
    return render_entry_reply("sparring.logged", scope.lang, entry, total)


def _log(scope: RequestScope, member: Member, parsed: ParsedSparring) -> str:
    entry, total = log_sparring_with_total(
        session=scope.db,
        member=member,
        minutes=parsed.minutes,
        given_on=parsed.given_on,
        receiver_ids=parsed.receiver_ids,
        note=parsed.note,
        now=scope.now,
    )
    scope.db.commit()
    log.info("sparring logged member=%s entry=%s minutes=%s", member.id, entry.id, entry.minutes)
    return render_entry_reply("sparring.logged", scope.lang, entry, total)


def handle_sparring_command(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    """Slash command listener: does the (fast, local) work, then acks with the reply."""
    reply = run_sparring_command(scope_of(context), str(body.get("text", "")))
    ack(response_type="ephemeral", text=reply)


def sparring_received_facts(
    *, session: Session, member: Member, receiver_id: int
) -> SparringReceiver | None:
    """The entry `member` received (their receiver row) that a notice tells of; None when it
    is not theirs or was undone in the meantime."""
    receiver = session.get(SparringReceiver, receiver_id)
    if receiver is None or receiver.member_id != member.id or receiver.entry.removed_at:
        return None
    return receiver


def build_sparring_received(lang: str, *, receiver: SparringReceiver, nudge_id: int) -> c.Message:
    """ "Anna logged 2 h of sparring with you" with a "that's not right" button."""
    entry = receiver.entry
    giver = person_of(entry.giver)
    text = t(
        lang,
        "notice.sparring",
        giver=giver,
        minutes=entry.minutes,
        day=entry.given_on,
        note=render_note(lang, entry, NOTE_PREVIEW),
    )
    value = json.dumps({"nudge": nudge_id, "receiver": receiver.id})
    dispute = c.Button(t(lang, "notice.sparring.dispute"), Action.DISPUTE_SPARRING, value)
    return c.Message(
        t(lang, "notice.sparring.text", giver=giver),
        [c.Paragraph(text, button=dispute, block=Block.SPARRING_NOTICE)],
    )


def dispute_notice_facts(
    *, session: Session, member: Member, receiver_id: int
) -> SparringReceiver | None:
    """The disputed receiver row a facilitator is told of. None once it is settled (or when
    the facilitator is not one of that network's)."""
    receiver = session.get(SparringReceiver, receiver_id)
    if (
        receiver is None
        or not is_open_dispute(receiver)
        or member.role is not Role.FACILITATOR
        or receiver.member.network_id != member.network_id
    ):
        return None
    return receiver


def build_dispute_notice(lang: str, *, receiver: SparringReceiver) -> c.Message:
    """To a facilitator: a receiver disputes an entry, with the two ways to settle it."""
    summary = t(lang, "notice.dispute.text", receiver=person_of(receiver.member))
    return c.Message(summary, dispute_parts(lang, receiver))


def dispute_received(
    *, session: Session, member: Member, value: str | None, now: datetime
) -> str | None:
    """ "That's not right" on a notice (its button's `value`): flag the entry for the
    facilitator, the entry itself stays; what to tell the member (None: not theirs)."""
    receiver = session.get(SparringReceiver, json.loads(value or "{}").get("receiver"))
    if receiver is None or receiver.member_id != member.id:
        return None
    if dispute_sparring(session=session, receiver=receiver, now=now):
        session.commit()
        log.info("sparring entry %s disputed by member %s", receiver.entry_id, member.id)
    return t(member.lang, "notice.sparring.disputed")


def handle_dispute(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    """ "That's not right" (see `dispute_received`)."""
    scope = scope_of(context)
    member = scope.require_member()
    ack()
    value = body["actions"][0].get("value")
    reply = dispute_received(session=scope.db, member=member, value=value, now=scope.now)
    if reply is not None:
        context["reply"] = reply


SPARRING_FIELDS = {
    "sparring.error.bad_duration": SparringField.DURATION,
    "sparring.error.not_positive": SparringField.DURATION,
    "sparring.error.too_long": SparringField.DURATION,
    "sparring.error.future_date": SparringField.DATE,
    "sparring.error.outside_season": SparringField.DATE,
    "sparring.error.self_receiver": SparringField.RECEIVERS,
    "sparring.error.not_members": SparringField.RECEIVERS,
    "sparring.error.note_too_long": SparringField.NOTE,
}


def build_sparring_modal(lang: str, *, today: date, members: list[Member]) -> Form:
    """The form behind the "Log sparring" button: the same rules as `/sparring logged`."""
    parts: list[FormPart] = [
        TextInput(
            SparringField.DURATION,
            t(lang, "sparring.modal.duration"),
            20,
            hint=t(lang, "sparring.modal.duration_hint"),
        ),
        DateInput(SparringField.DATE, t(lang, "sparring.modal.date"), initial=today),
    ]
    if members:
        parts.append(
            Choice(
                SparringField.RECEIVERS,
                t(lang, "sparring.modal.receivers"),
                [person_option(m, m.name) for m in members],
                multi=True,
                optional=True,
                search_action=Field.MEMBER_SEARCH,
            )
        )
    parts.append(
        TextInput(
            SparringField.NOTE,
            t(lang, "sparring.modal.note"),
            MAX_NOTE_LENGTH,
            multiline=True,
            optional=True,
        )
    )
    return Form(
        kind=Callback.SPARRING_MODAL,
        title=t(lang, "sparring.modal.title"),
        submit=t(lang, "prep.modal.submit"),
        parts=parts,
    )


def sparring_form(*, session: Session, member: Member, now: datetime) -> Form:
    return build_sparring_modal(
        member.lang, today=member.today(now), members=network_members(session, member)
    )


def submit_sparring(*, session: Session, member: Member, now: datetime, form: Submitted) -> Form:
    """Log the sparring a submitted form gives; the saved view. InputError when it breaks a
    rule (`SPARRING_FIELDS` names its field)."""
    lang = member.lang
    entry, total = log_sparring_with_total(
        session=session,
        member=member,
        minutes=parse_duration(form.text(SparringField.DURATION)),
        given_on=form.day(SparringField.DATE) or member.today(now),
        receiver_ids=form.choices(SparringField.RECEIVERS),
        note=form.text(SparringField.NOTE),
        now=now,
    )
    return info_form(
        Callback.SPARRING_MODAL,
        t(lang, "sparring.modal.title"),
        render_entry_reply("sparring.logged", lang, entry, total),
    )


def handle_sparring_submission(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    scope = scope_of(context)
    member = scope.require_member()
    form = Submitted.of(body)
    submit_form(
        ack,
        scope,
        member.lang,
        form,
        default_field=SparringField.DURATION,
        field_of_key=SPARRING_FIELDS,
        save=lambda: submit_sparring(session=scope.db, member=member, now=scope.now, form=form),
        saved_view=lambda saved: saved,
    )


def register(app: App) -> None:
    app.command("/sparring")(handle_sparring_command)
    on_form_button(
        app,
        Action.OPEN_SPARRING,
        lambda scope, member, _value: sparring_form(session=scope.db, member=member, now=scope.now),
    )
    app.view(Callback.SPARRING_MODAL)(handle_sparring_submission)
    app.action(Action.DISPUTE_SPARRING)(ack=handle_dispute, lazy=[reply_ephemeral])
