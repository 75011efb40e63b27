"""Applications in chat: the form anyone in the workspace fills in (`/network ansøg`, the
Home button; on Teams `ansøg`), the facilitator's review (`/network ansøgninger`) with a
decision form per application, and the outcome each applicant is told (jobs/nudges.py).

The cores are platform-neutral: who asks is an `Asker` (their id on a platform, their
language), what they see a `conversation.Form` or `Message`; Slack's listeners are at the
bottom, Teams reaches the same functions from handlers/teams/.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App
from sqlalchemy.orm import Session

from handlers import conversation as c
from handlers.catalogue import format_date, format_money, t
from handlers.context import scope_of
from handlers.conversation import Choice, Form, Option, TextInput
from handlers.forms import Submitted, info_form, metadata_of, submit_form
from handlers.ids import Action, Callback
from handlers.parsing import escape_slack, excerpt
from handlers.replies import open_form
from handlers.replies import open_view_lazy as open_view
from models.applications import (
    CONFIRM_BINDING,
    CONFIRM_TIME,
    HALF_PAGE,
    Applicant,
    Application,
    ApplicationField,
    ApplicationInput,
    ApplicationStatus,
    NetworkReview,
    decide,
    fee_of,
    is_open,
    move_on_wait_list,
    networks_taking_applications,
    own_application,
    review,
    save_application,
)
from models.errors import FieldErrors, InputError
from models.network import Member, Network, Platform, Role, find_people

APPLY_WORDS = frozenset({"ansøg", "ansog", "ansoeg", "apply"})
REVIEW_WORDS = ("ansøgninger", "ansogninger", "ansoegninger", "applications")
MOVE_WORDS = frozenset({"flyt", "move"})
PER_PAGE_BLOCKS = 30  # of a review's message, the rest on the next page


@dataclass(frozen=True)
class Asker:
    """Who asks for the form: their id on a platform, and the language to answer in."""

    platform: Platform
    external_id: str
    lang: str


# --- the applicant's form --------------------------------------------------------------------


def deadline_text(lang: str, network: Network) -> str:
    """When applications to `network` close, in its zone ("31. august 2015 kl. 13:00")."""
    if network.application_deadline is None:
        return t(lang, "applications.no_deadline")
    local = network.application_deadline.astimezone(network.zone)
    return t(
        lang, "applications.deadline", day=format_date(lang, local.date()), time=f"{local:%H:%M}"
    )


def _text(
    name: str, label: str, saved: str, *, multiline: bool = True, hint: str = ""
) -> TextInput:
    return TextInput(name, label, HALF_PAGE, initial=saved, multiline=multiline, hint=hint)


def _saved(row: Application | None, attr: str) -> str:
    if row is None:
        return ""
    value = getattr(row, attr)
    return ", ".join(value) if isinstance(value, list) else str(value)


def _network_choice(
    lang: str, networks: list[Network], row: Application | None
) -> list[c.Part | Choice]:
    if len(networks) < 2:
        return []
    options = [Option(str(n.id), excerpt(n.name, 75)) for n in networks]
    chosen = [str(row.network_id)] if row is not None else []
    return [
        Choice(
            ApplicationField.NETWORK,
            t(lang, "applications.form.network"),
            options,
            chosen=chosen,
            expanded=True,
        )
    ]


def _fields(lang: str, row: Application | None) -> list[c.FormPart]:
    """The five fields of the invitation, who applies, the confirmations."""
    return [
        _text(
            ApplicationField.NAME,
            t(lang, "applications.field.name"),
            _saved(row, "name"),
            multiline=False,
        ),
        _text(
            ApplicationField.EMAIL,
            t(lang, "applications.field.email"),
            _saved(row, "email"),
            multiline=False,
        ),
        _text(
            ApplicationField.WORKPLACE,
            t(lang, "applications.field.workplace"),
            _saved(row, "workplace"),
            multiline=False,
        ),
        _text(ApplicationField.ABOUT, t(lang, "applications.field.about"), _saved(row, "about")),
        _text(ApplicationField.TASKS, t(lang, "applications.field.tasks"), _saved(row, "tasks")),
        _text(
            ApplicationField.COMPETENCIES,
            t(lang, "applications.field.competencies"),
            _saved(row, "competencies"),
            multiline=False,
            hint=t(lang, "applications.field.competencies_hint"),
        ),
        _text(ApplicationField.WANTS, t(lang, "applications.field.wants"), _saved(row, "wants")),
        _text(
            ApplicationField.CONTRIBUTES,
            t(lang, "applications.field.contributes"),
            _saved(row, "contributes"),
        ),
        Choice(
            ApplicationField.CONFIRM,
            t(lang, "applications.field.confirm"),
            [
                Option(CONFIRM_TIME, t(lang, "applications.confirm.time")),
                Option(CONFIRM_BINDING, t(lang, "applications.confirm.binding")),
            ],
            chosen=[CONFIRM_TIME, CONFIRM_BINDING] if row is not None else [],
            multi=True,
            expanded=True,
        ),
    ]


def build_application_form(
    lang: str, *, networks: list[Network], row: Application | None, fee: int | None
) -> Form:
    """The application form: the limit and the deadline said up front, the fee, the five
    fields of the invitation, the confirmations; filled with `row` when editing it."""
    first = networks[0]
    intro = t(
        lang,
        "applications.form.intro",
        limit=HALF_PAGE,
        deadline=deadline_text(lang, first),
    )
    price = t(
        lang,
        "applications.form.fee",
        fee=format_money(lang, first.fee_per_member),
        discount=format_money(lang, first.colleague_discount),
    )
    parts: list[c.FormPart] = [c.Paragraph(intro), c.Paragraph(price)]
    if fee is not None:
        parts.append(
            c.Paragraph(t(lang, "applications.form.your_fee", fee=format_money(lang, fee)))
        )
    parts += _network_choice(lang, networks, row)
    parts += _fields(lang, row)
    return Form(
        kind=Callback.APPLICATION_MODAL,
        title=t(lang, "applications.form.title"),
        parts=parts,
        submit=t(lang, "applications.form.submit"),
        metadata={"networks": [n.id for n in networks]},
    )


def _own(session: Session, asker: Asker, networks: list[Network]) -> Application | None:
    for network in networks:
        row = own_application(session, network, asker.platform, asker.external_id)
        if row is not None:
            return row
    return None


def application_form(session: Session, asker: Asker, now: datetime) -> Form | str:
    """The form for whoever asks (anyone in the workspace), with what they saved; a text
    when no network takes applications, or its deadline has passed."""
    lang = asker.lang
    taking = networks_taking_applications(session, now)
    if not taking:
        return t(lang, "applications.none")
    networks = [n for n in taking if is_open(n, now)]
    if not networks:
        return t(lang, "applications.closed", network=escape_slack(taking[0].name))
    row = _own(session, asker, networks)
    if row is not None and row.status is not ApplicationStatus.PENDING:
        return t(lang, "applications.error.decided")
    fee = fee_of(session, row) if row is not None else None
    return build_application_form(lang, networks=networks, row=row, fee=fee)


def _input(form: Submitted) -> ApplicationInput:
    confirmed = form.choices(ApplicationField.CONFIRM)
    return ApplicationInput(
        name=form.text(ApplicationField.NAME),
        email=form.text(ApplicationField.EMAIL),
        workplace=form.text(ApplicationField.WORKPLACE),
        about=form.text(ApplicationField.ABOUT),
        tasks=form.text(ApplicationField.TASKS),
        competencies=form.text(ApplicationField.COMPETENCIES),
        wants=form.text(ApplicationField.WANTS),
        contributes=form.text(ApplicationField.CONTRIBUTES),
        confirmed_time=CONFIRM_TIME in confirmed,
        confirmed_binding=CONFIRM_BINDING in confirmed,
    )


def _network_of(session: Session, metadata: Mapping[str, Any], form: Submitted) -> Network:
    ids = [i for i in metadata.get("networks") or [] if isinstance(i, int)]
    chosen = form.choice(ApplicationField.NETWORK)
    if len(ids) > 1:
        ids = [i for i in ids if str(i) == chosen]
    network = session.get(Network, ids[0]) if ids else None
    if network is None:
        errors = FieldErrors()
        errors.add(ApplicationField.NETWORK, "applications.error.network")
        raise errors
    return network


def submit_application(
    *, session: Session, asker: Asker, now: datetime, metadata: Mapping[str, Any], form: Submitted
) -> Form:
    """Save a submitted application (FieldErrors/InputError: nothing saved); the saved view
    says the fee and until when it can be changed."""
    lang = asker.lang
    network = _network_of(session, metadata, form)
    row = save_application(
        session=session,
        network=network,
        applicant=Applicant(asker.platform, asker.external_id, lang),
        values=_input(form),
        now=now,
    )
    text = t(
        lang,
        "applications.saved",
        network=escape_slack(network.name),
        fee=format_money(lang, fee_of(session, row)),
        deadline=deadline_text(lang, network),
    )
    return info_form(Callback.APPLICATION_MODAL, t(lang, "applications.form.title"), text)


def apply_parts(session: Session, lang: str, now: datetime) -> list[c.Part]:
    """The Home tab's invitation to apply, while a network takes applications."""
    networks = [n for n in networks_taking_applications(session, now) if is_open(n, now)]
    if not networks:
        return []
    text = t(
        lang,
        "applications.home",
        network=escape_slack(networks[0].name),
        deadline=deadline_text(lang, networks[0]),
    )
    button = c.Button(t(lang, "applications.home.button"), Action.OPEN_APPLICATION, opens_form=True)
    return [c.Divider(), c.Paragraph(text, button=button)]


