"""Erasure (`/network forget`): afterwards no table holds anything that names the person, nothing
queued goes out to or about them, and only anonymous counts remain."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.orm import Session, sessionmaker

from models.applications import Applicant, Application, ApplicationInput, save_application
from models.attendance import AttendanceStatus, set_attendance
from models.bazaar import BazaarInput, add_item, claim_item
from models.exchange import SisterShare
from models.followup import log_followup
from models.history import ChangeRecord
from models.network import Meeting, Member, Network, Platform
from models.network_admin import add_member, remove_member
from models.nudges import Nudge, NudgeKind, NudgeStatus
from models.prep import (
    ExampleInput,
    ExampleSource,
    PrepExample,
    QuestionInput,
    save_examples,
    save_questions,
)
from models.privacy import forget_member, people_on_record, personal_data
from models.reflection import Reflection, ReflectionInput, save_reflection
from models.renewal import RenewalChoice, RenewalVote, SeatClaim, cast_vote, claim_seat
from models.replay import SeenRequest
from models.sparring import SparringEntry, log_sparring
from models.spread import SpreadInput, log_spread
from tests.conftest import ANNA, BO, CAMILLA, FACILITATOR, SEASON_NOW, person

ANNA_IDS = (
    "U0ANNA0001",
    "29:1AnnaTeams",
    "Anna Lund",
    "anna.lund@example.org",
    "Lejre Kommune",
    "Mette Unik",
    "Ibs udbytte fra mødet",
)


def dump_database(engine: Engine) -> list[tuple[str, str]]:
    """Every value of every column of every table, as (table, text)."""
    found = []
    with engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                found += [(table, str(v)) for v in row if v is not None]
    return found


def _application(name: str, email: str, about: str) -> ApplicationInput:
    return ApplicationInput(
        name, email, "Lejre Kommune", about, "Opgaver", "design", "Ideer", "Erfaring", True, True
    )


def busy_anna(s: Session) -> None:
    """Anna's season, and what others wrote and queued about her."""
    now = SEASON_NOW
    anna, bo, camilla, fac = (person(s, x) for x in (ANNA, BO, CAMILLA, FACILITATOR))
    m1, m2 = (next(m for m in anna.network.meetings if m.number == n) for n in (1, 2))
    # Taken out and brought back with a new workplace and manager: the change history keeps
    # the old and new values (organisation and manager now unique to her).
    remove_member(session=s, network=anna.network, by=fac, external_id=ANNA, now=now)
    add_member(
        session=s,
        network=anna.network,
        by=fac,
        external_id=ANNA,
        name="Anna Lund",
        organisation="Lejre Kommune",
        manager="Mette Unik",
        language="en",
        now=now,
    )
    save_questions(
        session=s,
        member=anna,
        meeting=m2,
        now=now,
        questions=[QuestionInput(1, "Hvordan får Lejre Kommune ...?", BO, CAMILLA)],
    )
    save_examples(
        session=s,
        member=anna,
        meeting=m2,
        now=now,
        examples=[ExampleInput("new", "Annas eksempel", "Idé", "", "", ExampleSource.OWN, False)],
    )
    log_sparring(  # Bo is told "Anna logged 2 h with you" by the next pass
        session=s,
        member=anna,
        minutes=120,
        given_on=date(2015, 10, 2),
        receiver_ids=[BO],
        note="Om <@U0BO000002|bo>s budget",
        now=now,
    )
    log_sparring(  # others write about her, by mention and by name
        session=s,
        member=bo,
        minutes=60,
        given_on=date(2015, 10, 3),
        receiver_ids=[ANNA],
        note="Sparring med <@U0ANNA0001|anna> — ANNA LUND kender Mette Unik",
        now=now,
    )
    log_followup(
        session=s,
        member=camilla,
        on=date(2015, 10, 1),
        agreed="Ok",
        next_step="Skriv til anna.lund@example.org",
        now=now,
    )
    save_examples(
        session=s,
        member=bo,
        meeting=m2,
        now=now,
        examples=[ExampleInput("new", "Bos eksempel", "Idé", "", "", ExampleSource.OWN, False)],
    )
    log_spread(  # Bo is told that Anna took up his example
        session=s,
        member=anna,
        now=now,
        data=SpreadInput("Bos eksempel", None, BO, m1.id, "planned", ""),
    )
    set_attendance(
        session=s,
        member=anna,
        meeting=m2,
        status=AttendanceStatus.SUBSTITUTE,
        substitute_name="Ib Holm",
        substitute_email="ib@example.org",
        now=now,
    ).substitute_report = "Ibs udbytte fra mødet"  # what the colleague brought back
    # Her competencies, and her example shared with a sister network.
    anna.competencies = ["Annas særkompetence"]
    anna.contributes = "Annas bidrag til netværket"
    bo.contributes = "Sparring sammen med Anna Lund om borgerpaneler"
    s.flush()
    example = s.scalars(select(PrepExample).where(PrepExample.member_id == anna.id)).one()
    s.add(SisterShare(member_id=anna.id, example_id=example.id, shared_at=now))
    save_application(  # her application, and Bo's, which names her
        session=s,
        network=anna.network,
        applicant=Applicant(Platform.SLACK, ANNA),
        values=_application("Anna Lund", "anna.lund@example.org", "Min chef er Mette Unik"),
        now=now,
        check_deadline=False,
    )
    save_application(
        session=s,
        network=anna.network,
        applicant=Applicant(Platform.SLACK, BO),
        values=_application("Bo Kjær", "bo@example.org", "Kender Anna Lund"),
        now=now,
        check_deadline=False,
    )
    # Her vote on continuing, and her seat claimed in the next season (no text: both stay as
    # anonymous counts after an erasure).
    cast_vote(session=s, member=anna, choice=RenewalChoice.YES, now=now + timedelta(days=210))
    nxt = Network(
        key="coi-naeste",
        name="Næste sæson",
        timezone="Europe/Copenhagen",
        country="DK",
        language="da",
        season_start=date(2016, 9, 1),
        season_end=date(2017, 5, 31),
        sparring_target_minutes=120,
        previous_id=anna.network_id,
        claim_deadline=now + timedelta(days=300),
    )
    s.add(nxt)
    s.flush()
    claim_seat(session=s, member=anna, new=nxt, takes_seat=True, now=now)
    # Her reflection on meeting 1 (named, shared), and Bo's, which names her.
    for who, said in ((anna, "Lejre Kommune gør det anderledes"), (bo, "Som Anna Lund sagde")):
        save_reflection(
            session=s,
            member=who,
            meeting=m1,
            data=ReflectionInput(said, "", said, named=True, share_with_sister=True),
            now=now,
        )
    # On the idea bazaar, claimed by Bo (follow-ups queued to both).
    item = add_item(
        session=s,
        member=anna,
        data=BazaarInput("idea", None, "Basar fra Lejre Kommune", "Spørg Anna Lund"),
        now=now,
    )
    claim_item(session=s, member=bo, item_id=item.id, now=now)
    # Reachable on Teams too, with the conversation Teams needs stored to write first.
    anna.set_identity(Platform.TEAMS, "29:1AnnaTeams")
    teams = anna.identity(Platform.TEAMS)
    assert teams is not None
    teams.conversation = {"id": "a:1AnnaConv", "user": {"id": "29:1AnnaTeams", "name": "Anna Lund"}}
    s.add_all(
        [  # a snoozed reminder, and a sent nudge whose detail named her
            Nudge(
                member_id=anna.id,
                meeting_id=m2.id,
                kind=NudgeKind.PREP_REMINDER,
                seq=1,
                due_at=now + timedelta(days=2),
                status=NudgeStatus.PENDING,
            ),
            Nudge(
                member_id=anna.id,
                meeting_id=m2.id,
                kind=NudgeKind.PREP_KICKOFF,
                seq=0,
                due_at=now,
                status=NudgeStatus.SENT,
                channel_id="D0ANNA0001",
                detail="ok for U0ANNA0001",
            ),
            # A Teams invoke's answer kept for a retry: a dialog naming her.
            SeenRequest(
                key="teams:dialog",
                seen_at=now,
                response='{"status": 200, "body": {"text": "Sparring med Anna Lund"}}',
            ),
        ]
    )
    s.commit()


