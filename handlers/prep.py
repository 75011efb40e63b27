"""`/prep` and the preparation modal (P1 manager alignment, P2 three questions, P3 examples)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App
from sqlalchemy.orm import Session

from handlers import conversation as c
from handlers.catalogue import format_date, markup_join, t
from handlers.context import RequestScope, scope_of
from handlers.conversation import (
    Choice,
    Form,
    FormPart,
    Heading,
    Note,
    Option,
    Paragraph,
    TextInput,
)
from handlers.forms import Submitted, metadata_of, submit_form
from handlers.ids import Action, Block, Callback, Field
from handlers.parsing import escape_slack, excerpt, unescape_slack
from handlers.replies import answer_command, open_form
from handlers.replies import open_view_lazy as open_view
from models.errors import FieldErrors, InputError
from models.network import Meeting, Member
from models.people import member_ref, refs_of
from models.prep import (
    MAX_TEXT,
    MAX_TITLE,
    QUESTIONS_PER_MEETING,
    ExampleField,
    ExampleInput,
    ExampleKind,
    ExampleSource,
    PrepExample,
    PrepField,
    PrepPart,
    PrepQuestion,
    PrepStatus,
    QuestionField,
    QuestionInput,
    ensure_editable,
    example_field,
    example_keys,
    example_kind,
    network_members,
    prep_status,
    question_field,
    save_examples,
    save_manager_alignment,
    save_questions,
    upcoming_meeting,
)

log = logging.getLogger(__name__)

# `/prep brief`, `/followup brief`: the briefs to forward (handlers/briefs.py).
BRIEF_WORDS = frozenset({"brief", "briefing"})

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
    name: str,
    label: str,
    initial: str,
    *,
    multiline: bool = True,
    max_length: int = MAX_TEXT,
    hint: str = "",
) -> TextInput:
    return TextInput(
        name, label, max_length, initial=initial, multiline=multiline, optional=True, hint=hint
    )


def member_label(member: Member) -> str:
    return f"{member.name} ({member.organisation})" if member.organisation else member.name


def person_label(member: Member) -> str:
    """A member in the question pickers: who they are and what they know about ("Anna Holm
    (Roskilde Kommune) — jura, GDPR"), so typing a keyword finds the people who know it."""
    label = member_label(member)
    keywords = ", ".join(member.competencies or [])
    return f"{label} — {keywords}" if keywords else label


def person_options(members: list[Member]) -> list[Option]:
    """The question pickers' options (also what their type-ahead searches)."""
    return [person_option(m, person_label(m)) for m in members]


def person_option(member: Member, label: str) -> Option:
    """A member in a picker, by the value that names them on every platform; a form opened
    before pickers did so sends their Slack id, which picks them too."""
    return Option(member_ref(member), label, also=tuple(refs_of(member)[1:]))


def _person_input(
    lang: str, name: str, label: str, members: list[Member], chosen: Member | None
) -> Choice:
    # Only members of the network are offered; past a platform's cap on a drop-down, searched.
    options = person_options(members)
    return Choice(
        name,
        label,
        options,
        chosen=[member_ref(chosen)] if chosen in members else [],
        optional=True,
        placeholder=t(lang, "prep.p2.pick"),
        search_action=Field.PERSON_SEARCH,
    )


def _p1_parts(lang: str, status: PrepStatus) -> list[FormPart]:
    return [
        Heading(t(lang, "prep.p1.header")),
        Choice(
            PrepField.MANAGER_ALIGNED,
            t(lang, "prep.p1.header"),
            [Option("yes", t(lang, "prep.p1.aligned"))],
            chosen=["yes"] if status.manager_aligned else [],
            multi=True,
            expanded=True,
            optional=True,
        ),
        _text_input(
            PrepField.MANAGER_AGREED,
            t(lang, "prep.p1.agreed"),
            status.manager_agreed,
            hint=t(lang, "prep.p1.agreed_hint"),
        ),
    ]


def _question_parts(
    lang: str, position: int, question: PrepQuestion | None, members: list[Member]
) -> list[FormPart]:
    def person(role: QuestionField, key: str, chosen: Member | None) -> Choice:
        name = question_field(position, role)
        return _person_input(lang, name, t(lang, key), members, chosen)

    return [
        _text_input(
            question_field(position, QuestionField.TEXT),
            t(lang, "prep.p2.question", position=position),
            question.text if question else "",
        ),
        person(QuestionField.PRIMARY, "prep.p2.primary", question.primary if question else None),
        person(
            QuestionField.SECONDARY,
            "prep.p2.secondary",
            question.secondary if question else None,
        ),
    ]


def _p2_parts(lang: str, status: PrepStatus, members: list[Member]) -> list[FormPart]:
    parts: list[FormPart] = [Heading(t(lang, "prep.p2.header"))]
    if not members:
        return [*parts, Paragraph(t(lang, "prep.p2.nobody"))]
    by_position = {q.position: q for q in status.questions}
    for position in range(1, QUESTIONS_PER_MEETING + 1):
        parts += _question_parts(lang, position, by_position.get(position), members)
    return parts


def _example_texts(lang: str, key: str, example: PrepExample | None) -> list[FormPart]:
    fields = (
        (ExampleField.TITLE, "prep.p3.title", example.title if example else "", MAX_TITLE),
        (ExampleField.IDEA, "prep.p3.idea", example.idea if example else "", MAX_TEXT),
        (ExampleField.EFFECT, "prep.p3.effect", example.effect if example else "", MAX_TEXT),
        (ExampleField.LEARNING, "prep.p3.learning", example.learning if example else "", MAX_TEXT),
    )
    return [
        _text_input(
            example_field(key, name),
            t(lang, label),
            initial,
            multiline=name is not ExampleField.TITLE,
            max_length=max_length,
        )
        for name, label, initial, max_length in fields
    ]


def _example_choices(lang: str, key: str, example: PrepExample | None) -> list[FormPart]:
    source = example.source if example else ExampleSource.OWN
    kind = example.kind if example else None
    return [
        Choice(
            example_field(key, ExampleField.KIND),
            t(lang, "prep.p3.kind"),
            [Option(k, t(lang, f"library.kind.{k.value}")) for k in ExampleKind],
            chosen=[kind] if kind else [],
            optional=True,
            placeholder=t(lang, "prep.p3.kind_placeholder"),
        ),
        Choice(
            example_field(key, ExampleField.SOURCE),
            t(lang, "prep.p3.source"),
            [
                Option(ExampleSource.OWN, t(lang, "prep.p3.own")),
                Option(ExampleSource.COLLEAGUE, t(lang, "prep.p3.colleague")),
            ],
            chosen=[source],
            expanded=True,
            optional=True,
        ),
        Choice(
            example_field(key, ExampleField.FLAGS),
            t(lang, "prep.p3.did_not_work"),
            [Option("yes", t(lang, "prep.p3.did_not_work"))],
            chosen=["yes"] if example and example.did_not_work else [],
            multi=True,
            expanded=True,
            optional=True,
        ),
    ]


def _example_parts(lang: str, key: str, example: PrepExample | None) -> list[FormPart]:
    """One example's fields under its title ("Example: …", or "New example")."""
    heading = (
        t(lang, "prep.p3.existing", title=example.title) if example else t(lang, "prep.p3.new")
    )
    return [
        Paragraph(heading),
        *_example_texts(lang, key, example),
        *_example_choices(lang, key, example),
    ]


def _p3_parts(lang: str, status: PrepStatus) -> list[FormPart]:
    parts: list[FormPart] = [
        Heading(t(lang, "prep.p3.header")),
        Note(markup_join(" ", [t(lang, "prep.p3.hint"), t(lang, "prep.p3.clear_to_remove")])),
    ]
    editable = status.examples[:MAX_EDITABLE_EXAMPLES]
    if len(status.examples) > len(editable):
        more = t(lang, "prep.p3.more", count=len(status.examples), shown=len(editable))
        parts.append(Paragraph(more))
    for example in editable:
        parts += _example_parts(lang, str(example.id), example)
    return parts + _example_parts(lang, "new", None)


PART_FIELDS: dict[PrepPart, Callable[[str, PrepStatus, list[Member]], list[FormPart]]] = {
    PrepPart.MANAGER: lambda lang, status, _: _p1_parts(lang, status),
    PrepPart.QUESTIONS: _p2_parts,
    PrepPart.EXAMPLES: lambda lang, status, _: _p3_parts(lang, status),
}


def build_prep_modal(
    lang: str,
    *,
    member: Member,
    status: PrepStatus,
    members: list[Member],
    parts: list[PrepPart],
    now: datetime,
) -> Form:
    """The preparation form for one meeting, with the parts asked for, filled with what the
    member saved before. Read-only once the meeting has started."""
    meeting = status.meeting
    form = Form(
        kind=Callback.PREP_MODAL,
        title=t(lang, "prep.modal.title", number=meeting.number),
        parts=[_meeting_paragraph(lang, meeting, member)],
        metadata={"meeting": meeting.id, "parts": [p.value for p in parts]},
    )
    if meeting.starts_at <= now:
        form.parts += [
            Paragraph(t(lang, "prep.modal.read_only")),
            Paragraph(render_prep_status(lang, member, status, now)),
        ]
        return form
    for part in PrepPart:
        if part in parts:
            form.parts += PART_FIELDS[part](lang, status, members)
    form.submit = t(lang, "prep.modal.submit")
    return form


def _meeting_paragraph(lang: str, meeting: Meeting, member: Member) -> Paragraph:
    text = t(
        lang,
        "prep.modal.meeting",
        number=meeting.number,
        theme=escape_slack(meeting.theme),
        when=render_when(lang, meeting, member),
        place=escape_slack(meeting.place),
    )
    return Paragraph(text, block=Block.PREP_MEETING)


def build_saved_view(lang: str, member: Member, status: PrepStatus, now: datetime) -> Form:
    return Form(
        kind=Callback.PREP_MODAL,
        title=t(lang, "prep.saved.title"),
        parts=[
            Paragraph(t(lang, "prep.saved.body", number=status.meeting.number)),
            Paragraph(render_prep_status(lang, member, status, now)),
        ],
    )


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


def read_questions(form: Submitted) -> list[QuestionInput]:
    return [
        QuestionInput(
            position=p,
            text=form.text(question_field(p, QuestionField.TEXT)),
            primary_ref=form.choice(question_field(p, QuestionField.PRIMARY)),
            secondary_ref=form.choice(question_field(p, QuestionField.SECONDARY)),
        )
        for p in range(1, QUESTIONS_PER_MEETING + 1)
        if question_field(p, QuestionField.TEXT) in form
    ]


def read_examples(form: Submitted) -> list[ExampleInput]:
    return [
        ExampleInput(
            key=key,
            title=form.text(example_field(key, ExampleField.TITLE)),
            idea=form.text(example_field(key, ExampleField.IDEA)),
            effect=form.text(example_field(key, ExampleField.EFFECT)),
            learning=form.text(example_field(key, ExampleField.LEARNING)),
            source=ExampleSource(
                form.choice(example_field(key, ExampleField.SOURCE)) or ExampleSource.OWN
            ),
            did_not_work=form.checked(example_field(key, ExampleField.FLAGS)),
            kind=example_kind(form.choice(example_field(key, ExampleField.KIND))),
        )
        for key in example_keys(form.fields)
    ]


# --- listeners ------------------------------------------------------------------------------


def _meeting_for(member: Member, now: datetime, meeting_id: object) -> Meeting | None:
    if meeting_id is None:
        return upcoming_meeting(member, now)
    return next((m for m in member.network.meetings if m.id == meeting_id), None)


def prep_modal_for(
    session: Session, now: datetime, member: Member, meeting: Meeting, parts: list[PrepPart]
) -> Form:
    status = prep_status(session=session, member=member, meeting=meeting)
    return build_prep_modal(
        member.lang,
        member=member,
        status=status,
        members=network_members(session, member),
        parts=parts,
        now=now,
    )


def prep_form(
    *, session: Session, member: Member, now: datetime, meeting_id: object, parts: list[PrepPart]
) -> Form | None:
    """The preparation form for `parts` of the meeting `meeting_id` (None: the next one);
    None when the member's network has no such meeting."""
    meeting = _meeting_for(member, now, meeting_id)
    return prep_modal_for(session, now, member, meeting, parts) if meeting else None


def form_of_button(
    *, session: Session, member: Member, now: datetime, action: str, value: str | None
) -> Form | None:
    """The form a nudge's (or the overview's) prep button opens."""
    meeting_id = json.loads(value or "{}").get("meeting")
    parts = PART_ACTIONS[Action(action)]
    return prep_form(session=session, member=member, now=now, meeting_id=meeting_id, parts=parts)


def submit_prep(
    *, session: Session, member: Member, now: datetime, metadata: Mapping[str, Any], form: Submitted
) -> Form:
    """Save a submitted preparation form (built with `metadata`); the saved view. InputError
    or FieldErrors (nothing kept) when something is wrong."""
    meeting = _meeting_for(member, now, metadata.get("meeting"))
    if meeting is None:
        raise InputError("prep.no_meeting")
    parts = [PrepPart(p) for p in metadata.get("parts", [])]
    save_prep(session, now, member, meeting, parts, form)
    session.flush()
    status = prep_status(session=session, member=member, meeting=meeting)
    return build_saved_view(member.lang, member, status, now)


def prep_command(scope: RequestScope, text: str) -> str | Form | c.Message:
    """`/prep` (or `prep` on Teams): the preparation form; `status` and `help` answer in text,
    `brief` with the briefs to forward (handlers/briefs.py)."""
    word = text.strip().split(maxsplit=1)[0:1]
    sub = word[0].lower() if word else ""
    if sub in {"help", "hjælp", "hjaelp", "?"}:
        return t(scope.lang, "prep.help")
    if sub not in {"", "status", "open", "åbn", *BRIEF_WORDS}:
        return (
            t(scope.lang, "prep.error.unknown_subcommand", word=unescape_slack(sub))
            + "\n\n"
            + t(scope.lang, "prep.help")
        )
    member = scope.require_member()
    meeting = upcoming_meeting(member, scope.now)
    if meeting is None:
        return t(member.lang, "prep.no_meeting")
    if sub == "status":
        status = prep_status(session=scope.db, member=member, meeting=meeting)
        return render_prep_status(member.lang, member, status, scope.now)
    if sub in BRIEF_WORDS:
        from handlers.briefs import prep_brief  # it builds on this module

        return prep_brief(scope.db, member, meeting)
    return prep_modal_for(scope.db, scope.now, member, meeting, list(PrepPart))


def handle_prep_command(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    """`/prep` opens the form (after the ack, see open_view); `status` and `help` answer here."""
    scope = scope_of(context)
    answer_command(ack, context, scope.lang, prep_command(scope, str(body.get("text", ""))))


def handle_prep_button(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    """A nudge's button: open the form for one part (or all) of that meeting's preparation."""
    scope = scope_of(context)
    action = body["actions"][0]
    member = scope.require_member()
    form = form_of_button(
        session=scope.db,
        member=member,
        now=scope.now,
        action=action["action_id"],
        value=action.get("value"),
    )
    if form is not None:
        open_form(context, member.lang, form)
    ack()


def handle_prep_submission(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    """Save what was submitted; errors go back onto the fields, and Slack keeps what was typed."""
    scope = scope_of(context)
    member = scope.require_member()
    form = Submitted.of(body)
    meta = metadata_of(body)
    submit_form(
        ack,
        scope,
        member.lang,
        form,
        default_field=form.first_field(Block.PREP_MEETING),
        save=lambda: submit_prep(
            session=scope.db, member=member, now=scope.now, metadata=meta, form=form
        ),
        saved_view=lambda saved: saved,
    )


def save_prep(
    session: Session,
    now: datetime,
    member: Member,
    meeting: Meeting,
    parts: list[PrepPart],
    form: Submitted,
) -> None:
    """Save the parts the form showed; every part's field errors are reported together."""
    ensure_editable(meeting, now)
    savers: dict[PrepPart, Callable[[], object]] = {
        PrepPart.MANAGER: lambda: save_manager_alignment(
            session=session,
            member=member,
            meeting=meeting,
            now=now,
            aligned=form.checked(PrepField.MANAGER_ALIGNED),
            agreed=form.text(PrepField.MANAGER_AGREED),
        ),
        PrepPart.QUESTIONS: lambda: save_questions(
            session=session,
            member=member,
            meeting=meeting,
            now=now,
            questions=read_questions(form),
        ),
        PrepPart.EXAMPLES: lambda: save_examples(
            session=session,
            member=member,
            meeting=meeting,
            now=now,
            examples=read_examples(form),
        ),
    }
    collected = FieldErrors()
    for part in parts:
        try:
            savers[part]()
        except FieldErrors as errors:
            collected.errors.update(errors.errors)
    if collected.errors:
        raise collected


def register(app: App) -> None:
    app.command("/prep")(ack=handle_prep_command, lazy=[open_view])
    for action in PART_ACTIONS:
        app.action(action)(ack=handle_prep_button, lazy=[open_view])
    app.view(Callback.PREP_MODAL)(handle_prep_submission)
