"""People in texts: a mixed network (Anna on Slack, Bo on Teams only) where every text that
names people names both correctly on both surfaces, a hostile name stays inert, and an
erased member is never named."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from handlers import catalogue, slack_render, teams_render
from handlers import conversation as c
from handlers.between import BetweenFacts, render_between_nudge
from handlers.catalogue import escape_teams, t
from handlers.forms import field_errors, named_plainly
from handlers.home import build_stranger_home_view
from handlers.network.summary import render_unreached
from handlers.nudges import build_agenda_nudge
from handlers.render import render_entry_reply, render_status
from handlers.sparring import build_dispute_notice, build_sparring_received
from handlers.spread import build_spread_notice, render_spread_list
from models.errors import NotAMemberError
from models.network import Member, Network, period_for
from models.nudges import NudgeKind
from models.people import Person, person_of
from models.prep import AgendaItem
from models.privacy import forget_member
from models.sparring import (
    PeriodTotal,
    ReceivedFrom,
    SparringEntry,
    SparringReceiver,
    SparringStatus,
)
from models.spread import SpreadAction, SpreadStatus
from tests.conftest import ANNA, BO, CAMILLA, FACILITATOR, SEASON_NOW, person

BO_TEAMS = "29:1bo-teams-user-id"
HOSTILE = "Bo <!channel> [x](http://evil) **boss** <@U0ANNA0001>"
DAY = date(2015, 10, 1)
ERASED = {"da": "et slettet medlem", "en": "an erased member"}

Build = Callable[[], c.Message | c.Overview]


@pytest.fixture
def mixed(session: Session, network: Network) -> tuple[Member, Member]:
    """Anna on Slack; Bo on Teams only, with a name that tries to be markup."""
    anna, bo = person(session, ANNA), person(session, BO)
    bo.slack_user_id = None
    bo.teams_user_id = BO_TEAMS
    bo.name = HOSTILE
    session.flush()
    return anna, bo


def _strings(obj: Any) -> Iterator[str]:
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key in ("text", "title", "value") and isinstance(value, str):
                yield value
            else:
                yield from _strings(value)
    elif isinstance(obj, list):
        for item in obj:
            yield from _strings(item)


def shown(surface: str, build: Build) -> str:
    """Every text a view shows on `surface`, built for that surface."""
    with catalogue.surface(surface):
        view = build()
    if surface == "teams":
        return "\n".join(_strings(teams_render.message_cards(view)))
    if isinstance(view, c.Overview):
        return "\n".join(_strings(slack_render.home(view)))
    return "\n".join(_strings(slack_render.message(view)))


def assert_both_named(build: Build, anna: Member) -> None:
    """Anna and Bo named on both surfaces; Bo's name inert on both."""
    slack = shown("slack", build)
    assert "<@U0ANNA0001>" in slack
    # Bo has no Slack id: his name, escaped (no bold: mrkdwn cannot escape his `*`).
    assert "Bo &lt;!channel&gt; [x](http://evil) **boss** &lt;@U0ANNA0001&gt;" in slack
    assert "<!channel>" not in slack
    assert slack.count("<@") == slack.count("<@U0ANNA0001>")
    teams = shown("teams", build)
    assert f"**{escape_teams(anna.name)}**" in teams
    assert f"**{escape_teams(HOSTILE)}**" in teams
    assert not re.search(r"(?<!\\)[<\[]", teams)  # no tag, mention or link can start
    assert "**boss**" not in teams


def _entry(giver: Member, receivers: list[Member], note: str = "") -> SparringEntry:
    return SparringEntry(
        id=1,
        giver=giver,
        given_on=DAY,
        minutes=90,
        note=note,
        receivers=[SparringReceiver(id=i + 1, member=m) for i, m in enumerate(receivers)],
    )


def test_a_person_on_each_surface() -> None:
    on_slack = Person(name="Anna <b>", slack_id="U0ANNA0001")
    on_teams = Person(name="Bo & co", teams_id=BO_TEAMS)
    erased = Person(name="", erased=True)
    line = {"users": [on_slack, on_teams, erased]}
    with catalogue.surface("slack"):
        assert t("en", "sparring.logged.receivers", **line).endswith(
            "<@U0ANNA0001>, *Bo &amp; co* and an erased member"
        )
    with catalogue.surface("teams"):
        text = t("da", "sparring.logged.receivers", **line)
    # Bo is on Teams: a real mention there (the card carries its entity), his name elsewhere.
    assert text.endswith(
        "**Anna \\<b\\>**, "
        + catalogue.teams_mention(BO_TEAMS, "Bo & co")
        + " og et slettet medlem"
    )
    card = teams_render.card(c.Message(text, [c.Paragraph(text)]))
    assert card["body"][0]["text"].endswith(
        "**Anna \\<b\\>**, <at>Bo & co</at> og et slettet medlem"
    )
    assert card["msteams"]["entities"] == [
        {
            "type": "mention",
            "text": "<at>Bo & co</at>",
            "mentioned": {"id": BO_TEAMS, "name": "Bo & co"},
        }
    ]
    assert card["fallbackText"].endswith("Anna <b>, Bo & co og et slettet medlem")
    with catalogue.surface("markdown"):
        assert catalogue.person("en", on_teams) == "**Bo \\& co**"


