"""A province-size database for the benchmarks, built with the project's own schema.

Shared by benchmarks/indicators.py (indicator query times) and benchmarks/mixed.py (the
bot under steady traffic on the same data). ``generate`` makes the rows once, in Python,
from a fixed seed: 1 province, 10 districts, 20 schools per district, each school with 4
units and 30 classes; people spread evenly over the schools (one principal, ~5 % staff in
the units, ~5 % students, the rest parents, 10 % of whom have a second child in another
class; 1 % used /forget), and exactly the number of reports asked for, over the
milestones of each person's role, with a realistic status mix. ``prepare`` creates the
schema (``storage.migrate``) and installs the default campaign pack
(``bot.services.campaigns.install``); ``load_sqlite`` loads with ``executemany`` in one
transaction (``PRAGMA synchronous=OFF``), ``load_postgres`` with ``COPY`` (asyncpg
``copy_records_to_table``), then ``VACUUM ANALYZE`` unless told not to (autovacuum would
do it in production). SQLite gets no ANALYZE, as in production, where nothing runs it.

A person ``p`` (1-based, as in ``Data.people``) who did not use /forget has the Telegram
id ``TG_BASE + p``.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.campaign.pack import CampaignPack
from bot.services import campaigns
from storage import campaigns as campaign_rows
from storage import migrate
from storage.db import Database
from storage.models import Membership, OrgUnit, Person, Report

NOW = datetime(2026, 9, 5, 1, 0, tzinfo=UTC)
SQLITE_NOW = "2026-09-05 01:00:00.000000"  # how SQLAlchemy stores NOW in SQLite
DISTRICTS, SCHOOLS_PER_DISTRICT, UNITS_PER_SCHOOL, CLASSES_PER_SCHOOL = 10, 20, 4, 30

# Status mix: milestones that need verification wait, get approved, rejected or withdrawn;
# the others are accepted at once (a few withdrawn, a few pending from a stricter pack).
VERIFIED_MIX = (("approved", 0.60), ("pending", 0.20), ("rejected", 0.12), ("withdrawn", 0.08))
SELF_MIX = (("accepted", 0.90), ("withdrawn", 0.07), ("pending", 0.03))
TG_BASE = 10**9  # Telegram id of person p: TG_BASE + p


# --------------------------------------------------------------------------------------------
# Data


@dataclass
class Data:
    orgs: list[tuple[int, str, str, int | None, str]]  # id, kind, name, parent_id, path
    people: list[tuple[int, int | None, str, str]]  # id, tg_user_id, name, status
    memberships: list[tuple[int, int, int, str]]  # id, person_id, org_id, role
    reports: list[tuple[int, int, str, str]]  # id, person_id, milestone, status
    district_path: str
    school_path: str


def _cumulative(mix: Sequence[tuple[str, float]]) -> list[tuple[float, str]]:
    total, table = 0.0, []
    for status, share in mix:
        total += share
        table.append((total, status))
    return table


def _pick(table: list[tuple[float, str]], x: float) -> str:
    for bound, status in table:
        if x < bound:
            return status
    return table[-1][1]


def generate(pack: CampaignPack, people_wanted: int, reports_wanted: int, seed: int) -> Data:
    rng = random.Random(seed)
    orgs: list[tuple[int, str, str, int | None, str]] = [(1, "province", "Tỉnh", None, "/1/")]
    next_org = 2
    schools: list[tuple[int, list[int], list[int]]] = []  # school id, units, classes
    for d in range(DISTRICTS):
        district = next_org
        next_org += 1
        district_path = f"/1/{district}/"
        orgs.append((district, "district", f"Huyện {d + 1}", 1, district_path))
        for s in range(SCHOOLS_PER_DISTRICT):
            school = next_org
            next_org += 1
            school_path = f"{district_path}{school}/"
            orgs.append((school, "school", f"Trường {d + 1}.{s + 1}", district, school_path))
            units, classes = [], []
            for kind, count, ids in (
                ("unit", UNITS_PER_SCHOOL, units),
                ("class", CLASSES_PER_SCHOOL, classes),
            ):
                for i in range(count):
                    orgs.append(
                        (next_org, kind, f"{kind} {i + 1}", school, f"{school_path}{next_org}/")
                    )
                    ids.append(next_org)
                    next_org += 1
            schools.append((school, units, classes))

    family = [m.id for m in pack.milestones if {"parent", "student"} & set(m.audience)]
    staff_ms = [m.id for m in pack.milestones if "staff" in m.audience]
    school_ms = [m.id for m in pack.milestones if "principal" in m.audience]
    verified = {m.id for m in pack.milestones if m.verification}
    by_role = {"parent": family, "student": family, "staff": staff_ms, "principal": school_ms}

    people: list[tuple[int, int | None, str, str]] = []
    memberships: list[tuple[int, int, int, str]] = []
    person_roles: list[str] = []
    base, extra = divmod(people_wanted, len(schools))
    for k, (school, units, classes) in enumerate(schools):
        size = base + (k < extra)
        staff = max(1, round(size * 0.05)) if size > 1 else 0
        students = round(size * 0.05)
        for i in range(size):
            person = len(people) + 1
            if rng.random() < 0.01:
                people.append((person, None, "", "forgotten"))
            else:
                people.append((person, TG_BASE + person, f"Người {person}", "active"))
            if i == 0:
                role, orgs_of = "principal", [school]
            elif i <= staff:
                role, orgs_of = "staff", [units[i % len(units)]]
            elif i <= staff + students:
                role, orgs_of = "student", [rng.choice(classes)]
            else:
                role, orgs_of = "parent", [rng.choice(classes)]
                if rng.random() < 0.10:
                    second = rng.choice(classes)
                    if second != orgs_of[0]:
                        orgs_of.append(second)
            person_roles.append(role)
            for org in orgs_of:
                memberships.append((len(memberships) + 1, person, org, role))

    # Exactly `reports_wanted` of all (person, milestone) candidates, by selection sampling.
    candidates = sum(len(by_role[role]) for role in person_roles)
    needed = min(reports_wanted, candidates)
    left = candidates
    verified_table, self_table = _cumulative(VERIFIED_MIX), _cumulative(SELF_MIX)
    reports: list[tuple[int, int, str, str]] = []
    for person, role in enumerate(person_roles, start=1):
        for milestone in by_role[role]:
            if rng.random() * left < needed:
                table = verified_table if milestone in verified else self_table
                reports.append((len(reports) + 1, person, milestone, _pick(table, rng.random())))
                needed -= 1
            left -= 1
    first_school, first_district = orgs[2], orgs[1]
    return Data(orgs, people, memberships, reports, first_district[4], first_school[4])


# --------------------------------------------------------------------------------------------
# Loading


async def prepare(url: str, pack: CampaignPack) -> int:
    """Schema and campaign through the project's own code; returns the campaign id."""
    database = Database(url)
    try:
        await migrate.upgrade(database)
        uow = database.unit_of_work()
        await campaigns.install(uow, pack, "default", NOW)
        campaign = await campaign_rows.active(uow.session)
        assert campaign is not None
        await uow.finish()
        return campaign.id
    finally:
        await database.dispose()


