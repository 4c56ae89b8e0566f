"""The outbox against a Bot API that enforces Telegram's limits: rate, 429s, and what people feel.

    python benchmarks/broadcast.py [--recipients 3000] [--db sqlite|postgresql|both]
                                   [--api-ms 40] [--fast-rate 1000] [--quick]

The fake Bot API of the tests (tests/support/botapi.py) runs in a child process of its
own, so that its work does not count against the bot's event loop. It enforces
Telegram's buckets (per chat, per group, overall) and answers every message request
``--api-ms`` late (an injected "timeout" fault that still delivers). The bot side is
the real thing: ``bot.app.build_app``'s dispatcher and its ``Outbox``, with the session
``bot.app.make_bot`` builds (``Pace`` at ``HOCVUSO_SEND_RATE``), talking HTTP to it.

Runs, on each database:

1. ``default``: ``--recipients`` rows queued as one broadcast at the default
   ``HOCVUSO_SEND_RATE`` (30/s) against Telegram's free limits. Figures: achieved rate
   (recipients - 1 over the time from the first broadcast message to the last, at the
   server) as a fraction of the configured rate, and the 429s the server answered.
   Goal: >= 0.97 of the limit, zero 429s.
2. ``paid``: the same with ``HOCVUSO_SEND_RATE=--fast-rate`` against limits raised to
   match (Telegram's paid broadcasts): the outbox's own ceiling. Goal: >= 800/s.
3. ``replies``: people using the bot (/progress, ten a second, each from their own
   chat) for a fixed time with no broadcast (the baseline), then the same while the
   ``default`` broadcast runs. Reply latency = from feeding the update to the reply
   having been answered by the server. Goal: p99 during the broadcast within 1.5x of
   the baseline's.

Prints each run's figures and the ratio against its baseline from the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOKEN = "777:BENCH"
FIRST_ID = 100_000
USERS_ID = 900_000  # people who use the bot while it broadcasts
USERS = 100
PER_SECOND = 10.0  # updates a second from the users (each writes every 10 s)


# The Bot API, in a child process ------------------------------------------------------------


def serve(conn: Any, recipients: int, global_rate: float | None, api_ms: float) -> None:
    asyncio.run(_serve(conn, recipients, global_rate, api_ms))


async def _serve(conn: Any, recipients: int, global_rate: float | None, api_ms: float) -> None:
    from tests.support.botapi import FakeBotApi
    from tests.support.botapi_faults import TelegramLimits

    limits = (
        TelegramLimits()
        if global_rate is None
        else TelegramLimits(global_capacity=global_rate + 3, global_rate=global_rate + 1)
    )
    api = await FakeBotApi(token=TOKEN, bot_username="hocvuso_bench_bot", limits=limits).start()
    for n in range(recipients):
        api.user(FIRST_ID + n, f"PH{n}")
    for n in range(USERS):
        api.user(USERS_ID + n, f"ND{n}")
    if api_ms > 0:
        api.inject("timeout", rate=1.0, delay=api_ms / 1000)
    conn.send(api.base_url)
    loop = asyncio.get_running_loop()
    while True:
        command = await loop.run_in_executor(None, conn.recv)
        if command == "stop":
            break
        if command == "reset":
            api.attempts.clear()
            conn.send(time.process_time())
        elif command == "stats":
            sends = [a for a in api.attempts if a.method.lower() == "sendmessage"]
            ok = sorted(a.at for a in sends if a.status == 200 and (a.chat_id or 0) < USERS_ID)
            conn.send(
                {
                    "ok": len(ok),
                    "first": ok[0] if ok else None,
                    "last": ok[-1] if ok else None,
                    "429": sum(1 for a in api.attempts if a.status == 429),
                    "limit_refusals": len(api.limit_refusals()),
                    "cpu": time.process_time(),
                    "by_status": dict(Counter((a.method, a.status) for a in api.attempts)),
                }
            )
    await api.stop()


class Server:
    def __init__(self, recipients: int, global_rate: float | None, api_ms: float) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(
            target=serve, args=(child, recipients, global_rate, api_ms), daemon=True
        )
        self.process.start()
        self.url: str = self.conn.recv()

    async def ask(self, command: str) -> Any:
        self.conn.send(command)
        return await asyncio.get_running_loop().run_in_executor(None, self.conn.recv)

    def close(self) -> None:
        self.conn.send("stop")
        self.process.join(10)


# The bot side ---------------------------------------------------------------------------------


@dataclass
class Backend:
    name: str
    url: str


async def populate(url: str, recipients: int) -> tuple[Any, int]:
    """A migrated database with a school, a class, the recipients and the users as parents."""
    from bot.services import campaigns
    from storage import migrate, org_units, people
    from storage.db import Database

    database = Database(url)
    await migrate.upgrade(database)
    now = datetime.now(UTC)
    uow = database.unit_of_work()
    await campaigns.ensure_default(uow, now)
    await uow.finish()
    async with database.transaction() as session:
        unit, _ = await org_units.ensure(
            session, [("province", "Bắc Ninh"), ("school", "THPT Bench"), ("class", "10A1")], now
        )
        ids = [FIRST_ID + n for n in range(recipients)] + [USERS_ID + n for n in range(USERS)]
        created = await people.create_many(
            session, [(tg, f"Phụ huynh {tg}", "vi", now) for tg in ids]
        )
        await people.add_memberships(
            session, [(pid, unit.id, "parent", None, now) for pid in created]
        )
        return database, unit.id


async def queue(app: Any, recipients: int, text: str) -> None:
    from sqlalchemy import select

    from bot.delivery.outbox import Outgoing
    from storage.models import Person

    uow = app.database.unit_of_work()
    found = await uow.session.execute(
        select(Person.id, Person.tg_user_id).where(
            Person.tg_user_id >= FIRST_ID, Person.tg_user_id < FIRST_ID + recipients
        )
    )
    await app.outbox.post(
        uow,
        [Outgoing(chat_id=tg, text=text, source="broadcast", person_id=pid) for pid, tg in found],
    )
    await uow.finish()


async def build(backend: Backend, server: Server, send_rate: float) -> tuple[Any, Any, Any]:
    from bot.app import build_app, make_bot
    from bot.clock import Clock
    from bot.delivery.pace import Limits, Pace
    from bot.delivery.wire import Wire
    from bot.settings import Settings

    settings = Settings(
        database_url=backend.url,
        bot_token=TOKEN,
        api_url=server.url,
        send_rate=send_rate,
        quiet_hours="off",
    )
    from storage.db import Database

    database = Database(backend.url)
    clock = Clock(settings.zone)
    app = build_app(settings, database, clock, "hocvuso_bench_bot")
    await app.preload()
    pace = Pace(Limits(per_second=send_rate))
    bot = make_bot(settings, TOKEN, pace)
    wire = Wire(TOKEN, server.url, connections=app.outbox.in_flight + 4)
    await app.outbox.start(bot, pace, wire)  # as bot.runtime.prepare starts it
    return app, bot, pace


async def close(app: Any, bot: Any) -> None:
    await app.outbox.stop()
    await app.storage.close()
    await app.database.dispose()
    await bot.session.close()


async def run_broadcast(
    backend: Backend, server: Server, recipients: int, rate: float
) -> dict[str, Any]:
    server_cpu = await server.ask("reset")
    app, bot, _ = await build(backend, server, rate)
    try:
        started = time.monotonic()
        cpu = time.process_time()
        await queue(app, recipients, f"Thông báo {rate:g}: họp phụ huynh lúc 8:00 Chủ nhật.")
        assert await app.outbox.idle(recipients / rate * 3 + 60), "the outbox did not empty"
        wall = time.monotonic() - started
        cpu = time.process_time() - cpu
    finally:
        await close(app, bot)
    stats = await server.ask("stats")
    server_cpu = stats["cpu"] - server_cpu
    span = (stats["last"] - stats["first"]) if stats["ok"] > 1 else float("nan")
    achieved = (stats["ok"] - 1) / span if span else float("nan")
    return {
        "sent": stats["ok"],
        "rate": achieved,
        "429": stats["429"],
        "wall": wall,
        "cpu": cpu,  # the bot's process (its SQLite threads too)
        "server_cpu": server_cpu,
    }


async def use_the_bot(app: Any, bot: Any, seconds: float, per_second: float) -> list[float]:
    """/progress from the users, `per_second` of them a second, open loop; latencies."""
    from aiogram.types import Chat, Message, MessageEntity, Update, User

    latencies: list[float] = []
    tasks = []
    loop = asyncio.get_running_loop()
    start = loop.time()
    n = 0
    while loop.time() - start < seconds:
        due = start + n / per_second
        await asyncio.sleep(max(0.0, due - loop.time()))
        user_id = USERS_ID + n % USERS
        user = User(id=user_id, is_bot=False, first_name="ND", language_code="vi")
        message = Message(
            message_id=n + 1,
            date=datetime.now(UTC),
            chat=Chat(id=user_id, type="private"),
            from_user=user,
            text="/progress",
            entities=[MessageEntity(type="bot_command", offset=0, length=9)],
        )
        update = Update(update_id=10_000_000 + n, message=message)

        async def one(update: Update = update, due: float = due) -> None:
            await app.dispatcher.feed_update(bot, update)
            latencies.append(loop.time() - due)

        tasks.append(asyncio.create_task(one()))
        n += 1
    await asyncio.gather(*tasks)
    return latencies


async def run_replies(
    backend: Backend, server: Server, recipients: int, seconds: float
) -> dict[str, Any]:
    app, bot, _ = await build(backend, server, 30.0)
    try:
        await use_the_bot(app, bot, 3.0, PER_SECOND)  # warm: caches, connections, the campaign
        baseline = await use_the_bot(app, bot, seconds, PER_SECOND)
        await server.ask("reset")
        await queue(app, recipients, "Thông báo: họp phụ huynh lúc 8:00 Chủ nhật.")
        await asyncio.sleep(1.0)  # the broadcast is under way
        during = await use_the_bot(app, bot, seconds, PER_SECOND)
        assert await app.outbox.idle(recipients / 30 * 3 + 60)
    finally:
        await close(app, bot)
    return {"baseline": p99(baseline), "during": p99(during), "n": len(during)}


def p99(values: list[float]) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100)[98]


# Running ----------------------------------------------------------------------------------------


async def backends(which: str, root: Path) -> list[tuple[Backend, Any]]:
    found: list[tuple[Backend, Any]] = []
    if which in ("sqlite", "both"):
        found.append((Backend("SQLite", f"sqlite+aiosqlite:///{root / 'bench.db'}"), None))
    if which in ("postgresql", "both"):
        from tests.support import postgres

        problem = await asyncio.to_thread(postgres.problem)
        if problem:
            print(f"PostgreSQL skipped: {problem}")
        else:
            name = postgres.new_name("hocvuso_bcast")
            await postgres.create(name)
            found.append((Backend("PostgreSQL", postgres.url(name)), name))
    return found


async def main_async(args: argparse.Namespace) -> int:
    import logging

    logging.basicConfig(level=logging.ERROR)
    recipients = args.recipients
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for backend, pg_name in await backends(args.db, Path(tmp)):
            database, _ = await populate(backend.url, recipients)
            await database.dispose()
            print(f"\n== {backend.name}: {recipients:,} recipients, Bot API {args.api_ms:g} ms ==")

            free = Server(recipients, None, args.api_ms)
            try:
                default = await run_broadcast(backend, free, recipients, 30.0)
                replies = await run_replies(backend, free, recipients, args.seconds)
            finally:
                free.close()
            paid = Server(recipients, args.fast_rate, args.api_ms)
            try:
                fast = await run_broadcast(backend, paid, recipients, args.fast_rate)
            finally:
                paid.close()

            share = default["rate"] / 30.0
            print(
                f"default  30/s: sent {default['sent']:,} at {default['rate']:.2f}/s = "
                f"{share:.3f} of the limit (goal >= 0.97), 429s {default['429']} (goal 0), "
                f"{default['wall']:.1f} s"
            )
            print(
                f"paid  {args.fast_rate:g}/s: sent {fast['sent']:,} at {fast['rate']:.0f}/s = "
                f"{fast['rate'] / args.fast_rate:.3f} of the limit (goal >= 800/s), "
                f"429s {fast['429']}, {fast['wall']:.1f} s; CPU: bot {fast['cpu']:.1f} s, "
                f"Bot API server {fast['server_cpu']:.1f} s"
            )
            ratio = replies["during"] / replies["baseline"]
            print(
                f"replies p99: {replies['baseline'] * 1000:.0f} ms without a broadcast, "
                f"{replies['during'] * 1000:.0f} ms during one ({replies['n']} updates): "
                f"ratio {ratio:.2f} (goal <= 1.5)"
            )
            ok &= share >= 0.97 and default["429"] == 0 and fast["rate"] >= 800 and ratio <= 1.5
            if pg_name:
                from tests.support import postgres

                await postgres.drop(pg_name)
    print("\nall goals met" if ok else "\nsome goals missed")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipients", type=int, default=3000)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--api-ms", type=float, default=40.0)
    parser.add_argument("--fast-rate", type=float, default=1000.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--quick", action="store_true", help="600 recipients, 12 s of replies")
    args = parser.parse_args(argv)
    if args.quick:
        args.recipients, args.seconds = 600, 12.0
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    raise SystemExit(main())
