"""`/network` for facilitators: summaries against hand-computed figures on the example network,
fees, and permissions for members, strangers and another network's facilitator."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from handlers import slack_render
from handlers.network import build_digest
from models.attendance import AttendanceStatus, set_attendance
from models.followup import log_followup
from models.network import Member, Role
from models.prep import (
    ExampleInput,
    ExampleSource,
    QuestionInput,
    save_examples,
    save_manager_alignment,
    save_questions,
)
from models.sparring import log_sparring
from models.spread import SpreadInput, log_spread
from tests.conftest import (
    ANNA,
    BO,
    CAMILLA,
    FACILITATOR,
    SEASON_NOW,
    add_second_network,
    person,
)
from tests.slack_standin import Reply

OTHER_FACILITATOR = "U0OTHERFAC"


def text_of(reply: Any) -> str:
    return "\n".join(b["text"]["text"] for b in reply.json()["blocks"])


@pytest.fixture
def season(session_factory: sessionmaker[Session], bot: Any) -> None:
    """Anna is fully prepared for meeting 2 and busy between meetings; Bo aligned with his
    manager and can't come; nobody else did anything yet."""
    now = SEASON_NOW
    with session_factory() as s:
        anna, bo = person(s, ANNA), person(s, BO)
        m2 = next(m for m in anna.network.meetings if m.number == 2)
        m1 = next(m for m in anna.network.meetings if m.number == 1)
        save_manager_alignment(
            session=s, member=anna, meeting=m2, aligned=True, agreed="Ja", now=now
        )
        save_questions(
            session=s,
            member=anna,
            meeting=m2,
            now=now,
            questions=[QuestionInput(i, f"Q{i}", BO, CAMILLA) for i in (1, 2, 3)],
        )
        save_examples(
            session=s,
            member=anna,
            meeting=m2,
            now=now,
            examples=[ExampleInput("new", "Eks", "Idé", "", "", ExampleSource.OWN, False)],
        )
        log_sparring(
            session=s,
            member=anna,
            minutes=120,
            given_on=date(2015, 10, 2),
            receiver_ids=[BO],
            note="",
            now=now,
        )
        log_followup(
            session=s, member=anna, on=date(2015, 10, 1), agreed="Ok", next_step="", now=now
        )
        log_spread(
            session=s,
            member=anna,
            now=now,
            data=SpreadInput("Borgerpanel", None, CAMILLA, m1.id, "planned", ""),
        )
        set_attendance(session=s, member=anna, meeting=m2, status=AttendanceStatus.YES, now=now)
        save_manager_alignment(session=s, member=bo, meeting=m2, aligned=True, agreed="Ok", now=now)
        set_attendance(session=s, member=bo, meeting=m2, status=AttendanceStatus.NO, now=now)
        s.commit()


def test_summary_for_the_next_meeting(bot: Any, season: None) -> None:
    reply = bot.command("/network", "summary", user=FACILITATOR)
    blocks = reply.json()["blocks"]
    assert blocks[0]["text"]["text"] == (
        "*Møde 2: Klagedrevet innovation* (17. november 2015) — 10 medlemmer"
    )
    assert blocks[1]["text"]["text"] == (
        "Forberedt: 1 af 10 (10 %) · leder 20 % · spørgsmål 10 % · eksempler 10 %\n"
        "Sparring mellem møde 1 og 2: 1 af 10 har nået målet · i alt 2 t\n"
        "Opfølgning med leder: 1 af 10 · spredning: 1 registrering\n"
        "Tilmelding: 1 kommer, 0 sender en kollega, 1 kan ikke, 8 har ikke svaret"
    )
    behind = text_of(reply)
    assert "Anna Lund" not in behind.split("*Bagud:*")[1]  # prepared and at target
    assert (
        "• Bo Kjær (Roskilde Kommune): ✅ leder ⬜ spørgsmål (0/3) ⬜ eksempler · sparring "
        "0 min givet / 2 t modtaget · opfølgning ⬜ · spredning 0 · kan ikke"
    ) in behind
    assert behind.count("\n• ") + behind.startswith("• ") >= 9


