"""Milestone reports: submit, replace, withdraw, review. Rules live here, SQL in storage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.campaign.evidence import ACCEPTS
from bot.campaign.evidence import problem as evidence_problem
from bot.campaign.pack import CampaignPack, Milestone
from bot.errors import InputRejected, NotAllowed
from bot.services.people import PersonView
from bot.text import REASON_LIMIT
from storage import audit, people, reports
from storage.db import UnitOfWork
from storage.models import COUNTED, Report

REPORTING_ROLES = ("parent", "student", "staff", "principal")


@dataclass(frozen=True)
class Evidence:
    kind: str
    file_id: str
    unique_id: str
    mime: str | None = None
    size: int | None = None
    name: str | None = None
    caption: str | None = None


@dataclass(frozen=True)
class ReportView:
    id: int
    milestone: str
    status: str
    revision: int
    reported_at: datetime
    decided_at: datetime | None
    reason: str | None
    evidence_kind: str | None
    evidence_file_id: str | None
    caption: str | None


def view(report: Report) -> ReportView:
    return ReportView(
        id=report.id,
        milestone=report.milestone_key,
        status=report.status,
        revision=report.revision,
        reported_at=report.reported_at,
        decided_at=report.decided_at,
        reason=report.reason,
        evidence_kind=report.evidence_kind,
        evidence_file_id=report.evidence_file_id,
        caption=report.caption,
    )


def milestones_for(pack: CampaignPack, person: PersonView) -> list[Milestone]:
    """The milestones this person reports, in domain order; a parent's are their own,
    whichever class they joined through."""
    roles = person.roles & set(REPORTING_ROLES)
    found = [m for m in pack.milestones if roles & set(m.audience)]
    return sorted(found, key=lambda m: m.domain)


def check_evidence(milestone: Milestone, evidence: Evidence | None) -> None:
    found = evidence_problem(
        milestone.evidence,
        evidence.kind if evidence else None,
        evidence.size if evidence else None,
        evidence.caption if evidence else None,
    )
    if found is not None:
        raise InputRejected(found)


async def mine(uow: UnitOfWork, campaign_id: int, person_id: int) -> dict[str, ReportView]:
    found = await reports.of_person(uow.reads, campaign_id, person_id)
    return {r.milestone_key: view(r) for r in found if r.status != "withdrawn"}


async def submit(
    uow: UnitOfWork,
    *,
    campaign_id: int,
    pack: CampaignPack,
    person: PersonView,
    milestone_id: str,
    evidence: Evidence | None,
    now: datetime,
) -> ReportView:
    milestone = next((m for m in milestones_for(pack, person) if m.id == milestone_id), None)
    if milestone is None:
        raise NotAllowed("milestone")
    check_evidence(milestone, evidence)
    keep = evidence if ACCEPTS[milestone.evidence] else None
    existing = await reports.find(uow.session, campaign_id, person.id, milestone.id)
    report = await reports.put(
        uow.session,
        existing,
        person_id=person.id,
        campaign_id=campaign_id,
        milestone_key=milestone.id,
        status="pending" if milestone.verification else "accepted",
        evidence_kind=keep.kind if keep else None,
        evidence_file_id=keep.file_id if keep else None,
        evidence_unique_id=keep.unique_id if keep else None,
        evidence_mime=keep.mime if keep else None,
        evidence_size=keep.size if keep else None,
        evidence_name=keep.name if keep else None,
        caption=keep.caption if keep else None,
        reported_at=now,
    )
    return view(report)


async def withdraw(
    uow: UnitOfWork, *, campaign_id: int, person: PersonView, milestone_id: str, now: datetime
) -> bool:
    """Withdraw one's own report; False when there is none to withdraw."""
    existing = await reports.find(uow.session, campaign_id, person.id, milestone_id)
    if existing is None or existing.status == "withdrawn":
        return False
    existing.status = "withdrawn"
    existing.decided_at = now
    await audit.record(
        uow.session, now, person.tg_user_id, "report.withdraw", f"report:{existing.id}"
    )
    return True


