"""The sheets of an export about records: the evidence index, broadcasts, emulation (sáng
kiến, đăng ký thi đua) and the collective milestones of classes and units.

Emulation, as the pack represents it: an initiative or a prize is a milestone that asks
which level recognised it (`asks_level`: school, commune, province, national); the
registrations for the emulation are the milestones of `REGISTRATIONS`; classes' and
units' own milestones (`audience: [class]`, `[unit]`) are collective, reported for them
by their homeroom teacher or head (storage.reports).
"""

# readers: principal officer

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from bot.services import broadcasts
from bot.services.export_sheets import (
    MARKS,
    PLACE,
    SCHOOL,
    Scope,
    grouped,
    where,
)
from bot.services.spreadsheets import Column, Sheet
from bot.text import Plain, T
from storage import exports as rows
from storage import reports

REGISTRATIONS = frozenset({"emulation_registered", "collective_registered"})
"""The pack's registrations for the emulation (đăng ký thi đua): individual and collective."""

STATUS_NAMES = {
    "pending": T("waiting for verification"),
    "approved": T("verified"),
    "accepted": T("counted"),
    "rejected": T("not accepted"),
    "withdrawn": T("withdrawn"),
}
LEVEL_NAMES = {  # the same words as /report's
    "school": T("School level"),
    "commune": T("Commune or ward level"),
    "province": T("Provincial level"),
    "national": T("National level"),
}
KIND_NAMES = {"photo": T("photo"), "document": T("document")}
PLACE_KINDS = {"class": T("class"), "unit": T("unit")}
BROADCAST_STATUSES = {
    "scheduled": T("scheduled"),
    "sending": T("sending"),
    "done": T("sent"),
    "cancelled": T("cancelled"),
}
TEXT_SHOWN = 200  # characters of a broadcast's text in its row


def _school(path: str | None, schools: dict[int, str]) -> str:
    if not path:
        return ""
    return next((schools[int(p)] for p in path.strip("/").split("/") if int(p) in schools), "")


async def _evidence_pages(
    scope: Scope, milestones: Sequence[str] | None = None
) -> AsyncIterator[tuple[rows.Evidence, str, str, str]]:
    """Reports at the node, each with who sent it (or the class or unit it is of), its
    place and its school."""
    schools = await rows.place_names(scope.uow.reads, scope.path, "school")
    after = 0
    while True:
        found = await rows.evidence_after(
            scope.uow.reads, scope.campaign_id, scope.path, after, scope.batch, milestones
        )
        if not found:
            return
        people = sorted({e.person_id for e in found if e.person_id is not None})
        members = grouped(await rows.members(scope.uow.reads, scope.path, people))
        for item in found:
            if item.person_id is not None and item.person_id in members:
                place = where(scope, members[item.person_id], schools)
                yield item, place.name, place.places, place.schools
            else:  # a class's or unit's own report
                name = str(item.org_name or "")
                yield item, name, name, _school(item.org_path, schools)
        after = found[-1].id


async def evidence(scope: Scope) -> Sheet:
    """Every report at the node: who, which milestone, when, what became of it, who
    decided, at which level, and the file (Telegram's file id) behind it."""
    columns = (
        Column(T("Report number"), "int"),
        Column(T("Person, class or unit")),
        Column(PLACE),
        Column(SCHOOL),
        Column(T("Milestone")),
        Column(T("Reported on"), "date"),
        Column(T("Status")),
        Column(T("Recognised at")),
        Column(T("Reviewed by")),
        Column(T("Reviewed on"), "date"),
        Column(T("Evidence")),
        Column(T("File name")),
        Column(T("Telegram file id")),
    )

    async def read() -> AsyncIterator[Sequence[Any]]:
        async for item, who, place, school in _evidence_pages(scope):
            yield (
                item.id,
                who,
                place,
                school,
                scope.milestone_title(item.milestone),
                item.reported_at,
                scope.say(STATUS_NAMES.get(item.status, Plain(item.status))),
                scope.say(LEVEL_NAMES[item.level]) if item.level in LEVEL_NAMES else None,
                item.reviewer,
                item.decided_at,
                scope.say(KIND_NAMES[item.evidence_kind])
                if item.evidence_kind in KIND_NAMES
                else item.evidence_kind,
                item.file_name,
                item.file_id,
            )

    return Sheet(T("Evidence"), columns, read())


