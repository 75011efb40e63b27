from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.errors import InputError
from models.network import Network, Platform, Role
from models.people import Person, person_of
from models.sparring import (
    SparringEntry,
    log_sparring,
    sparring_status,
    undo_latest_sparring,
)
from tests.conftest import (
    ANNA,
    BO,
    CAMILLA,
    FACILITATOR,
    JENS,
    SEASON_NOW,
    add_second_network,
    person,
)


def _log(session: Session, giver: str, minutes: int, **kw: object) -> SparringEntry:
    args: dict[str, object] = {
        "given_on": date(2015, 10, 2),
        "receiver_ids": [],
        "note": "",
        "now": SEASON_NOW,
    }
    args.update(kw)
    return log_sparring(session=session, member=person(session, giver), minutes=minutes, **args)  # type: ignore[arg-type]


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(SparringEntry)) or 0


def test_log_and_status_against_the_target(session: Session, network: Network) -> None:
    _log(session, ANNA, 120, receiver_ids=[BO], note="citizen survey")
    _log(session, ANNA, 90, receiver_ids=[BO, CAMILLA], given_on=date(2015, 10, 4))
    _log(session, ANNA, 60, given_on=date(2015, 9, 15))  # before meeting 1: another period
    session.commit()
    status = sparring_status(session=session, member=person(session, ANNA), now=SEASON_NOW)
    assert status.period.index == 1
    assert status.given_minutes == 210
    assert status.target_minutes == 120
    assert status.target_reached
    assert [e.minutes for e in status.entries] == [120, 90]
    assert [m.slack_user_id for m in status.entries[1].receiver_members] == [BO, CAMILLA]
    bo = sparring_status(session=session, member=person(session, BO), now=SEASON_NOW)
    assert bo.given_minutes == 0 and not bo.target_reached
    assert bo.received_minutes == 210
    assert [(r.giver.slack_user_id, r.minutes) for r in bo.received] == [(ANNA, 210)]


def test_an_entry_counts_in_the_period_of_its_date(session: Session, network: Network) -> None:
    # Entered in November, dated in October: it counts before meeting 2.
    november = datetime(2015, 11, 20, 9, 0, tzinfo=UTC)
    _log(session, ANNA, 60, given_on=date(2015, 11, 10), now=november)
    session.commit()
    current = sparring_status(session=session, member=person(session, ANNA), now=november)
    earlier = sparring_status(
        session=session, member=person(session, ANNA), now=november, day=date(2015, 11, 10)
    )
    assert (current.period.index, current.given_minutes) == (2, 0)
    assert (earlier.period.index, earlier.given_minutes) == (1, 60)


@pytest.mark.parametrize(
    ("minutes", "kw", "key"),
    [
        (0, {}, "sparring.error.not_positive"),
        (-30, {}, "sparring.error.not_positive"),
        (12 * 60 + 1, {}, "sparring.error.too_long"),
        (60, {"given_on": date(2015, 10, 6)}, "sparring.error.future_date"),
        (60, {"given_on": date(2015, 8, 31)}, "sparring.error.outside_season"),
        (60, {"receiver_ids": [ANNA]}, "sparring.error.self_receiver"),
        (60, {"receiver_ids": [BO, "U0STRANGER"]}, "sparring.error.not_members"),
        (60, {"receiver_ids": [FACILITATOR]}, "sparring.error.not_members"),
        (60, {"note": "x" * 2001}, "sparring.error.note_too_long"),
    ],
)
def test_bad_entries_store_nothing(
    session: Session, network: Network, minutes: int, kw: dict[str, object], key: str
) -> None:
    with pytest.raises(InputError) as err:
        _log(session, ANNA, minutes, **kw)
    assert err.value.key == key
    session.rollback()
    assert _count(session) == 0


def test_non_member_receivers_are_named(session: Session, network: Network) -> None:
    with pytest.raises(InputError) as err:
        _log(session, ANNA, 60, receiver_ids=[BO, "U0STRANGER", FACILITATOR])
    # The facilitator is a person of the network (named); the stranger only Slack knows.
    facilitator = person_of(person(session, FACILITATOR))
    assert err.value.params["users"] == [Person(name="", slack_id="U0STRANGER"), facilitator]


def test_receivers_picked_by_member_reference(session: Session, network: Network) -> None:
    """A picker names members platform-neutrally ("member:<id>"), so a member on Teams only
    can be picked; a form opened before that still sends Slack ids."""
    bo, camilla = person(session, BO), person(session, CAMILLA)
    bo.set_identity(Platform.SLACK, None)  # Bo is on Teams only
    entry = _log(session, ANNA, 60, receiver_ids=[f"member:{bo.id}", CAMILLA])
    assert [r.member_id for r in entry.receivers] == [bo.id, camilla.id]
    anna = person(session, ANNA)
    with pytest.raises(InputError) as err:
        _log(session, ANNA, 60, receiver_ids=[f"member:{anna.id}"])
    assert err.value.key == "sparring.error.self_receiver"