def test_summary_of_one_member_and_of_the_season(bot: Any, season: None) -> None:
    anna = text_of(bot.command("/network", f"summary <@{ANNA}|anna>", user=FACILITATOR))
    assert anna.startswith("*Anna Lund* (Roskilde Kommune, leder: Birgitte Sørensen)")
    assert "*2.* Anna Lund (Roskilde Kommune): ✅ leder ✅ spørgsmål (3/3) ✅ eksempler" in anna
    season_text = text_of(bot.command("/network", "summary season", user=FACILITATOR))
    assert "• Møde 2 (17. november 2015): forberedt 1/10 · sparring-mål 1/10" in season_text
    meeting3 = text_of(bot.command("/network", "summary meeting 3", user=FACILITATOR))
    assert meeting3.startswith("*Møde 3: Design som problemløsning*")
    bad = bot.command("/network", "summary meeting 9", user=FACILITATOR).json()["text"]
    assert bad.startswith("Der er intet møde 9. Møderne er 1–4.")


def test_fees_per_workplace(bot: Any) -> None:
    fees = text_of(bot.command("/network", "fees", user=FACILITATOR))
    assert "• Roskilde Kommune: 2 × — 6.000 + 5.500 = *11.500 kr.*" in fees
    assert "• Gribskov Kommune: 1 × — 6.000 = *6.000 kr.*" in fees
    assert fees.endswith("*I alt: 58.500 kr.* (10 medlemmer)")  # 3 × 11500 + 4 × 6000


def test_members_and_meetings_lists(bot: Any) -> None:
    members = text_of(bot.command("/network", "members", user=FACILITATOR))
    assert members.startswith(
        "*Medlemmer af Spredningsnetværk for offentlig innovation 2015–16* (10)"
    )
    assert "• Jens Hald — Københavns Kommune (leder: Rasmus Berg) [en]" in members
    meetings = text_of(bot.command("/network", "meetings", user=FACILITATOR))
    assert "• Møde 3: Design som problemløsning — 3. marts 2016 10:00–13:00" in meetings


def test_english_facilitator(bot: Any) -> None:
    text = text_of(bot.command("/network", "help", user="U0FACIL002"))
    assert text.startswith("*/network* — for facilitators.")


EVERY_SUBCOMMAND = [
    "",
    "help",
    "summary",
    "summary meeting 2",
    "summary season",
    f"summary <@{ANNA}>",
    "members",
    "meetings",
    "fees",
    "export",
    f"forget <@{ANNA}>",
    'add <@U0NEWBIE01> org="X" manager="Y"',
    f"remove <@{BO}>",
    "meeting 2 date=2015-11-24",
    "bogus",
]


@pytest.mark.parametrize("user", [ANNA, "U0OUTSIDER"])
@pytest.mark.parametrize("words", EVERY_SUBCOMMAND)
def test_only_facilitators_and_nothing_leaks(bot: Any, user: str, words: str) -> None:
    reply = bot.command("/network", words, user=user).json()
    assert reply["text"] == "Kun netværkets tovholdere kan bruge `/network`."
    assert "blocks" not in reply
    assert bot.slack.calls_to("files.getUploadURLExternal") == []  # no export was made


def test_another_networks_facilitator_sees_only_their_own(
    bot: Any, session_factory: sessionmaker[Session], season: None
) -> None:
    with session_factory() as s:
        add_second_network(
            s,
            key="vest",
            name="Netværk Vest",
            theme="Vest 1",
            people=[(OTHER_FACILITATOR, Role.FACILITATOR, "Vest Tovholder")],
        )
    members = text_of(bot.command("/network", "members", user=OTHER_FACILITATOR))
    assert members.startswith("*Medlemmer af Netværk Vest* (0)")
    summary = text_of(bot.command("/network", "summary", user=OTHER_FACILITATOR))
    assert "Anna" not in summary and "Vest 1" in summary
    who = bot.command("/network", f"summary <@{ANNA}>", user=OTHER_FACILITATOR).json()["text"]
    assert who.startswith("Nævn et medlem af netværket")


