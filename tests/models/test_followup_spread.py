from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.errors import InputError
from models.followup import followups_in_period, log_followup, update_followup
from models.history import ChangeRecord
from models.network import Network, Platform, period_for
from models.people import Person, member_ref
from models.prep import ExampleInput, ExampleSource, save_examples, upcoming_meeting
from models.spread import (
    SpreadInput,
    SpreadStatus,
    log_spread,
    shared_examples,
    spread_actions,
    update_spread,
)
from tests.conftest import ANNA, BO, FACILITATOR, SEASON_NOW, person


def test_followup_counts_in_the_period_of_its_date(session: Session, network: Network) -> None:
    anna = person(session, ANNA)
    november = datetime(2015, 11, 20, 9, tzinfo=UTC)
    log_followup(
        session=session,
        member=anna,
        on=date(2015, 11, 10),
        agreed="Tidligere",
        next_step="",
        now=november,
    )
    log_followup(
        session=session,
        member=anna,
        on=date(2015, 11, 19),
        agreed="Nu",
        next_step="Test i januar",
        now=november,
    )
    net = anna.network
    before = period_for(net, date(2015, 11, 10))
    now_period = period_for(net, date(2015, 11, 19))
    assert before is not None and now_period is not None
    assert [f.agreed for f in followups_in_period(session=session, member=anna, period=before)] == [
        "Tidligere"
    ]
    assert [
        f.agreed for f in followups_in_period(session=session, member=anna, period=now_period)
    ] == ["Nu"]


@pytest.mark.parametrize(
    ("on", "agreed", "key"),
    [
        (date(2015, 10, 5), "  ", "followup.error.empty"),
        (date(2015, 10, 6), "x", "followup.error.future_date"),
        (date(2015, 8, 1), "x", "followup.error.outside_season"),
        (date(2015, 10, 5), "x" * 2001, "followup.error.too_long"),
    ],
)
def test_followup_errors(
    session: Session, network: Network, on: date, agreed: str, key: str
) -> None:
    with pytest.raises(InputError) as err:
        log_followup(
            session=session,
            member=person(session, ANNA),
            on=on,
            agreed=agreed,
            next_step="",
            now=SEASON_NOW,
        )
    assert err.value.key == key


def test_followup_edit_keeps_the_earlier_value(session: Session, network: Network) -> None:
    anna = person(session, ANNA)
    row = log_followup(
        session=session,
        member=anna,
        on=date(2015, 10, 1),
        agreed="Første",
        next_step="",
        now=SEASON_NOW,
    )
    update_followup(
        session=session,
        member=anna,
        followup_id=row.id,
        on=date(2015, 10, 2),
        agreed="Rettet",
        next_step="",
        now=SEASON_NOW,
    )
    changes = session.scalars(select(ChangeRecord).order_by(ChangeRecord.field)).all()
    assert [(c.entity, c.field, c.old_value, c.new_value) for c in changes] == [
        ("followup", "agreed", "Første", "Rettet"),
        ("followup", "followed_up_on", "2015-10-01", "2015-10-02"),
    ]
    with pytest.raises(InputError) as err:
        update_followup(
            session=session,
            member=person(session, BO),
            followup_id=row.id,
            on=date(2015, 10, 2),
            agreed="Ikke din",
            next_step="",
            now=SEASON_NOW,
        )
    assert err.value.key == "followup.error.not_found"


