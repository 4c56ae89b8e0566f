"""Indicator tallies on a province-size database: SQL aggregation against a naive baseline.

    python benchmarks/indicators.py [--people 200000] [--reports 1000000]
                                    [--backend sqlite|postgresql|both] [--repeats 3]
                                    [--naive-repeats 1] [--no-analyze] [--explain] [--strict]

Builds, per backend, a fresh database (benchmarks/province.py, shared with
benchmarks/mixed.py) with the project's own schema (``storage.migrate``) and the
default campaign pack (``bot.services.campaigns.install``): 1 province, 10
districts, 20 schools per district, each school with 4 units and 30 classes; ``--people``
people spread evenly over the schools (one principal, ~5 % staff in the units, ~5 %
students, the rest parents, 10 % of whom have a second child in another class; 1 % used
/forget), and exactly ``--reports`` reports over the milestones of each person's role,
with a realistic status mix. Rows are generated once, in Python, from a fixed seed; then
loaded with SQLite ``executemany`` in one transaction (``PRAGMA synchronous=OFF``) or
PostgreSQL ``COPY`` (asyncpg ``copy_records_to_table``) into a throwaway database that
this script creates and drops. PostgreSQL gets ``VACUUM ANALYZE`` after the load (autovacuum
would do it in production; ``--no-analyze`` skips it); SQLite gets no ANALYZE, as in
production, where nothing runs it.

Timed, for the province, one district and one school:

* sql   - ``bot.services.indicators.tallies`` (all 6 indicators) through
          ``Database.reading()``, on read-only connections as the bot's are
          (bot/handlers/class_view.py reads on the update's: on SQLite the read-only
          connections beside the writer, on PostgreSQL a pool of their own):
          warmed once, then the best of ``--repeats``.
* naive - the same read-only connections load the memberships of the scope (joined to org_units, the
          path range in SQL), its schools, and all of the campaign's reports into Python,
          and counts with dicts and sets; best of ``--naive-repeats`` (default 1: it is
          several times slower, and the whole run should stay within a few minutes).
          Its numbers must equal the SQL ones (exit status 1 otherwise).

"SQL cpu s" is the CPU time of that best SQL run: this process (driver; SQLite runs
in-process, in aiosqlite's thread) plus the PostgreSQL backends of the benchmark database when the server runs
on this machine (read from /proc; "n/a" otherwise). On a shared machine wall time
varies with the load average, printed before and after; CPU time much less.

Target: the province in < 1 s on both backends (exit status 3 with ``--strict`` when
missed). Nothing is cached between runs; SQLite lives in a temporary directory.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event, select

from bot.campaign.loader import load_default_pack
from bot.campaign.pack import CampaignPack
from bot.services import indicators
from storage.db import Database
from storage.models import COUNTED, Membership, OrgUnit, Report
from storage.reports import under

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' support modules
from benchmarks.province import Data, build_postgres, build_sqlite, generate
from tests.support import postgres

TARGET_SECONDS = 1.0


class BenchmarkFailure(Exception):
    """A correctness check failed: the figures of that run mean nothing."""


# --------------------------------------------------------------------------------------------
# What is timed


Counts = dict[str, tuple[int, int]]


async def sql_tallies(
    database: Database, campaign_id: int, pack: CampaignPack, path: str
) -> Counts:
    # As the bot runs them (bot/handlers/class_view.py): on the read-only connections.
    async with database.reading() as reading:
        found = await indicators.tallies(reading, campaign_id, pack, path)
    return {t.indicator.id: (t.population, t.achieved) for t in found}


async def naive_tallies(
    database: Database, campaign_id: int, pack: CampaignPack, path: str
) -> Counts:
    """Load rows, count in Python: what one would write without SQL aggregation."""
    async with database.read_sessions() as session:
        members = (
            await session.execute(
                select(Membership.person_id, Membership.role, Membership.org_id)
                .join(OrgUnit, OrgUnit.id == Membership.org_id)
                .where(under(path))
            )
        ).all()
        schools = set(
            await session.scalars(select(OrgUnit.id).where(OrgUnit.kind == "school", under(path)))
        )
        rows = (
            await session.execute(
                select(Report.person_id, Report.milestone_key, Report.status).where(
                    Report.campaign_id == campaign_id
                )
            )
        ).all()
    status_of: dict[int, dict[str, str]] = defaultdict(dict)
    for person_id, milestone, status in rows:
        status_of[person_id][milestone] = status
    result: Counts = {}
    for indicator in pack.indicators:
        statuses = set(COUNTED) if indicator.verified_only else {*COUNTED, "pending"}
        need = len(indicator.milestones) if indicator.rule == "all" else 1

        def done(person_ids: set[int], milestones: list[str], statuses: set[str] = statuses) -> int:
            return len(
                {
                    m
                    for person_id in person_ids
                    for m in milestones
                    if status_of.get(person_id, {}).get(m) in statuses
                }
            )

        if indicator.counts == "people":
            audience = set(indicators.counted_roles(indicator))  # principals are staff too
            population = {person_id for person_id, role, _ in members if role in audience}
            achieved = sum(1 for p in population if done({p}, indicator.milestones) >= need)
            result[indicator.id] = (len(population), achieved)
        else:
            principals: dict[int, set[int]] = defaultdict(set)
            for person_id, role, org_id in members:
                if role == "principal" and org_id in schools:
                    principals[org_id].add(person_id)
            achieved = sum(
                1 for school in schools if done(principals[school], indicator.milestones) >= need
            )
            result[indicator.id] = (len(schools), achieved)
    return result


class CpuMeter:
    """CPU seconds used by this process (the driver, and SQLite itself) plus, when the
    PostgreSQL server runs on this machine, by its backends serving `database`. Unlike
    wall time, this hardly moves when other jobs share the CPUs."""

    def __init__(self, database: str | None = None) -> None:
        self._database = database
        self._admin: Any = None
        self._tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    async def __aenter__(self) -> CpuMeter:
        if self._database is not None:
            import asyncpg

            self._admin = await asyncpg.connect(postgres.ADMIN_DSN)
        return self

    async def __aexit__(self, *_: Any) -> None:
        if self._admin is not None:
            await self._admin.close()

    def _process(self, pid: int) -> float | None:
        try:
            if b"postgres" not in Path(f"/proc/{pid}/cmdline").read_bytes():
                return None
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / self._tick  # utime + stime

    async def read(self) -> float | None:
        total = time.process_time()
        if self._admin is None:
            return total
        pids = await self._admin.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1", self._database
        )
        for row in pids:
            used = self._process(row["pid"])
            if used is None:
                return None  # the server is elsewhere: no figure rather than a wrong one
            total += used
        return total


@dataclass
class Timing:
    wall: float
    cpu: float | None
    counts: Counts


async def best_of(
    repeats: int, warm: bool, meter: CpuMeter, run: Callable[[], Awaitable[Counts]]
) -> Timing:
    """Best wall time and, separately, least CPU time over `repeats` runs."""
    if warm:
        await run()
    best = Timing(float("inf"), None, {})
    for _ in range(repeats):
        cpu_before = await meter.read()
        started = time.perf_counter()
        counts = await run()
        wall = time.perf_counter() - started
        cpu_after = await meter.read()
        cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
        best = Timing(
            min(best.wall, wall),
            cpu if best.cpu is None else min(best.cpu, cpu if cpu is not None else best.cpu),
            counts,
        )
    return best


async def explain(database: Database, campaign_id: int, pack: CampaignPack, path: str) -> None:
    """Print the plan of every statement one `tallies` call sends."""
    statements: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    event.listen(database.engine.sync_engine, "before_cursor_execute", record)
    try:
        await sql_tallies(database, campaign_id, pack, path)
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", record)
    prefix = "EXPLAIN QUERY PLAN " if database.dialect == "sqlite" else "EXPLAIN "
    async with database.engine.connect() as connection:
        for statement, parameters in statements:
            print("\n" + " ".join(statement.split()))
            plan = await connection.exec_driver_sql(prefix + statement, parameters)
            for row in plan:
                print("   ", " | ".join(str(value) for value in row))


# --------------------------------------------------------------------------------------------
# Backends


@dataclass
class Row:
    backend: str
    scope: str
    sql: float
    sql_cpu: float | None
    naive: float


async def measure(
    backend: str,
    url: str,
    data: Data,
    pack: CampaignPack,
    campaign_id: int,
    args: argparse.Namespace,
    pg_database: str | None = None,
) -> list[Row]:
    database = Database(url)
    rows = []
    try:
        scopes = [
            ("province", "/1/"),
            ("district", data.district_path),
            ("school", data.school_path),
        ]
        async with CpuMeter(pg_database) as meter:
            for scope, path in scopes:
                sql = await best_of(
                    args.repeats,
                    True,
                    meter,
                    lambda p=path: sql_tallies(database, campaign_id, pack, p),
                )
                naive = await best_of(
                    args.naive_repeats,
                    False,
                    meter,
                    lambda p=path: naive_tallies(database, campaign_id, pack, p),
                )
                if naive.counts != sql.counts:
                    raise BenchmarkFailure(
                        f"{backend} {scope}: naive {naive.counts} != sql {sql.counts}"
                    )
                print(
                    f"  {scope:<9} sql {sql.wall:7.3f} s   naive {naive.wall:7.3f} s   "
                    + ", ".join(f"{key} {done}/{of}" for key, (of, done) in sql.counts.items()),
                    flush=True,
                )
                rows.append(Row(backend, scope, sql.wall, sql.cpu, naive.wall))
        if args.explain:
            await explain(database, campaign_id, pack, "/1/")
    finally:
        await database.dispose()
    return rows


async def run_sqlite(data: Data, pack: CampaignPack, args: argparse.Namespace) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="hocvuso-bench-") as tmp:
        file = Path(tmp) / "bench.db"
        url = f"sqlite+aiosqlite:///{file}"
        started = time.perf_counter()
        campaign_id = await build_sqlite(file, data, pack)
        size = file.stat().st_size / 2**20
        print(
            f"sqlite: loaded in {time.perf_counter() - started:.1f} s ({size:.0f} MB)", flush=True
        )
        return await measure("sqlite", url, data, pack, campaign_id, args)


async def run_postgres(data: Data, pack: CampaignPack, args: argparse.Namespace) -> list[Row]:
    async with postgres.scratch_database("hocvuso_bench") as name:
        url = postgres.url(name)
        started = time.perf_counter()
        campaign_id = await build_postgres(
            postgres.dsn(name), url, data, pack, analyze=not args.no_analyze
        )
        analyzed = "no VACUUM ANALYZE" if args.no_analyze else "then VACUUM ANALYZE"
        print(
            f"postgresql: loaded in {time.perf_counter() - started:.1f} s ({analyzed})", flush=True
        )
        return await measure("postgresql", url, data, pack, campaign_id, args, name)


# --------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--repeats", type=int, default=3, help="timed SQL runs after a warm one")
    parser.add_argument("--naive-repeats", type=int, default=1, help="timed naive runs")
    parser.add_argument("--seed", type=int, default=20260905)
    parser.add_argument("--no-analyze", action="store_true", help="skip ANALYZE on PostgreSQL")
    parser.add_argument("--explain", action="store_true", help="print the province query plans")
    parser.add_argument("--strict", action="store_true", help="exit 3 when the target is missed")
    return parser.parse_args(argv)


def report(rows: list[Row]) -> bool:
    print()
    print(
        f"{'backend':<11} {'scope':<9} {'SQL s':>8} {'SQL cpu s':>10} {'naive s':>8} "
        f"{'naive/SQL':>10}"
    )
    for row in rows:
        ratio = row.naive / row.sql if row.sql else float("inf")
        cpu = "n/a" if row.sql_cpu is None else f"{row.sql_cpu:.3f}"
        print(
            f"{row.backend:<11} {row.scope:<9} {row.sql:8.3f} {cpu:>10} {row.naive:8.3f} "
            f"{ratio:9.1f}x"
        )
    met = True
    for row in rows:
        if row.scope == "province":
            ok = row.sql < TARGET_SECONDS
            met &= ok
            verdict = "met" if ok else "MISSED"
            print(f"target: {row.backend} province < {TARGET_SECONDS:.0f} s (wall): {verdict}")
    return met


async def main_async(args: argparse.Namespace) -> int:
    pack = load_default_pack()
    started = time.perf_counter()
    data = generate(pack, args.people, args.reports, args.seed)
    roles = defaultdict(int)
    for _, _, _, role in data.memberships:
        roles[role] += 1
    print(
        f"generated in {time.perf_counter() - started:.1f} s: {len(data.orgs):,} org units, "
        f"{len(data.people):,} people, {len(data.memberships):,} memberships "
        f"({', '.join(f'{n:,} {r}' for r, n in sorted(roles.items()))}), "
        f"{len(data.reports):,} reports",
        flush=True,
    )
    if len(data.reports) < args.reports:
        print(
            f"(only {len(data.reports):,} person/milestone pairs exist for {args.people:,} people)"
        )
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    rows: list[Row] = []
    if args.backend in ("sqlite", "both"):
        rows += await run_sqlite(data, pack, args)
    if args.backend in ("postgresql", "both"):
        problem = await asyncio.to_thread(postgres.problem)
        if problem:
            print(f"postgresql: skipped, {problem}")
        else:
            rows += await run_postgres(data, pack, args)
    met = report(rows)
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    return 3 if args.strict and not met else 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return asyncio.run(main_async(args))
    except BenchmarkFailure as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