def test_the_season_summary_comes_with_its_chart_in_the_dm(bot: Any, season: None) -> None:
    """`/network resumé sæson`: the text, then the chart of sparring per member uploaded into
    the facilitator's DM; its bars are the text's hours."""
    import io
    import re

    from PIL import Image

    from handlers.charts import HEIGHT_PX, WIDTH_PX

    season_text = text_of(bot.command("/network", "resumé sæson", user=FACILITATOR))
    hours = re.findall(r"\(([\d,]+) t pr\. medlem\)", season_text)
    assert hours == ["0", "0,2", "0", "0"]  # Anna's 2 h among 10 members, before meeting 2
    (shared,) = bot.slack.wait_for("files.completeUploadExternal")
    assert shared.params["channel_id"] == "D" + FACILITATOR[1:]
    (ask,) = bot.slack.calls_to("files.getUploadURLExternal")
    assert ask.params["alt_txt"] == (
        "Sparring givet pr. medlem før hvert møde\n"
        "Sparring givet — Møde 1: 0 t, Møde 2: 0,2 t, Møde 3: 0 t, Møde 4: 0 t\n"
        "Mål: 2 t"
    )
    (png,) = bot.slack.uploads.values()
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG" and image.size == (WIDTH_PX, HEIGHT_PX)


def test_mydata_sends_everything_about_me_as_a_file(bot: Any, season: None) -> None:
    import json as _json

    reply = bot.command("/network", "mydata", user=BO).json()
    assert reply["text"] == (
        "Jeg sender alt, hvad der er gemt om dig, som en fil i vores direkte besked."
    )
    (shared,) = [c for c in bot.slack.wait_for("files.completeUploadExternal")]
    assert shared.params["channel_id"] == "D" + BO[1:]  # Bo's DM, nobody else's
    (content,) = bot.slack.uploads.values()
    (data,) = _json.loads(content.decode("utf-8"))
    assert data["profile"]["name"] == "Bo Kjær"
    assert data["profile"]["manager"] == "Birgitte Sørensen"
    assert [q["asked_by"] for q in data["questions_for_me"]] == ["Anna Lund"] * 3
    assert data["sparring_received"][0]["from"] == "Anna Lund"
    assert data["attendance"] == [
        {
            "meeting": 2,
            "answer": "no",
            "substitute_name": None,
            "substitute_email": None,
            "substitute_report": None,
        }
    ]
    stranger = bot.command("/network", "mydata", user="U0OUTSIDER").json()
    assert stranger["text"] == "Der er ikke gemt noget om dig i Tovholder."


def test_forget_erases_an_applicant_never_accepted(
    bot: Any, season: None, session_factory: sessionmaker[Session]
) -> None:
    from sqlalchemy import select

    from handlers.ids import Action
    from models.applications import Applicant, Application, ApplicationInput, save_application
    from models.network import Platform
    from tests.models.test_privacy import dump_database

    applicant = "U0APPLY001"
    traces = (applicant, "Ida Ansøger", "ida@example.org", "Idas særlige opgave")
    with session_factory() as s:
        save_application(
            session=s,
            network=person(s, ANNA).network,
            applicant=Applicant(Platform.SLACK, applicant),
            values=ApplicationInput(
                "Ida Ansøger",
                "ida@example.org",
                "Ringsted Kommune",
                "Om mig",
                "Idas særlige opgave",
                "design",
                "Ideer",
                "Erfaring",
                True,
                True,
            ),
            now=SEASON_NOW,
            check_deadline=False,
        )
        s.commit()
        engine = s.get_bind()
    assert all(any(x in v for _, v in dump_database(engine)) for x in traces)  # type: ignore[arg-type]
    reply = bot.command("/network", f"glem <@{applicant}|ida>", user=FACILITATOR).json()
    assert reply["blocks"][0]["text"]["text"].startswith(
        "Slet alle personoplysninger om *Ida Ansøger*?"
    )
    bot.click(FACILITATOR, Action.FORGET_CONFIRM, reply["blocks"][1]["elements"][0]["value"])
    assert bot.slack.wait_for("/response/action")[0].params["text"] == (
        "Personoplysningerne om Ida Ansøger er slettet."
    )
    # The every-table check: nothing of her is left anywhere, and her application is gone.
    leaks = [(t, v) for t, v in dump_database(engine) for x in traces if x in v]  # type: ignore[arg-type]
    assert leaks == []
    with session_factory() as s:
        assert s.scalars(select(Application)).all() == []


