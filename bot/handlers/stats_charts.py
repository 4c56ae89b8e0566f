"""/stats's charts: what the services found, labelled in the reader's language, drawn in
a worker process (bot.workers), so the event loop never runs matplotlib."""

# readers: principal officer

from __future__ import annotations

from bot.i18n import Renderer, fmt_day_month, fmt_percent
from bot.services import charts, stats
from bot.services.snapshots import Series
from bot.text import Plain, T
from bot.turn import Turn


def bars(breakdown: stats.Breakdown, place: str, render: Renderer) -> charts.Bars:
    indicator = breakdown.indicator
    people = indicator.counts == "people"
    shares = [stats.chartable(part.tally) for part in breakdown.parts]
    title = indicator.title.get(render.locale)
    if breakdown.pages > 1:
        title = render(
            T(
                "{title} — {place}, page {page} of {pages}",
                title=Plain(title),
                place=Plain(place),
                page=breakdown.page + 1,
                pages=breakdown.pages,
            )
        )
    else:
        title = render(T("{title} — {place}", title=Plain(title), place=Plain(place)))
    return charts.Bars(
        title=title,
        labels=[part.name for part in breakdown.parts],
        progress=[progress for progress, _ in shares],
        reach=[reach for _, reach in shares],
        target=indicator.target_percent / 100,
        progress_label=render(T("Did it, of the headcount") if people else T("Done")),
        reach_label=render(T("Joined, of the headcount")),
        target_label=render(
            T(
                "Target {target}",
                target=Plain(fmt_percent(indicator.target_percent / 100, render.locale)),
            )
        ),
        missing_label=render(T("no headcount")),
    )


def lines(series: Series, titles: dict[str, str], place: str, render: Renderer) -> charts.Lines:
    return charts.Lines(
        title=render(T("Week by week — {place}", place=Plain(place))),
        weeks=[fmt_day_month(week, render.locale) for week in series.weeks],
        series=[(titles[key], list(values)) for key, values in series.lines],
    )


async def bar_png(turn: Turn, chart: charts.Bars) -> bytes:
    return await turn.shared.workers.run(charts.bar_chart, chart)


async def line_png(turn: Turn, chart: charts.Lines) -> bytes:
    return await turn.shared.workers.run(charts.line_chart, chart)