async def emulation(scope: Scope) -> Sheet:
    """Initiatives and prizes (milestones recognised at a level) and registrations for the
    emulation, individual and collective, with what became of each."""
    initiatives = {m.id for m in scope.pack.milestones if m.asks_level}
    keys = sorted(initiatives | {m.id for m in scope.pack.milestones if m.id in REGISTRATIONS})
    columns = (
        Column(T("Kind")),
        Column(T("Person, class or unit")),
        Column(PLACE),
        Column(SCHOOL),
        Column(T("Milestone")),
        Column(T("Recognised at")),
        Column(T("Status")),
        Column(T("Reported on"), "date"),
        Column(T("Reviewed on"), "date"),
        Column(T("Report number"), "int"),
    )
    initiative, registration = T("Initiative or prize"), T("Emulation registration")

    async def read() -> AsyncIterator[Sequence[Any]]:
        if not keys:
            return
        async for item, who, place, school in _evidence_pages(scope, keys):
            yield (
                scope.say(initiative if item.milestone in initiatives else registration),
                who,
                place,
                school,
                scope.milestone_title(item.milestone),
                scope.say(LEVEL_NAMES[item.level]) if item.level in LEVEL_NAMES else None,
                scope.say(STATUS_NAMES.get(item.status, Plain(item.status))),
                item.reported_at,
                item.decided_at,
                item.id,
            )

    return Sheet(T("Emulation"), columns, read())


async def collectives(scope: Scope) -> Sheet:
    """One row per class and unit with each of its collective milestones' state and date."""
    milestones = [m for m in scope.pack.milestones if m.collective]
    columns: list[Column] = [Column(T("Class or unit")), Column(T("Kind")), Column(SCHOOL)]
    for milestone in milestones:
        title = milestone.title.get(scope.language)
        columns.append(Column(Plain(title)))
        columns.append(Column(T("{milestone}: date", milestone=title), "date"))
    marks = {status: scope.say(text) for status, text in MARKS.items()}

    async def read() -> AsyncIterator[Sequence[Any]]:
        schools = await rows.place_names(scope.uow.reads, scope.path, "school")
        after = 0
        while True:
            units = await rows.collectives_after(scope.uow.reads, scope.path, after, scope.batch)
            if not units:
                return
            found: dict[int, dict[str, Any]] = {}
            ids = [unit_id for unit_id, _, _, _ in units]
            for report in await reports.of_orgs(scope.uow.reads, scope.campaign_id, ids):
                if report.status != "withdrawn" and report.org_id is not None:
                    found.setdefault(report.org_id, {})[report.milestone_key] = report
            for unit_id, name, kind, path in units:
                cells: list[Any] = [name, scope.say(PLACE_KINDS[kind]), _school(path, schools)]
                for milestone in milestones:
                    report = found.get(unit_id, {}).get(milestone.id)
                    if report is None or kind not in milestone.audience:
                        cells.extend((None, None))
                    else:
                        cells.append(marks.get(report.status))
                        cells.append(report.decided_at or report.reported_at)
                yield cells
            after = units[-1][0]

    return Sheet(T("Classes and units"), columns, read())


async def broadcast_results(scope: Scope) -> Sheet:
    """Every broadcast sent from the node or below: delivered, failed, blocked, read."""
    columns = (
        Column(T("Sent on"), "date"),
        Column(T("Sent from")),
        Column(T("Text")),
        Column(T("Status")),
        Column(T("Recipients"), "int"),
        Column(T("Delivered"), "int"),
        Column(T("Failed"), "int"),
        Column(T("Blocked the bot"), "int"),
        Column(T("Skipped"), "int"),
        Column(T("Waiting"), "int"),
        Column(T("Acknowledged"), "int"),
        Column(T("Share acknowledged"), "percent"),
    )

    async def read() -> AsyncIterator[Sequence[Any]]:
        after = 0
        while True:
            found = await rows.broadcasts_after(scope.uow.reads, scope.path, after, scope.batch)
            if not found:
                return
            for broadcast, org_name in found:
                result = await broadcasts.results(scope.uow, broadcast)
                text = broadcast.text if len(broadcast.text) <= TEXT_SHOWN else (
                    broadcast.text[: TEXT_SHOWN - 1] + "…"
                )  # fmt: skip
                acked = result.acknowledged if result.needs_ack else None
                share = acked / result.sent if acked is not None and result.sent else None
                status = BROADCAST_STATUSES.get(broadcast.status, Plain(broadcast.status))
                yield (
                    broadcast.fired_at or broadcast.send_at,
                    org_name,
                    text,
                    scope.say(status),
                    result.total,
                    result.sent,
                    result.failed,
                    result.blocked,
                    result.skipped,
                    result.waiting,
                    acked,
                    share,
                )
            after = found[-1][0].id

    return Sheet(T("Broadcasts"), columns, read())