def test_forget_an_applicant_who_applied_by_email_by_the_application_number(
    bot: Any, season: None, session_factory: sessionmaker[Session]
) -> None:
    from sqlalchemy import select

    from handlers.ids import Action
    from models.applications import Applicant, Application, ApplicationInput, save_application
    from tests.models.test_privacy import dump_database

    with session_factory() as s:
        row = save_application(  # from a file: no chat account to mention
            session=s,
            network=person(s, ANNA).network,
            applicant=Applicant(None, None),
            values=ApplicationInput(
                "Per Postansøger",
                "per@example.org",
                "Holbæk Kommune",
                "Om mig",
                "Opgaver",
                "design",
                "Ideer",
                "Erfaring",
                True,
                True,
            ),
            now=SEASON_NOW,
            check_deadline=False,
            source="file",
        )
        s.commit()
        number, engine = row.id, s.get_bind()
    bad = bot.command("/network", "glem ansøgning 999", user=FACILITATOR).json()
    assert bad["text"].startswith("Der er ingen ansøgning 999")
    reply = bot.command("/network", f"glem ansøgning {number}", user=FACILITATOR).json()
    assert "*Per Postansøger*" in reply["blocks"][0]["text"]["text"]
    bot.click(FACILITATOR, Action.FORGET_CONFIRM, reply["blocks"][1]["elements"][0]["value"])
    assert bot.slack.wait_for("/response/action")[0].params["text"] == (
        "Personoplysningerne om Per Postansøger er slettet."
    )
    leaks = [v for _, v in dump_database(engine) if "Postansøger" in v or "per@example" in v]  # type: ignore[arg-type]
    assert leaks == []
    with session_factory() as s:
        assert s.scalars(select(Application)).all() == []


def test_forget_after_confirmation_keeps_only_numbers(
    bot: Any, season: None, session_factory: sessionmaker[Session]
) -> None:
    import json as _json

    from sqlalchemy import select

    from handlers.ids import Action
    from models.followup import ManagerFollowUp
    from models.history import ChangeRecord
    from models.prep import PrepQuestion
    from models.sparring import SparringEntry

    assert bot.command("/network", f"forget <@{ANNA}>", user=ANNA).json()["text"] == (
        "Kun netværkets tovholdere kan bruge `/network`."
    )
    reply = bot.command("/network", f"forget <@{ANNA}|anna>", user=FACILITATOR).json()
    assert reply["blocks"][0]["text"]["text"].startswith(
        "Slet alle personoplysninger om *Anna Lund*?"
    )
    button = reply["blocks"][1]["elements"][0]
    bot.click(ANNA, Action.FORGET_CONFIRM, button["value"])  # not hers to press
    assert bot.slack.wait_for("/response/action")[0].params["text"] == (
        "Kun netværkets tovholdere kan bruge `/network`."
    )
    bot.click(FACILITATOR, Action.FORGET_CONFIRM, button["value"])
    assert bot.slack.wait_for("/response/action", 2)[1].params["text"] == (
        "Personoplysningerne om Anna Lund er slettet."
    )
    with session_factory() as s:
        from models.network import Member

        anna = s.get(Member, int(button["value"]))
        assert anna is not None
        assert (anna.name, anna.slack_user_id, anna.manager_name, anna.active) == (
            f"Slettet medlem {anna.id}",
            f"FORGOTTEN{anna.id}",
            None,
            False,
        )
        assert {q.text for q in s.scalars(select(PrepQuestion))} == {""}
        entry = s.scalars(select(SparringEntry)).one()
        assert entry.minutes == 120  # the number stays
        assert s.scalars(select(ManagerFollowUp)).one().agreed == "—"
        (log,) = s.scalars(select(ChangeRecord).where(ChangeRecord.field == "forgotten")).all()
        assert log.entity_id == anna.id and log.old_value is None
    # Anna no longer counts as a member, and her Slack id no longer finds anything.
    summary = text_of(bot.command("/network", "summary", user=FACILITATOR))
    assert "— 9 medlemmer" in summary
    assert "Du er ikke medlem" in bot.command("/sparring", "", user=ANNA).json()["text"]
    # What others see later does not name her, not even as a broken mention.
    bo_view = _json.dumps(bot.command("/sparring", "", user=BO).json(), ensure_ascii=False)
    assert "et slettet medlem" in bo_view
    assert "FORGOTTEN" not in bo_view and "Anna" not in bo_view
    # And `mydata` tells the truth: nothing is stored under her Slack id.
    mine = bot.command("/network", "mydata", user=ANNA).json()["text"]
    assert mine == "Der er ikke gemt noget om dig i Tovholder."


