"""Charts as PNG bytes: bars against a target line, and weekly progress lines.

Plain data in, bytes out, so a chart can be drawn in another process
(`bot.workers`) and never on the event loop. Matplotlib's object API is used
(no pyplot state) with its Agg canvas, and DejaVu Sans, which ships with
matplotlib and has every Vietnamese diacritic.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# Matplotlib is imported where a chart is drawn, in the worker process (`bot.workers`):
# imported with this module it would cost the bot itself about 50 MB and 0.6 s at start.

FONT = "DejaVu Sans"
PROGRESS_COLOUR, REACH_COLOUR, TARGET_COLOUR = "#2E75B6", "#BDD7EE", "#C00000"
MAX_BARS = 40  # beyond this a chart is unreadable; the caller pages through children
LABEL_MAX = 22


@dataclass(frozen=True)
class Bars:
    """One bar group per child node: progress and reach as fractions (None: no headcount)."""

    title: str
    labels: Sequence[str]
    progress: Sequence[float | None]
    reach: Sequence[float | None]
    target: float
    progress_label: str
    reach_label: str
    target_label: str
    missing_label: str  # written on a bar group without a headcount


@dataclass(frozen=True)
class Lines:
    """Weekly series: one line per indicator, fractions by week."""

    title: str
    weeks: Sequence[str]  # each week's label, already formatted for the reader ("1/9")
    series: Sequence[tuple[str, Sequence[float | None]]]


def _short(label: str) -> str:
    return label if len(label) <= LABEL_MAX else label[: LABEL_MAX - 1] + "…"


def _wrapped(title: str, figure: Figure) -> str:
    """A long title (an indicator's full wording) on as many lines as the width needs."""
    return textwrap.fill(title, width=max(40, int(figure.get_figwidth() * 9.5)))


def _png(figure: Figure) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


def ready() -> bool:
    """Nothing but matplotlib's import: what `Workers.warm` loads in the worker."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    return FigureCanvasAgg is not None and Figure is not None


def bar_chart(chart: Bars) -> bytes:
    """Progress (solid) beside reach (light) for each label, with the target as a line."""
    return _png(bar_figure(chart))


def bar_figure(chart: Bars) -> Figure:
    """The bar chart's figure, before it is drawn (tests count its bars)."""
    if not 0 < len(chart.labels) <= MAX_BARS:
        raise ValueError(f"a bar chart needs 1 to {MAX_BARS} groups, not {len(chart.labels)}")
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    count = len(chart.labels)
    figure = Figure(figsize=(max(6.0, 0.55 * count + 2), 4.6))
    axes = figure.add_subplot()
    xs = range(count)
    progress = [value or 0.0 for value in chart.progress]
    reach = [value or 0.0 for value in chart.reach]
    paired = any(value is not None for value in chart.reach)  # none for schools, classes, units
    width = 0.38 if paired else 0.6
    shift = width / 2 if paired else 0.0
    axes.bar(
        [x - shift for x in xs],
        progress,
        width,
        color=PROGRESS_COLOUR,
        label=chart.progress_label,
    )
    if paired:
        axes.bar([x + shift for x in xs], reach, width, color=REACH_COLOUR, label=chart.reach_label)
    for x, value in zip(xs, chart.progress, strict=True):
        if value is None:
            axes.text(
                x,
                0.02,
                chart.missing_label,
                rotation=90,
                ha="center",
                va="bottom",
                fontsize=8,
                family=FONT,
            )
    axes.axhline(
        chart.target, color=TARGET_COLOUR, linestyle="--", linewidth=1.5, label=chart.target_label
    )
    axes.set_ylim(0, 1.05)
    axes.set_xlim(-0.6, count - 0.4)  # every group in view, even one without bars
    axes.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    axes.set_xticks(list(xs))
    axes.set_xticklabels(
        [_short(label) for label in chart.labels],
        rotation=35 if count > 5 else 0,
        ha="right" if count > 5 else "center",
        family=FONT,
    )
    axes.set_title(_wrapped(chart.title, figure), family=FONT, fontsize=12)
    axes.legend(
        prop={"family": FONT, "size": 9},
        loc="upper center",
        bbox_to_anchor=(0.5, -0.18 if count > 5 else -0.08),
        ncol=3,
        frameon=False,
    )
    axes.grid(axis="y", alpha=0.3)
    return figure


def line_chart(chart: Lines) -> bytes:
    """One line per series over the weeks; a gap where a week has no value."""
    if not chart.weeks:
        raise ValueError("a line chart needs at least one week")
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, PercentFormatter

    figure = Figure(figsize=(7.5, 4.4))
    axes = figure.add_subplot()
    xs = list(range(len(chart.weeks)))
    for label, values in chart.series:
        if len(values) != len(xs):
            raise ValueError(f"series {label!r} has {len(values)} values for {len(xs)} weeks")
        axes.plot(
            xs,
            [float("nan") if v is None else v for v in values],
            marker="o",
            markersize=3,
            label=label,
        )
    axes.set_ylim(0, 1.05)
    axes.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    step = max(1, len(xs) // 10)
    axes.set_xticks(xs[::step])
    axes.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: _week_label(chart, x)))
    axes.set_title(_wrapped(chart.title, figure), family=FONT, fontsize=12)
    if chart.series:
        axes.legend(prop={"family": FONT, "size": 8}, loc="upper left", framealpha=0.9)
    axes.grid(alpha=0.3)
    return _png(figure)


def _week_label(chart: Lines, x: float) -> str:
    index = round(x)
    if 0 <= index < len(chart.weeks):
        return chart.weeks[index]
    return ""
