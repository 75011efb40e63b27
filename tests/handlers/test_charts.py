"""Charts for facilitators: what is drawn is what the text says (read back from the drawing),
the PNG decodes at its size, the alt text carries the numbers in the reader's language, and
matplotlib stays out of the process until a chart is drawn."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from datetime import date

import pytest
from PIL import Image
from sqlalchemy.orm import Session

from handlers import conversation as c
from handlers.charts import HEIGHT_PX, OKABE_ITO, WIDTH_PX, Chart, Series, picture
from handlers.network.charts import preparation_chart, season_chart
from handlers.network.summary import Digest, render_digest, render_season
from models.network import Network
from models.prep import save_manager_alignment
from models.sparring import log_sparring
from models.summary import meeting_summary
from tests.conftest import ANNA, BO, CAMILLA, SEASON_NOW, person

pytestmark = pytest.mark.real_drawing  # drawn through matplotlib every time, uncached


def _png_size(png: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
        image.load()  # decodes the whole picture, not only its header
        return image.size


@pytest.fixture
def sparred(session: Session, network: Network) -> Network:
    """Anna gave 2 h before meeting 2, Bo 45 min; Anna and Bo aligned with their managers."""
    anna, bo = person(session, ANNA), person(session, BO)
    m2 = next(m for m in anna.network.meetings if m.number == 2)
    for who, minutes in ((anna, 120), (bo, 45)):
        log_sparring(
            session=session,
            member=who,
            minutes=minutes,
            given_on=date(2015, 10, 2),
            receiver_ids=[CAMILLA],
            note="",
            now=SEASON_NOW,
        )
        save_manager_alignment(
            session=session, member=who, meeting=m2, aligned=True, agreed="ja", now=SEASON_NOW
        )
    session.commit()
    return anna.network


@pytest.mark.parametrize(("lang", "unit", "per"), [("da", "t", "pr. medlem"), ("en", "h", "per")])
def test_season_chart_plots_the_hours_the_text_says(
    session: Session, sparred: Network, lang: str, unit: str, per: str
) -> None:
    summaries = [
        meeting_summary(session=session, network=sparred, meeting=m) for m in sparred.meetings
    ]
    message = render_season(lang, sparred, summaries)
    text = "\n".join(p.text for p in message.parts if isinstance(p, c.Paragraph))
    (chart,) = message.pictures
    (hours,) = chart.plotted.values()
    # The text's "(x t pr. medlem)" per meeting, read as numbers, are the bars' heights.
    shown = re.findall(rf"\(([\d.,]+) {unit} {per}", text)
    assert [float(h.replace(",", ".")) for h in shown] == list(hours)
    assert hours[1] == round((120 + 45) / 10 / 60, 1) == 0.3  # 10 members, before meeting 2
    assert _png_size(chart.png) == (WIDTH_PX, HEIGHT_PX)
    decimal = "0,3" if lang == "da" else "0.3"
    target = "Mål: 2 t" if lang == "da" else "Target: 2 h"
    assert f"{decimal} {unit}" in chart.alt and target in chart.alt


def test_digest_chart_is_the_preparation_the_totals_say(session: Session, sparred: Network) -> None:
    m2 = next(m for m in sparred.meetings if m.number == 2)
    summary = meeting_summary(session=session, network=sparred, meeting=m2)
    message = render_digest("da", Digest("network.digest.weekly", sparred, summary, [], None))
    (chart,) = message.pictures
    (percents,) = chart.plotted.values()
    texts = [p.text for p in message.parts if isinstance(p, c.Paragraph)]
    totals = next(x for x in texts if x.startswith("Forberedt:"))  # "… (0 %) · leder 20 % · …"
    p1 = re.search(r"leder (\d+) %", totals)
    p2 = re.search(r"spørgsmål (\d+) %", totals)
    p3 = re.search(r"eksempler (\d+) %", totals)
    rate = re.search(r"\((\d+) %\)", totals)
    assert p1 and p2 and p3 and rate
    assert percents == tuple(float(m.group(1)) for m in (p1, p2, p3, rate)) == (20, 0, 0, 0)
    assert chart.title == "Forberedelse til møde 2"
    assert "Leder (P1): 20 %" in chart.alt
    assert _png_size(chart.png) == (WIDTH_PX, HEIGHT_PX)


def test_charts_speak_english_to_an_english_reader(session: Session, sparred: Network) -> None:
    m2 = next(m for m in sparred.meetings if m.number == 2)
    summary = meeting_summary(session=session, network=sparred, meeting=m2)
    chart = preparation_chart("en", summary)
    assert chart.title == "Preparation for meeting 2"
    assert chart.categories == ("Manager (P1)", "Questions (P2)", "Examples (P3)", "Fully prepared")
    season = season_chart("en", sparred, [summary])
    assert season.y_label == "Hours per member (average)" and season.target == 2


def test_numbers_are_formatted_the_readers_way() -> None:
    chart = Chart(
        lang="da",
        name="x",
        title="T",
        y_label="Y",
        categories=("A", "B"),
        series=(Series("S", (1234.5, 2.0)),),
        unit="t",
    )
    assert chart.description() == "T\nS — A: 1.234,5 t, B: 2 t"
    english = Chart(**{**chart.__dict__, "lang": "en"})
    assert english.description() == "T\nS — A: 1,234.5 t, B: 2 t"
    drawn = picture(chart)
    assert drawn.plotted == {"S": (1234.5, 2.0)} and drawn.filename == "x.png"


def test_the_same_chart_drawn_twice_is_the_same_picture() -> None:
    """What lets the season walks draw each distinct chart once (tests/conftest.py)."""
    chart = Chart(
        lang="da",
        name="x",
        title="T",
        y_label="Y",
        categories=("A", "B"),
        series=(Series("S", (3.0, 1.5)), Series("R", (0.0, 2.0))),
        target=2.0,
        target_label="Mål",
    )
    first, again = picture(chart), picture(chart)
    assert first.png == again.png and first.png.startswith(b"\x89PNG")
    assert first.plotted == again.plotted == {"S": (3.0, 1.5), "R": (0.0, 2.0)}


def test_the_palette_is_okabe_ito() -> None:
    assert OKABE_ITO[:3] == ("#0072B2", "#E69F00", "#009E73")


def test_matplotlib_is_not_imported_until_a_chart_is_drawn() -> None:
    """The server and the nudge pass import their modules without paying for matplotlib."""
    code = (
        "import sys, bot.app, bot.server, jobs.nudges, handlers.network, handlers.charts\n"
        "print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
