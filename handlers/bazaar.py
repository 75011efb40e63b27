"""The idea bazaar: `/network basar` lists the items (a page at a time) with a **Gør krav**
button on each and a button that opens the add-item form; a claim is answered at once; the
follow-ups 30 and 90 days after a claim; `/network basar resultat` for the facilitator."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App
from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers import conversation as c
from handlers.catalogue import format_date, t
from handlers.context import scope_of
from handlers.forms import Submitted, on_form_button, saving_listener
from handlers.ids import Action, Block, Callback
from handlers.network.common import sections
from handlers.parsing import excerpt
from handlers.replies import reply_ephemeral
from handlers.spread import effect_input, status_input
from models.bazaar import (
    MAX_TEXT,
    MAX_TITLE,
    BazaarClaim,
    BazaarField,
    BazaarInput,
    BazaarItem,
    BazaarKind,
    GiverInput,
    add_item,
    bazaar_items,
    bazaar_meeting,
    claim_item,
    follow_up_facts,
    record_giver_view,
)
from models.errors import InputError
from models.network import Member, Network
from models.nudges import NudgeKind
from models.people import person_of
from models.prep import PrepExample
from models.spread import SpreadField

PAGE_SIZE = 8
RESULT_SECTIONS = 6
EXCERPT = 200


def _kind(lang: str, kind: BazaarKind) -> str:
    return t(lang, f"bazaar.kind.{kind.value}")


def _item_paragraph(lang: str, member: Member, item: BazaarItem) -> c.Paragraph:
    text = t(
        lang,
        "bazaar.item",
        kind=_kind(lang, item.kind),
        title=item.title,
        text=excerpt(item.text, EXCERPT),
        person=person_of(item.member),
        claims=len(item.claims),
    )
    if item.member_id == member.id:
        return c.Paragraph(text)
    button = c.Button(t(lang, "bazaar.button.claim"), Action.BAZAAR_CLAIM, str(item.id), "primary")
    return c.Paragraph(text, button=button)


def bazaar_parts(
    *, session: Session, member: Member, lang: str, page: int, command: str, now: datetime
) -> list[c.Part]:
    """`/network basar`: the items with a claim button each, and the add-item button."""
    meeting = bazaar_meeting(member.network)
    if meeting is None:
        return [c.Paragraph(t(lang, "bazaar.error.none"))]
    items = bazaar_items(session=session, network=member.network)
    day = format_date(lang, meeting.starts_at.astimezone(member.zone).date())
    parts: list[c.Part] = [
        c.Paragraph(t(lang, "bazaar.header", number=meeting.number, day=day, count=len(items)))
    ]
    start = (max(page, 1) - 1) * PAGE_SIZE
    shown = items[start : start + PAGE_SIZE]
    parts += [_item_paragraph(lang, member, i) for i in shown]
    left = len(items) - start - len(shown)
    if left > 0:
        parts.append(c.Note(t(lang, "bazaar.more", count=left, command=f"{command} {page + 1}")))
    if meeting.starts_at > now:
        add = c.Button(t(lang, "bazaar.button.add"), Action.BAZAAR_ADD, "", None, True)
        parts.append(c.Buttons([add], block=Block.BAZAAR_ACTIONS))
    return parts


def bazaar_form(session: Session, member: Member) -> c.Form:
    """The add-item form: kind, one of the member's examples or new text."""
    lang = member.lang
    examples = list(
        session.scalars(
            select(PrepExample)
            .where(PrepExample.member_id == member.id)
            .order_by(PrepExample.id.desc())
            .limit(100)
        )
    )
    parts: list[c.FormPart] = [
        c.Paragraph(t(lang, "bazaar.form.intro")),
        c.Choice(
            BazaarField.KIND,
            t(lang, "bazaar.form.kind"),
            [c.Option(k, _kind(lang, k)) for k in BazaarKind],
            expanded=True,
        ),
    ]
    if examples:
        options = [c.Option(str(e.id), excerpt(e.title, 70)) for e in examples]
        parts.append(
            c.Choice(
                BazaarField.EXAMPLE,
                t(lang, "bazaar.form.example"),
                options,
                optional=True,
                placeholder=t(lang, "bazaar.form.example_placeholder"),
            )
        )
    parts += [
        c.TextInput(BazaarField.TITLE, t(lang, "bazaar.form.title"), MAX_TITLE, optional=True),
        c.TextInput(
            BazaarField.TEXT, t(lang, "bazaar.form.text"), MAX_TEXT, multiline=True, optional=True
        ),
    ]
    return c.Form(
        kind=Callback.BAZAAR_MODAL,
        title=t(lang, "bazaar.form.title_bar"),
        parts=parts,
        submit=t(lang, "bazaar.form.submit"),
    )