# --- the facilitator's review ----------------------------------------------------------------


def _line(lang: str, row: Application, crowded: bool) -> str:
    return t(
        lang,
        "applications.review.line",
        id=row.id,
        name=escape_slack(row.name),
        workplace=escape_slack(row.workplace),
        status=t(lang, f"applications.status.{row.status.value}"),
        position=f" {row.position}" if row.position else "",
        competencies=escape_slack(excerpt(", ".join(row.competencies), 200)),
        crowded=t(lang, "network.fees.warning") if crowded else "",
    )


def _decision_buttons(lang: str, row: Application) -> c.Buttons:
    actions: tuple[tuple[Action, ApplicationStatus, c.ButtonStyle | None], ...] = (
        (Action.APPLICATION_ACCEPT, ApplicationStatus.ACCEPTED, "primary"),
        (Action.APPLICATION_WAITLIST, ApplicationStatus.WAITLISTED, None),
        (Action.APPLICATION_DECLINE, ApplicationStatus.DECLINED, "danger"),
    )
    return c.Buttons(
        [
            c.Button(
                t(lang, f"applications.decide.{status.value}"), action, str(row.id), style, True
            )
            for action, status, style in actions
            if row.status is not status
        ]
    )


def review_parts(lang: str, reviews: list[NetworkReview], page: int = 1) -> list[c.Part]:
    """Every network's applications with its seats, crowded workplaces flagged, each with
    its decision buttons; a page of them, saying how many are left."""
    parts: list[c.Part] = []
    entries: list[tuple[str, Application]] = []
    for rv in reviews:
        seats = rv.network.seats
        parts.append(
            c.Paragraph(
                t(
                    lang,
                    "applications.review.header",
                    network=escape_slack(rv.network.name),
                    count=len(rv.applications),
                    accepted=rv.count(ApplicationStatus.ACCEPTED),
                    seats=seats if seats is not None else "—",
                    waitlisted=rv.count(ApplicationStatus.WAITLISTED),
                    pending=rv.count(ApplicationStatus.PENDING),
                )
            )
        )
        if rv.crowded:
            names = ", ".join(f"{w} ({n})" for w, n in rv.crowded.items())
            parts.append(
                c.Paragraph(t(lang, "applications.review.crowded", workplaces=escape_slack(names)))
            )
        crowded = {w.casefold() for w in rv.crowded}
        entries += [
            (_line(lang, a, " ".join(a.workplace.split()).casefold() in crowded), a)
            for a in rv.applications
        ]
    if not entries:
        return [*parts, c.Paragraph(t(lang, "applications.review.none"))]
    per_page = PER_PAGE_BLOCKS // 2
    first = (max(page, 1) - 1) * per_page
    for text, row in entries[first : first + per_page]:
        parts += [c.Paragraph(text), _decision_buttons(lang, row)]
    if any(rv.count(ApplicationStatus.WAITLISTED) for rv in reviews):
        parts.append(c.Note(t(lang, "applications.review.move_hint")))
    left = len(entries) - first - per_page
    if left > 0:
        command = f"{t(lang, 'applications.command.review')} {page + 1}"
        parts.append(c.Paragraph(t(lang, "network.list.more_page", count=left, command=command)))
    return parts


