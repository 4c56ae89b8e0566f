"""Reply latency of other people while a province's export runs, against none running.

    python benchmarks/export_latency.py [--people 200000] [--reports 1000000]
                                        [--rate 50] [--seconds 20] [--api-ms 40]

The province-size SQLite database of benchmarks/province.py (200,000 people, 1,000,000
reports), the real dispatcher (``bot.app.build_app``) with its worker pool, every Bot
API call ``--api-ms`` late (benchmarks/mixed.py's ``SlowApi`` behind the bot's own
``Pace``). Traffic is open-loop /progress from parents and students of the province,
each from their own chat, ``--rate`` a second for ``--seconds``; an update's latency is
from when it was due to when its last reply returned from the Bot API.

Two windows with different people: one with nothing else running; one started two
seconds after a department officer's export of the whole province (XLSX, every sheet)
went to the worker pool exactly as /export starts it (``Exports.start``, after commit,
``bot.services.export_job.run`` in a spawned process). The pool is warmed up first, so
neither window pays a process start. Then the export is waited for, and its time and
rows are printed.

Goal: p99 with the export running within 1.5x of p99 without. Exit 3 when missed.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiogram.methods import SendDocument

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.mixed import make_bot
from benchmarks.onboarding import Traffic
from benchmarks.province import Data, build_sqlite, generate
from bot.app import build_app
from bot.campaign.loader import load_default_pack
from bot.clock import FixedClock
from bot.exporting import Request
from bot.i18n import Renderer
from bot.settings import Settings
from storage.db import Database

GOAL = 1.5
OFFICER_CHAT = 7_000_000_001
NOW = datetime(2026, 9, 5, 1, 0, tzinfo=UTC)


def family(data: Data, seed: int) -> list[int]:
    """Telegram ids of active parents and students, shuffled."""
    active = {pid: tg for pid, tg, _, status in data.people if status == "active" and tg}
    roles: dict[int, set[str]] = {}
    for _, person, _, role in data.memberships:
        roles.setdefault(person, set()).add(role)
    found = [active[p] for p, r in roles.items() if p in active and r <= {"parent", "student"}]
    random.Random(seed).shuffle(found)
    return found


def warm(_: int) -> int:
    return 0


async def window(app: Any, bot: Any, people: list[int], rate: float, seconds: float) -> list[float]:
    """Open-loop /progress at `rate` for `seconds`; each update's latency in seconds."""
    traffic = Traffic(bot)
    count = int(rate * seconds)
    updates = [traffic.message(traffic.user(tg), "/progress") for tg in people[:count]]
    del people[:count]
    latencies: list[float] = []
    start = time.perf_counter()

    async def one(due: float, update: Any) -> None:
        await app.dispatcher.feed_update(bot, update)
        latencies.append(time.perf_counter() - due)

    tasks = []
    for n, update in enumerate(updates):
        due = start + n / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(due, update)))
    await asyncio.gather(*tasks)
    return latencies


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def line(name: str, values: list[float]) -> str:
    return (
        f"  {name:24} {len(values):5} updates  p50 {statistics.median(values) * 1000:6.0f} ms  "
        f"p99 {quantile(values, 0.99) * 1000:6.0f} ms  max {max(values) * 1000:6.0f} ms"
    )


async def main_async(args: argparse.Namespace) -> int:
    pack = load_default_pack()
    print(f"building the province: {args.people:,} people, {args.reports:,} reports …")
    data = generate(pack, args.people, args.reports, args.seed)
    people = family(data, args.seed)
    with tempfile.TemporaryDirectory(prefix="hocvuso-latency-") as folder:
        file = Path(folder) / "province.db"
        await build_sqlite(file, data, pack)
        print("built; timing …")
        province_id = next(org for org, kind, *_ in data.orgs if kind == "province")
        del data
        url = f"sqlite+aiosqlite:///{file}"
        settings = Settings(database_url=url, bot_token="42:BENCH", quiet_hours="off")
        database = Database(url)
        app = build_app(settings, database, FixedClock(NOW), "hocvuso_bench_bot")
        bot, session = make_bot(args.api_ms / 1000, 10_000.0)
        sent: list[Any] = []
        original = session.make_request

        async def watching(b: Any, method: Any, timeout: Any = None) -> Any:
            if isinstance(method, SendDocument):
                sent.append(method)
            return await original(b, method, timeout)

        session.make_request = watching  # type: ignore[method-assign]
        await app.preload()
        shared = app.shared
        await asyncio.gather(shared.workers.run(warm, 0), shared.workers.run(warm, 1))
        await window(app, bot, people, args.rate, 2.0)  # caches, connections, first queries
        quiet = await window(app, bot, people, args.rate, args.seconds)
        request = Request(
            user_id=OFFICER_CHAT,
            chat_id=OFFICER_CHAT,
            message_id=None,
            org_id=province_id,
            org_name="Tỉnh",
            fmt="xlsx",
            sheet=None,
            render=Renderer(shared.catalogues, "vi", shared.zone, "officer"),
            database_url=url,
            default_language="vi",
            today=NOW.date(),
        )
        began = time.perf_counter()
        shared.exports.start(shared, bot, request)
        await asyncio.sleep(2.0)
        busy = await window(app, bot, people, args.rate, args.seconds)
        during = shared.exports.busy(OFFICER_CHAT)
        while shared.exports.busy(OFFICER_CHAT):
            await asyncio.sleep(0.5)
        took = time.perf_counter() - began
        await shared.background.drain()
        shared.workers.close()
        await app.storage.close()
        await database.dispose()
    print(f"/progress at {args.rate:g}/s, Bot API calls {args.api_ms:g} ms:")
    print(line("no export", quiet))
    print(line("province export running", busy))
    ratio = quantile(busy, 0.99) / quantile(quiet, 0.99)
    print(f"  p99 ratio {ratio:.2f}x (goal <= {GOAL}x); export still running at the end of the")
    print(f"  window: {'yes' if during else 'NO (the window outlasted it)'}")
    print(f"province export (XLSX, every sheet): {took:.0f} s, {len(sent)} document(s) sent")
    return 0 if ratio <= GOAL and sent else 3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--rate", type=float, default=50.0, help="/progress updates a second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--api-ms", type=float, default=40.0)
    parser.add_argument("--seed", type=int, default=20260905)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    return asyncio.run(main_async(parser.parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