def submit_bazaar(*, session: Session, member: Member, now: datetime, form: Submitted) -> c.Form:
    data = BazaarInput(
        kind=form.choice(BazaarField.KIND),
        example_id=form.choice(BazaarField.EXAMPLE),
        title=form.text(BazaarField.TITLE),
        text=form.text(BazaarField.TEXT),
    )
    item = add_item(session=session, member=member, data=data, now=now)
    lang = member.lang
    return c.Form(
        kind=Callback.BAZAAR_MODAL,
        title=t(lang, "bazaar.form.title_bar"),
        parts=[c.Paragraph(t(lang, "bazaar.saved", title=item.title))],
    )


def press_claim(*, session: Session, member: Member, value: str | None, now: datetime) -> str:
    """**Gør krav**: the claim, or a short error, in the member's language."""
    lang = member.lang
    try:
        claim, new = claim_item(session=session, member=member, item_id=value, now=now)
    except InputError as error:
        session.rollback()
        return t(lang, error.key, **error.params)
    session.commit()
    key = "bazaar.claimed" if new else "bazaar.claimed_already"
    return t(lang, key, title=claim.item.title, person=person_of(claim.item.member))


def build_follow_up(lang: str, *, member: Member, claim: BazaarClaim, kind: NudgeKind) -> c.Message:
    """30 or 90 days after a claim: the claimer is asked to update its status and effect; the
    giver hears where it stands and is asked to talk with the claimer."""
    days = 30 if kind is NudgeKind.BAZAAR_FOLLOWUP_30 else 90
    item, action = claim.item, claim.action
    if member.id == claim.member_id:
        text = t(
            lang,
            "bazaar.follow_up.claimer",
            days=days,
            title=item.title,
            person=person_of(item.member),
        )
        parts: list[c.Part] = [c.Paragraph(text, block=Block.BAZAAR_FOLLOW_UP)]
        if action is not None:
            update = c.Button(
                t(lang, "bazaar.button.update"),
                Action.SPREAD_UPDATE,
                str(action.id),
                "primary",
                True,
            )
            parts.append(c.Buttons([update]))
        return c.Message(t(lang, "bazaar.follow_up.summary", title=item.title), parts)
    status = t(lang, f"spread.status.{action.status.value}") if action else "—"
    text = t(
        lang,
        "bazaar.follow_up.giver",
        days=days,
        title=item.title,
        person=person_of(claim.member),
        status=status,
        effect=(action.effect if action and action.effect else "—"),
    )
    answer = c.Button(
        t(lang, "bazaar.button.giver_view"), Action.BAZAAR_GIVER_VIEW, str(claim.id), None, True
    )
    return c.Message(
        t(lang, "bazaar.follow_up.summary", title=item.title),
        [c.Paragraph(text, block=Block.BAZAAR_FOLLOW_UP), c.Buttons([answer])],
    )


# --- the giver's own view of a claim --------------------------------------------------------------


def giver_form(*, session: Session, member: Member, claim_id: str | int | None) -> c.Form | None:
    """The giver's form for a claim of their item: a status and an effect note (None: not
    their item's claim, or someone erased)."""
    ref = str(claim_id or "")
    claim = (
        follow_up_facts(session=session, member=member, claim_id=int(ref))
        if ref.isdigit() and len(ref) < 10
        else None
    )
    if claim is None or claim.item.member_id != member.id:
        return None
    lang = member.lang
    intro = t(
        lang, "bazaar.giver_form.intro", title=claim.item.title, person=person_of(claim.member)
    )
    return c.Form(
        kind=Callback.BAZAAR_GIVER_MODAL,
        title=t(lang, "bazaar.form.title_bar"),
        submit=t(lang, "bazaar.giver_form.submit"),
        metadata={"id": claim.id},
        parts=[
            c.Paragraph(intro),
            status_input(lang, claim.giver_status),
            effect_input(lang, claim.giver_effect or ""),
        ],
    )


