"""The deadlines sheet of an export: the pack's deadlines and those set in chat, each
with how many of the people it is for completed the milestone that meets it."""

# readers: principal officer

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import date
from typing import Any

from bot.campaign.pack import Deadline
from bot.services.export_sheets import ROLE_NAMES, Scope
from bot.services.spreadsheets import Column, Sheet
from bot.text import T
from storage import deadlines as deadline_rows
from storage import reports
from storage.models import COUNTED


def due_date(deadline: Deadline, today: date, start: date, end: date) -> date | None:
    """The next due date from today within the campaign, else the last one before it."""
    coming = deadline.occurrences(max(today, start), end)
    if coming:
        return coming[0]
    past = deadline.occurrences(start, min(today, end))
    return past[-1] if past else None


async def deadlines(scope: Scope) -> Sheet:
    """The pack's deadlines and those set in chat at, above or below the node: when, for
    whom, and how many of them completed the milestone that meets it."""
    columns = (
        Column(T("Deadline")),
        Column(T("Set by")),
        Column(T("Due on"), "date"),
        Column(T("For")),
        Column(T("Completed by reporting")),
        Column(T("People"), "int"),
        Column(T("Completed"), "int"),
        Column(T("Share completed"), "percent"),
    )
    pack = scope.pack

    async def completion(
        audience: Sequence[str], completes: str | None, path: str
    ) -> tuple[Any, ...]:
        population, done = await reports.people_tally(
            scope.uow.reads,
            campaign_id=scope.campaign_id,
            path=path,
            roles=list(audience),
            milestones=[completes] if completes else [],
            need=1,
            statuses=COUNTED,
        )
        if completes is None:
            return population, None, None
        return population, done, (done / population if population else None)

    def roles(audience: Sequence[str]) -> str:
        return ", ".join(scope.say(ROLE_NAMES[r]) for r in audience if r in ROLE_NAMES)

    async def read() -> AsyncIterator[Sequence[Any]]:
        campaign = pack.title.get(scope.language)
        for deadline in pack.deadlines:
            due = due_date(deadline, scope.today, pack.period_start, pack.period_end)
            yield (
                deadline.title.get(scope.language),
                campaign,
                due,
                roles(deadline.audience),
                scope.milestone_title(deadline.completes) if deadline.completes else None,
                *await completion(deadline.audience, deadline.completes, scope.path),
            )
        for row in await deadline_rows.around(scope.uow.reads, scope.path):
            # one set below the node counts its own subtree; one set above, the node's
            path = row.org_path if row.org_path.startswith(scope.path) else scope.path
            yield (
                row.title,
                row.org_name,
                row.due_date,
                roles(row.audience),
                scope.milestone_title(row.completes) if row.completes else None,
                *await completion(row.audience, row.completes, path),
            )

    return Sheet(T("Deadlines"), columns, read())