def test_an_export_whose_answer_is_lost_is_shared_once_and_the_facilitator_is_told(
    bot: Any, season: None
) -> None:
    """Slack shares the workbook but the connection drops before it answers: the file is not
    shared a second time (no blind retry), and the facilitator hears to look in the DM first;
    the CSV zip after it goes out as usual."""
    bot.slack.script("files.completeUploadExternal", Reply(accept=True, drop=True))
    bot.command("/network", "export", user=FACILITATOR)
    (told,) = [c.params for c in bot.slack.wait_for("/response/cmd")]
    assert told["response_type"] == "ephemeral"
    assert told["text"].startswith("Slack svarede ikke, da jeg delte coi-spredning-2015-16-")
    assert "se i vores direkte besked, før du beder om den igen" in told["text"]
    completed = bot.slack.wait_for("files.completeUploadExternal", 2)
    assert len(completed) == 2  # the workbook once (its answer lost), then the zip
    assert [f["files"] for f in bot.slack.shared_files] == [completed[1].params["files"]]


def test_an_export_slack_refuses_is_reported_as_not_arrived(bot: Any, season: None) -> None:
    bot.slack.script(
        "files.getUploadURLExternal", Reply(body={"ok": False, "error": "invalid_auth"})
    )
    bot.command("/network", "export", user=FACILITATOR)
    (told,) = [c.params for c in bot.slack.wait_for("/response/cmd")]
    assert told["text"].startswith("Slack tog ikke imod coi-spredning-2015-16-")
    # The CSV zip after it still goes out; waited for here, or its upload, still under way,
    # lands in the next test's call log (which once made that test see two files as one).
    (shared,) = bot.slack.wait_for("files.completeUploadExternal")
    (zipped,) = bot.slack.uploads.values()
    assert zipped[:2] == b"PK" and shared.params["channel_id"] == "D" + FACILITATOR[1:]


def test_export_as_xlsx_and_csv_read_back(bot: Any, season: None) -> None:
    import csv
    import io
    import zipfile

    import openpyxl

    reply = bot.command("/network", "export", user=FACILITATOR).json()
    assert reply["text"].startswith("Jeg laver eksporten")
    shared = bot.slack.wait_for("files.completeUploadExternal", 2)
    assert {c.params["channel_id"] for c in shared} == {"D" + FACILITATOR[1:]}
    files = dict(sorted(bot.slack.uploads.items()))
    xlsx, zipped = files.values()
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx), read_only=True)
    assert workbook.sheetnames == [
        "summary",
        "season",
        "spreading_status",
        "members",
        "meetings",
        "manager_alignment",
        "questions",
        "examples",
        "sparring",
        "followups",
        "spreading",
        "attendance",
        "competencies",
        "competency_spread",
        "applications",
        "reflections",
        "renewal",
        "seat_claims",
        "library",
        "bazaar",
    ]
    members = list(workbook["members"].iter_rows(values_only=True))
    assert members[0][:3] == ("name", "slack_id", "organisation")
    assert ("Camilla Østergaard", "U0CAMILLA3", "Gribskov Kommune") in [r[:3] for r in members]
    sparring = list(workbook["sparring"].iter_rows(values_only=True))
    assert sparring[1][:4] == ("2015-10-02", "Anna Lund", 120, "Bo Kjær")
    summary = list(workbook["summary"].iter_rows(values_only=True))
    assert len(summary) == 1 + 4 * 10  # a line per meeting and member
    season_rows = list(workbook["season"].iter_rows(values_only=True))
    assert season_rows[2] == (2, 10, 1, 0.2, 2)  # meeting 2: Anna prepared, her 2 h among 10
    charts = openpyxl.load_workbook(io.BytesIO(xlsx))["summary"]._charts
    drawn = [
        (
            chart.tagname,
            [(s.tx.v, (s.cat.numRef or s.cat.strRef).f, s.val.numRef.f) for s in chart.series],
        )
        for chart in charts
    ]
    assert drawn == [
        (
            "barChart",
            [
                ("Prepared", "'season'!$A$2:$A$5", "'season'!$C$2:$C$5"),
                ("Members", "'season'!$A$2:$A$5", "'season'!$B$2:$B$5"),
            ],
        ),
        ("barChart", [("Sparring hours per member", "'season'!$A$2:$A$5", "'season'!$D$2:$D$5")]),
        ("barChart", [("Actions", "'spreading_status'!$A$2:$A$5", "'spreading_status'!$B$2:$B$5")]),
    ]
    with zipfile.ZipFile(io.BytesIO(zipped)) as archive:
        assert "members.csv" in archive.namelist()
        raw = archive.read("members.csv")
        assert raw.startswith("\ufeff".encode())  # Excel reads it as UTF-8: æ, ø, å survive
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
        assert rows[0][0] == "name" and any(r[0] == "Camilla Østergaard" for r in rows)
    assert bot.command("/network", "export", user=ANNA).json()["text"] == (
        "Kun netværkets tovholdere kan bruge `/network`."
    )


