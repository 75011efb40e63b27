"""Competencies: a member's own keywords and contribution (a small form from the overview or
`/network kompetencer`), who knows what (`/network hvem kan …`), and the facilitator's spread
of competencies across the network (`/network kompetencer oversigt`)."""

from __future__ import annotations

from datetime import datetime

from slack_bolt import App
from sqlalchemy.orm import Session

from handlers import conversation as c
from handlers.catalogue import t
from handlers.forms import Submitted, on_form_button, saving_listener
from handlers.ids import Action, Callback
from handlers.network.common import sections
from models.competencies import (
    MAX_CONTRIBUTES,
    MAX_KEYWORD_LENGTH,
    MAX_KEYWORDS,
    CompetenciesField,
    Match,
    Spread,
    competency_spread,
    save_competencies,
    who_knows,
)
from models.network import Member, Network
from models.people import person_of

# How many sections of matches a page shows, and of the spread.
PAGE_SECTIONS = 4
SPREAD_SECTIONS = 6
MAX_KEYWORDS_FIELD = MAX_KEYWORDS * (MAX_KEYWORD_LENGTH + 2)


def competencies_form(member: Member) -> c.Form:
    """The member's competencies (keywords, separated by commas) and what they can contribute."""
    lang = member.lang
    return c.Form(
        kind=Callback.COMPETENCIES_MODAL,
        title=t(lang, "competencies.form.title"),
        parts=[
            c.Paragraph(t(lang, "competencies.form.intro")),
            c.TextInput(
                CompetenciesField.KEYWORDS,
                t(lang, "competencies.form.keywords"),
                MAX_KEYWORDS_FIELD,
                initial=", ".join(member.competencies or []),
                optional=True,
                hint=t(
                    lang,
                    "competencies.form.keywords_hint",
                    count=MAX_KEYWORDS,
                    length=MAX_KEYWORD_LENGTH,
                ),
            ),
            c.TextInput(
                CompetenciesField.CONTRIBUTES,
                t(lang, "competencies.form.contributes"),
                MAX_CONTRIBUTES,
                initial=member.contributes or "",
                multiline=True,
                optional=True,
                hint=t(lang, "competencies.form.contributes_hint", limit=MAX_CONTRIBUTES),
            ),
        ],
        submit=t(lang, "competencies.form.submit"),
    )


def current_parts(member: Member) -> list[c.Part]:
    """The member's competencies as they stand, with a button that opens the form."""
    lang = member.lang
    keywords = ", ".join(member.competencies or []) or t(lang, "competencies.none")
    button = c.Button(
        t(lang, "competencies.button.edit"), Action.OPEN_COMPETENCIES, "{}", "primary", True
    )
    return [
        c.Paragraph(t(lang, "competencies.current", keywords=keywords)),
        c.Buttons([button]),
    ]


def competencies_saved(member: Member) -> c.Form:
    lang = member.lang
    keywords = ", ".join(member.competencies or []) or t(lang, "competencies.none")
    return c.Form(
        kind=Callback.COMPETENCIES_MODAL,
        title=t(lang, "competencies.form.title"),
        parts=[
            c.Paragraph(t(lang, "competencies.saved", keywords=keywords)),
            c.Paragraph(t(lang, "competencies.directory_hint")),
        ],
    )


def submit_competencies(
    *, session: Session, member: Member, now: datetime, form: Submitted
) -> c.Form:
    """Save the submitted form; FieldErrors (nothing kept) when something is wrong."""
    save_competencies(
        member=member,
        keywords=form.text(CompetenciesField.KEYWORDS),
        contributes=form.text(CompetenciesField.CONTRIBUTES),
        now=now,
    )
    session.flush()
    return competencies_saved(member)


# --- who knows what -----------------------------------------------------------------------------


def _match_line(lang: str, match: Match) -> str:
    member = match.member
    keywords = ", ".join(match.keywords or member.competencies or [])
    key = "competencies.who.line_sister" if match.sister else "competencies.who.line"
    return t(
        lang,
        key,
        person=person_of(member),
        organisation=member.organisation or "",
        keywords=keywords or t(lang, "competencies.who.by_contribution"),
        network=member.network.name,
    )


def split_page(words: list[str]) -> tuple[str, int]:
    """The words asked about and the page (a number at the end: `hvem kan jura 2`)."""
    if len(words) > 1 and words[-1].isdigit():
        return " ".join(words[:-1]), max(int(words[-1]), 1)
    return " ".join(words), 1


def who_knows_parts(
    *, session: Session, member: Member, lang: str, words: list[str], command: str
) -> list[c.Part]:
    """`/network hvem kan <ord>`: the people who know about it, best first, a page at a time
    (the rest counted, with the command for the next page)."""
    text, page = split_page(words)
    found = who_knows(session=session, member=member, text=text)
    if not found:
        return [c.Paragraph(t(lang, "competencies.who.none", words=text))]
    header = t(lang, "competencies.who.header", words=text, count=len(found))
    lines = [_match_line(lang, m) for m in found]
    more = f"{command} {text}"
    return [
        c.Paragraph(header),
        *sections(lang, lines, PAGE_SECTIONS, page=page, command=more),
    ]


# --- the spread across the network ----------------------------------------------------------------


def spread_parts(lang: str, network: Network, spread: Spread) -> list[c.Part]:
    """The facilitator's view: each keyword and how many have it, then who has none."""
    with_some = spread.members - len(spread.without)
    parts: list[c.Part] = [
        c.Paragraph(
            t(
                lang,
                "competencies.spread.header",
                network=network.name,
                members=spread.members,
                count=with_some,
                keywords=len(spread.keywords),
            )
        )
    ]
    lines = [t(lang, "competencies.spread.line", keyword=k, count=n) for k, n in spread.keywords]
    parts += sections(lang, lines, SPREAD_SECTIONS)
    if spread.without:
        people = [person_of(m) for m in spread.without]
        parts.append(c.Paragraph(t(lang, "competencies.spread.without", people=people)))
    return parts


def facilitator_spread_parts(session: Session, lang: str, network: Network) -> list[c.Part]:
    return spread_parts(lang, network, competency_spread(session=session, network=network))


# --- Slack listeners ------------------------------------------------------------------------------


handle_competencies_submission = saving_listener(CompetenciesField.KEYWORDS, submit_competencies)


def register(app: App) -> None:
    on_form_button(
        app, Action.OPEN_COMPETENCIES, lambda _scope, member, _value: competencies_form(member)
    )
    app.view(Callback.COMPETENCIES_MODAL)(handle_competencies_submission)