def test_a_reference_to_nobody_names_nobody(session: Session, network: Network) -> None:
    """A picked value is the sender's to choose: one that names no member of the network
    (garbage, or someone of another network) is refused without naming anyone."""
    other = add_second_network(
        session, key="other", name="Andet", people=[("U0OTHER001", Role.MEMBER, "Olga")], theme="x"
    )
    olga = other.people[0]
    for ref in (f"member:{olga.id}", "member:abc", "member:2147483648", "member:", "member:١"):
        with pytest.raises(InputError) as err:
            _log(session, ANNA, 60, receiver_ids=[ref])
        assert (err.value.key, err.value.params["users"]) == (
            "sparring.error.not_members",
            [Person(name="")],
        )


def test_twelve_hours_is_allowed(session: Session, network: Network) -> None:
    assert _log(session, ANNA, 12 * 60).minutes == 720


def test_today_is_the_members_own_date(session: Session, network: Network) -> None:
    # 02:30 UTC on 6 Oct is still 5 Oct in New York: 6 Oct is in the future for Jens.
    now = datetime(2015, 10, 6, 2, 30, tzinfo=UTC)
    _log(session, ANNA, 30, given_on=date(2015, 10, 6), now=now)
    with pytest.raises(InputError) as err:
        _log(session, JENS, 30, given_on=date(2015, 10, 6), now=now)
    assert err.value.key == "sparring.error.future_date"


def test_undo_removes_the_latest_entered_and_keeps_the_row(
    session: Session, network: Network
) -> None:
    first = _log(session, ANNA, 60, given_on=date(2015, 10, 4), now=SEASON_NOW)
    second = _log(
        session, ANNA, 30, given_on=date(2015, 10, 1), now=SEASON_NOW + timedelta(minutes=1)
    )
    _log(session, BO, 45, now=SEASON_NOW + timedelta(minutes=2))
    session.commit()
    anna = person(session, ANNA)
    later = SEASON_NOW + timedelta(minutes=3)
    removed = undo_latest_sparring(session=session, member=anna, now=later)
    assert removed is not None and removed.id == second.id  # latest entered, not latest dated
    session.commit()
    assert sparring_status(session=session, member=anna, now=later).given_minutes == 60
    again = undo_latest_sparring(session=session, member=anna, now=later)
    assert again is not None and again.id == first.id
    assert undo_latest_sparring(session=session, member=anna, now=later) is None
    session.commit()
    assert _count(session) == 3  # undone entries are kept, marked removed
    bo = sparring_status(session=session, member=person(session, BO), now=later)
    assert bo.given_minutes == 45


def test_an_entry_without_receivers_is_the_sessions_own_object(
    session: Session, network: Network
) -> None:
    """The common entry (no receivers) goes in without a flush; it must still be the row,
    the session's object, undoable at once, and gone on a rollback."""
    entry = _log(session, ANNA, 45, note="  kaffe  ")
    assert entry in session and entry.receivers == [] and entry.giver.slack_user_id == ANNA
    assert session.get(SparringEntry, entry.id) is entry
    assert session.scalars(select(SparringEntry)).one() is entry
    assert (entry.minutes, entry.note, entry.removed_at) == (45, "kaffe", None)
    removed = undo_latest_sparring(session=session, member=person(session, ANNA), now=SEASON_NOW)
    assert removed is entry and entry.removed_at == SEASON_NOW
    session.rollback()
    assert _count(session) == 0
    kept = _log(session, ANNA, 30)
    session.commit()
    session.expunge_all()
    row = session.get(SparringEntry, kept.id)
    assert row is not None and (row.minutes, row.note, row.removed_at) == (30, "", None)
    assert row.created_at == SEASON_NOW and row.given_on == date(2015, 10, 2)


def test_status_shows_the_latest_entries_and_sums_them_all(
    session: Session, network: Network
) -> None:
    logged = [
        _log(session, ANNA, 10, given_on=date(2015, 9, 21) + timedelta(days=i % 15))
        for i in range(17)
    ]
    session.commit()
    status = sparring_status(
        session=session, member=person(session, ANNA), now=SEASON_NOW, entry_limit=15
    )
    assert status.entry_count == 17
    assert status.given_minutes == 170
    newest_first = sorted(logged, key=lambda e: (e.given_on, e.id), reverse=True)
    assert [e.id for e in status.entries] == [e.id for e in reversed(newest_first[:15])]
    from handlers.sparring import render_status

    text = render_status("da", status)
    assert "… og 2 tidligere registreringer." in text
    assert text.count("\n• ") == 15