def test_sparring_texts_name_both(session: Session, mixed: tuple[Member, Member]) -> None:
    anna, bo = mixed
    note = "Tak til <@U0ANNA0001> — <!channel>"
    together = _entry(anna, [anna, bo], note)
    period = period_for(anna.network, DAY)
    assert period is not None
    total = PeriodTotal(period, 90, 600)
    assert_both_named(
        lambda: c.Message(render_entry_reply("sparring.logged", "en", together, total)), anna
    )
    status = SparringStatus(
        period, 600, [together], 1, 90, [ReceivedFrom(anna, 30), ReceivedFrom(bo, 60)]
    )
    assert_both_named(lambda: c.Message(render_status("da", status)), anna)
    # The note's mention of Anna, a receiver, is Anna on each surface; its <!channel> is inert.
    teams = shown(
        "teams", lambda: c.Message(render_entry_reply("sparring.logged", "en", together, total))
    )
    assert f"Tak til **{escape_teams(anna.name)}**" in teams


def test_notices_name_the_giver_and_the_receiver(mixed: tuple[Member, Member]) -> None:
    anna, bo = mixed
    from_bo, from_anna = _entry(bo, [anna]), _entry(anna, [bo])
    for receiver in (from_bo.receivers[0], from_anna.receivers[0]):
        giver, taker = receiver.entry.giver, receiver.member
        for surface in ("slack", "teams"):
            text = shown(
                surface,
                lambda r=receiver: build_sparring_received("en", receiver=r, nudge_id=1),
            )
            assert _named(surface, giver) in text
            dispute = shown(surface, lambda r=receiver: build_dispute_notice("en", receiver=r))
            assert _named(surface, giver) in dispute and _named(surface, taker) in dispute


def _named(surface: str, member: Member) -> str:
    with catalogue.surface(surface):
        return str(catalogue.person("en", person_of(member)))


def test_agenda_and_halfway_name_the_askers(session: Session, mixed: tuple[Member, Member]) -> None:
    anna, bo = mixed
    camilla = person(session, CAMILLA)
    meeting = camilla.network.meetings[1]
    items = [
        AgendaItem(asker=anna, text="Hvordan?", as_primary=True, handed_over_from=None),
        AgendaItem(asker=bo, text="Hvorfor?", as_primary=False, handed_over_from=anna),
    ]
    assert_both_named(
        lambda: (
            build_agenda_nudge(
                "da", member=camilla, meeting=meeting, items=items, nudge_id=1, now=SEASON_NOW
            )
            or c.Message("")
        ),
        anna,
    )
    assert_both_named(lambda: _halfway(camilla, [anna, bo]) or c.Message(""), anna)


def _halfway(member: Member, askers: list[Member]) -> c.Message | None:
    network = member.network
    meeting, following = network.meetings[0], network.meetings[1]
    period = period_for(network, DAY)
    assert period is not None
    facts = BetweenFacts(
        kind=NudgeKind.HALFWAY_SPARRING,
        member=member,
        meeting=meeting,
        following=following,
        end=following.starts_at,
        stale_at=following.starts_at,
        nudge_id=1,
        now=SEASON_NOW,
        total=PeriodTotal(period, 0, 600),
        followups=0,
        askers=[person_of(m) for m in askers],
        spread=0,
    )
    return render_between_nudge(facts)


def test_spread_names_the_source_and_the_taker(mixed: tuple[Member, Member]) -> None:
    anna, bo = mixed
    rows = [
        SpreadAction(id=1, member=bo, source=anna, solution="x", status=SpreadStatus.PLANNED),
        SpreadAction(id=2, member=anna, source=bo, solution="y", status=SpreadStatus.PLANNED),
    ]
    assert_both_named(lambda: render_spread_list("en", rows), anna)
    for row in rows:
        for surface in ("slack", "teams"):
            text = shown(surface, lambda r=row: build_spread_notice("en", row=r, nudge_id=1))
            assert _named(surface, row.member) in text


def test_facilitator_lists_name_both(mixed: tuple[Member, Member]) -> None:
    anna, bo = mixed
    assert_both_named(lambda: c.Message("", render_unreached("en", [(anna, 2), (bo, 1)])), anna)
    contacts = [person_of(anna), person_of(bo)]
    assert_both_named(lambda: build_stranger_home_view("en", contacts), anna)
    error = NotAMemberError(contacts)
    assert_both_named(lambda: c.Message(t("en", error.key, **error.params)), anna)
    for key in ("network.added", "network.removed"):
        assert_both_named(
            lambda k=key: c.Message(
                t("en", k, user=person_of(anna), organisation="")
                + t("en", k, user=person_of(bo), organisation="")
            ),
            anna,
        )


