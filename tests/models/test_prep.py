from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.errors import InputError
from models.network import Meeting, Network, Platform
from models.people import Person, member_ref, person_of
from models.prep import (
    ExampleInput,
    ExampleSource,
    FieldErrors,
    PrepPart,
    QuestionInput,
    prep_status,
    question_agenda,
    save_examples,
    save_manager_alignment,
    save_questions,
    upcoming_meeting,
)
from tests.conftest import ANNA, BO, CAMILLA, FACILITATOR, SEASON_NOW, person


def meeting2(session: Session) -> Meeting:
    anna = person(session, ANNA)
    meeting = upcoming_meeting(anna, SEASON_NOW)
    assert meeting is not None and meeting.number == 2
    return meeting


def q(position: int, text: str, primary: str | None, secondary: str | None) -> QuestionInput:
    return QuestionInput(position, text, primary, secondary)


def test_three_questions_complete_p2(session: Session, network: Network) -> None:
    anna, m = person(session, ANNA), meeting2(session)
    save_questions(
        session=session,
        member=anna,
        meeting=m,
        now=SEASON_NOW,
        questions=[
            q(1, "Hvordan?", BO, CAMILLA),
            q(2, "", None, None),
            q(3, "Hvorfor?", CAMILLA, BO),
        ],
    )
    status = prep_status(session=session, member=anna, meeting=m)
    assert [x.position for x in status.questions] == [1, 3]
    assert PrepPart.QUESTIONS in status.missing
    save_questions(
        session=session,
        member=anna,
        meeting=m,
        now=SEASON_NOW,
        questions=[
            q(1, "Hvordan?", BO, CAMILLA),
            q(2, "Hvad så?", BO, CAMILLA),
            q(3, "Hvorfor?", CAMILLA, BO),
        ],
    )
    status = prep_status(session=session, member=anna, meeting=m)
    assert status.done[PrepPart.QUESTIONS]
    assert status.questions[2].primary.slack_user_id == CAMILLA


def test_question_errors_are_per_field(session: Session, network: Network) -> None:
    anna, m = person(session, ANNA), meeting2(session)
    with pytest.raises(FieldErrors) as err:
        save_questions(
            session=session,
            member=anna,
            meeting=m,
            now=SEASON_NOW,
            questions=[
                q(1, "Uden personer", None, None),
                q(2, "Samme person", BO, BO),
                q(3, "Mig selv og en fremmed", ANNA, FACILITATOR),
            ],
        )
    assert {k: v[0] for k, v in err.value.errors.items()} == {
        "p2_q1_primary": "prep.error.primary_missing",
        "p2_q1_secondary": "prep.error.secondary_missing",
        "p2_q2_secondary": "prep.error.same_person",
        "p2_q3_primary": "prep.error.self",
        "p2_q3_secondary": "prep.error.not_member",
    }
    session.rollback()
    assert prep_status(session=session, member=anna, meeting=m).questions == []


def test_questions_name_people_by_member_reference(session: Session, network: Network) -> None:
    """A picker names members platform-neutrally, so one on Teams only can be asked; an
    error names whom it refuses as a person, not by the value sent."""
    anna, bo, m = person(session, ANNA), person(session, BO), meeting2(session)
    bo.set_identity(Platform.SLACK, None)  # Bo is on Teams only
    facilitator = person(session, FACILITATOR)
    with pytest.raises(FieldErrors) as err:
        save_questions(
            session=session,
            member=anna,
            meeting=m,
            now=SEASON_NOW,
            questions=[
                q(1, "Hvordan?", member_ref(anna), member_ref(facilitator)),
                q(2, "Hvem?", "member:x", BO),
            ],
        )
    assert err.value.errors == {
        "p2_q1_primary": ("prep.error.self", {}),
        "p2_q1_secondary": ("prep.error.not_member", {"users": [person_of(facilitator)]}),
        "p2_q2_primary": ("prep.error.not_member", {"users": [Person(name="")]}),
        "p2_q2_secondary": ("prep.error.not_member", {"users": [Person(name="", slack_id=BO)]}),
    }
    session.rollback()  # nothing kept, Bo on Slack again: on Teams only once more
    bo = person(session, BO)
    bo.set_identity(Platform.SLACK, None)
    save_questions(
        session=session,
        member=anna,
        meeting=m,
        now=SEASON_NOW,
        questions=[q(1, "Hvordan?", member_ref(bo), CAMILLA)],  # new value, and an old one
    )
    status = prep_status(session=session, member=anna, meeting=m)
    assert [(x.primary_id, x.secondary.slack_user_id) for x in status.questions] == [
        (bo.id, CAMILLA)
    ]


def test_people_without_a_question(session: Session, network: Network) -> None:
    anna, m = person(session, ANNA), meeting2(session)
    with pytest.raises(FieldErrors) as err:
        save_questions(
            session=session,
            member=anna,
            meeting=m,
            now=SEASON_NOW,
            questions=[q(1, "", BO, CAMILLA)],
        )
    assert list(err.value.errors) == ["p2_q1_text"]


def test_manager_alignment_needs_what_was_agreed(session: Session, network: Network) -> None:
    anna, m = person(session, ANNA), meeting2(session)
    with pytest.raises(FieldErrors) as err:
        save_manager_alignment(
            session=session, member=anna, meeting=m, aligned=True, agreed="", now=SEASON_NOW
        )
    assert err.value.errors["p1_agreed"][0] == "prep.error.agreed_missing"
    prep = save_manager_alignment(
        session=session,
        member=anna,
        meeting=m,
        aligned=True,
        agreed="Tag klage-ideer med",
        now=SEASON_NOW,
    )
    assert prep.manager_aligned_on == date(2015, 10, 5)
    assert prep_status(session=session, member=anna, meeting=m).done[PrepPart.MANAGER]