def test_spread_from_an_example_and_status_history(session: Session, network: Network) -> None:
    anna, bo = person(session, ANNA), person(session, BO)
    meeting1 = anna.network.meetings[0]
    (example,) = save_examples(
        session=session,
        member=bo,
        meeting=upcoming_meeting(bo, SEASON_NOW),
        now=SEASON_NOW,  # type: ignore[arg-type]
        examples=[
            ExampleInput("new", "Klageportal", "Online klager", "", "", ExampleSource.OWN, False)
        ],
    )
    # Prepared for meeting 2: shared (and offered) once meeting 2 has been held.
    assert shared_examples(session=session, member=anna, now=SEASON_NOW) == []
    with pytest.raises(InputError) as err:
        log_spread(
            session=session,
            member=anna,
            now=SEASON_NOW,
            data=SpreadInput("", example.id, None, None, "planned", ""),
        )
    assert (err.value.key, err.value.params["field"]) == (
        "spread.error.unknown_example",
        "spread_example",
    )
    after = datetime(2015, 11, 18, 9, tzinfo=UTC)
    shared = shared_examples(session=session, member=anna, now=after)
    assert [e.title for e in shared] == ["Klageportal"]
    assert shared_examples(session=session, member=bo, now=after) == []  # not one's own
    row = log_spread(
        session=session,
        member=anna,
        now=after,
        data=SpreadInput(
            solution="",
            example_id=example.id,
            source_ref=None,
            meeting_id=meeting1.id,
            status="planned",
            effect="",
        ),
    )
    assert (row.solution, row.source_member_id, row.status) == (
        "Klageportal",
        bo.id,
        SpreadStatus.PLANNED,
    )
    update_spread(
        session=session,
        member=anna,
        action_id=row.id,
        status="in_use",
        effect="Færre klager",
        now=SEASON_NOW,
    )
    assert spread_actions(session=session, member=anna)[0].status is SpreadStatus.IN_USE
    changes = session.scalars(select(ChangeRecord).order_by(ChangeRecord.field)).all()
    assert [(c.field, c.old_value, c.new_value) for c in changes] == [
        ("effect", "", "Færre klager"),
        ("status", "planned", "in_use"),
    ]


@pytest.mark.parametrize(
    ("data", "key", "field"),
    [
        (dict(solution=""), "spread.error.empty", "spread_solution"),
        (dict(status="maybe"), "spread.error.unknown_status", "spread_status"),
        (dict(status=None), "spread.error.unknown_status", "spread_status"),
        (dict(source_ref=ANNA), "spread.error.self", "spread_source"),
        (dict(source_ref=FACILITATOR), "spread.error.not_member", "spread_source"),
        (dict(source_ref="U0NOBODY00"), "spread.error.not_member", "spread_source"),
        (dict(example_id=99999), "spread.error.unknown_example", "spread_example"),
    ],
)
def test_spread_errors_store_nothing(
    session: Session, network: Network, data: dict[str, object], key: str, field: str
) -> None:
    anna = person(session, ANNA)
    values: dict[str, object] = {
        "solution": "Borgerpanel",
        "example_id": None,
        "source_ref": BO,
        "meeting_id": None,
        "status": "planned",
        "effect": "",
    }
    values.update(data)
    with pytest.raises(InputError) as err:
        log_spread(session=session, member=anna, data=SpreadInput(**values), now=SEASON_NOW)  # type: ignore[arg-type]
    assert (err.value.key, err.value.params["field"]) == (key, field)
    session.rollback()
    assert spread_actions(session=session, member=anna) == []


def test_spread_source_by_member_reference(session: Session, network: Network) -> None:
    """The source is picked platform-neutrally (a member on Teams only too); a value naming
    nobody is refused without naming anyone."""
    anna, bo = person(session, ANNA), person(session, BO)
    bo.set_identity(Platform.SLACK, None)
    with pytest.raises(InputError) as err:
        data = SpreadInput("Borgerpanel", None, "member:0", None, "planned", "")
        log_spread(session=session, member=anna, now=SEASON_NOW, data=data)
    assert err.value.params["users"] == [Person(name="")]
    data = SpreadInput("Borgerpanel", None, member_ref(bo), None, "planned", "")
    row = log_spread(session=session, member=anna, now=SEASON_NOW, data=data)
    assert row.source_member_id == bo.id


def test_spread_meeting_must_have_been_held(session: Session, network: Network) -> None:
    anna = person(session, ANNA)
    meeting2 = anna.network.meetings[1]
    with pytest.raises(InputError) as err:
        log_spread(
            session=session,
            member=anna,
            now=SEASON_NOW,
            data=SpreadInput("Borgerpanel", None, BO, meeting2.id, "planned", ""),
        )
    assert err.value.key == "spread.error.unknown_meeting"