def test_forget_leaves_no_trace_in_any_table(
    session_factory: sessionmaker[Session], network: object, engine: Engine
) -> None:
    with session_factory() as s:
        busy_anna(s)
        assert {
            x for x in ANNA_IDS if any(x.lower() in v.lower() for _, v in dump_database(engine))
        } == set(ANNA_IDS)
        bo_queue = {
            n.kind for n in s.scalars(select(Nudge).where(Nudge.member_id == person(s, BO).id))
        }
        assert bo_queue == {
            NudgeKind.SPARRING_RECEIVED,
            NudgeKind.SPREAD_NOTICE,
            NudgeKind.BAZAAR_FOLLOWUP_30,
            NudgeKind.BAZAAR_FOLLOWUP_90,
        }
        anna = person(s, ANNA)
        anna_id = anna.id
        mine = personal_data(session=s, member=anna)  # her own data names all of it
        assert mine["profile"]["competencies"] == ["Annas særkompetence"]
        assert mine["profile"]["contributes"] == "Annas bidrag til netværket"
        assert [x["example_id"] is not None for x in mine["shared_with_sister"]] == [True]
        (application,) = mine["applications"]
        assert (application["about"], application["status"]) == (
            "Min chef er Mette Unik",
            "pending",
        )
        forget_member(session=s, member=anna, by=person(s, FACILITATOR), now=SEASON_NOW)
        s.commit()

    leaks = [(t, v) for t, v in dump_database(engine) for x in ANNA_IDS if x.lower() in v.lower()]
    assert leaks == []
    # Her competencies and contribution are gone; what she shared with the sister network too.
    assert [v for _, v in dump_database(engine) if "Annas sær" in v or "Annas bidrag" in v] == []
    assert "sister_share" not in {t for t, _ in dump_database(engine)}
    with session_factory() as s:
        # Nothing queued goes out to her, or to Bo about her.
        open_rows = s.scalars(select(Nudge).where(Nudge.status == NudgeStatus.PENDING)).all()
        assert [(n.member.slack_user_id, n.kind) for n in open_rows] == []
        # Others' text stays, with the mention of her taken out.
        notes = {e.note for e in s.scalars(select(SparringEntry))}
        assert notes == {"", "Sparring med [—] — [—] kender [—]"}
        # Bo's contribution stays, without her name.
        assert person(s, BO).contributes == "Sparring sammen med [—] om borgerpaneler"
        # Her application is gone; Bo's stays, without her name.
        assert [a.about for a in s.scalars(select(Application))] == ["Kender [—]"]
        # Anonymous counts remain.
        assert sorted(e.minutes for e in s.scalars(select(SparringEntry))) == [60, 120]
        assert s.scalars(select(PrepExample).where(PrepExample.member_id == anna_id)).one()
        vote = s.scalars(select(RenewalVote).where(RenewalVote.member_id == anna_id)).one()
        assert vote.choice is RenewalChoice.YES  # counted, named by nobody
        assert s.scalars(select(SeatClaim).where(SeatClaim.member_id == anna_id)).one()
        erased = s.get(Member, anna_id)
        assert erased is not None and not erased.active
        assert [(i.platform, i.external_id, i.conversation) for i in erased.identities] == [
            (Platform.SLACK, f"FORGOTTEN{anna_id}", None),
            (Platform.TEAMS, f"FORGOTTEN{anna_id}", None),
        ]
        assert erased.name == f"Slettet medlem {anna_id}"
        # Her reflection is a count only: no text, never named or shared.
        mine = s.scalars(select(Reflection).where(Reflection.member_id == anna_id)).one()
        assert (mine.common, mine.particular, mine.named, mine.share_with_sister) == (
            "—",
            "",
            False,
            False,
        )
        bos = s.scalars(select(Reflection).where(Reflection.member_id != anna_id)).one()
        assert bos.common == "Som [—] sagde"
        (log,) = s.scalars(select(ChangeRecord).where(ChangeRecord.field == "forgotten"))
        assert log.entity_id == anna_id
        # `mydata` tells the truth: nothing is stored under her Slack id.
        assert people_on_record(s, ANNA) == []
        # Bo's own data no longer names her.
        bo_data = str(personal_data(session=s, member=person(s, BO)))
        assert not any(x.lower() in bo_data.lower() for x in ANNA_IDS)


