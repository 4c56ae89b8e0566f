"""/stats as a principal and a Sở officer feel it, on a province-size database.

    python benchmarks/stats.py [--people 200000] [--reports 1000000] [--repeats 5]
                               [--latency 0.04]

Builds the SQLite database of benchmarks/province.py (1 province, 10 districts, 200
schools of 30 classes and 4 units), adds a department officer at the province, and
drives the real dispatcher (bot.app.build_app, as tests/support/harness.py does) with
every Bot API call answered `--latency` seconds late. Timed from the update fed to its
last reply sent, median and worst of `--repeats`:

* /stats of a principal: the school's indicators as text, the first chart by class
  (drawn in the worker process), the buttons;
* /stats of the officer: the province's indicators, the chart by district;
* the chart alone (the "next indicator" button) at the province;
* the baseline, in the same run: the same principal's /class (the same tallies, text
  only).

The first /stats also starts the worker process (matplotlib's import): it is reported
apart, as "first chart".
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiogram import Bot

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' support modules
from benchmarks.province import NOW, TG_BASE, build_sqlite, generate
from bot.app import build_app
from bot.campaign.loader import load_default_pack
from bot.clock import FixedClock
from bot.delivery.pace import Pace
from bot.handlers.callbacks import VERSION, StatsCallback
from bot.settings import Settings
from storage.db import Database
from storage.models import Membership, Person
from tests.support.fake_session import BOT_USER, FakeSession
from tests.support.harness import Harness
from tests.support.harness import Person as User

OFFICER_TG = 7_000_000_001


class SlowSession(FakeSession):
    """The fake Bot API, every call answered `latency` seconds late."""

    def __init__(self, latency: float) -> None:
        super().__init__(keep=False)
        self.latency = latency

    async def make_request(self, bot: Bot, method: Any, timeout: int | None = None) -> Any:
        await asyncio.sleep(self.latency)
        return await super().make_request(bot, method, timeout)


async def harness(url: str, latency: float) -> Harness:
    config = Settings(database_url=url, bot_token="42:TEST")
    database = Database(url)
    clock = FixedClock(datetime(2026, 9, 7, 2, 0, tzinfo=UTC))
    session = SlowSession(latency)
    pace = Pace(limits=None, patience=2.0)
    session.middleware(pace)
    bot = Bot("42:TEST", session=session)
    app = build_app(config, database, clock, BOT_USER.username or "")
    await app.preload()
    await app.start_sending(bot, pace)
    return Harness(app, bot, session, clock)


async def add_officer(url: str) -> None:
    database = Database(url)
    async with database.transaction() as session:
        person = Person(
            tg_user_id=OFFICER_TG,
            display_name="Cán bộ Sở",
            language="vi",
            consent_at=NOW,
            status="active",
            created_at=NOW,
        )
        session.add(person)
        await session.flush()
        session.add(Membership(person_id=person.id, org_id=1, role="dept_admin", created_at=NOW))
    await database.dispose()


async def timed(action: Any, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        await action()
        times.append(time.perf_counter() - started)
    return times


def line(name: str, times: list[float], base: float | None = None) -> str:
    median = statistics.median(times)
    ratio = f"{median / base:5.2f}×" if base else "   — "
    return f"{name:<42} median {median * 1000:7.0f} ms  worst {max(times) * 1000:7.0f} ms  {ratio}"


async def main_async(args: argparse.Namespace) -> int:
    pack = load_default_pack()
    print(f"generating {args.people:,} people, {args.reports:,} reports …", flush=True)
    data = generate(pack, args.people, args.reports, seed=7)
    principal_person = next(
        person for (_, person, _, role) in data.memberships if role == "principal"
    )
    principal_tg = TG_BASE + principal_person
    with tempfile.TemporaryDirectory() as folder:
        file = Path(folder) / "stats.db"
        await build_sqlite(file, data, pack)
        url = f"sqlite+aiosqlite:///{file}"
        await add_officer(url)
        h = await harness(url, args.latency)
        try:
            principal, officer = User(principal_tg, "Hiệu trưởng"), User(OFFICER_TG, "Cán bộ")
            started = time.perf_counter()
            await h.say(principal, "/stats")
            first = time.perf_counter() - started
            base = await timed(lambda: h.say(principal, "/class"), args.repeats)
            school = await timed(lambda: h.say(principal, "/stats"), args.repeats)
            province = await timed(lambda: h.say(officer, "/stats"), args.repeats)
            chart = StatsCallback(v=VERSION, o=1, a="chart", i=1).pack()
            charts = await timed(lambda: h.press(officer, chart), args.repeats)
        finally:
            await h.close()
    b = statistics.median(base)
    print(
        f"\n/stats on SQLite, {args.people:,} people, Bot API calls {args.latency * 1000:.0f} ms late"
    )
    print(line("first chart (worker process starts)", [first], b))
    print(line("baseline: principal /class (text only)", base))
    print(line("principal /stats (school, chart by class)", school, b))
    print(line("officer /stats (province, chart by district)", province, b))
    print(line("officer: next indicator's chart alone", charts, b))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--latency", type=float, default=0.04)
    return asyncio.run(main_async(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
