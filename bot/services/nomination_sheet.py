"""The award shortlists as a sheet the school's emulation council works from.

One row per name on a shortlist, or removed from one (so the council sees what was
taken off and why): the award, the name, role, class or unit, school, the rules met,
the evidence behind them (report numbers, milestone, date, status, reviewer, level,
file) and the principal's change with its reason, who made it and when.

`nominations_sheet(uow, campaign_id, pack, path, render)` builds it for /export's
workbook; `workbook(sheet, locale, zone)` writes it alone as XLSX bytes in a worker
process (bot.workers): the sheet it is given holds plain texts only (`plain`).
"""

# readers: principal officer

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.campaign.nominations import Award, Rule
from bot.campaign.pack import CampaignPack
from bot.i18n import Renderer, fmt_date, fmt_percent
from bot.services.export_sheets import Scope
from bot.services.nominations import Candidate, Proof, Shortlist, evidence_date, shortlists
from bot.services.spreadsheets import Column, Sheet, local, write_xlsx
from bot.text import Joined, Plain, T, Text
from storage.db import UnitOfWork

ROLES = {
    "staff": T("Staff"),
    "principal": T("Staff"),
    "student": T("Students"),
    "parent": T("Parents"),
    "class": T("Class (collective)"),
    "unit": T("Unit (collective)"),
}
LEVELS = {
    "school": T("School level"),
    "commune": T("Commune or ward level"),
    "province": T("Provincial level"),
    "national": T("National level"),
}
STATUSES = {
    "pending": T("waiting for verification"),
    "approved": T("verified"),
    "accepted": T("counted"),
}
CHANGES = {"added": T("Added by the principal"), "removed": T("Removed by the principal")}
COLUMNS = (
    Column(T("Award")),
    Column(T("Person, class or unit")),
    Column(T("Role")),
    Column(T("Class or unit")),
    Column(T("School")),
    Column(T("Rules met")),
    Column(T("Evidence")),
    Column(T("Change")),
    Column(T("Reason")),
    Column(T("Changed by")),
    Column(T("Changed on"), "date"),
)


def _title(pack: CampaignPack, milestone: str, lang: str) -> str:
    try:
        return pack.milestone(milestone).title.get(lang)
    except KeyError:  # a milestone the pack no longer has
        return milestone


def rule_text(rule: Rule, pack: CampaignPack, lang: str) -> Text:
    if rule.kind == "quiz":
        quiz = next((q for q in pack.quizzes if q.id == rule.quiz), None)
        return T(
            "Quiz passed: {quiz}", quiz=Plain(quiz.title.get(lang) if quiz else str(rule.quiz))
        )
    if rule.kind == "registered":
        return T("Registered for the emulation")
    if rule.kind == "initiative":
        return T(
            "{milestone}, recognised at {level} or above",
            milestone=Plain(_title(pack, str(rule.initiative), lang)),
            level=LEVELS[rule.recognised()[0]],
        )
    if rule.kind == "families":
        return T(
            "Families who did “{milestone}”: at least {percent} of the class",
            milestone=Plain(_title(pack, str(rule.families), lang)),
            percent=Plain(fmt_percent(float(rule.percent or 0) / 100, lang)),
        )
    if rule.milestones == "all":
        return T("Every milestone of their role")
    titles = "; ".join(_title(pack, m, lang) for m in rule.milestone_ids())
    return T("Milestones: {titles}", titles=Plain(titles))


def rules_met(candidate: Candidate, award: Award, pack: CampaignPack, lang: str) -> Text:
    marks = [
        Joined((Plain("✓ " if i in candidate.met else "✗ "), rule_text(rule, pack, lang)), sep="")
        for i, rule in enumerate(award.rules)
    ]
    return Joined(tuple(marks), sep="\n")


def proof_text(proof: Proof, pack: CampaignPack, render: Renderer) -> Text:
    lang, when = render.locale, evidence_date(proof)
    day = Plain(fmt_date(local(when, render.zone), lang)) if when else Plain("—")
    if proof.quiz is not None:
        return T(
            "Quiz attempt #{id}: {score}/{total}, {day}",
            id=Plain(str(proof.quiz.attempt_id)),
            score=proof.quiz.score,
            total=proof.quiz.total,
            day=day,
        )
    if proof.families is not None:
        done, size = proof.families
        if size is None:
            return T("Families: {done}, the class has no headcount yet", done=done)
        return T("Families: {done} of {size}", done=done, size=size)
    report = proof.report
    assert report is not None
    parts: list[Text] = [
        T(
            "Report #{id}: {milestone}, {day}, {status}",
            id=Plain(str(report.report_id)),
            milestone=Plain(_title(pack, report.milestone, lang)),
            day=day,
            status=STATUSES.get(report.status, Plain(report.status)),
        )
    ]
    if report.reviewer:
        parts.append(T("by {reviewer}", reviewer=Plain(report.reviewer)))
    if report.level in LEVELS:
        parts.append(LEVELS[report.level])
    if report.file:
        parts.append(T("file {file}", file=Plain(report.file)))
    return Joined(tuple(parts), sep=", ")


def row(candidate: Candidate, award: Award, pack: CampaignPack, render: Renderer) -> list[Any]:
    change = candidate.change
    evidence = Joined(tuple(proof_text(p, pack, render) for p in candidate.proofs), sep="\n")
    return [
        award.title.get(render.locale),
        candidate.name,
        render(ROLES.get(candidate.role, Plain(candidate.role))),
        candidate.place,
        candidate.school,
        render(rules_met(candidate, award, pack, render.locale)),
        render(evidence),
        render(CHANGES[change.change]) if change else "",
        change.reason if change else "",
        (change.by or "—") if change else "",
        change.at if change else None,
    ]


def sheet_of(lists: Sequence[Shortlist], pack: CampaignPack, render: Renderer) -> Sheet:
    rows = [row(c, s.award, pack, render) for s in lists for c in s.candidates]
    return Sheet(T("Award shortlists"), COLUMNS, rows)


async def nominations_sheet(
    uow: UnitOfWork, campaign_id: int, pack: CampaignPack, path: str, render: Renderer
) -> Sheet:
    """Every award's shortlist at or below `path` as one sheet, in `render`'s language."""
    return sheet_of(await shortlists(uow, campaign_id, pack, path), pack, render)


async def for_export(scope: Scope) -> Sheet:
    """The shortlists' sheet in /export's workbook (bot.services.exports.SHEETS)."""
    return await nominations_sheet(
        scope.uow, scope.campaign_id, scope.pack, scope.path, scope.render
    )


def plain(sheet: Sheet, render: Renderer) -> Sheet:
    """The sheet with its name and headers rendered: plain data for another process."""
    columns = [Column(Plain(render(c.title)), c.kind) for c in sheet.columns]
    return Sheet(Plain(render(sheet.name)), columns, list(sheet.rows))


def workbook(sheet: Sheet, locale: str, zone: Any) -> bytes:
    """The sheet (plain texts: see `plain`) as an XLSX workbook; run in a worker process."""
    render = Renderer(None, locale, zone)  # type: ignore[arg-type]  # plain texts need no catalogue
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "nominations.xlsx"
        write_xlsx(path, [sheet], render)
        return path.read_bytes()