def test_an_erased_member_is_never_named(session: Session, mixed: tuple[Member, Member]) -> None:
    anna, bo = mixed
    camilla = person(session, CAMILLA)
    name = camilla.name
    forget_member(
        session=session,
        member=camilla,
        by=person(session, FACILITATOR),
        now=SEASON_NOW + timedelta(days=1),
    )
    session.flush()
    assert person_of(camilla) == Person(name="", erased=True)
    builds: list[Build] = [
        lambda: build_sparring_received(
            "da", receiver=_entry(camilla, [anna]).receivers[0], nudge_id=1
        ),
        lambda: build_dispute_notice("da", receiver=_entry(anna, [camilla]).receivers[0]),
        lambda: c.Message("", render_unreached("da", [(camilla, 1), (bo, 1)])),
        lambda: _halfway(anna, [camilla, bo]) or c.Message(""),
    ]
    for build in builds:
        for surface in ("slack", "teams"):
            text = shown(surface, build)
            assert ERASED["da"] in text
            assert name not in text and "Slettet medlem" not in text and "FORGOTTEN" not in text


def test_a_member_without_an_identity_who_was_erased_is_erased() -> None:
    row = Member(id=7, name="Slettet medlem 7", active=False)
    assert person_of(row).erased
    assert not person_of(Member(id=8, name="Slettet medlem 7", active=False)).erased


@pytest.fixture(autouse=True)
def _no_leaking_surface() -> Iterator[None]:
    yield
    assert catalogue.current_surface() == "slack"


def test_a_note_names_the_receivers_it_mentions() -> None:
    anna = Person(name="Anna *A*", slack_id="U0ANNA0001")
    note = "<@U0ANNA0001|anna> - 1. ok <@U0OTHER001>\n- <!here>"
    with catalogue.surface("slack"):
        assert catalogue.escape_naming("en", note, [anna]) == (
            "<@U0ANNA0001> - 1. ok &lt;@U0OTHER001&gt;\n- &lt;!here&gt;"
        )
    with catalogue.surface("teams"):
        # Anna by name; markup starts only where the note's own lines start, as typed.
        assert catalogue.escape_naming("en", note, [anna]) == (
            "**Anna \\*A\\*** - 1. ok \\<@U0OTHER001\\>\n-\u2060 \\<!here\\>"
        )
        held = "\ue001" + "0" + "\ue001"  # typed text cannot pose as a held place
        assert catalogue.escape_naming("en", held, [anna]) == "0"


def test_a_slack_id_is_no_markup_off_slack() -> None:
    """Older callers still pass Slack ids (e.g. the ids a member typed that are no members):
    Slack gets the mention, Teams the id as inert text."""
    with catalogue.surface("slack"):
        assert t("en", "sparring.error.not_members", users=["U0NOBODY01"]).count("<@U0NOBODY01>")
    with catalogue.surface("teams"):
        text = t("en", "sparring.error.not_members", users=["U0NOBODY01"])
        assert "U0NOBODY01" in text and "<@" not in text


@pytest.mark.parametrize(
    "key",
    [
        "sparring.error.not_members",
        "spread.error.not_member",
        "prep.error.not_member",
        "network.error.already_member",
        "network.error.member_elsewhere",
    ],
)
def test_person_errors_name_people_on_every_surface(key: str) -> None:
    """Whom an error names: a mention on Slack when they are on Slack, else their name,
    escaped; someone the bot does not know by words, never by the value that was sent."""
    on_teams = Person(name="Bo *B* <!channel>", teams_id="29:1bo")
    on_slack = Person(name="Anna", slack_id="U0ANNA0001")
    unknown, unknown_slack_user = Person(name=""), Person(name="", slack_id="U0NOBODY01")
    people = [on_slack, on_teams, unknown, unknown_slack_user]
    with catalogue.surface("slack"):
        text = t("da", key, users=people)
        assert text.startswith(
            "<@U0ANNA0001>, Bo *B* &lt;!channel&gt;, Den valgte person og <@U0NOBODY01> "
        ), text
    with catalogue.surface("teams"):
        text = t("da", key, users=people)
        assert text.startswith(
            "**Anna**, **Bo \\*B\\* \\<!channel\\>**, Den valgte person og Den valgte person "
        ), text
    # A Slack form's errors are plain text, where a mention would show as markup: names.
    problems = named_plainly("da", {"f": (key, {"users": people})})
    shown = field_errors("da", problems, ["f"], "f")["f"]
    assert shown.startswith("Anna, Bo *B* <!channel>, Den valgte person og Den valgte person ")
