"""Milestone reports: submit, replace, withdraw, review. Rules live here, SQL in storage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.campaign.evidence import ACCEPTS
from bot.campaign.evidence import problem as evidence_problem
from bot.campaign.fields import LEVELS
from bot.campaign.pack import CampaignPack, Milestone
from bot.errors import InputRejected, NotAllowed
from bot.families import person_label
from bot.services.collectives import Collective, collective_for, places
from bot.services.people import PersonView
from bot.text import REASON_LIMIT, Text
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
    level: str | None = None  # who recognised an initiative
    org_id: int | None = None  # the unit or class a collective report belongs to


def view(report: Report) -> ReportView:
    return ReportView(
        level=report.level,
        org_id=report.org_id,
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
    """The milestones of this person's roles, in domain order; a parent's are their own,
    whichever class they joined through. Quiz milestones included (see `reportable`)."""
    roles = person.roles & set(REPORTING_ROLES)
    found = [m for m in pack.milestones if roles & set(m.audience)]
    return sorted(found, key=lambda m: m.domain)


def reportable(pack: CampaignPack, person: PersonView) -> list[Milestone]:
    """What this person may report in /report: their milestones but those a quiz awards,
    which are earned only by passing the quiz, and those the school's entered figures award."""
    awarded = pack.awarded() | pack.entered()
    return [m for m in milestones_for(pack, person) if m.id not in awarded]


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
    org_id: int | None = None,
    level: str | None = None,
) -> ReportView:
    """Report one's own milestone, or (with `org_id`) a collective one for a class one is
    homeroom teacher of or a unit one heads. Quiz milestones are refused: passing the quiz
    earns them."""
    if org_id is None:
        mine_ = reportable(pack, person)
        milestone = next((m for m in mine_ if m.id == milestone_id), None)
    else:
        place = next((p for p in places(person) if p.org_id == org_id), None)
        choices = collective_for(pack, place.org_kind) if place else []
        milestone = next((m for m in choices if m.id == milestone_id), None)
    if milestone is None:
        raise NotAllowed("milestone")
    if milestone.asks_level and level not in LEVELS:
        raise InputRejected("level")
    check_evidence(milestone, evidence)
    keep = evidence if ACCEPTS[milestone.evidence] else None
    if org_id is None:
        existing = await reports.find(uow.session, campaign_id, person.id, milestone.id)
        owner = {"person_id": person.id}
    else:
        existing = await reports.find_collective(uow.session, campaign_id, org_id, milestone.id)
        owner = {"person_id": None, "org_id": org_id, "reported_by": person.id}
    report = await reports.put(
        uow.session,
        existing,
        **owner,
        campaign_id=campaign_id,
        milestone_key=milestone.id,
        level=level if milestone.asks_level else None,
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


async def award(
    uow: UnitOfWork, *, campaign_id: int, person: PersonView, milestone_id: str, now: datetime
) -> bool:
    """The milestone as an accepted report, unless it already counts; True if awarded now.
    For milestones earned otherwise than by reporting: a quiz passed, a school's entered
    figures reaching their target."""
    existing = await reports.find(uow.session, campaign_id, person.id, milestone_id)
    if existing is not None and existing.status in COUNTED:
        return False
    await reports.put(
        uow.session,
        existing,
        person_id=person.id,
        campaign_id=campaign_id,
        milestone_key=milestone_id,
        status="accepted",
        evidence_kind=None,
        evidence_file_id=None,
        evidence_unique_id=None,
        evidence_mime=None,
        evidence_size=None,
        evidence_name=None,
        caption=None,
        reported_at=now,
    )
    return True


async def withdraw(
    uow: UnitOfWork,
    *,
    campaign_id: int,
    person: PersonView,
    milestone_id: str,
    now: datetime,
    org_id: int | None = None,
) -> bool:
    """Withdraw one's own report, or a collective one of a class or unit one reports for;
    False when there is none to withdraw."""
    if org_id is None:
        existing = await reports.find(uow.session, campaign_id, person.id, milestone_id)
    elif any(p.org_id == org_id for p in places(person)):
        existing = await reports.find_collective(uow.session, campaign_id, org_id, milestone_id)
    else:
        return False
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
    # A parent's (child names, relation) per class, so the reviewer sees whose parent it is.
    families: tuple[tuple[str | None, str | None], ...] = ()
    for_org: str | None = None  # a collective report: the unit's or class's name
    for_kind: str | None = None  # its kind: unit or class

    @property
    def reporter(self) -> Text:
        """ "Nguyễn Thị Lan – mẹ em An", or the name alone ("—" for a collective report)."""
        return person_label(self.person_name or "—", self.families)


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
    report, person, unit = found
    waiting = await reports.count_pending(uow.reads, campaign_id, scope)
    families = (
        tuple(
            (membership.child_names, membership.relation)
            for membership, place in await people.memberships(uow.reads, person.id)
            if membership.role == "parent"
            and membership.child_names
            and any(place.path.startswith(path) for path in scope)  # this reviewer's schools
        )
        if person is not None
        else ()
    )
    return Pending(
        view(report),
        person.display_name if person else "",
        person.tg_user_id if person else None,
        person.language if person else "vi",
        waiting,
        families,
        unit.name if unit else None,
        unit.kind if unit else None,
    )


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
    author_id = report.person_id or report.reported_by
    author = await people.by_id(uow.session, author_id) if author_id else None
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
    """A person's milestones for their roles, with what became of each report, and the
    collective milestones of the classes and units they report for."""

    milestones: tuple[Milestone, ...]
    reports: dict[str, ReportView]
    collectives: tuple[Collective, ...] = ()
    awarded: frozenset[str] = frozenset()  # earned by passing a quiz, not in /report

    @property
    def done(self) -> int:
        return sum(1 for m in self.milestones if self.status(m.id) in COUNTED)

    @property
    def total(self) -> int:
        return len(self.milestones)

    def status(self, milestone_id: str) -> str:
        found = self.reports.get(milestone_id)
        return found.status if found else ""


async def collectives(
    uow: UnitOfWork, campaign_id: int, pack: CampaignPack, person: PersonView
) -> tuple[Collective, ...]:
    held = [p for p in places(person) if collective_for(pack, p.org_kind)]
    found = await reports.of_orgs(uow.reads, campaign_id, [p.org_id for p in held])
    by_org: dict[int, dict[str, ReportView]] = {p.org_id: {} for p in held}
    for report in found:
        if report.status != "withdrawn" and report.org_id in by_org:
            by_org[report.org_id][report.milestone_key] = view(report)
    return tuple(
        Collective(p, tuple(collective_for(pack, p.org_kind)), by_org[p.org_id]) for p in held
    )


async def progress(
    uow: UnitOfWork, campaign_id: int, pack: CampaignPack, person: PersonView
) -> Progress:
    return Progress(
        tuple(milestones_for(pack, person)),
        await mine(uow, campaign_id, person.id),
        await collectives(uow, campaign_id, pack, person),
        pack.awarded(),
    )
