"""Charts for facilitators: a picture beside the numbers of the digest, the readiness report
and the season's summary, as a PNG (`conversation.Picture`).

A chart is described first (`Chart`: its title, categories, series and an optional target
line, in the reader's language) from the same figures the text beside it shows, then drawn
headless with matplotlib's Agg canvas — imported here only when a chart is drawn, so neither
the request path nor an idle bot pays for it. What was drawn is read back from the drawing
(`Picture.plotted`) and the alt text carries the numbers, formatted as the text's.

Colours are Okabe–Ito's (safe for the common colour-vision deficiencies), each series is also
told apart by its hatching, and every bar carries its value as text.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from handlers import conversation as c
from handlers.catalogue import format_decimal_for, plain_text, surface, t

# Okabe & Ito (2008), "Color Universal Design": distinguishable with any colour vision.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
HATCHES = ("", "//", "..", "xx")
TARGET_COLOUR = "#000000"
WIDTH_PX, HEIGHT_PX, DPI = 720, 400, 100  # small enough to travel inline in a Teams message


@dataclass(frozen=True)
class Series:
    label: str
    values: tuple[float, ...]


@dataclass(frozen=True)
class Chart:
    """A bar chart: one group of bars per category, one bar per series; `target` draws a
    dashed line (labelled `target_label`); `unit` follows each value ("%", "t")."""

    lang: str
    name: str  # the file's name, without .png
    title: str
    y_label: str
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    target: float | None = None
    target_label: str = ""
    unit: str = ""
    y_max: float | None = None

    def number(self, value: float) -> str:
        text = format_decimal_for(self.lang, value)
        return f"{text} {self.unit}".strip() if self.unit else text

    def description(self) -> str:
        """The alt text: the title, then every series' value per category."""
        lines = [self.title]
        for s in self.series:
            values = ", ".join(
                f"{cat}: {self.number(v)}" for cat, v in zip(self.categories, s.values, strict=True)
            )
            lines.append(f"{s.label} — {values}")
        if self.target is not None:
            lines.append(f"{self.target_label}: {self.number(self.target)}")
        return "\n".join(lines)


def picture(chart: Chart) -> c.Picture:
    """`chart` drawn as a PNG, its alt text and what was drawn."""
    png, plotted = draw(chart)
    return c.Picture(
        png=png,
        alt=chart.description(),
        title=chart.title,
        filename=f"{chart.name}.png",
        plotted=plotted,
    )


def draw(chart: Chart) -> tuple[bytes, dict[str, tuple[float, ...]]]:
    """The chart as PNG bytes, and the bar heights per series as the drawing holds them."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # only when drawing
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    plotted = _bars(axes, chart)
    if chart.target is not None:
        axes.axhline(chart.target, color=TARGET_COLOUR, linestyle="--", linewidth=1.5)
        axes.annotate(
            f"{chart.target_label}: {chart.number(chart.target)}",
            xy=(1.0, chart.target),
            xycoords=("axes fraction", "data"),
            xytext=(-4, 4),
            textcoords="offset points",
            ha="right",
            fontsize=9,
        )
    _frame(axes, chart)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return _smaller(buffer.getvalue()), plotted


def _bars(axes: Any, chart: Chart) -> dict[str, tuple[float, ...]]:
    n = max(len(chart.series), 1)
    width = 0.8 / n
    positions = range(len(chart.categories))
    plotted: dict[str, tuple[float, ...]] = {}
    for i, s in enumerate(chart.series):
        offset = (i - (n - 1) / 2) * width
        bars = axes.bar(
            [p + offset for p in positions],
            s.values,
            width,
            label=s.label,
            color=OKABE_ITO[i % len(OKABE_ITO)],
            hatch=HATCHES[i % len(HATCHES)],
            edgecolor="white",
        )
        axes.bar_label(bars, labels=[chart.number(v) for v in s.values], padding=2, fontsize=8)
        plotted[s.label] = tuple(float(bar.get_height()) for bar in bars.patches)
    axes.set_xticks(list(positions), list(chart.categories))
    return plotted


def _frame(axes: Any, chart: Chart) -> None:
    axes.set_title(chart.title, fontsize=12)
    axes.set_ylabel(chart.y_label)
    tops = [v for s in chart.series for v in s.values] + [chart.target or 0]
    top = chart.y_max if chart.y_max is not None else max([*tops, 1]) * 1.2
    axes.set_ylim(0, top)
    axes.yaxis.set_major_formatter(lambda value, _pos: format_decimal_for(chart.lang, value))
    axes.spines[["top", "right"]].set_visible(False)
    if len(chart.series) > 1:
        axes.legend(loc="upper left", fontsize=8, frameon=False)


def _smaller(png: bytes) -> bytes:
    """The PNG with a palette of 64 colours (a chart has a handful): a third of the size."""
    from PIL import Image  # comes with matplotlib

    with Image.open(io.BytesIO(png)) as image:
        small = image.convert("RGB").quantize(colors=64)
        out = io.BytesIO()
        small.save(out, format="PNG", optimize=True)
    return out.getvalue()


def label(lang: str, key: str, **params: Any) -> str:
    """A catalogue text as plain text for a chart (no markup: a chart is no chat message)."""
    with surface("slack"):
        return plain_text(t(lang, key, **params)).replace("**", "").replace("*", "")


def categories(lang: str, key: str, numbers: Sequence[int]) -> tuple[str, ...]:
    return tuple(label(lang, key, number=n) for n in numbers)
