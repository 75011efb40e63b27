"""The facilitator's charts, from the same `Summary` figures the text beside them shows:
preparation per meeting (the digest and the readiness report) and sparring per member before
each meeting against the network's target (`/network summary season`)."""

from __future__ import annotations

from handlers import conversation as c
from handlers.charts import Chart, Series, categories, label, picture
from models.network import Network
from models.summary import Summary

PREPARATION_STEPS = ("p1", "p2", "p3", "prepared")


def percent(rate: float) -> int:
    return round(rate * 100)


def preparation_chart(lang: str, summary: Summary) -> Chart:
    """How many of the members (in %) did each step of the preparation for the meeting."""
    number = summary.meeting.number
    return Chart(
        lang=lang,
        name=f"forberedelse-mode-{number}",
        title=label(lang, "chart.prep.title", number=number),
        y_label=label(lang, "chart.prep.y"),
        categories=tuple(label(lang, f"chart.prep.{step}") for step in PREPARATION_STEPS),
        series=(
            Series(
                label(lang, "chart.meeting", number=number),
                tuple(float(percent(summary.rate(step))) for step in PREPARATION_STEPS),
            ),
        ),
        unit="%",
        y_max=115,
    )


def season_chart(lang: str, network: Network, summaries: list[Summary]) -> Chart:
    """Sparring given per member (hours, on average) in the period before each meeting,
    against the target."""
    return Chart(
        lang=lang,
        name=f"sparring-{network.key}",
        title=label(lang, "chart.season.title"),
        y_label=label(lang, "chart.season.y"),
        categories=categories(lang, "chart.meeting", [s.meeting.number for s in summaries]),
        series=(
            Series(
                label(lang, "chart.season.series"),
                tuple(s.hours_per_member for s in summaries),
            ),
        ),
        target=round(network.sparring_target_minutes / 60, 1),
        target_label=label(lang, "chart.target"),
        unit=label(lang, "unit.hours"),
    )


def preparation_picture(lang: str, summary: Summary) -> c.Picture:
    return picture(preparation_chart(lang, summary))


def season_picture(lang: str, network: Network, summaries: list[Summary]) -> c.Picture:
    return picture(season_chart(lang, network, summaries))