# Review -------------------------------------------------------------------------


@dataclass(frozen=True)
class Pending:
    report: ReportView
    person_name: str
    reporter_tg_id: int | None
    reporter_language: str
    waiting: int


def review_scope(reviewer: PersonView | None, superadmin: bool) -> list[str]:
    """Org paths whose reports this person verifies: principals their own school."""
    if superadmin:
        return ["/"]
    if reviewer is None:
        return []
    return [m.org_path for m in reviewer.memberships if m.role == "principal"]


async def next_pending(
    uow: UnitOfWork, campaign_id: int, scope: list[str], skip: tuple[int, ...] = ()
) -> Pending | None:
    if not scope:
        return None
    found = await reports.next_pending(uow.reads, campaign_id, scope, skip)
    if found is None:
        return None
    report, person = found
    waiting = await reports.count_pending(uow.reads, campaign_id, scope)
    return Pending(view(report), person.display_name, person.tg_user_id, person.language, waiting)


@dataclass(frozen=True)
class Decision:
    outcome: str  # decided | already | resent | not_yours | gone
    report: ReportView | None = None
    reporter_tg_id: int | None = None
    reporter_language: str = "vi"
    reporter_id: int | None = None
    reporter_quiet_hours: str | None = None
    reporter_roles: frozenset[str] = frozenset()


async def decide(
    uow: UnitOfWork,
    *,
    report_id: int,
    revision: int,
    scope: list[str],
    approve: bool,
    reason: str | None,
    actor_tg_id: int,
    now: datetime,
) -> Decision:
    report = await reports.get(uow.session, report_id)
    if report is None:
        return Decision("gone")
    if not scope or not await reports.in_scope(uow.session, report_id, scope):
        return Decision("not_yours")
    status = "approved" if approve else "rejected"
    if reason is not None:
        reason = reason[:REASON_LIMIT]
    if not await reports.decide(uow.session, report_id, revision, status, actor_tg_id, now, reason):
        await uow.session.refresh(report)
        resent = report.status == "pending" and report.revision != revision
        return Decision("resent" if resent else "already", view(report))
    await audit.record(uow.session, now, actor_tg_id, f"report.{status}", f"report:{report_id}")
    await uow.session.refresh(report)
    author = await people.by_id(uow.session, report.person_id)
    roles = (
        frozenset(m.role for m, _ in await people.memberships(uow.session, author.id))
        if author
        else frozenset()
    )
    return Decision(
        "decided",
        view(report),
        author.tg_user_id if author else None,
        author.language if author else "vi",
        author.id if author else None,
        author.quiet_hours if author else None,
        roles,
    )


async def can_review(uow: UnitOfWork, report_id: int, revision: int, scope: list[str]) -> str:
    """ok, gone, not_yours, resent or already: checked before asking for a rejection reason."""
    report = await reports.get(uow.session, report_id)
    if report is None:
        return "gone"
    if not scope or not await reports.in_scope(uow.session, report_id, scope):
        return "not_yours"
    if report.status != "pending":
        return "already"
    return "ok" if report.revision == revision else "resent"


@dataclass(frozen=True)
class Progress:
    """A person's milestones for their roles, with what became of each report."""

    milestones: tuple[Milestone, ...]
    reports: dict[str, ReportView]

    @property
    def done(self) -> int:
        return sum(1 for m in self.milestones if self.status(m.id) in COUNTED)

    @property
    def total(self) -> int:
        return len(self.milestones)

    def status(self, milestone_id: str) -> str:
        found = self.reports.get(milestone_id)
        return found.status if found else ""


async def progress(
    uow: UnitOfWork, campaign_id: int, pack: CampaignPack, person: PersonView
) -> Progress:
    return Progress(tuple(milestones_for(pack, person)), await mine(uow, campaign_id, person.id))
