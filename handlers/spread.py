"""`/spread`: what a member did with a solution from the network (B3), and its status later."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App
from sqlalchemy.orm import Session

from handlers import conversation as c
from handlers.blocks import (
    option,
    search_options,
)
from handlers.catalogue import t
from handlers.context import RequestScope, scope_of
from handlers.conversation import Choice, Form, FormPart, Option, Paragraph, TextInput
from handlers.forms import Submitted, info_form, metadata_of, on_form_button, submit_form
from handlers.ids import Action, Block, Callback, Field
from handlers.parsing import escape_slack, excerpt, unescape_slack
from handlers.prep import person_option, person_options
from handlers.replies import answer_command, reply_ephemeral
from handlers.replies import open_view_lazy as open_view
from models.network import Meeting, Member
from models.people import person_of
from models.prep import PrepExample, network_members
from models.spread import (
    MAX_TEXT,
    SpreadAction,
    SpreadField,
    SpreadInput,
    SpreadStatus,
    log_spread,
    shared_examples,
    spread_actions,
    update_spread,
)

HELP_WORDS = {"help", "hjælp", "hjaelp", "?"}
MAX_LISTED = 20


def status_input(lang: str, current: SpreadStatus | None) -> Choice:
    return Choice(
        SpreadField.STATUS,
        t(lang, "spread.modal.status"),
        [Option(s.value, t(lang, f"spread.status.{s.value}")) for s in SpreadStatus],
        chosen=[current.value] if current is not None else [],
        expanded=True,
    )


def effect_input(lang: str, effect: str) -> TextInput:
    return TextInput(
        SpreadField.EFFECT,
        t(lang, "spread.modal.effect"),
        MAX_TEXT,
        initial=effect,
        multiline=True,
        optional=True,
    )


def _select(
    lang: str, name: str, label: str, options: list[Option], search_action: str | None = None
) -> Choice:
    placeholder = t(lang, "spread.modal.pick")
    return Choice(
        name, label, options, optional=True, placeholder=placeholder, search_action=search_action
    )


def example_options(examples: list[PrepExample], members: list[Member]) -> list[Option]:
    by_id = {m.id: m for m in members}
    return [
        Option(
            str(e.id),
            f"{e.title} ({by_id[e.member_id].name})" if e.member_id in by_id else e.title,
        )
        for e in examples
    ]


def member_options(members: list[Member]) -> list[Option]:
    return [person_option(m, m.name) for m in members]


def _meeting_options(lang: str, held: list[Meeting]) -> list[Option]:
    return [
        Option(str(m.id), t(lang, "spread.modal.meeting_option", number=m.number, theme=m.theme))
        for m in held
    ]


def _where_from(
    lang: str, examples: list[PrepExample], members: list[Member], held: list[Meeting]
) -> list[FormPart]:
    """Where the solution came from: an example shared, a member, a meeting — each only when
    there is one to pick."""
    parts: list[FormPart] = []
    if examples:
        options = example_options(examples, members)
        label = t(lang, "spread.modal.example")
        parts.append(_select(lang, SpreadField.EXAMPLE, label, options, Field.EXAMPLE_SEARCH))
    if members:
        options = member_options(members)
        label = t(lang, "spread.modal.source")
        parts.append(_select(lang, SpreadField.SOURCE, label, options, Field.MEMBER_SEARCH))
    if held:
        label = t(lang, "spread.modal.meeting")
        parts.append(_select(lang, SpreadField.MEETING, label, _meeting_options(lang, held)))
    return parts


def build_spread_modal(
    lang: str,
    *,
    member: Member,
    examples: list[PrepExample],
    members: list[Member],
    now: datetime,
) -> Form:
    held = [m for m in member.network.meetings if m.starts_at <= now]
    solution = TextInput(
        SpreadField.SOLUTION, t(lang, "spread.modal.solution"), MAX_TEXT, optional=True
    )
    return Form(
        kind=Callback.SPREAD_MODAL,
        title=t(lang, "spread.modal.title"),
        submit=t(lang, "prep.modal.submit"),
        parts=[
            solution,
            *_where_from(lang, examples, members, held),
            status_input(lang, None),
            effect_input(lang, ""),
        ],
    )


def build_spread_update_modal(lang: str, row: SpreadAction) -> Form:
    return Form(
        kind=Callback.SPREAD_UPDATE_MODAL,
        title=t(lang, "spread.modal.title"),
        submit=t(lang, "prep.modal.submit"),
        metadata={"id": row.id},
        parts=[
            Paragraph(t(lang, "spread.modal.solution_shown", solution=excerpt(row.solution, 300))),
            status_input(lang, row.status),
            effect_input(lang, row.effect),
        ],
    )


def render_spread_list(lang: str, rows: list[SpreadAction]) -> c.Message:
    """`/spread status`: the member's spread actions, each with a button to update it."""
    parts: list[c.Part] = [c.Paragraph(t(lang, "spread.list.header"))]
    if not rows:
        parts.append(c.Paragraph(t(lang, "spread.list.none")))
    if len(rows) > MAX_LISTED:
        parts.append(c.Paragraph(t(lang, "spread.list.more", count=len(rows) - MAX_LISTED)))
    for row in rows[:MAX_LISTED]:
        text = t(
            lang,
            "spread.list.entry",
            solution=escape_slack(excerpt(row.solution, 300)),
            source=t(lang, "spread.list.source", user=person_of(row.source)) if row.source else "",
            meeting=t(lang, "spread.list.meeting", number=row.meeting.number)
            if row.meeting
            else "",
            status=t(lang, f"spread.status.{row.status.value}"),
            effect=t(lang, "spread.list.effect", effect=escape_slack(excerpt(row.effect, 600)))
            if row.effect
            else "",
        )
        update = c.Button(
            t(lang, "spread.update"), Action.SPREAD_UPDATE, str(row.id), opens_form=True
        )
        parts.append(c.Paragraph(text, button=update, block=f"{Block.SPREAD_ROW}_{row.id}"))
    return c.Message(t(lang, "spread.list.header"), parts)