def test_add_and_remove_members_from_slack(
    bot: Any, session_factory: sessionmaker[Session]
) -> None:
    from sqlalchemy import select

    from models.history import ChangeRecord

    new = "U0NEWBIE01"
    bad = bot.command("/network", f"add <@{new}|kim> org=“Vejle Kommune”", user=FACILITATOR)
    assert bad.json()["text"].startswith("Mangler leder. Skriv fx `/network tilføj @anna")
    ok = bot.command(
        "/network", f'add <@{new}|kim> org="Vejle Kommune" manager="Lone" lang=en', user=FACILITATOR
    ).json()["text"]
    assert ok == f"<@{new}> er nu medlem (Vejle Kommune) og får påmindelser fra nu af."
    assert (
        bot.command("/network", f"add <@{new}> org=X manager=Y", user=FACILITATOR)
        .json()["text"]
        .startswith(f"<@{new}> er allerede medlem.")
    )
    # The new member can log sparring and is answered in English.
    assert bot.command("/sparring", "", user=new).json()["text"].startswith("*Your sparring")
    gone = bot.command("/network", f"remove <@{new}>", user=FACILITATOR).json()["text"]
    assert gone == f"<@{new}> er taget ud: ingen påmindelser, historikken bevares."
    assert "Du er ikke medlem" in bot.command("/sparring", "", user=new).json()["text"]
    with session_factory() as s:
        (change,) = s.scalars(select(ChangeRecord).where(ChangeRecord.field == "active")).all()
        assert (change.old_value, change.new_value) == ("True", "False")
    assert bot.command("/network", f"add <@{new}> org=X manager=Y", user=ANNA).json()["text"] == (
        "Kun netværkets tovholdere kan bruge `/network`."
    )


def test_moving_a_meeting_moves_its_nudges(
    bot: Any, session_factory: sessionmaker[Session]
) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import select

    from jobs.nudges import plan_due_nudges
    from models.nudges import Nudge, NudgeKind

    with session_factory() as s:  # the kick-off for 17 Nov is in the outbox, not sent yet
        plan_due_nudges(session=s, now=datetime(2015, 11, 3, 8, tzinfo=UTC))
        assert {n.kind for n in s.scalars(select(Nudge))} >= {NudgeKind.PREP_KICKOFF}
    reply = bot.command(
        "/network",
        'meeting 2 date=2015-11-24 time=12:00-15:00 place="Roskilde Rådhus"',
        user=FACILITATOR,
    ).json()["text"]
    assert reply == (
        "Møde 2 er nu 24. november 2015 kl. 12:00, Roskilde Rådhus (vært: Roskilde "
        "Kommune, Social- og Arbejdsmarkedssekretariatet). Medlemmerne får besked om ny tid "
        "eller nyt sted, og påmindelserne følger med."
    )
    with session_factory() as s:
        scheduled = select(Nudge).where(Nudge.kind != NudgeKind.MEETING_CHANGED)
        assert s.scalars(scheduled).all() == []  # unsent ones are planned again …
        now = datetime(2015, 11, 10, 8, tzinfo=UTC)  # … for the new date: kick-off on 10 Nov
        plan_due_nudges(session=s, now=now)
        kickoffs = [n for n in s.scalars(select(Nudge)) if n.kind is NudgeKind.PREP_KICKOFF]
        assert len(kickoffs) == 9 and all(n.due_at == now for n in kickoffs)  # Copenhagen
    wrong = bot.command("/network", "meeting 2 date=2015-09-01", user=FACILITATOR).json()["text"]
    assert wrong.startswith("Møde 2 skal ligge efter det forrige og før det næste møde.")
    past = bot.command("/network", "meeting 1 time=09:00-12:00", user=FACILITATOR).json()["text"]
    assert past.startswith("Møde 1 er begyndt eller afholdt og kan ikke flyttes.")
    form = bot.command("/network", "meeting two", user=FACILITATOR).json()["text"]
    assert form.startswith("Skriv fx `/network møde 2 dato=")