def facilitated_reviews(session: Session, people: list[Member]) -> list[NetworkReview]:
    """The review of every network these roles facilitate."""
    networks = [p.network for p in people if p.role is Role.FACILITATOR]
    return [review(session, n) for n in networks]


def move_command(
    session: Session, people: list[Member], lang: str, args: list[str], now: datetime
) -> str:
    """`/network ansøgninger flyt 12 1`: application 12 to place 1 of the wait list."""
    if len(args) != 2 or not all(a.isdigit() and len(a) <= 9 for a in args):
        raise InputError("applications.error.move")
    by = facilitator_of(session, people, args[0])
    if by is None:
        raise InputError("applications.error.unknown", id=args[0])
    row = move_on_wait_list(
        session=session, by=by, application_id=args[0], position=int(args[1]), now=now
    )
    session.commit()
    return t(lang, "applications.moved", name=escape_slack(row.name), position=row.position or 0)


# --- a decision ------------------------------------------------------------------------------

DECISIONS = {
    Action.APPLICATION_ACCEPT: ApplicationStatus.ACCEPTED,
    Action.APPLICATION_WAITLIST: ApplicationStatus.WAITLISTED,
    Action.APPLICATION_DECLINE: ApplicationStatus.DECLINED,
}
MESSAGE_FIELD = "app_message"
MAX_MESSAGE = 1000


