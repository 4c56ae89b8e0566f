"""What one statement costs the event loop, by the way it is sent.

    python benchmarks/statements.py [--repeats 3000] [--db sqlite|postgresql|both]

The statement every update runs first, reading its conversation state
(storage.conversation.READ_STATE), on a migrated database, sent four ways
from one event loop; the figure is the loop thread's CPU time per statement
(time.thread_time), which moves far less than wall time on a shared machine:

* session  - `AsyncSession.execute`, as the repositories send it (the ORM session's
             execution path, then Core's, then the driver);
* connection - `AsyncConnection.execute` on a connection held open (Core only);
* driver   - the driver's own call on the same connection (aiosqlite's cursor, asyncpg's
             prepared statement): the baseline, what the database round trip itself costs;
* check-out - a new session per statement (check-out, pre-ping on PostgreSQL, the
             statement, rollback, check-in): what an update pays for each connection it
             takes.

Each is timed after a warm-up, best of three; the ratio is against the driver in the
same run. benchmarks/mixed.py --diagnose says how many statements and check-outs an
update of each kind makes.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' support modules
from storage import migrate
from storage.conversation import READ_STATE
from storage.db import Database
from tests.support import postgres

KEY = "1:2:3:::default"


async def per_call(call: Callable[[], Awaitable[Any]], repeats: int) -> float:
    """Best of three: µs of the loop thread's CPU per call."""
    for _ in range(min(200, repeats)):
        await call()
    best = float("inf")
    for _ in range(3):
        began = time.thread_time()
        for _ in range(repeats):
            await call()
        best = min(best, (time.thread_time() - began) / repeats * 1e6)
    return best


async def measure(database: Database, repeats: int) -> dict[str, float]:
    params = {"key": KEY}
    figures: dict[str, float] = {}
    async with database.read_sessions() as session:

        async def through_session() -> Any:
            return (await session.execute(READ_STATE, params)).first()

        figures["session"] = await per_call(through_session, repeats)
    async with database.reader.connect() as connection:

        async def through_connection() -> Any:
            return (await connection.execute(READ_STATE, params)).first()

        figures["connection"] = await per_call(through_connection, repeats)
        raw = (await connection.get_raw_connection()).driver_connection
        if database.dialect == "postgresql":
            prepared = await raw.prepare(
                "SELECT state, data FROM conversation_states WHERE key = $1"
            )

            async def through_driver() -> Any:
                return await prepared.fetchrow(KEY)
        else:

            async def through_driver() -> Any:
                cursor = await raw.execute(
                    "SELECT state, data FROM conversation_states WHERE key = ?", (KEY,)
                )
                try:
                    return await cursor.fetchone()
                finally:
                    await cursor.close()

        figures["driver"] = await per_call(through_driver, repeats)

    async def checked_out() -> Any:
        async with database.read_sessions() as own:
            return (await own.execute(READ_STATE, params)).first()

    figures["check-out"] = await per_call(checked_out, max(1, repeats // 4))
    return figures


async def main_async(args: argparse.Namespace) -> int:
    results: list[tuple[str, dict[str, float]]] = []
    with tempfile.TemporaryDirectory() as folder:
        if args.db in ("sqlite", "both"):
            database = Database(f"sqlite+aiosqlite:///{Path(folder) / 'statements.db'}")
            try:
                await migrate.upgrade(database)
                results.append(("sqlite", await measure(database, args.repeats)))
            finally:
                await database.dispose()
        if args.db in ("postgresql", "both"):
            reason = args.pg_problem
            if reason:
                print(f"postgresql: skipped ({reason})")
            else:
                async with postgres.scratch_database("hocvuso_bench") as name:
                    database = Database(postgres.url(name))
                    try:
                        await migrate.upgrade(database)
                        results.append(("postgresql", await measure(database, args.repeats)))
                    finally:
                        await database.dispose()
    print()
    print(
        f"one statement (the conversation-state read), loop CPU µs per call, best of 3 x "
        f"{args.repeats:,} (python {sys.version.split()[0]})"
    )
    print(f"{'db':<12}{'way':<12}{'µs':>8}{'vs driver':>11}")
    for label, figures in results:
        for way, micros in figures.items():
            print(f"{label:<12}{way:<12}{micros:>8.0f}{micros / figures['driver']:>10.2f}x")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3000)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args(argv)
    args.pg_problem = postgres.problem() if args.db != "sqlite" else None  # before the loop
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