def test_another_facilitator_cannot_touch_this_network(
    bot: Any, session_factory: sessionmaker[Session]
) -> None:

    with session_factory() as s:
        add_second_network(
            s,
            key="vest",
            name="Netværk Vest",
            theme="Vest 1",
            people=[(OTHER_FACILITATOR, Role.FACILITATOR, "Vest")],
        )
    for words in (f"forget <@{ANNA}>", f"remove <@{ANNA}>", f"summary <@{ANNA}>"):
        text = bot.command("/network", words, user=OTHER_FACILITATOR).json()["text"]
        assert text.startswith("Nævn et medlem af netværket"), words
    moved = bot.command("/network", "meeting 2 date=2015-11-24", user=OTHER_FACILITATOR).json()
    assert moved["text"].startswith("Der er intet møde 2. Møderne er 1–1.")
    with session_factory() as s:
        from models.network import Member as M

        assert s.query(M).filter_by(slack_user_id=ANNA).one().active  # untouched


def test_a_facilitator_of_east_and_west_forgets_an_applicant_of_either(
    bot: Any, session_factory: sessionmaker[Session]
) -> None:
    from handlers.ids import Action
    from models.applications import Applicant, ApplicationInput, save_application
    from models.network import Platform

    with session_factory() as s:
        west = add_second_network(
            s,
            key="vest",
            name="Netværk Vest",
            theme="Vest 1",
            people=[(FACILITATOR, Role.FACILITATOR, "Tovholder Vest")],
        )
        east = person(s, ANNA).network
        for network, user, name in (
            (east, "U0APPLYEAS", "Eva Øst"),
            (west, "U0APPLYWES", "Vera Vest"),
        ):
            save_application(
                session=s,
                network=network,
                applicant=Applicant(Platform.SLACK, user),
                values=ApplicationInput(
                    name,
                    f"{user.lower()}@example.org",
                    "Køge Kommune",
                    "Om mig",
                    "Opgaver",
                    "design",
                    "Ideer",
                    "Erfaring",
                    True,
                    True,
                ),
                now=SEASON_NOW,
                check_deadline=False,
            )
        s.commit()
    for user, name in (("U0APPLYEAS", "Eva Øst"), ("U0APPLYWES", "Vera Vest")):
        reply = bot.command("/network", f"glem <@{user}>", user=FACILITATOR).json()
        assert f"*{name}*" in reply["blocks"][0]["text"]["text"], name
        value = reply["blocks"][1]["elements"][0]["value"]
        bot.click(OTHER_FACILITATOR, Action.FORGET_CONFIRM, value)  # in no network of theirs
        bot.click(FACILITATOR, Action.FORGET_CONFIRM, value)
        told = [c.params["text"] for c in bot.slack.wait_for("/response/action", 2)][-2:]
        assert told == [
            "Kun netværkets tovholdere kan bruge `/network`.",
            f"Personoplysningerne om {name} er slettet.",
        ]
        bot.slack.reset()


