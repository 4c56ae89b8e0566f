"""Award shortlists (khen thưởng) for a school or a department's subtree, with evidence.

For each award of the pack (bot.campaign.nominations), everyone it is for at or below
the node is a candidate; the rules' shortlist is those whose evidence meets every rule.
The shortlist shown is that, less the names a principal removed, plus those they added,
each change with its reason and who made it (bot.services.nomination_changes).

Evidence is read in a few statements for the whole subtree (reports of the milestones
the rules name, first passed quiz attempts, the classes' families and headcounts), then
each candidate is judged in memory. Only people with some evidence or a change are
named, so a province's shortlist does not load everyone who joined.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.campaign.nominations import Award, Rule
from bot.campaign.pack import CampaignPack
from bot.text import normalise
from storage import headcounts, reports
from storage import nominations as rows
from storage.db import UnitOfWork
from storage.models import COUNTED
from storage.nominations import Change, Evidence, QuizPass

FAMILY_ROLES = ("parent",)  # whose milestone a families rule counts in a class


@dataclass(frozen=True)
class Proof:
    """What stands behind one rule for one candidate (several reports for a milestones rule)."""

    rule: int  # index of the rule in the award
    report: Evidence | None = None
    quiz: QuizPass | None = None
    families: tuple[int, int | None] | None = None  # (families who did it, headcount)


@dataclass
class Candidate:
    key: str  # "p<person id>" or "o<class or unit id>"
    name: str
    role: str  # the person's role, or "class" / "unit"
    place: str  # a person's classes or units; a collective's own name
    school_id: int
    school: str
    rules: int = 0  # how many rules the award has
    met: set[int] = field(default_factory=set)  # indexes of the rules met
    proofs: list[Proof] = field(default_factory=list)
    change: Change | None = None

    @property
    def by_rules(self) -> bool:
        """On the rules' shortlist: every rule met."""
        return bool(self.rules) and len(self.met) == self.rules

    @property
    def listed(self) -> bool:
        """On the shortlist shown: by the rules and not removed, or added."""
        if self.change is not None:
            return self.change.change == "added"
        return self.by_rules


@dataclass(frozen=True)
class Shortlist:
    award: Award
    candidates: list[Candidate]  # listed, removed and added: everyone the sheet shows

    @property
    def listed(self) -> list[Candidate]:
        return [c for c in self.candidates if c.listed]

    @property
    def removed(self) -> list[Candidate]:
        return [c for c in self.candidates if not c.listed]


def statuses(rule: Rule) -> tuple[str, ...]:
    return reports.counted_statuses(rule.verified_only)


def wanted(award: Award, pack: CampaignPack, role: str) -> list[tuple[int, list[str]]]:
    """(rule index, milestones it needs) for the report rules, for a holder of `role`."""
    found = []
    for index, rule in enumerate(award.rules):
        if rule.kind == "milestones" and rule.milestones == "all":
            ids = [m.id for m in pack.milestones if role in m.audience]
        elif rule.kind in ("quiz", "families"):
            continue
        else:
            ids = rule.milestone_ids()
        found.append((index, ids))
    return found


def judge(
    candidate: Candidate,
    award: Award,
    pack: CampaignPack,
    held: Sequence[Evidence],
    passed: Sequence[QuizPass] = (),
) -> None:
    """Which rules the candidate's evidence meets (not the families rule: see `_families`)."""
    candidate.rules = len(award.rules)
    by_milestone: dict[str, Evidence] = {e.milestone: e for e in held}
    for index, ids in wanted(award, pack, candidate.role):
        rule = award.rules[index]
        good = [
            by_milestone[m]
            for m in ids
            if m in by_milestone
            and by_milestone[m].status in statuses(rule)
            and (rule.kind != "initiative" or by_milestone[m].level in rule.recognised())
        ]
        candidate.proofs.extend(Proof(index, report=e) for e in good)
        if ids and len(good) == len(ids):
            candidate.met.add(index)
    for index, rule in enumerate(award.rules):
        if rule.kind == "quiz":
            found = next((p for p in passed if p.quiz == rule.quiz), None)
            if found is not None:
                candidate.met.add(index)
                candidate.proofs.append(Proof(index, quiz=found))


def _all_statuses(award: Award) -> tuple[str, ...]:
    return COUNTED if all(r.verified_only for r in award.rules) else (*COUNTED, "pending")


def _milestones(award: Award, pack: CampaignPack) -> list[str]:
    roles = award.audience
    ids = {m for role in roles for _, found in wanted(award, pack, role) for m in found}
    return sorted(ids)


def _school_of(path: str, schools: dict[int, tuple[str, str]]) -> int | None:
    return next((int(p) for p in path.strip("/").split("/") if int(p) in schools), None)