def tables(data: Data, campaign_id: int, now: Any) -> list[tuple[str, list[str], list[tuple]]]:
    """(table, columns, rows) to load, `now` standing for every timestamp. Columns the
    generator does not set but the schema requires (NOT NULL, no server default, with a
    scalar default in the model, such as reports.revision) get the model's default."""
    spec: list[tuple[Any, list[str], list[tuple]]] = [
        (
            OrgUnit,
            ["id", "kind", "name", "parent_id", "path", "created_at"],
            [(*row, now) for row in data.orgs],
        ),
        (
            Person,
            ["id", "tg_user_id", "display_name", "language", "consent_at", "status", "created_at"],
            [
                (pid, tg, name, "vi", None if tg is None else now, status, now)
                for pid, tg, name, status in data.people
            ],
        ),
        (
            Membership,
            ["id", "person_id", "org_id", "role", "created_at"],
            [(*row, now) for row in data.memberships],
        ),
        (
            Report,
            ["id", "person_id", "campaign_id", "milestone_key", "status", "reported_at"],
            [(rid, pid, campaign_id, ms, st, now) for rid, pid, ms, st in data.reports],
        ),
    ]
    result = []
    for model, columns, rows in spec:
        extra = [
            column
            for column in model.__table__.columns
            if column.name not in columns
            and not column.nullable
            and column.server_default is None
            and column.default is not None
            and column.default.is_scalar
        ]
        if extra:
            values = tuple(column.default.arg for column in extra)
            columns = [*columns, *(column.name for column in extra)]
            rows = [(*row, *values) for row in rows]
        result.append((model.__tablename__, columns, rows))
    return result


def load_sqlite(file: Path, data: Data, campaign_id: int) -> None:
    connection = sqlite3.connect(file)
    try:
        connection.execute("PRAGMA synchronous=OFF")
        with connection:
            for table, columns, rows in tables(data, campaign_id, SQLITE_NOW):
                connection.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)})"
                    f" VALUES ({', '.join('?' for _ in columns)})",
                    rows,
                )
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


async def load_postgres(dsn: str, data: Data, campaign_id: int, analyze: bool) -> None:
    import asyncpg

    connection = await asyncpg.connect(dsn)
    try:
        # The rows are consistent by construction: skip the foreign key triggers, and build
        # the reports' secondary indexes once at the end instead of row by row.
        await connection.execute("SET session_replication_role = replica")
        await connection.execute("SET maintenance_work_mem = '256MB'")
        indexes = await connection.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'reports'"
            " AND indexname NOT IN (SELECT conname FROM pg_constraint"
            " WHERE conrelid = 'reports'::regclass)"
        )
        uniques = await connection.fetch(
            "SELECT conname, pg_get_constraintdef(oid) AS definition FROM pg_constraint"
            " WHERE conrelid = 'reports'::regclass AND contype = 'u'"
        )
        async with connection.transaction():
            for index in indexes:
                await connection.execute(f'DROP INDEX "{index["indexname"]}"')
            for unique in uniques:
                await connection.execute(
                    f'ALTER TABLE reports DROP CONSTRAINT "{unique["conname"]}"'
                )
            for table, columns, rows in tables(data, campaign_id, NOW):
                await connection.copy_records_to_table(table, records=rows, columns=columns)
            for unique in uniques:
                await connection.execute(
                    f'ALTER TABLE reports ADD CONSTRAINT "{unique["conname"]}" {unique["definition"]}'
                )
            for index in indexes:
                await connection.execute(index["indexdef"])
            for table in ("org_units", "people", "memberships", "reports"):
                await connection.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
        if analyze:
            await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


async def build_sqlite(file: Path, data: Data, pack: CampaignPack) -> int:
    """A fresh SQLite database at `file` holding `data`; returns the campaign id."""
    import asyncio

    url = f"sqlite+aiosqlite:///{file}"
    campaign_id = await prepare(url, pack)
    await asyncio.to_thread(load_sqlite, file, data, campaign_id)
    return campaign_id


async def build_postgres(dsn: str, url: str, data: Data, pack: CampaignPack, analyze: bool) -> int:
    """The same on an empty PostgreSQL database (asyncpg `dsn`, SQLAlchemy `url`)."""
    campaign_id = await prepare(url, pack)
    await load_postgres(dsn, data, campaign_id, analyze)
    return campaign_id