def submit_giver_view(
    *,
    session: Session,
    member: Member,
    now: datetime,
    metadata: Mapping[str, Any],
    form: Submitted,
) -> c.Form:
    """Save the giver's status and effect note for the claim `metadata` names; the saved view."""
    data = GiverInput(status=form.choice(SpreadField.STATUS), effect=form.text(SpreadField.EFFECT))
    claim = record_giver_view(
        session=session, member=member, claim_id=metadata.get("id"), data=data, now=now
    )
    lang = member.lang
    saved = t(lang, "bazaar.giver_saved", title=claim.item.title, person=person_of(claim.member))
    return c.Form(
        kind=Callback.BAZAAR_GIVER_MODAL,
        title=t(lang, "bazaar.form.title_bar"),
        parts=[c.Paragraph(saved)],
    )


# --- the facilitator's results --------------------------------------------------------------------


def _result_lines(lang: str, item: BazaarItem) -> list[str]:
    lines: list[str] = [
        t(
            lang,
            "bazaar.result.item",
            kind=_kind(lang, item.kind),
            title=item.title,
            person=person_of(item.member),
            claims=len(item.claims),
        )
    ]
    for claim in item.claims:
        action = claim.action
        lines.append(
            t(
                lang,
                "bazaar.result.claim",
                person=person_of(claim.member),
                status=t(lang, f"spread.status.{action.status.value}") if action else "—",
                effect=action.effect if action and action.effect else "—",
            )
        )
        if claim.giver_answered_at is not None:
            lines.append(_giver_line(lang, item, claim))
    return lines


def _giver_line(lang: str, item: BazaarItem, claim: BazaarClaim) -> str:
    status = claim.giver_status
    return t(
        lang,
        "bazaar.result.giver",
        person=person_of(item.member),
        status=t(lang, f"spread.status.{status.value}") if status else "—",
        effect=claim.giver_effect or "—",
    )


def results_parts(session: Session, lang: str, network: Network) -> list[c.Part]:
    """`/network basar resultat`: every item, who claimed it, and how it went."""
    items = bazaar_items(session=session, network=network)
    meeting = bazaar_meeting(network)
    if meeting is None:
        return [c.Paragraph(t(lang, "bazaar.error.none"))]
    claims = sum(len(i.claims) for i in items)
    header = t(lang, "bazaar.result.header", number=meeting.number, items=len(items), claims=claims)
    lines = [line for item in items for line in _result_lines(lang, item)]
    return [c.Paragraph(header), *sections(lang, lines, RESULT_SECTIONS)]


# --- Slack listeners ------------------------------------------------------------------------------


handle_submission = saving_listener(BazaarField.TITLE, submit_bazaar)


def handle_claim(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    scope = scope_of(context)
    member = scope.require_member()
    value = body["actions"][0].get("value")
    context["reply"] = press_claim(session=scope.db, member=member, value=value, now=scope.now)
    ack()


handle_giver_submission = saving_listener(SpreadField.STATUS, submit_giver_view, with_metadata=True)


def register(app: App) -> None:
    on_form_button(
        app, Action.BAZAAR_ADD, lambda scope, member, _value: bazaar_form(scope.db, member)
    )
    app.view(Callback.BAZAAR_MODAL)(handle_submission)
    app.action(Action.BAZAAR_CLAIM)(ack=handle_claim, lazy=[reply_ephemeral])
    on_form_button(
        app,
        Action.BAZAAR_GIVER_VIEW,
        lambda scope, member, value: giver_form(session=scope.db, member=member, claim_id=value),
    )
    app.view(Callback.BAZAAR_GIVER_MODAL)(handle_giver_submission)
