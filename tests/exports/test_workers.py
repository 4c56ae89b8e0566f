"""Heavy work runs in another process: the event loop keeps ticking meanwhile."""

from __future__ import annotations

import asyncio
import os
import time

from bot.services.charts import bar_chart
from bot.workers import Workers
from tests.exports.test_charts import bars


def spin(seconds: float) -> int:
    """Pure CPU work that would hold the interpreter lock in a thread."""
    end, n = time.perf_counter() + seconds, 0
    while time.perf_counter() < end:
        n += 1
    return n


async def test_the_loop_stays_free_while_a_worker_computes() -> None:
    workers = Workers()
    try:
        await workers.run(spin, 0.0)  # the process is up before measuring
        gaps: list[float] = []
        done = False

        async def tick() -> None:
            last = time.perf_counter()
            while not done:
                await asyncio.sleep(0.01)
                now = time.perf_counter()
                gaps.append(now - last)
                last = now

        ticker = asyncio.create_task(tick())
        assert await workers.run(spin, 0.6) > 0
        done = True
        await ticker
        assert len(gaps) > 20 and max(gaps) < 0.25
    finally:
        workers.close()


async def test_a_chart_is_drawn_in_a_worker_process() -> None:
    workers = Workers()
    try:
        png = await workers.run(bar_chart, bars(4))
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    finally:
        workers.close()


def pid() -> int:
    return os.getpid()


async def test_warming_starts_a_worker_without_waiting_and_only_once() -> None:
    workers = Workers(processes=1)
    try:
        started = time.perf_counter()
        workers.warm(pid)  # returns at once: the process starts in the background
        assert time.perf_counter() - started < 0.2
        workers.warm(pid)  # a second call adds nothing
        worker = await workers.run(pid)
        assert worker != os.getpid()
        assert await workers.run(pid) == worker  # the same warm process serves the work
    finally:
        workers.close()