def facilitator_of(session: Session, people: list[Member], application_id: object) -> Member | None:
    """Of one person's roles, the one facilitating the network of the application named."""
    if not str(application_id).isdigit() or len(str(application_id)) > 9:
        return None
    row = session.get(Application, int(str(application_id)))
    return next(
        (
            p
            for p in people
            if row is not None and p.role is Role.FACILITATOR and p.network_id == row.network_id
        ),
        None,
    )


def decision_form(
    session: Session, people: list[Member], action: str, value: str | None
) -> Form | None:
    """The form a decision button opens (an optional message to the applicant); None when
    the person does not facilitate the application's network."""
    status = DECISIONS.get(Action(action)) if action in DECISIONS else None
    by = facilitator_of(session, people, value)
    if status is None or by is None:
        return None
    row = session.get(Application, int(str(value)))
    assert row is not None
    lang = by.lang
    intro = t(
        lang,
        f"applications.decide.confirm_{status.value}",
        name=escape_slack(row.name),
        workplace=escape_slack(row.workplace),
    )
    return Form(
        kind=Callback.APPLICATION_DECISION_MODAL,
        title=t(lang, "applications.decide.title"),
        parts=[
            c.Paragraph(intro),
            TextInput(
                MESSAGE_FIELD,
                t(lang, "applications.decide.message"),
                MAX_MESSAGE,
                multiline=True,
                optional=True,
            ),
        ],
        submit=t(lang, f"applications.decide.{status.value}"),
        metadata={"id": row.id, "status": status.value},
    )