async def _people(
    uow: UnitOfWork, campaign_id: int, pack: CampaignPack, award: Award, path: str
) -> list[Candidate]:
    roles = list(award.audience)
    if "staff" in roles and "principal" not in roles:
        roles.append("principal")  # principals are staff too (bot.services.indicators)
    held = await rows.person_evidence(
        uow.reads, campaign_id, path, roles, _milestones(award, pack), _all_statuses(award)
    )
    quizzes = [r.quiz for r in award.rules if r.quiz]
    passes = await rows.quiz_passes(uow.reads, campaign_id, path, roles, quizzes)
    by_person: dict[int, list[Evidence]] = {}
    for e in held:
        by_person.setdefault(e.holder, []).append(e)
    passed: dict[int, list[QuizPass]] = {}
    for p in passes:
        passed.setdefault(p.person_id, []).append(p)
    schools = await rows.schools(uow.reads, path)
    found: dict[int, Candidate] = {}
    named = await rows.candidates(
        uow.reads,
        campaign_id=campaign_id,
        award=award.id,
        path=path,
        roles=roles,
        milestones=_milestones(award, pack),
        statuses=_all_statuses(award),
        quizzes=quizzes,
    )
    for member in named:
        school_id = _school_of(member.org_path, schools)
        if school_id is None:
            continue
        candidate = found.get(member.person_id)
        if candidate is None:
            role = member.role if member.role in award.audience else "staff"
            candidate = found[member.person_id] = Candidate(
                f"p{member.person_id}",
                normalise(member.name),
                role,
                "",
                school_id,
                schools[school_id][0],
            )
        if member.org_kind in ("class", "unit"):
            places = [p for p in candidate.place.split(", ") if p]
            candidate.place = ", ".join([*places, member.org_name])
    for person_id, candidate in found.items():
        judge(candidate, award, pack, by_person.get(person_id, ()), passed.get(person_id, ()))
    return list(found.values())


async def _collectives(
    uow: UnitOfWork, campaign_id: int, pack: CampaignPack, award: Award, path: str
) -> list[Candidate]:
    kinds = list(award.audience)
    held = await rows.collective_evidence(
        uow.reads, campaign_id, path, kinds, _milestones(award, pack), _all_statuses(award)
    )
    by_org: dict[int, list[Evidence]] = {}
    for e in held:
        by_org.setdefault(e.holder, []).append(e)
    schools = await rows.schools(uow.reads, path)
    found: list[Candidate] = []
    for unit in await rows.places(uow.reads, path, kinds):
        school_id = _school_of(unit.path, schools)
        if school_id is None:
            continue
        candidate = Candidate(
            f"o{unit.id}", normalise(unit.name), unit.kind, "", school_id, schools[school_id][0]
        )
        judge(candidate, award, pack, by_org.get(unit.id, ()))
        found.append(candidate)
    for index, rule in enumerate(award.rules):
        if rule.kind == "families":
            await _families(uow, campaign_id, path, index, rule, found)
    return found


async def _families(
    uow: UnitOfWork, campaign_id: int, path: str, index: int, rule: Rule, classes: list[Candidate]
) -> None:
    """A class meets a families rule when those of its families who have the milestone
    counted (each parent once per child named, capped at the headcount, as the families
    indicators count them) are at least `percent` of its headcount (families, else
    students). Without a headcount the share is unknown, and the rule is not met."""
    _, counts = await headcounts.places_with_counts(uow.reads, path, "class")
    sizes = {
        org_id: size
        for org_id, kept in counts.items()
        if (size := kept.get("families") or kept.get("students"))
    }
    done = await reports.people_by_place(
        uow.reads,
        campaign_id=campaign_id,
        path=path,
        places=[int(c.key[1:]) for c in classes],
        place_kind="class",
        roles=FAMILY_ROLES,
        milestones=[str(rule.families)],
        need=1,
        statuses=statuses(rule),
    )
    for candidate in classes:
        org_id = int(candidate.key[1:])
        size = sizes.get(org_id)
        did = done.get(org_id, (0, 0))[1]
        did = min(did, size) if size else did
        candidate.proofs.append(Proof(index, families=(did, size)))
        if size and did * 100 >= float(rule.percent or 0) * size:
            candidate.met.add(index)


async def shortlist(
    uow: UnitOfWork,
    campaign_id: int,
    pack: CampaignPack,
    award: Award,
    path: str,
    changes: Sequence[Change] | None = None,
) -> Shortlist:
    """One award's shortlist at or below `path`."""
    if changes is None:
        changes = await rows.changes(uow.reads, campaign_id, path)
    if award.collective:
        candidates = await _collectives(uow, campaign_id, pack, award, path)
    else:
        candidates = await _people(uow, campaign_id, pack, award, path)
    by_key = {c.key: c for c in candidates}
    for change in changes:
        key = f"p{change.person_id}" if change.person_id else f"o{change.org_id}"
        if change.award == award.id and key in by_key:
            by_key[key].change = change
    shown = [c for c in candidates if c.by_rules or c.change is not None]
    shown.sort(key=lambda c: (c.school, c.school_id, c.name.casefold(), c.key))
    return Shortlist(award, shown)


async def shortlists(
    uow: UnitOfWork, campaign_id: int, pack: CampaignPack, path: str
) -> list[Shortlist]:
    """Every award's shortlist at or below `path` (a school, a commune, a province)."""
    changes = await rows.changes(uow.reads, campaign_id, path)
    return [
        await shortlist(uow, campaign_id, pack, award, path, changes) for award in pack.nominations
    ]


def evidence_date(proof: Proof) -> datetime | None:
    if proof.report is not None:
        return proof.report.decided_at or proof.report.reported_at
    if proof.quiz is not None:
        return proof.quiz.finished_at
    return None
