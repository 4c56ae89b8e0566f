"""Indicators against numbers worked out by hand, on SQLite and on PostgreSQL.

The world (explicit ids, so that paths are string prefixes of one another where it
hurts: school A "/1/2/3/" vs school B "/1/2/31/", district "/1/2/" vs "/1/20/",
class 0 "/1/2/3/12/" vs class 1 "/1/2/3/120/"):

    province 1
    ├── district 2 (D)
    │   ├── school 3 (A): principal 900
    │   │   ├── units 5, 6, 7, 8: staff s = 0..59, 15 per unit (unit = 5 + s // 15)
    │   │   └── classes 12, 120..148: parents p = 0..1199, 40 per class (class c = p // 40);
    │   │       parent 0 also sits in class 1; parent 5 used /forget; student 4000 in class 29
    │   └── school 31 (B): principal 901, staff 5000-5002 (unit 310), parents 5100-5103 (class 311),
    │       parents 5200-5209 (class 312, "sparse": 10 of its 40 families joined, all reported)
    └── district 20 (D2)
        └── school 21 (C): principal 902, staff 6000-6001 (unit 210), parents 6100-6102 (class 211)

Reports in school A:

    staff s   staff_digital_skills     s % 3: 0 approved, 1 pending, 2 rejected
              bdhvs_course             s % 4: 1 approved, 2 withdrawn, else none
              staff_digital_signature  s < 45 approved; 45, 46, 47 withdrawn; 48 pending
    parent p  school_digital_services  p % 4: 0 accepted, 1 pending, 2 rejected, 3 none
              cashless_fees            p % 5: 0 approved, 1 withdrawn, 2 accepted, else none
              bdhvs_course             p % 10 == 0 approved (a staff milestone too: must not
                                       leak into the staff indicators)
    student   cashless_fees accepted
    principal school_records_digitised accepted, school_cashless_fees pending,
              school_4725_level2 rejected; staff_digital_skills approved (principals are
              staff in the staff indicators: the plan covers all cán bộ)

Headcounts (the denominators): school A staff 64 (61 joined: 60 staff and the
principal); unit 5 staff 15; class 0 students 40; class 1 students 40 and families 38
(41 joined: fewer families than members, so the class is capped at 38); class 29
students 45; the other 27 classes of A none. School B staff 5, class 312 students 40,
class 311 none. School C none.

The default pack: staff_basic_skills = any of [staff_digital_skills, bdhvs_course];
families_digital_services = any of [school_digital_services, cashless_fees];
staff_signature = [staff_digital_signature]; the school indicators are one milestone
each; all verified_only. Counted: approved, accepted.

Useful by-hand facts, for p mod 20 (the pattern repeats every 20 parents):
  school_digital_services counted: p % 4 == 0          -> {0, 4, 8, 12, 16}
  cashless_fees counted:           p % 5 in {0, 2}     -> {0, 2, 5, 7, 10, 12, 15, 17}
  either (rule any): {0,2,4,5,7,8,10,12,15,16,17}      -> 11 per 20, 22 per class of 40
  both (rule all):   {0, 12}                           -> 2 per 20
  either, pending too: p % 4 in {0,1} or p % 5 in {0,2}
        {0,1,2,4,5,7,8,9,10,12,13,15,16,17}            -> 14 per 20
and for staff (s mod 12): s % 3 == 0 or s % 4 == 1 -> {0,1,3,5,6,9} -> 6 per 12.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import insert, text, update

from bot.campaign.loader import load_default_pack
from bot.campaign.pack import CampaignPack, Indicator
from bot.services import campaigns, indicators, stats
from storage import campaigns as campaign_rows
from storage import migrate, org_units
from storage.db import Database
from storage.models import Headcount, Membership, OrgUnit, Person, Report

NOW = datetime(2026, 9, 5, 1, 0, tzinfo=UTC)

PROVINCE, DISTRICT, SCHOOL_A, SCHOOL_B, DISTRICT_2, SCHOOL_C = 1, 2, 3, 31, 20, 21
UNITS = (5, 6, 7, 8)
CLASSES = (12, *range(120, 149))  # class 0 is 12, classes 1..29 are 120..148
UNIT_B, CLASS_B, UNIT_C, CLASS_C = 310, 311, 210, 211
SPARSE = 312  # school B: 10 of 40 families joined
PARENTS_SPARSE = 5200
PRINCIPAL_A, PRINCIPAL_B, PRINCIPAL_C = 900, 901, 902
STAFF, PARENTS, STUDENT = 1000, 2000, 4000  # id bases in school A
FORGOTTEN = PARENTS + 5
STAFF_B, PARENTS_B, STAFF_C, PARENTS_C = 5000, 5100, 6000, 6100

INDICATOR_ORDER = [
    "staff_basic_skills",
    "families_digital_services",
    "staff_signature",
    "records_digitised",
    "cashless_einvoice",
    "self_assessment_level2",
]


def path(org_id: int) -> str:
    return PATHS[org_id]


PATHS: dict[int, str] = {PROVINCE: "/1/", DISTRICT: "/1/2/", SCHOOL_A: "/1/2/3/"}
PATHS.update({u: f"/1/2/3/{u}/" for u in UNITS})
PATHS.update({c: f"/1/2/3/{c}/" for c in CLASSES})
PATHS.update({SCHOOL_B: "/1/2/31/", UNIT_B: "/1/2/31/310/", CLASS_B: "/1/2/31/311/"})
PATHS[SPARSE] = "/1/2/31/312/"
PATHS.update({DISTRICT_2: "/1/20/", SCHOOL_C: "/1/20/21/", UNIT_C: "/1/20/21/210/"})
PATHS[CLASS_C] = "/1/20/21/211/"


def _org_rows() -> list[dict[str, Any]]:
    kinds = {PROVINCE: "province", DISTRICT: "district", DISTRICT_2: "district"}
    kinds.update({s: "school" for s in (SCHOOL_A, SCHOOL_B, SCHOOL_C)})
    kinds.update({u: "unit" for u in (*UNITS, UNIT_B, UNIT_C)})
    kinds.update({c: "class" for c in (*CLASSES, CLASS_B, CLASS_C, SPARSE)})
    rows = []
    for org_id, org_path in sorted(PATHS.items(), key=lambda item: item[1].count("/")):
        parts = org_path.strip("/").split("/")
        rows.append(
            {
                "id": org_id,
                "kind": kinds[org_id],
                "name": f"{kinds[org_id]} {org_id}",
                "parent_id": int(parts[-2]) if len(parts) > 1 else None,
                "path": org_path,
                "created_at": NOW,
            }
        )
    return rows


def _person(person_id: int, name: str) -> dict[str, Any]:
    return {
        "id": person_id,
        "tg_user_id": 10**9 + person_id,
        "display_name": name,
        "language": "vi",
        "consent_at": NOW,
        "status": "active",
        "created_at": NOW,
    }


HEADCOUNTS: list[tuple[int, str, int]] = [  # org, kind, count
    (SCHOOL_A, "staff", 64),
    (UNITS[0], "staff", 15),
    (CLASSES[0], "students", 40),
    (CLASSES[1], "students", 40),
    (CLASSES[1], "families", 38),
    (CLASSES[29], "students", 45),
    (SCHOOL_B, "staff", 5),
    (SPARSE, "students", 40),
]


def _world() -> tuple[list[dict], list[dict], list[tuple[int, int, str]], list[tuple]]:
    people: list[dict[str, Any]] = []
    members: list[tuple[int, int, str]] = []  # person, org, role
    reports: list[tuple[int, str, str]] = []  # person, milestone, status

    for principal, school in (
        (PRINCIPAL_A, SCHOOL_A),
        (PRINCIPAL_B, SCHOOL_B),
        (PRINCIPAL_C, SCHOOL_C),
    ):
        people.append(_person(principal, f"HT {school}"))
        members.append((principal, school, "principal"))

    for s in range(60):
        people.append(_person(STAFF + s, f"GV {s:02d}"))
        members.append((STAFF + s, UNITS[s // 15], "staff"))
        skills = ("approved", "pending", "rejected")[s % 3]
        reports.append((STAFF + s, "staff_digital_skills", skills))
        if s % 4 in (1, 2):
            reports.append((STAFF + s, "bdhvs_course", "approved" if s % 4 == 1 else "withdrawn"))
        signature = {45: "withdrawn", 46: "withdrawn", 47: "withdrawn", 48: "pending"}
        if s < 45 or s in signature:
            reports.append((STAFF + s, "staff_digital_signature", signature.get(s, "approved")))

    for p in range(1200):
        person = _person(PARENTS + p, f"PH {p:04d}")
        if PARENTS + p == FORGOTTEN:
            person.update(tg_user_id=None, display_name="", consent_at=None, status="forgotten")
        people.append(person)
        members.append((PARENTS + p, CLASSES[p // 40], "parent"))
        services = ("accepted", "pending", "rejected", None)[p % 4]
        if services:
            reports.append((PARENTS + p, "school_digital_services", services))
        fees = {0: "approved", 1: "withdrawn", 2: "accepted"}.get(p % 5)
        if fees:
            reports.append((PARENTS + p, "cashless_fees", fees))
        if p % 10 == 0:
            reports.append((PARENTS + p, "bdhvs_course", "approved"))
    members.append((PARENTS, CLASSES[1], "parent"))  # parent 0 has a child in class 1 too

    people.append(_person(STUDENT, "HS 4000"))
    members.append((STUDENT, CLASSES[29], "student"))
    reports.append((STUDENT, "cashless_fees", "accepted"))

    reports += [
        (PRINCIPAL_A, "school_records_digitised", "accepted"),
        (PRINCIPAL_A, "school_cashless_fees", "pending"),
        (PRINCIPAL_A, "school_4725_level2", "rejected"),
        (PRINCIPAL_A, "staff_digital_skills", "approved"),
    ]

    # School B (same district): everyone reported, all counted.
    reports += [
        (PRINCIPAL_B, "school_records_digitised", "approved"),
        (PRINCIPAL_B, "school_cashless_fees", "accepted"),
        (PRINCIPAL_B, "school_4725_level2", "withdrawn"),
    ]
    for i in range(3):
        people.append(_person(STAFF_B + i, f"GV B{i}"))
        members.append((STAFF_B + i, UNIT_B, "staff"))
        reports.append((STAFF_B + i, "staff_digital_skills", "approved"))
        reports.append((STAFF_B + i, "staff_digital_signature", "approved"))
    for i in range(4):
        people.append(_person(PARENTS_B + i, f"PH B{i}"))
        members.append((PARENTS_B + i, CLASS_B, "parent"))
        reports.append((PARENTS_B + i, "school_digital_services", "accepted"))
    for i in range(10):
        people.append(_person(PARENTS_SPARSE + i, f"PH S{i}"))
        members.append((PARENTS_SPARSE + i, SPARSE, "parent"))
        reports.append((PARENTS_SPARSE + i, "school_digital_services", "accepted"))

    # School C (the other district).
    reports += [
        (PRINCIPAL_C, "school_4725_level2", "accepted"),
        (PRINCIPAL_C, "school_records_digitised", "pending"),
    ]
    for i in range(2):
        people.append(_person(STAFF_C + i, f"GV C{i}"))
        members.append((STAFF_C + i, UNIT_C, "staff"))
        reports.append((STAFF_C + i, "staff_digital_signature", "approved"))
    reports.append((STAFF_C, "bdhvs_course", "approved"))
    reports.append((STAFF_C + 1, "staff_digital_skills", "pending"))
    for i in range(3):
        people.append(_person(PARENTS_C + i, f"PH C{i}"))
        members.append((PARENTS_C + i, CLASS_C, "parent"))
    reports.append((PARENTS_C, "cashless_fees", "accepted"))
    reports.append((PARENTS_C + 1, "school_digital_services", "rejected"))
    return _org_rows(), people, members, reports


class World:
    def __init__(self, db: Database, campaign_id: int, pack: CampaignPack) -> None:
        self.db = db
        self.campaign_id = campaign_id
        self.pack = pack

    def indicator(self, key: str, **changes: Any) -> Indicator:
        found = next(i for i in self.pack.indicators if i.id == key)
        return found.model_copy(update=changes) if changes else found

    async def tallies(self, org_id: int) -> dict[str, tuple[int, int]]:
        uow = self.db.unit_of_work()
        try:
            found = await indicators.tallies(uow, self.campaign_id, self.pack, path(org_id))
        finally:
            await uow.abort()
        # The seed indicators this world was worked out for (the others: test_collectives.py).
        found = [t for t in found if t.indicator.id in INDICATOR_ORDER]
        assert [t.indicator.id for t in found] == INDICATOR_ORDER
        return {t.indicator.id: (t.population, t.achieved) for t in found}

    async def coverages(self, org_id: int) -> dict[str, indicators.Coverage | None]:
        uow = self.db.unit_of_work()
        try:
            found = await indicators.tallies(uow, self.campaign_id, self.pack, path(org_id))
        finally:
            await uow.abort()
        return {t.indicator.id: t.coverage for t in found}

    async def tally(self, indicator: Indicator, org_id: int) -> indicators.Tally:
        uow = self.db.unit_of_work()
        try:
            return await indicators.tally(uow, self.campaign_id, indicator, path(org_id))
        finally:
            await uow.abort()

    async def class_view(self, org_id: int, kind: str, names: bool) -> dict[str, Any]:
        uow = self.db.unit_of_work()
        try:
            counts = await indicators.class_view(
                uow, self.campaign_id, self.pack, org_id, kind, names
            )
        finally:
            await uow.abort()
        return {c.milestone: c for c in counts}


async def build(db: Database) -> World:
    """Migrate, install the default pack and bulk-insert the world; one transaction."""
    await migrate.upgrade(db)
    pack = load_default_pack()
    orgs, people, members, reports = _world()
    uow = db.unit_of_work()
    await campaigns.install(uow, pack, "default", NOW)
    campaign = await campaign_rows.active(uow.session)
    assert campaign is not None
    session = uow.session
    await session.execute(insert(OrgUnit), orgs)
    await session.execute(insert(Person), people)
    await session.execute(
        insert(Membership),
        [{"person_id": p, "org_id": o, "role": r, "created_at": NOW} for p, o, r in members],
    )
    await session.execute(
        insert(Report),
        [
            {
                "person_id": person,
                "campaign_id": campaign.id,
                "milestone_key": milestone,
                "status": status,
                "reported_at": NOW,
            }
            for person, milestone, status in reports
        ],
    )
    await session.execute(
        insert(Headcount),
        [
            {"org_id": o, "kind": k, "count": n, "source": "import", "updated_at": NOW}
            for o, k, n in HEADCOUNTS
        ],
    )
    await uow.finish()
    if db.dialect == "postgresql":
        # Fresh tables have no statistics until autovacuum gets to them (it may be off):
        # the planner then guesses one row everywhere and nests loops over all reports.
        async with db.engine.begin() as connection:
            await connection.execute(text("ANALYZE org_units, memberships, reports"))
    return World(db, campaign.id, pack)


@pytest.fixture
async def world(db_url: str) -> AsyncIterator[World]:
    db = Database(db_url)
    try:
        yield await build(db)
    finally:
        await db.dispose()


def test_the_default_pack_is_what_the_hand_counts_assume() -> None:
    pack = load_default_pack()
    shape = {
        i.id: (i.counts, i.audience, i.milestones, i.rule, i.verified_only)
        for i in pack.indicators
        if i.id in INDICATOR_ORDER
    }
    assert shape == {
        "staff_basic_skills": (
            "people",
            ["staff"],
            ["staff_digital_skills", "bdhvs_course"],
            "any",
            True,
        ),
        "families_digital_services": (
            "people",
            ["parent", "student"],
            ["school_digital_services", "cashless_fees"],
            "any",
            True,
        ),
        "staff_signature": ("people", ["staff"], ["staff_digital_signature"], "all", True),
        "records_digitised": ("schools", ["principal"], ["school_records_digitised"], "all", True),
        "cashless_einvoice": ("schools", ["principal"], ["school_cashless_fees"], "all", True),
        "self_assessment_level2": ("schools", ["principal"], ["school_4725_level2"], "all", True),
    }


async def test_tallies_at_every_level_match_the_hand_counts(world: World) -> None:
    await check_levels(world)
    await check_variants_and_figures(world)  # one world per backend keeps this quick


async def check_levels(world: World) -> None:
    none = {
        "records_digitised": (0, 0),
        "cashless_einvoice": (0, 0),
        "self_assessment_level2": (0, 0),
    }
    no_staff = {"staff_basic_skills": (0, 0), "staff_signature": (0, 0)}

    # Class 0: parents 0..39, two full blocks of 20 -> 2 x 11 = 22; the forgotten
    # parent 5 counts (cashless approved; services only pending).
    assert await world.tallies(CLASSES[0]) == {
        **no_staff,
        "families_digital_services": (40, 22),
        **none,
    }
    # Class 1: parents 40..79 -> 22, plus parent 0 (services accepted) -> 23 of 41.
    assert (await world.tallies(CLASSES[1]))["families_digital_services"] == (41, 23)
    # Class 29: parents 1160..1199 -> 22, plus the student (cashless accepted) -> 23 of 41.
    assert (await world.tallies(CLASSES[29]))["families_digital_services"] == (41, 23)

    # Unit 0, s = 0..14: skills approved 0,3,6,9,12; course approved 1,5,9,13 -> 8 distinct.
    # Signature approved for all 15.
    assert await world.tallies(UNITS[0]) == {
        "staff_basic_skills": (15, 8),
        "families_digital_services": (0, 0),
        "staff_signature": (15, 15),
        **none,
    }
    # Unit 3, s = 45..59: skills 45,48,51,54,57; course 45,49,53,57 -> 7 distinct.
    # Signature: 45-47 withdrawn, 48 pending -> 0.
    assert await world.tallies(UNITS[3]) == {
        "staff_basic_skills": (15, 7),
        "families_digital_services": (0, 0),
        "staff_signature": (15, 0),
        **none,
    }

    # School A: staff 6 per 12 -> 30 of 60 (units 8+8+7+7), and the principal (skills
    # approved) -> 31 of 61; parents 11 per 20 -> 660 of 1200 distinct (parent 0 once),
    # plus the student -> 661 of 1201; signature s < 45 (the principal has none).
    # The principal: records accepted; cashless only pending; 4725 rejected.
    assert await world.tallies(SCHOOL_A) == {
        "staff_basic_skills": (61, 31),
        "families_digital_services": (1201, 661),
        "staff_signature": (61, 45),
        "records_digitised": (1, 1),
        "cashless_einvoice": (1, 0),
        "self_assessment_level2": (1, 0),
    }
    # School B alone: 3 staff all counted, the principal not; 4 + 10 parents all counted;
    # 4725 was withdrawn.
    assert await world.tallies(SCHOOL_B) == {
        "staff_basic_skills": (4, 3),
        "families_digital_services": (14, 14),
        "staff_signature": (4, 3),
        "records_digitised": (1, 1),
        "cashless_einvoice": (1, 1),
        "self_assessment_level2": (1, 0),
    }
    # District D = A + B; "/1/20/" (district 2) must not fall under "/1/2/".
    assert await world.tallies(DISTRICT) == {
        "staff_basic_skills": (65, 34),
        "families_digital_services": (1215, 675),
        "staff_signature": (65, 48),
        "records_digitised": (2, 2),
        "cashless_einvoice": (2, 1),
        "self_assessment_level2": (2, 0),
    }
    # District 2 = school C: staff 6000 course approved, 6001 skills only pending, the
    # principal nothing -> 1 of 3; parents: 6100 cashless accepted, 6101 services rejected,
    # 6102 nothing -> 1 of 3; principal: 4725 accepted, records pending.
    assert await world.tallies(DISTRICT_2) == {
        "staff_basic_skills": (3, 1),
        "families_digital_services": (3, 1),
        "staff_signature": (3, 2),
        "records_digitised": (1, 0),
        "cashless_einvoice": (1, 0),
        "self_assessment_level2": (1, 1),
    }
    # Province = D + D2.
    assert await world.tallies(PROVINCE) == {
        "staff_basic_skills": (68, 35),
        "families_digital_services": (1218, 676),
        "staff_signature": (68, 50),
        "records_digitised": (3, 2),
        "cashless_einvoice": (3, 1),
        "self_assessment_level2": (3, 1),
    }


async def check_variants_and_figures(world: World) -> None:
    """Other rules and verified_only off, on the same world; then the Tally figures."""
    # Families, rule all: p mod 20 in {0, 12} -> 2 x 60 = 120; the student has one only.
    families_all = world.indicator("families_digital_services", rule="all")
    assert (await world.tally(families_all, SCHOOL_A)).achieved == 120
    # Families, pending counts too: 14 per 20 -> 840, plus the student -> 841.
    families_loose = world.indicator("families_digital_services", verified_only=False)
    assert (await world.tally(families_loose, SCHOOL_A)).achieved == 841
    # Staff, rule all: s % 3 == 0 and s % 4 == 1 -> s = 9, 21, 33, 45, 57.
    staff_all = world.indicator("staff_basic_skills", rule="all")
    assert (await world.tally(staff_all, SCHOOL_A)).achieved == 5
    # Signature with pending: 45 approved + 48 pending; withdrawn never.
    signature_loose = world.indicator("staff_signature", verified_only=False)
    assert (await world.tally(signature_loose, SCHOOL_A)).achieved == 46
    # The principal's pending cashless report counts once pending is allowed.
    cashless_loose = world.indicator("cashless_einvoice", verified_only=False)
    assert (await world.tally(cashless_loose, SCHOOL_A)).achieved == 1
    assert (await world.tally(cashless_loose, DISTRICT)).achieved == 2

    # The figures the /class message shows.
    uow = world.db.unit_of_work()
    try:
        people_only = await indicators.tallies(
            uow, world.campaign_id, world.pack, path(SCHOOL_A), counts=("people",)
        )
    finally:
        await uow.abort()
    assert {t.indicator.counts for t in people_only} == {"people"}
    people_only = [t for t in people_only if t.indicator.id in INDICATOR_ORDER]
    assert [t.indicator.id for t in people_only] == INDICATOR_ORDER[:3]
    families = people_only[1]
    # Against the headcounts of classes 0, 1 and 29 (see check_headcounts): 68 of 123.
    assert families.fraction == pytest.approx(68 / 123)
    assert (families.target, families.met) == (0.9, False)
    records = await world.tally(world.indicator("records_digitised"), SCHOOL_A)
    assert (records.fraction, records.met, records.coverage) == (1.0, True, None)
    empty = await world.tally(world.indicator("staff_basic_skills"), CLASSES[0])
    assert (empty.population, empty.fraction, empty.met) == (0, 0.0, False)
    assert (empty.reach, empty.progress) == (None, None)


def cover(
    headcount: int, joined: int, achieved: int, classes: int = 0, staff: int = 0
) -> indicators.Coverage:
    return indicators.Coverage(headcount, joined, achieved, classes, staff)


async def test_reach_and_progress_divide_by_headcounts(world: World) -> None:
    # The sparse class: 10 of 40 families joined, all 10 reported. Joined-only arithmetic
    # said 100%; against the class's 40 it is 25% reach and 25% progress.
    sparse = await world.tally(world.indicator("families_digital_services"), SPARSE)
    assert (sparse.population, sparse.achieved) == (10, 10)
    assert sparse.coverage == cover(40, 10, 10)
    assert (sparse.reach, sparse.progress, sparse.fraction) == (0.25, 0.25, 0.25)
    assert not sparse.met

    # Class 311 has no headcount: all 4 reported, yet no percentage and not met.
    blind = await world.tally(world.indicator("families_digital_services"), CLASS_B)
    assert (blind.population, blind.achieved) == (4, 4)
    assert blind.coverage == cover(0, 0, 0, classes=1)
    assert (blind.reach, blind.progress, blind.fraction, blind.met) == (None, None, 0.0, False)

    families = world.indicator("families_digital_services")
    # Class 0: students 40, families default to them; 40 joined, 22 did it (check_levels).
    class_0 = await world.tally(families, CLASSES[0])
    assert class_0.coverage == cover(40, 40, 22)
    assert (class_0.reach, class_0.progress) == (1.0, 22 / 40)
    # Class 1: families 38 given (under its 40 students); 41 joined and 23 did it: the
    # joined are capped at the 38 families.
    class_1 = await world.tally(families, CLASSES[1])
    assert class_1.coverage == cover(38, 38, 23)
    # Class 29: students 45; 40 parents and the student joined, 23 did it.
    class_29 = await world.tally(families, CLASSES[29])
    assert class_29.coverage == cover(45, 41, 23)
    assert (class_29.reach, class_29.progress) == (41 / 45, 23 / 45)
    # Students only: the students' headcount, not the families'.
    students = world.indicator("families_digital_services", audience=["student"])
    assert (await world.tally(students, CLASSES[29])).coverage == cover(45, 1, 1)
    assert (await world.tally(students, CLASSES[1])).coverage == cover(40, 0, 0)

    # Staff, principals included. School A: 64 staff, 61 joined (60 and the principal);
    # skills 31, signature 45. Unit 5: 15 staff, all joined; skills 8, signature 15 (met).
    # Unit 6 has no headcount of its own.
    skills, signature = world.indicator("staff_basic_skills"), world.indicator("staff_signature")
    school_a = await world.tally(skills, SCHOOL_A)
    assert school_a.coverage == cover(64, 61, 31)
    assert (school_a.reach, school_a.progress) == (61 / 64, 31 / 64)
    assert (await world.tally(signature, SCHOOL_A)).coverage == cover(64, 61, 45)
    unit_5 = await world.tally(signature, UNITS[0])
    assert unit_5.coverage == cover(15, 15, 15)
    assert (unit_5.progress, unit_5.met) == (1.0, True)
    assert (await world.tally(skills, UNITS[0])).coverage == cover(15, 15, 8)
    unit_6 = await world.tally(skills, UNITS[1])
    assert unit_6.coverage == cover(0, 0, 0, staff=1)
    assert unit_6.progress is None

    # School A's families: classes 0, 1, 29 -> 40 + 38 + 45 = 123 families, joined
    # 40 + 38 + 41 = 119, did it 22 + 23 + 23 = 68; its other 27 classes have none.
    assert (await world.tally(families, SCHOOL_A)).coverage == cover(123, 119, 68, classes=27)
    # School B: staff 5 of which 4 joined (3 and the principal), skills 3, signature 3;
    # families: the sparse class only (311 has none).
    assert (await world.tally(skills, SCHOOL_B)).coverage == cover(5, 4, 3)
    assert (await world.tally(signature, SCHOOL_B)).coverage == cover(5, 4, 3)
    assert (await world.tally(families, SCHOOL_B)).coverage == cover(40, 10, 10, classes=1)
    # District D = A + B; district 2 (school C) has no headcount at all; province = both.
    district = await world.tally(families, DISTRICT)
    assert district.coverage == cover(163, 129, 78, classes=28)
    assert district.progress == 78 / 163 and not district.met
    assert (await world.tally(skills, DISTRICT)).coverage == cover(69, 65, 34)
    assert (await world.tally(signature, DISTRICT)).coverage == cover(69, 65, 48)
    assert (await world.tally(skills, DISTRICT_2)).coverage == cover(0, 0, 0, staff=1)
    assert (await world.tally(families, DISTRICT_2)).coverage == cover(0, 0, 0, classes=1)
    assert (await world.tally(skills, PROVINCE)).coverage == cover(69, 65, 34, staff=1)
    assert (await world.tally(families, PROVINCE)).coverage == cover(163, 129, 78, classes=29)


FAMILY_MILESTONES = [
    "vneid_level2",
    "online_public_service",
    "cashless_fees",
    "school_digital_services",
    "bdhvs_course",
    "spots_online_fraud",
    "protects_personal_data",
    "student_digital_product",
]
STAFF_MILESTONES = [
    "bdhvs_course",
    "spots_online_fraud",
    "protects_personal_data",
    "staff_digital_skills",
    "staff_digital_signature",
    "staff_electure",
    "staff_learning_repository",
    "staff_ai_teaching",
    "staff_stem_activity",
    "staff_core_teacher",
    "staff_helped_others",
    "emulation_registered",
    "staff_initiative",
]


async def test_class_view_counts_sent_and_verified_reports_with_names(world: World) -> None:
    view = await world.class_view(CLASSES[0], "class", names=True)
    assert list(view) == FAMILY_MILESTONES
    reported = {key: (c.reported, c.total) for key, c in view.items()}
    assert reported == {
        "vneid_level2": (0, 40),
        "online_public_service": (0, 40),
        # p % 5 in {0, 2}: 16 of 40 (the 8 withdrawn ones are not)
        "cashless_fees": (16, 40),
        # p % 4 in {0, 1}, accepted or pending: 20 (the 10 rejected ones are not)
        "school_digital_services": (20, 40),
        # p = 0, 10, 20, 30
        "bdhvs_course": (4, 40),
        "spots_online_fraud": (0, 40),
        "protects_personal_data": (0, 40),
        "student_digital_product": (0, 40),
    }
    # Names sort with the forgotten parent (no name) first, shown as a dash.
    assert view["vneid_level2"].missing[:3] == ("—", "PH 0000", "PH 0001")
    assert len(view["vneid_level2"].missing) == 40
    # Rejected p = 2, 6, 10, ... and the never-reported p = 3, 7, ...: p % 4 in {2, 3}.
    assert view["school_digital_services"].missing == tuple(
        f"PH {p:04d}" for p in range(40) if p % 4 in (2, 3)
    )
    # The forgotten parent 5 reported both (pending services, approved cashless).
    assert "—" not in view["cashless_fees"].missing
    assert "—" not in view["school_digital_services"].missing

    hidden = await world.class_view(CLASSES[0], "class", names=False)
    assert {key: (c.reported, c.total) for key, c in hidden.items()} == reported
    assert all(c.missing == () for c in hidden.values())

    # Class 1 has parent 0 too: 41 members; cashless 16 + parent 0 (approved) = 17.
    second = await world.class_view(CLASSES[1], "class", names=False)
    assert (second["cashless_fees"].reported, second["cashless_fees"].total) == (17, 41)

    # A unit: its staff and the staff milestones.
    first = await world.class_view(UNITS[0], "unit", names=True)
    assert list(first) == STAFF_MILESTONES
    assert {key: c.reported for key, c in first.items() if c.reported} == {
        # s = 1, 5, 9, 13 approved (2, 6, 10, 14 withdrawn)
        "bdhvs_course": 4,
        # s % 3 in {0, 1}: approved or pending -> 10 of 15 (rejected 2, 5, 8, 11, 14)
        "staff_digital_skills": 10,
        "staff_digital_signature": 15,
    }
    assert {c.total for c in first.values()} == {15}
    assert first["staff_digital_skills"].missing == ("GV 02", "GV 05", "GV 08", "GV 11", "GV 14")

    last = await world.class_view(UNITS[3], "unit", names=True)
    # Signature in unit 3: 48 pending is reported; 45-47 withdrawn are not.
    assert last["staff_digital_signature"].reported == 1
    assert last["staff_digital_signature"].missing == tuple(
        f"GV {s}" for s in range(45, 60) if s != 48
    )


async def test_reports_in_another_school_never_leak(world: World) -> None:
    before = {org: await world.tallies(org) for org in (SCHOOL_A, *UNITS, CLASSES[0])}
    covered = {org: await world.coverages(org) for org in (SCHOOL_A, UNITS[0], CLASSES[1])}
    # Everything in schools B and C becomes counted, and more is reported there.
    async with world.db.transaction() as session:
        for first, last in ((PRINCIPAL_B, PRINCIPAL_C), (STAFF_B, PARENTS_C + 10)):
            await session.execute(
                update(Report)
                .where(Report.person_id.between(first, last))
                .values(status="approved")
            )
        await session.execute(
            insert(Report),
            [
                {
                    "person_id": person,
                    "campaign_id": world.campaign_id,
                    "milestone_key": milestone,
                    "status": "accepted",
                    "reported_at": NOW,
                }
                for person, milestone in [
                    (PRINCIPAL_C, "school_cashless_fees"),
                    (PARENTS_B, "cashless_fees"),
                    (PARENTS_C + 2, "cashless_fees"),
                    (STAFF_C + 1, "bdhvs_course"),
                ]
            ],
        )
    after = {org: await world.tallies(org) for org in before}
    assert after == before
    assert {org: await world.coverages(org) for org in covered} == covered
    # …while B and the district moved: B's 4725 now approved; C's records and cashless too.
    assert (await world.tallies(SCHOOL_B))["self_assessment_level2"] == (1, 1)
    assert await world.tallies(DISTRICT_2) == {
        "staff_basic_skills": (3, 2),  # the principal of C reported no staff milestone
        "families_digital_services": (3, 3),
        "staff_signature": (3, 2),
        "records_digitised": (1, 1),
        "cashless_einvoice": (1, 1),
        "self_assessment_level2": (1, 1),
    }
    assert (await world.tallies(DISTRICT))["self_assessment_level2"] == (2, 1)


async def test_a_breakdown_above_schools_sums_to_each_parts_own_tally(world: World) -> None:
    """/stats's bars above a school come from one pass over the node's places; they must
    be each part's own tally (district 2 "/1/2/" and district 20 "/1/20/" included)."""
    people = [i for i in world.pack.indicators if i.counts == "people"]
    assert people
    for node_id, expected in ((PROVINCE, [DISTRICT, DISTRICT_2]), (DISTRICT, [SCHOOL_A, SCHOOL_B])):
        for indicator in people:
            uow = world.db.unit_of_work()
            try:
                node = await org_units.get(uow.reads, node_id)
                assert node is not None
                found = await stats.breakdown(uow, world.campaign_id, world.pack, node, indicator)
            finally:
                await uow.abort()
            assert [part.id for part in found.parts] == expected
            for part in found.parts:
                own = await world.tally(indicator, part.id)
                assert part.tally.coverage == own.coverage, (indicator.id, part.id)
                assert stats.chartable(part.tally) == stats.chartable(own)