def submit_decision(
    *,
    session: Session,
    people: list[Member],
    now: datetime,
    metadata: Mapping[str, Any],
    form: Submitted,
) -> Form:
    """Save a facilitator's decision; the saved view says who will be told what."""
    by = facilitator_of(session, people, metadata.get("id"))
    statuses = {s.value: s for s in DECISIONS.values()}
    status = statuses.get(str(metadata.get("status")))
    if by is None or status is None:  # not theirs to decide, or a form not of ours
        raise InputError("network.not_allowed")
    row = decide(
        session=session,
        by=by,
        application_id=metadata.get("id"),
        status=status,
        message=form.text(MESSAGE_FIELD),
        now=now,
    )
    text = t(by.lang, f"applications.decided.{status.value}", name=escape_slack(row.name))
    return info_form(
        Callback.APPLICATION_DECISION_MODAL, t(by.lang, "applications.decide.title"), text
    )


# --- the outcome, told once (jobs/nudges.py) -------------------------------------------------


def build_outcome(lang: str, *, row: Application, fee: int) -> c.Message:
    """What an applicant is told: welcome (the season's dates and meetings, their fee), a
    place on the wait list, or no; with the facilitator's message."""
    network = row.network
    status = row.status.value
    meetings = ", ".join(
        t(
            lang,
            "applications.outcome.meeting",
            number=m.number,
            day=format_date(lang, m.starts_at.astimezone(network.zone).date()),
        )
        for m in network.meetings
    )
    text = t(
        lang,
        f"applications.outcome.{status}",
        network=escape_slack(network.name),
        start=format_date(lang, network.season_start),
        end=format_date(lang, network.season_end),
        meetings=meetings or "—",
        fee=format_money(lang, fee),
        position=row.position or 0,
    )
    parts: list[c.Part] = [c.Paragraph(text)]
    if row.outcome_message:
        parts.append(
            c.Paragraph(
                t(lang, "applications.outcome.message", message=escape_slack(row.outcome_message))
            )
        )
    return c.Message(
        t(lang, f"applications.outcome.{status}_summary", network=escape_slack(network.name)), parts
    )


# --- Slack ----------------------------------------------------------------------------------


def slack_asker(context: dict[str, Any]) -> Asker:
    scope = scope_of(context)
    return Asker(Platform.SLACK, str(scope.user_id), scope.lang)


def apply_command(context: dict[str, Any]) -> Form | str:
    scope = scope_of(context)
    return application_form(scope.db, slack_asker(context), scope.now)


def handle_open_application(ack: Ack, context: dict[str, Any]) -> None:
    scope = scope_of(context)
    form = apply_command(context)
    if isinstance(form, Form):
        open_form(context, scope.lang, form)
    else:
        open_form(
            context,
            scope.lang,
            info_form(Callback.APPLICATION_MODAL, t(scope.lang, "applications.form.title"), form),
        )
    ack()


def handle_application_submission(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    scope = scope_of(context)
    asker = slack_asker(context)
    form, meta = Submitted.of(body), metadata_of(body)
    submit_form(
        ack,
        scope,
        asker.lang,
        form,
        default_field=ApplicationField.ABOUT,
        save=lambda: submit_application(
            session=scope.db, asker=asker, now=scope.now, metadata=meta, form=form
        ),
        saved_view=lambda saved: saved,
    )


def handle_decision_button(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    scope = scope_of(context)
    action = body["actions"][0]
    people = find_people(scope.db, str(scope.user_id))
    form = decision_form(scope.db, people, str(action["action_id"]), str(action.get("value")))
    if form is not None:
        open_form(context, scope.lang, form)
    ack()


def handle_decision_submission(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    scope = scope_of(context)
    form, meta = Submitted.of(body), metadata_of(body)
    people = find_people(scope.db, str(scope.user_id))
    submit_form(
        ack,
        scope,
        scope.lang,
        form,
        default_field=MESSAGE_FIELD,
        save=lambda: submit_decision(
            session=scope.db, people=people, now=scope.now, metadata=meta, form=form
        ),
        saved_view=lambda saved: saved,
    )


def register(app: App) -> None:
    app.action(Action.OPEN_APPLICATION)(ack=handle_open_application, lazy=[open_view])
    for action in DECISIONS:
        app.action(action)(ack=handle_decision_button, lazy=[open_view])
    app.view(Callback.APPLICATION_MODAL)(handle_application_submission)
    app.view(Callback.APPLICATION_DECISION_MODAL)(handle_decision_submission)