def spread_notice_facts(*, session: Session, member: Member, action_id: int) -> SpreadAction | None:
    """The spread action a notice tells `member` of (their solution, taken up); None if it is
    not theirs or they turned these notices off."""
    row = session.get(SpreadAction, action_id)
    if row is None or row.source_member_id != member.id or not member.notify_spread:
        return None
    return row


def build_spread_notice(lang: str, *, row: SpreadAction, nudge_id: int) -> c.Message:
    """Tell a member that someone took up their solution."""
    solution = escape_slack(excerpt(row.solution, 300))
    text = t(
        lang,
        "notice.spread",
        member=person_of(row.member),
        solution=solution,
        status=t(lang, f"spread.status.{row.status.value}").lower(),
        effect=escape_slack(" " + excerpt(row.effect, 600)) if row.effect else "",
    )
    off = c.Button(
        t(lang, "notice.spread.off"), Action.SPREAD_NOTICES_OFF, json.dumps({"nudge": nudge_id})
    )
    return c.Message(
        t(lang, "notice.spread.text", solution=solution),
        [
            c.Paragraph(text, block=Block.SPREAD_NOTICE),
            c.Buttons([off], block=Block.SPREAD_NOTICE_ACTIONS),
        ],
    )


def spread_notices_off(*, session: Session, member: Member) -> str:
    """No more notices that someone took up the member's solution; what to tell them."""
    member.notify_spread = False
    session.commit()
    return t(member.lang, "notice.spread.turned_off")


def handle_spread_notices_off(ack: Ack, context: dict[str, Any]) -> None:
    scope = scope_of(context)
    context["reply"] = spread_notices_off(session=scope.db, member=scope.require_member())
    ack()


def open_spread_form(*, session: Session, member: Member, now: datetime) -> Form:
    return build_spread_modal(
        member.lang,
        member=member,
        examples=shared_examples(session=session, member=member, now=now),
        members=network_members(session, member),
        now=now,
    )


def spread_update_form(*, session: Session, member: Member, action_id: object) -> Form | None:
    """The form to update the member's own spread action `action_id` (None: not theirs)."""
    if not str(action_id).isdigit():  # a button's value is the sender's to choose
        return None
    row = session.get(SpreadAction, int(str(action_id)))
    if row is None or row.member_id != member.id:
        return None
    return build_spread_update_modal(member.lang, row)


def searched_options(
    *, session: Session, member: Member, now: datetime, dataset: str
) -> list[Option] | None:
    """What a picker past a platform's cap searches (`Field.MEMBER_SEARCH`: the other
    members, `Field.EXAMPLE_SEARCH`: the examples shared); None for another dataset."""
    if dataset == Field.MEMBER_SEARCH:
        return member_options(network_members(session, member))
    if dataset == Field.PERSON_SEARCH:
        return person_options(network_members(session, member))
    if dataset == Field.EXAMPLE_SEARCH:
        examples = shared_examples(session=session, member=member, now=now)
        return example_options(examples, network_members(session, member))
    return None


def _search(lang: str, options: list[Option], body: dict[str, Any]) -> dict[str, Any]:
    """Slack's answer to a type-ahead (an options request) over `options`."""
    slack_options = [option(o.label, o.value) for o in options]
    return search_options(lang, slack_options, str(body.get("value") or ""))


