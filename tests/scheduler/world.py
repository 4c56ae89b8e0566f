"""A small world for scheduler tests: two schools under one province, people by role.
The province is Khánh Hòa, so its shipped pack (the 20/5–30/5 award calendar) applies.

province (dept_admin D)
└── district
    ├── school A: principal PA (reported school_4725_level2, approved), staff SA1 (vi),
    │   SA2 (en, also parent in 10A1); class 10A1: parents P1 (vi), P2 (en, opted out of
    │   announcements), P3 (unreachable), student ST1
    ├── school B: principal PB (nothing reported), staff SB1; class 6A: parent P4
    └── school C: principal PC (entered 2026–2027's QĐ 4725 self-assessment: level 1)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.app import App, build_app
from bot.clock import FixedClock
from bot.jobs import Job, JobContext
from bot.scheduler import JOBS, Scheduler
from bot.services import campaigns, privacy, snapshots
from bot.settings import Settings
from storage import campaigns as campaign_rows
from storage import migrate, org_units
from storage.db import Database
from storage.models import Membership, OrgUnit, Person, Report, SelfAssessmentEntry

PROVINCE = [("province", "Khánh Hòa")]
DISTRICT = [*PROVINCE, ("district", "Từ Sơn")]
SCHOOL_A = [*DISTRICT, ("school", "THPT A")]
SCHOOL_B = [*DISTRICT, ("school", "THCS B")]
SCHOOL_C = [*DISTRICT, ("school", "THCS C")]

# name: (tg id, language, status, announcements, [(org chain, role)])
PEOPLE: dict[str, tuple[int, str, str, bool, list[tuple[list[tuple[str, str]], str]]]] = {
    "D": (100, "vi", "active", True, [(PROVINCE, "dept_admin")]),
    "PA": (101, "vi", "active", True, [(SCHOOL_A, "principal")]),
    "SA1": (102, "vi", "active", True, [(SCHOOL_A, "staff")]),
    "SA2": (
        103,
        "en",
        "active",
        True,
        [(SCHOOL_A, "staff"), ([*SCHOOL_A, ("class", "10A1")], "parent")],
    ),
    "P1": (104, "vi", "active", True, [([*SCHOOL_A, ("class", "10A1")], "parent")]),
    "P2": (105, "en", "active", False, [([*SCHOOL_A, ("class", "10A1")], "parent")]),
    "P3": (106, "vi", "unreachable", True, [([*SCHOOL_A, ("class", "10A1")], "parent")]),
    "ST1": (107, "vi", "active", True, [([*SCHOOL_A, ("class", "10A1")], "student")]),
    "PB": (108, "vi", "active", True, [(SCHOOL_B, "principal")]),
    "SB1": (109, "vi", "active", True, [(SCHOOL_B, "staff")]),
    "P4": (110, "vi", "active", True, [([*SCHOOL_B, ("class", "6A")], "parent")]),
    "PC": (111, "vi", "active", True, [(SCHOOL_C, "principal")]),
}


@dataclass
class World:
    ids: dict[str, int]  # name -> person id
    orgs: dict[str, OrgUnit]

    def name_of(self, person_id: int) -> str:
        return next(name for name, pid in self.ids.items() if pid == person_id)


async def build_world(database: Database, now: datetime) -> World:
    await migrate.upgrade(database)
    uow = database.unit_of_work()
    await campaigns.ensure_default(uow, now)
    await uow.finish()
    ids: dict[str, int] = {}
    orgs: dict[str, OrgUnit] = {}
    async with database.transaction() as session:
        campaign = await campaign_rows.active(session)
        assert campaign is not None
        for name, (tg_id, language, status, announcements, places) in PEOPLE.items():
            person = Person(
                tg_user_id=tg_id,
                display_name=name,
                language=language,
                consent_at=now,
                status=status,
                created_at=now,
                announcements=announcements,
            )
            session.add(person)
            await session.flush()
            ids[name] = person.id
            for chain, role in places:
                unit, _ = await org_units.ensure(session, chain, now)
                orgs[chain[-1][1]] = unit
                session.add(
                    Membership(person_id=person.id, org_id=unit.id, role=role, created_at=now)
                )
        session.add(
            Report(
                person_id=ids["PA"],
                campaign_id=campaign.id,
                milestone_key="school_4725_level2",
                status="approved",
                reported_at=now,
            )
        )
        session.add(
            SelfAssessmentEntry(
                org_id=orgs["THCS C"].id,
                school_year=2026,
                scores={"teaching": 40.0, "management": 45.0},
                met=[],
                level=1,
                entered_by=ids["PC"],
                entered_at=now,
            )
        )
    uow = database.unit_of_work()
    assert await campaigns.attach_shipped(uow, now) == ["bdhvs_khanh_hoa"]
    await uow.finish()
    return World(ids, orgs)


def make_app(url: str, clock: FixedClock) -> App:
    database = Database(url)
    return build_app(Settings(database_url=url, bot_token="42:TEST"), database, clock, "bot")


# The jobs that speak (all but the weekly snapshots, which tests/scheduler/test_year.py
# counts, and the nightly scrub, tests/scheduler/test_nightly_scrub.py).
SPEAKING = tuple(job for job in JOBS if job not in (snapshots.weekly, privacy.nightly))


def scheduler_for(app: App, clock: FixedClock, jobs: Sequence[Job] = SPEAKING) -> Scheduler:
    return Scheduler(JobContext(app.shared, app.database, clock), jobs)