def test_a_facilitator_cannot_pull_in_another_networks_member(
    bot: Any, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        add_second_network(
            s,
            key="vest",
            name="Netværk Vest",
            theme="Vest 1",
            people=[(OTHER_FACILITATOR, Role.FACILITATOR, "Vest")],
        )
    reply = bot.command(
        "/network", f'add <@{ANNA}|anna> org="Aarhus" manager="M"', user=OTHER_FACILITATOR
    ).json()["text"]
    assert reply.startswith(
        f"<@{ANNA}> er medlem af et andet netværk i samme periode, så jeg tilføjer ikke "
        "personen her"
    )
    assert "Spredningsnetværk" not in reply and "Roskilde" not in reply  # nothing about the other
    with session_factory() as s:
        from models.network import Member as M

        (anna,) = s.query(M).filter_by(slack_user_id=ANNA).all()  # no second membership
        assert anna.network.key != "vest" and anna.active
    # Her commands still act on her own network.
    assert "møde 1 og 2" in bot.command("/sparring", "", user=ANNA).json()["text"]
    # Once her own network has removed her, the other network may add her.
    bot.command("/network", f"remove <@{ANNA}>", user=FACILITATOR)
    again = bot.command(
        "/network", f'add <@{ANNA}|anna> org="Aarhus" manager="M"', user=OTHER_FACILITATOR
    ).json()["text"]
    assert again.startswith(f"<@{ANNA}> er nu medlem (Aarhus)")


def test_fees_warn_about_a_fourth_colleague(
    bot: Any, session_factory: sessionmaker[Session]
) -> None:
    for n in (1, 2):
        bot.command(
            "/network", f'add <@U0ROSK000{n}> org="Roskilde Kommune" manager="B"', user=FACILITATOR
        )
    fees = text_of(bot.command("/network", "fees", user=FACILITATOR))
    assert (
        "• Roskilde Kommune: 4 × — 6.000 + 5.500 + 5.500 + 6.000 = *23.000 kr.* ⚠️ mere end tre "
        "fra samme arbejdsplads"
    ) in fees


def test_moving_a_meeting_in_danish_words(bot: Any) -> None:
    reply = bot.command(
        "/network",
        'møde 2 dato=2015-11-24 tid=12:00-15:00 sted="Roskilde Rådhus" vært="Roskilde Kommune"',
        user=FACILITATOR,
    ).json()["text"]
    assert reply == (
        "Møde 2 er nu 24. november 2015 kl. 12:00, Roskilde Rådhus (vært: Roskilde Kommune). "
        "Medlemmerne får besked om ny tid eller nyt sted, og påmindelserne følger med."
    )


def add_members(session_factory: sessionmaker[Session], count: int) -> list[str]:
    """`count` more members (a big network), with Slack ids U0BIG0000…; returns their names."""
    names = []
    with session_factory() as s:
        network = person(s, ANNA).network
        for i in range(count):
            name = f"Medlem {i:03d}"
            network.people.append(
                Member(
                    slack_user_id=f"U0BIG{i:05d}",
                    role=Role.MEMBER,
                    name=name,
                    organisation=f"Kommune {i % 90}",
                    manager_name="Leder",
                    created_at=SEASON_NOW,
                    updated_at=SEASON_NOW,
                )
            )
            names.append(name)
        s.commit()
    return names


def test_a_long_member_list_says_what_is_left_and_pages_on(
    bot: Any, session_factory: sessionmaker[Session]
) -> None:
    add_members(session_factory, 410)  # 420 members in all
    first = bot.command("/network", "members", user=FACILITATOR).json()
    assert len(first["blocks"]) <= 50
    shown = text_of_blocks(first["blocks"])
    assert shown.startswith(
        "*Medlemmer af Spredningsnetværk for offentlig innovation 2015–16* (420)"
    )
    listed = shown.count("\n• ")
    assert shown.endswith(
        f"… og {420 - listed} flere. Se dem med `/network medlemmer 2`, "
        "eller hele listen i `/network eksport`."
    )
    seen = listed
    page = 2
    while True:
        blocks = bot.command("/network", f"medlemmer {page}", user=FACILITATOR).json()["blocks"]
        more = text_of_blocks(blocks)
        seen += more.count("• ")
        if "flere" not in more:
            break
        page += 1
    assert seen == 420  # every member on some page, no one twice
    assert page == 2


def text_of_blocks(blocks: list[dict[str, Any]]) -> str:
    return "\n".join(b["text"]["text"] for b in blocks)


def test_a_long_digest_stays_in_block_kit_and_says_what_is_left(
    session_factory: sessionmaker[Session], network: object
) -> None:
    add_members(session_factory, 410)
    with session_factory() as s:
        built = build_digest(session=s, member=person(s, FACILITATOR), meeting=None, now=SEASON_NOW)
    assert built is not None
    digest = slack_render.message(built)
    assert len(digest["blocks"]) <= 50
    assert digest["blocks"][-1]["text"]["text"].endswith(
        "flere — hele listen er i `/network eksport`."
    )