def handle_member_options(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    """Type-ahead over the other members of the network (a picker past Slack's 100)."""
    scope = scope_of(context)
    member = scope.require_member()
    options = searched_options(
        session=scope.db, member=member, now=scope.now, dataset=Field.MEMBER_SEARCH
    )
    ack(**_search(member.lang, options or [], body))


def handle_person_options(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    """Type-ahead over the other members and their competencies (the question pickers)."""
    scope = scope_of(context)
    member = scope.require_member()
    options = searched_options(
        session=scope.db, member=member, now=scope.now, dataset=Field.PERSON_SEARCH
    )
    ack(**_search(member.lang, options or [], body))


def handle_example_options(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    """Type-ahead over the examples shared at meetings held (a picker past Slack's 100)."""
    scope = scope_of(context)
    member = scope.require_member()
    options = searched_options(
        session=scope.db, member=member, now=scope.now, dataset=Field.EXAMPLE_SEARCH
    )
    ack(**_search(member.lang, options or [], body))


def spread_command(scope: RequestScope, text: str) -> str | c.Message | Form:
    """`/spread` (`spredning` on Teams): the form; `status` lists what was logged."""
    text = text.strip()
    word = text.split(maxsplit=1)[0].lower() if text else ""
    if word in HELP_WORDS:
        return t(scope.lang, "spread.help")
    if word not in {"", "status"}:
        return (
            t(scope.lang, "spread.error.unknown_subcommand", word=unescape_slack(word))
            + "\n\n"
            + t(scope.lang, "spread.help")
        )
    member = scope.require_member()
    if word == "status":
        return render_spread_list(member.lang, spread_actions(session=scope.db, member=member))
    return open_spread_form(session=scope.db, member=member, now=scope.now)


def handle_spread_command(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    scope = scope_of(context)
    answer_command(ack, context, scope.lang, spread_command(scope, str(body.get("text", ""))))


def _saved_view(lang: str, callback: Callback) -> Form:
    return info_form(callback, t(lang, "spread.modal.title"), t(lang, "spread.modal.saved"))


def submit_spread(*, session: Session, member: Member, now: datetime, form: Submitted) -> Form:
    """Log what a submitted spread form says; the saved view."""
    example = form.choice(SpreadField.EXAMPLE)
    meeting = form.choice(SpreadField.MEETING)
    data = SpreadInput(
        solution=form.text(SpreadField.SOLUTION),
        example_id=int(example) if example else None,
        source_ref=form.choice(SpreadField.SOURCE),
        meeting_id=int(meeting) if meeting else None,
        status=form.choice(SpreadField.STATUS),
        effect=form.text(SpreadField.EFFECT),
    )
    log_spread(session=session, member=member, data=data, now=now)
    return _saved_view(member.lang, Callback.SPREAD_MODAL)


def submit_spread_update(
    *,
    session: Session,
    member: Member,
    now: datetime,
    metadata: Mapping[str, Any],
    form: Submitted,
) -> Form:
    """Save a new status (and effect) of the spread action `metadata` names; the saved view."""
    update_spread(
        session=session,
        member=member,
        action_id=int(metadata.get("id") or 0),
        status=form.choice(SpreadField.STATUS),
        effect=form.text(SpreadField.EFFECT),
        now=now,
    )
    return _saved_view(member.lang, Callback.SPREAD_UPDATE_MODAL)


def handle_spread_submission(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    scope = scope_of(context)
    member = scope.require_member()
    form = Submitted.of(body)
    submit_form(
        ack,
        scope,
        member.lang,
        form,
        default_field=SpreadField.SOLUTION,
        save=lambda: submit_spread(session=scope.db, member=member, now=scope.now, form=form),
        saved_view=lambda saved: saved,
    )


def handle_spread_update_submission(
    ack: Ack, body: dict[str, Any], context: dict[str, Any]
) -> None:
    scope = scope_of(context)
    member = scope.require_member()
    form = Submitted.of(body)
    meta = metadata_of(body)
    submit_form(
        ack,
        scope,
        member.lang,
        form,
        default_field=SpreadField.SOLUTION,
        save=lambda: submit_spread_update(
            session=scope.db, member=member, now=scope.now, metadata=meta, form=form
        ),
        saved_view=lambda saved: saved,
    )


def register(app: App) -> None:
    app.command("/spread")(ack=handle_spread_command, lazy=[open_view])
    on_form_button(
        app,
        Action.SPREAD_UPDATE,
        lambda scope, member, value: spread_update_form(
            session=scope.db, member=member, action_id=int(str(value))
        ),
    )
    app.view(Callback.SPREAD_MODAL)(handle_spread_submission)
    app.view(Callback.SPREAD_UPDATE_MODAL)(handle_spread_update_submission)
    on_form_button(
        app,
        Action.OPEN_SPREAD,
        lambda scope, member, _value: open_spread_form(
            session=scope.db, member=member, now=scope.now
        ),
    )
    app.action(Action.SPREAD_NOTICES_OFF)(ack=handle_spread_notices_off, lazy=[reply_ephemeral])
    app.options(Field.MEMBER_SEARCH)(handle_member_options)
    app.options(Field.PERSON_SEARCH)(handle_person_options)
    app.options(Field.EXAMPLE_SEARCH)(handle_example_options)
