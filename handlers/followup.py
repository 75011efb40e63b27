"""`/followup`: log the follow-up with one's own manager (B2), see and edit this period's."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from slack_bolt import Ack, App
from sqlalchemy.orm import Session

from handlers import conversation as c
from handlers.briefs import followup_brief
from handlers.catalogue import format_date, t
from handlers.context import RequestScope, scope_of
from handlers.conversation import DateInput, Form, TextInput
from handlers.forms import Submitted, info_form, on_form_button, saving_listener
from handlers.ids import Action, Block, Callback
from handlers.parsing import escape_slack, excerpt, unescape_slack
from handlers.prep import BRIEF_WORDS
from handlers.render import render_period
from handlers.replies import answer_command
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


def build_followup_modal(lang: str, *, today: date, row: ManagerFollowUp | None) -> Form:
    """The follow-up form: empty for a new one, filled with `row` to edit it."""
    return Form(
        kind=Callback.FOLLOWUP_MODAL,
        title=t(lang, "followup.modal.title"),
        submit=t(lang, "prep.modal.submit"),
        metadata={"id": row.id if row else None},
        parts=[
            DateInput(
                FollowupField.ON,
                t(lang, "followup.modal.date"),
                initial=row.followed_up_on if row else today,
            ),
            TextInput(
                FollowupField.AGREED,
                t(lang, "followup.modal.agreed"),
                MAX_TEXT,
                multiline=True,
                initial=row.agreed if row else "",
            ),
            TextInput(
                FollowupField.NEXT_STEP,
                t(lang, "followup.modal.next_step"),
                MAX_TEXT,
                multiline=True,
                initial=row.next_step if row else "",
                optional=True,
            ),
        ],
    )


def render_followups(
    lang: str, member: Member, rows: list[ManagerFollowUp], period_text: str
) -> c.Message:
    """`/followup status`: this period's follow-ups, each with a button to edit it."""
    header = t(lang, "followup.status.header", period=period_text)
    parts: list[c.Part] = [c.Paragraph(header)]
    if not rows:
        parts.append(c.Paragraph(t(lang, "followup.status.none")))
    if len(rows) > MAX_LISTED:
        parts.append(c.Paragraph(t(lang, "followup.status.more", count=len(rows) - MAX_LISTED)))
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
        edit = c.Button(
            t(lang, "followup.edit"), Action.FOLLOWUP_EDIT, str(row.id), opens_form=True
        )
        parts.append(c.Paragraph(text, button=edit, block=f"{Block.FOLLOWUP_ROW}_{row.id}"))
    return c.Message(header, parts)


def followup_command(scope: RequestScope, text: str) -> str | c.Message | Form:
    """`/followup` (`opfølgning` on Teams): a text is saved as today's follow-up; none opens
    the form; `status` lists this period's; `help` explains."""
    text = text.strip()
    word = text.split(maxsplit=1)[0].lower() if text else ""
    if word in HELP_WORDS:
        return t(scope.lang, "followup.help")
    member = scope.require_member()
    lang = member.lang
    today = member.today(scope.now)
    if not text:
        return build_followup_modal(lang, today=today, row=None)
    if text.lower() in BRIEF_WORDS:
        return followup_brief(scope.db, member, scope.now)
    if word == "status":
        period = period_for(member.network, today)
        if period is None:
            return t(lang, "followup.status.none")
        rows = followups_in_period(session=scope.db, member=member, period=period)
        return render_followups(lang, member, rows, render_period(lang, period))
    row = log_followup(
        session=scope.db,
        member=member,
        on=today,
        agreed=unescape_slack(text),
        next_step="",
        now=scope.now,
    )
    scope.db.commit()
    agreed = escape_slack(excerpt(row.agreed, 300))
    return t(lang, "followup.saved", day=row.followed_up_on, agreed=agreed)


def handle_followup_command(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    scope = scope_of(context)
    answer_command(ack, context, scope.lang, followup_command(scope, str(body.get("text", ""))))


def own_followup(session: Session, member: Member, followup_id: object) -> ManagerFollowUp | None:
    if not str(followup_id).isdigit():  # a button's value is the sender's to choose
        return None
    row = session.get(ManagerFollowUp, int(str(followup_id)))
    return row if row is not None and row.member_id == member.id else None


def followup_form(
    *, session: Session, member: Member, now: datetime, followup_id: object = None
) -> Form | None:
    """The follow-up form: a new one, or to edit the member's own `followup_id` (None when
    that is not theirs)."""
    row = own_followup(session, member, followup_id) if followup_id else None
    if followup_id and row is None:
        return None
    return build_followup_modal(member.lang, today=member.today(now), row=row)


def submit_followup(
    *,
    session: Session,
    member: Member,
    now: datetime,
    metadata: Mapping[str, Any],
    form: Submitted,
) -> Form:
    """Save a submitted follow-up form (new, or the one `metadata` names); the saved view."""
    lang = member.lang
    followup_id = metadata.get("id")
    on = form.day(FollowupField.ON) or member.today(now)
    agreed, next_step = form.text(FollowupField.AGREED), form.text(FollowupField.NEXT_STEP)
    if followup_id:
        update_followup(
            session=session,
            member=member,
            followup_id=int(followup_id),
            on=on,
            agreed=agreed,
            next_step=next_step,
            now=now,
        )
    else:
        log_followup(
            session=session, member=member, on=on, agreed=agreed, next_step=next_step, now=now
        )
    return info_form(
        Callback.FOLLOWUP_MODAL, t(lang, "followup.modal.title"), t(lang, "followup.modal.saved")
    )


handle_followup_submission = saving_listener(
    FollowupField.AGREED, submit_followup, with_metadata=True
)


def register(app: App) -> None:
    app.command("/followup")(ack=handle_followup_command, lazy=[open_view])
    on_form_button(
        app,
        Action.OPEN_FOLLOWUP,
        lambda scope, member, _value: build_followup_modal(
            member.lang, today=member.today(scope.now), row=None
        ),
    )
    on_form_button(
        app,
        Action.FOLLOWUP_EDIT,
        lambda scope, member, value: followup_form(
            session=scope.db, member=member, now=scope.now, followup_id=int(str(value))
        ),
    )
    app.view(Callback.FOLLOWUP_MODAL)(handle_followup_submission)
