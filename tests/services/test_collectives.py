"""Collective reports (a unit's or class's own) and recognition levels, on SQLite and
PostgreSQL, against numbers worked out by hand.

    province 1
    ├── school 3 (A) "/1/3/": principal 900
    │   ├── units 5 (Tổ Toán - Tin), 6 (Tổ Ngữ văn), 7 (Tổ Ngoại ngữ)
    │   │     1005 heads 5; 1006 is in 6, not its head; 1007 heads 7
    │   └── classes 10, 11, 12, 13 (10A1 … 10A4)
    │         1010 homeroom of 10; 1011 of 11; 1012 of 12 and a member of unit 6
    └── school 31 (B) "/1/31/" (a string prefix of A's path would leak): unit 310, class 311

Collective reports in A, status (sent by):
    collective_registered  unit 5 approved, unit 6 pending, unit 7 rejected;
                           class 10 approved, 11 approved, 12 withdrawn, 13 none
    unit_detailed_plan     unit 5 approved, unit 7 approved
    unit_good_model        unit 5 pending
    class_parents_guided   class 10 approved, class 13 approved
  in B: unit 310 and class 311 registered, class 311 guided parents: all approved.

Initiatives (staff_initiative, personal), status and level:
    1005 approved province; 1006 approved school; 1007 pending national;
    1010 approved national; 1011 rejected province; 1012 approved with no level (sent
    before levels were asked: counts for no min_level indicator).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import insert, select

from bot.campaign.loader import load_default_pack
from bot.campaign.pack import CampaignPack, Indicator
from bot.errors import InputRejected, NotAllowed
from bot.services import campaigns, indicators, reports
from bot.services.people import PersonView, load_view
from bot.services.reports import Evidence
from storage import campaigns as campaign_rows
from storage import people as people_rows
from storage.db import Database
from storage.models import Membership, OrgUnit, Person, Report

NOW = datetime(2026, 9, 20, 2, 0, tzinfo=UTC)
PROVINCE, SCHOOL_A, SCHOOL_B = 1, 3, 31
UNITS = {5: "Tổ Toán - Tin", 6: "Tổ Ngữ văn", 7: "Tổ Ngoại ngữ", 310: "Tổ Toán"}
CLASSES = {10: "10A1", 11: "10A2", 12: "10A3", 13: "10A4", 311: "11A1"}
PRINCIPAL_A = 900
DOC = Evidence("document", "file-1", "uniq-1", "application/pdf", 1000, "dk.pdf", "Bản đăng ký")


def _path(org_id: int) -> str:
    if org_id == PROVINCE:
        return "/1/"
    if org_id in (SCHOOL_A, SCHOOL_B):
        return f"/1/{org_id}/"
    school = SCHOOL_B if org_id >= 300 else SCHOOL_A
    return f"/1/{school}/{org_id}/"


def _orgs() -> list[dict[str, Any]]:
    rows = [
        {"id": PROVINCE, "kind": "province", "name": "Bắc Ninh", "parent_id": None},
        {"id": SCHOOL_A, "kind": "school", "name": "THPT A", "parent_id": PROVINCE},
        {"id": SCHOOL_B, "kind": "school", "name": "THPT B", "parent_id": PROVINCE},
    ]
    for org_id, name in UNITS.items():
        school = SCHOOL_B if org_id >= 300 else SCHOOL_A
        rows.append({"id": org_id, "kind": "unit", "name": name, "parent_id": school})
    for org_id, name in CLASSES.items():
        school = SCHOOL_B if org_id >= 300 else SCHOOL_A
        rows.append({"id": org_id, "kind": "class", "name": name, "parent_id": school})
    return [{**row, "path": _path(row["id"]), "created_at": NOW} for row in rows]


PEOPLE = (PRINCIPAL_A, 1005, 1006, 1007, 1010, 1011, 1012, 3100)
MEMBERS = [
    # person, org, role, head
    (PRINCIPAL_A, SCHOOL_A, "principal", False),
    (1005, 5, "staff", True),
    (1006, 6, "staff", False),
    (1007, 7, "staff", True),
    (1010, 10, "staff", False),
    (1011, 11, "staff", False),
    (1012, 12, "staff", False),
    (1012, 6, "staff", False),
    (3100, 310, "staff", True),
]
COLLECTIVE = [
    # org, milestone, status, sent by
    (5, "collective_registered", "approved", 1005),
    (6, "collective_registered", "pending", None),  # sent by a head since gone
    (7, "collective_registered", "rejected", 1007),
    (10, "collective_registered", "approved", 1010),
    (11, "collective_registered", "approved", 1011),
    (12, "collective_registered", "withdrawn", 1012),
    (5, "unit_detailed_plan", "approved", 1005),
    (7, "unit_detailed_plan", "approved", 1007),
    (5, "unit_good_model", "pending", 1005),
    (10, "class_parents_guided", "approved", 1010),
    (13, "class_parents_guided", "approved", None),
    (310, "collective_registered", "approved", 3100),
    (311, "collective_registered", "approved", None),
    (311, "class_parents_guided", "approved", None),
]
INITIATIVES = [
    (1005, "approved", "province"),
    (1006, "approved", "school"),
    (1007, "pending", "national"),
    (1010, "approved", "national"),
    (1011, "rejected", "province"),
    (1012, "approved", None),
]


@dataclass
class World:
    db: Database
    campaign_id: int
    pack: CampaignPack

    def indicator(self, key: str, **changes: Any) -> Indicator:
        found = next(i for i in self.pack.indicators if i.id == key)
        return found.model_copy(update=changes) if changes else found

    async def tally(self, key: str | Indicator, org_id: int) -> tuple[int, int]:
        chosen = self.indicator(key) if isinstance(key, str) else key
        uow = self.db.unit_of_work()
        try:
            found = await indicators.tally(uow, self.campaign_id, chosen, _path(org_id))
        finally:
            await uow.abort()
        return found.population, found.achieved

    async def person(self, person_id: int) -> PersonView:
        uow = self.db.unit_of_work()
        try:
            view = await load_view(uow, 10**9 + person_id)
        finally:
            await uow.abort()
        assert view is not None
        return view


@pytest.fixture
async def world(db: Database) -> AsyncIterator[World]:
    pack = load_default_pack()
    uow = db.unit_of_work()
    await campaigns.install(uow, pack, "default", NOW)
    campaign = await campaign_rows.active(uow.session)
    assert campaign is not None
    session = uow.session
    await session.execute(insert(OrgUnit), _orgs())
    await session.execute(
        insert(Person),
        [
            {
                "id": p,
                "tg_user_id": 10**9 + p,
                "display_name": f"GV {p}",
                "language": "vi",
                "consent_at": NOW,
                "status": "active",
                "created_at": NOW,
            }
            for p in PEOPLE
        ],
    )
    await session.execute(
        insert(Membership),
        [
            {"person_id": p, "org_id": o, "role": r, "head": h, "created_at": NOW}
            for p, o, r, h in MEMBERS
        ],
    )
    rows = [
        {
            "person_id": None,
            "org_id": org,
            "reported_by": by,
            "campaign_id": campaign.id,
            "milestone_key": milestone,
            "status": status,
            "reported_at": NOW,
        }
        for org, milestone, status, by in COLLECTIVE
    ]
    rows += [
        {
            "person_id": person,
            "org_id": None,
            "reported_by": None,
            "campaign_id": campaign.id,
            "milestone_key": "staff_initiative",
            "status": status,
            "level": level,
            "reported_at": NOW,
        }
        for person, status, level in INITIATIVES
    ]
    for row in rows:
        row.setdefault("level", None)
    await session.execute(insert(Report), rows)
    await uow.finish()
    yield World(db, campaign.id, pack)


async def test_classes_and_units_are_counted_by_their_own_reports(world: World) -> None:
    # School A: units 5, 6, 7; registered and approved: 5 only (6 pending, 7 rejected).
    assert await world.tally("units_registered", SCHOOL_A) == (3, 1)
    # Classes 10..13: 10 and 11 approved, 12 withdrawn, 13 never sent.
    assert await world.tally("classes_registered", SCHOOL_A) == (4, 2)
    assert await world.tally("units_detailed_plan", SCHOOL_A) == (3, 2)
    assert await world.tally("units_good_models", SCHOOL_A) == (3, 0)
    assert await world.tally("classes_parents_guided", SCHOOL_A) == (4, 2)
    # School B's unit and class add to the province, never to A ("/1/31/" vs "/1/3/").
    assert await world.tally("units_registered", PROVINCE) == (4, 2)
    assert await world.tally("classes_registered", PROVINCE) == (5, 3)
    assert await world.tally("classes_parents_guided", SCHOOL_B) == (1, 1)
    # At a unit or class: itself.
    assert await world.tally("units_registered", 5) == (1, 1)
    assert await world.tally("units_registered", 6) == (1, 0)
    assert await world.tally("classes_registered", 10) == (1, 1)
    assert await world.tally("classes_registered", 5) == (0, 0)


async def test_rules_and_pending_for_collectives(world: World) -> None:
    both = world.indicator(
        "units_registered", milestones=["collective_registered", "unit_detailed_plan"]
    )
    # Both counted: unit 5 (7's registration was rejected).
    assert await world.tally(both, SCHOOL_A) == (3, 1)
    # Either: 5 and 7.
    assert await world.tally(both.model_copy(update={"rule": "any"}), SCHOOL_A) == (3, 2)
    # Pending counted too: unit 6's registration and 5's good model.
    assert await world.tally(
        world.indicator("units_registered", verified_only=False), SCHOOL_A
    ) == (3, 2)
    assert await world.tally(
        world.indicator("units_good_models", verified_only=False), SCHOOL_A
    ) == (3, 1)


async def test_collective_reports_never_count_for_people(world: World) -> None:
    # Unit 5's head registered the unit, not himself: no personal registration anywhere.
    assert (await world.tally("staff_registered", SCHOOL_A))[1] == 0


async def test_initiatives_count_from_the_level_that_recognised_them(world: World) -> None:
    staff = 7  # 1005, 1006, 1007, 1010, 1011, 1012 (1012 once, in two places), and the principal
    # School level or above, verified: 1005 (province), 1006 (school), 1010 (national);
    # 1007 is pending, 1011 rejected, 1012's report names no level.
    assert await world.tally("staff_initiatives", SCHOOL_A) == (staff, 3)
    # Province or above: 1005 and 1010.
    assert await world.tally("staff_initiatives_province", SCHOOL_A) == (staff, 2)
    pending_too = world.indicator("staff_initiatives_province", verified_only=False)
    assert await world.tally(pending_too, SCHOOL_A) == (staff, 3)
    # National only: 1010.
    national = world.indicator("staff_initiatives_province", min_level="national")
    assert await world.tally(national, SCHOOL_A) == (staff, 1)
    # With no min_level, every counted report counts, 1012's too: 1005, 1006, 1010, 1012.
    assert await world.tally(world.indicator("staff_initiatives", min_level=None), SCHOOL_A) == (
        staff,
        4,
    )


async def submit(world: World, person_id: int, milestone: str, **more: Any) -> Any:
    person = await world.person(person_id)
    uow = world.db.unit_of_work()
    try:
        saved = await reports.submit(
            uow,
            campaign_id=world.campaign_id,
            pack=world.pack,
            person=person,
            milestone_id=milestone,
            evidence=more.pop("evidence", DOC),
            now=NOW,
            **more,
        )
    except BaseException:
        await uow.abort()
        raise
    await uow.finish()
    return saved


async def test_only_a_head_or_homeroom_teacher_reports_for_the_unit(world: World) -> None:
    # Head of unit 5 sends its good model again: the unit's row is replaced, not a second one.
    saved = await submit(world, 1005, "unit_good_model", org_id=5)
    assert (saved.org_id, saved.status, saved.revision) == (5, "pending", 2)
    # A member of unit 6 who does not head it; a homeroom teacher for another class;
    # a unit's milestone for a class; a collective milestone as one's own.
    for person, milestone, org in [
        (1006, "collective_registered", 6),
        (1012, "collective_registered", 6),
        (1010, "collective_registered", 11),
        (1010, "unit_detailed_plan", 10),
        (1005, "collective_registered", None),
    ]:
        with pytest.raises(NotAllowed):
            await submit(world, person, milestone, org_id=org)
    # The homeroom teacher of 10A3 registers the class (its withdrawn report comes back).
    again = await submit(world, 1012, "collective_registered", org_id=12)
    assert (again.org_id, again.status) == (12, "pending")
    async with world.db.transaction() as session:
        row = (
            await session.scalars(
                select(Report).where(Report.org_id == 12, Report.milestone_key != "x")
            )
        ).one()
    assert (row.person_id, row.reported_by, row.caption) == (None, 1012, "Bản đăng ký")


async def test_quiz_milestones_and_levels_are_enforced(world: World) -> None:
    with pytest.raises(NotAllowed):  # a forged report of a quiz milestone
        await submit(world, 1006, "spots_online_fraud", evidence=None)
    with pytest.raises(InputRejected) as caught:
        await submit(world, 1012, "staff_initiative")
    assert caught.value.reason == "level"
    with pytest.raises(InputRejected):
        await submit(world, 1012, "staff_initiative", level="galaxy")
    saved = await submit(world, 1012, "staff_initiative", level="commune")
    assert (saved.level, saved.status) == ("commune", "pending")
    # A milestone that asks no level keeps none, whatever is sent.
    plain = await submit(world, 1006, "emulation_registered", level="national")
    assert plain.level is None


async def test_the_principal_reviews_collective_reports_of_the_school(world: World) -> None:
    principal = await world.person(PRINCIPAL_A)
    scope = reports.review_scope(principal, superadmin=False)
    uow = world.db.unit_of_work()
    try:
        first = await reports.next_pending(uow, world.campaign_id, scope)
        assert first is not None
        # Oldest first by time, then id: unit 6's registration (its head has left).
        assert (first.report.org_id, first.for_org, first.for_kind) == (6, "Tổ Ngữ văn", "unit")
        assert first.person_name == "" and first.reporter_tg_id is None
        assert first.waiting == 3  # unit 6, unit 5's good model, 1007's initiative
        second = await reports.next_pending(uow, world.campaign_id, scope, (first.report.id,))
        assert second is not None and second.for_org == "Tổ Toán - Tin"
        assert second.person_name == "GV 1005" and second.reporter_tg_id == 10**9 + 1005
        # School B's principal scope never sees them.
        assert await reports.next_pending(uow, world.campaign_id, ["/1/31/"]) is None
        decision = await reports.decide(
            uow,
            report_id=second.report.id,
            revision=second.report.revision,
            scope=scope,
            approve=True,
            reason=None,
            actor_tg_id=10**9 + PRINCIPAL_A,
            now=NOW,
        )
        assert decision.outcome == "decided" and decision.reporter_id == 1005
        other = await reports.decide(
            uow,
            report_id=first.report.id,
            revision=first.report.revision,
            scope=["/1/31/"],
            approve=True,
            reason=None,
            actor_tg_id=1,
            now=NOW,
        )
        assert other.outcome == "not_yours"
        await uow.finish()
    except BaseException:
        await uow.abort()
        raise
    assert await world.tally("units_good_models", SCHOOL_A) == (3, 1)


async def test_forget_leaves_the_unit_its_report(world: World) -> None:
    before = await world.tally("units_registered", SCHOOL_A)
    async with world.db.transaction() as session:
        await people_rows.forget(session, 1005, 10**9 + 1005)
    async with world.db.transaction() as session:
        rows = list(await session.scalars(select(Report).where(Report.org_id == 5)))
    assert rows and all(r.reported_by is None and r.caption is None for r in rows)
    assert await world.tally("units_registered", SCHOOL_A) == before


async def test_progress_shows_each_place_one_reports_for(world: World) -> None:
    uow = world.db.unit_of_work()
    try:
        teacher = await world.person(1012)
        found = await reports.progress(uow, world.campaign_id, world.pack, teacher)
        head = await reports.progress(uow, world.campaign_id, world.pack, await world.person(1005))
    finally:
        await uow.abort()
    # 1012: homeroom teacher of 10A3 (class 12); a member, not the head, of unit 6.
    assert [c.place.org_id for c in found.collectives] == [12]
    (mine,) = found.collectives
    assert {m.id for m in mine.milestones} == {"collective_registered", "class_parents_guided"}
    assert mine.status("collective_registered") == ""  # withdrawn is not shown as reported
    (unit,) = head.collectives
    assert unit.place.org_name == "Tổ Toán - Tin"
    assert {m.id for m in unit.milestones} == {
        "collective_registered",
        "unit_detailed_plan",
        "unit_good_model",
    }
    assert unit.done == 2 and unit.status("unit_good_model") == "pending"
    assert "spots_online_fraud" in found.awarded


async def test_unit_statuses_for_the_class_view(world: World) -> None:
    uow = world.db.unit_of_work()
    try:
        seen = await indicators.unit_statuses(uow, world.campaign_id, world.pack, 10, "class")
    finally:
        await uow.abort()
    assert [(s.milestone, s.status) for s in seen] == [
        ("collective_registered", "approved"),
        ("class_parents_guided", "approved"),
    ]