def test_mydata_covers_a_removed_member_until_erased(
    session_factory: sessionmaker[Session], network: object
) -> None:
    with session_factory() as s:
        anna, fac = person(s, ANNA), person(s, FACILITATOR)
        remove_member(session=s, network=anna.network, by=fac, external_id=ANNA, now=SEASON_NOW)
        s.commit()
        m1 = next(m for m in anna.network.meetings if m.number == 1)
        save_reflection(
            session=s, member=anna, meeting=m1, data=ReflectionInput("A", "", "C"), now=SEASON_NOW
        )
        (row,) = people_on_record(s, ANNA)  # removed, but her data is still stored
        data = personal_data(session=s, member=row)
        assert data["profile"]["name"] == "Anna Lund"
        (reflection,) = data["reflections"]
        assert reflection["meeting"] == 1 and reflection["common_to_all"] == "A"
        assert reflection["shown_with_my_name"] is False
        forget_member(session=s, member=row, by=fac, now=SEASON_NOW)
        s.commit()
        assert people_on_record(s, ANNA) == []
        assert s.scalars(select(Meeting)).first() is not None


def test_redaction_takes_whole_names_and_mentions_only() -> None:
    from models.privacy import REDACTED, redactor

    pattern = redactor(["Ida Holm", "ida@holm.dk", "U0IDA00001"], "U0IDA00001")
    cases = {
        "Spurgte <@U0IDA00001|ida> og <@U0IDA00001>": "Spurgte [—] og [—]",
        "IDA HOLM, Ida Holms budget, ida holm's idé": "[—], [—] budget, [—]'s idé",
        "Skriv til ida@holm.dk.": "Skriv til [—].",
        "Idag talte Ida Holmgaard med U0IDA000012": "Idag talte Ida Holmgaard med U0IDA000012",
    }
    for written, expected in cases.items():
        assert pattern.sub(REDACTED, written) == expected, written