def test_examples_add_edit_remove(session: Session, network: Network) -> None:
    anna, m = person(session, ANNA), meeting2(session)

    def ex(key: str, title: str, idea: str = "idé", **kw: object) -> ExampleInput:
        values: dict[str, object] = {
            "effect": "",
            "learning": "",
            "source": ExampleSource.OWN,
            "did_not_work": False,
        }
        values.update(kw)
        return ExampleInput(key=key, title=title, idea=idea, **values)  # type: ignore[arg-type]

    (first,) = save_examples(
        session=session,
        member=anna,
        meeting=m,
        now=SEASON_NOW,
        examples=[ex("new", "Klageportal", did_not_work=True)],
    )
    assert first.did_not_work
    rows = save_examples(
        session=session,
        member=anna,
        meeting=m,
        now=SEASON_NOW,
        examples=[
            ex(str(first.id), "Klageportal 2", source=ExampleSource.COLLEAGUE),
            ex("new", "Borgerpanel"),
        ],
    )
    assert [(r.title, r.source) for r in rows] == [
        ("Klageportal 2", ExampleSource.COLLEAGUE),
        ("Borgerpanel", ExampleSource.OWN),
    ]
    rows = save_examples(
        session=session,
        member=anna,
        meeting=m,
        now=SEASON_NOW,
        examples=[ex(str(first.id), "", idea=""), ex("new", "", idea="")],
    )
    assert [r.title for r in rows] == ["Borgerpanel"]
    with pytest.raises(FieldErrors) as err:
        save_examples(
            session=session,
            member=anna,
            meeting=m,
            now=SEASON_NOW,
            examples=[ex("new", "", idea="kun en idé")],
        )
    assert list(err.value.errors) == ["p3_new_title"]


def test_read_only_once_the_meeting_started(session: Session, network: Network) -> None:
    anna, m = person(session, ANNA), meeting2(session)
    started = m.starts_at
    with pytest.raises(InputError) as err:
        save_manager_alignment(
            session=session, member=anna, meeting=m, aligned=False, agreed="", now=started
        )
    assert err.value.key == "prep.error.meeting_started"


def test_agenda_goes_to_primary_and_secondary_and_hands_over(
    session: Session, network: Network
) -> None:
    anna, bo, camilla = person(session, ANNA), person(session, BO), person(session, CAMILLA)
    m = meeting2(session)
    save_questions(
        session=session,
        member=anna,
        meeting=m,
        now=SEASON_NOW,
        questions=[q(1, "Anna til Bo", BO, CAMILLA)],
    )
    save_questions(
        session=session,
        member=camilla,
        meeting=m,
        now=SEASON_NOW,
        questions=[q(1, "Camilla til Bo", BO, ANNA)],
    )
    agenda = question_agenda(session=session, member=bo, meeting=m)
    assert [(i.asker.slack_user_id, i.text, i.as_primary) for i in agenda] == [
        (ANNA, "Anna til Bo", True),
        (CAMILLA, "Camilla til Bo", True),
    ]
    secondary = question_agenda(session=session, member=camilla, meeting=m)
    assert [(i.text, i.as_primary, i.handed_over_from) for i in secondary] == [
        ("Anna til Bo", False, None)
    ]
    bo.away_until = date(2015, 11, 20)  # away on the meeting day (17 Nov)
    assert question_agenda(session=session, member=bo, meeting=m) == []
    handed = question_agenda(session=session, member=camilla, meeting=m)
    assert [(i.text, i.handed_over_from) for i in handed] == [("Anna til Bo", bo)]
    anna_agenda = question_agenda(session=session, member=anna, meeting=m)
    assert [(i.text, i.handed_over_from) for i in anna_agenda] == [("Camilla til Bo", bo)]


def test_upcoming_meeting_after_the_last(session: Session, network: Network) -> None:
    anna = person(session, ANNA)
    assert upcoming_meeting(anna, datetime(2016, 4, 28, 9, tzinfo=UTC)) is None


def test_edits_and_removals_keep_history(session: Session, network: Network) -> None:
    from models.history import ChangeRecord

    anna, m = person(session, ANNA), meeting2(session)
    save_questions(
        session=session,
        member=anna,
        meeting=m,
        now=SEASON_NOW,
        questions=[q(1, "Første", BO, CAMILLA), q(2, "Anden", BO, CAMILLA)],
    )
    later = SEASON_NOW.replace(hour=12)
    save_questions(
        session=session,
        member=anna,
        meeting=m,
        now=later,
        questions=[q(1, "Første", CAMILLA, BO), q(2, "", None, None)],
    )
    status = prep_status(session=session, member=anna, meeting=m)
    assert [(x.text, x.primary.slack_user_id) for x in status.questions] == [("Første", CAMILLA)]
    records = session.scalars(select(ChangeRecord).order_by(ChangeRecord.id)).all()
    assert [
        (r.entity, r.field, r.old_value is not None, r.new_value is not None) for r in records
    ] == [
        ("question", "primary_id", True, True),
        ("question", "secondary_id", True, True),
        ("question", "text", True, False),  # question 2 removed: its text is kept
        ("question", "primary_id", True, False),
        ("question", "secondary_id", True, False),
    ]
    assert records[2].old_value == "Anden" and records[2].changed_at == later
