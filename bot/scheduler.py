"""The scheduler: APScheduler only ticks; what is due lives in database rows.

Every `interval` seconds a tick runs the jobs of `JOBS` one after another with the
same `now` from the injected clock. A job that raises is logged and the next one
runs; each job fires its items one transaction per item and never twice (see
`bot.services.reminders` and table `firings`).

With several workers, `lock` decides which one ticks: an async context manager
yielding True when this worker holds the tick. The default is no lock (one worker);
`RedisLock` is used when `HOCVUSO_REDIS_URL` is set. Even without a lock a second
worker cannot fire an item twice (the firing's unique key), but it would do the
work of finding what is due for nothing.

Adding a job is one line in `JOBS` (an `async def job(ctx, now) -> int`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from bot.delivery import broadcasts
from bot.jobs import Job, JobContext
from bot.services import privacy, reminders, snapshots

log = logging.getLogger("hocvuso.scheduler")

TICK_SECONDS = 30.0

JOBS: tuple[Job, ...] = (
    broadcasts.fire_due,
    reminders.remind,
    reminders.announce,
    snapshots.weekly,
    privacy.nightly,
)
"""What each tick runs, in order."""

Lock = Callable[[], AbstractAsyncContextManager[bool]]


@asynccontextmanager
async def no_lock() -> AsyncIterator[bool]:
    yield True


class RedisLock:
    """At most one worker ticks at a time: a Redis lock taken without waiting, held for
    at most `ttl` seconds (a worker that dies mid-tick frees it by expiry)."""

    def __init__(self, url: str, name: str = "hocvuso:scheduler", ttl: float = 300.0) -> None:
        from redis.asyncio import Redis

        self._redis = Redis.from_url(url)
        self._name = name
        self._ttl = ttl

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[bool]:
        from redis.exceptions import LockError

        lock = self._redis.lock(self._name, timeout=self._ttl, blocking=False)
        held = bool(await lock.acquire(blocking=False))
        try:
            yield held
        finally:
            if held:
                with contextlib.suppress(LockError):
                    await lock.release()

    async def close(self) -> None:
        await self._redis.aclose()


def job_name(job: Job) -> str:
    return getattr(job, "__qualname__", None) or repr(job)


class Scheduler:
    def __init__(
        self,
        ctx: JobContext,
        jobs: Sequence[Job] = JOBS,
        *,
        interval: float = TICK_SECONDS,
        lock: Lock = no_lock,
    ) -> None:
        self.ctx = ctx
        self.jobs = list(jobs)
        self.interval = interval
        self.lock = lock
        self._aps: Any = None
        self._ticking: asyncio.Task[Any] | None = None

    async def tick(self) -> dict[str, int] | None:
        """Run every job once; returns what each fired (None: another worker holds the
        tick). A job that fails is logged, shows as -1, and the others still run."""
        async with self.lock() as mine:
            if not mine:
                return None
            now = self.ctx.clock.now()
            fired: dict[str, int] = {}
            for job in self.jobs:
                name = job_name(job)
                try:
                    fired[name] = await job(self.ctx, now)
                except Exception:
                    log.exception("job %s failed", name)
                    fired[name] = -1
            return fired

    async def _run(self) -> None:
        self._ticking = asyncio.current_task()
        try:
            await self.tick()
        except Exception:
            log.exception("tick failed")  # the lock itself, say Redis away
        finally:
            self._ticking = None

    def start(self) -> None:
        from apscheduler.schedulers.asyncio import AsyncIOScheduler
        from apscheduler.triggers.interval import IntervalTrigger

        self._aps = AsyncIOScheduler(timezone=UTC)
        self._aps.add_job(
            self._run,
            IntervalTrigger(seconds=self.interval, timezone=UTC),
            id="hocvuso-tick",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
            next_run_time=datetime.now(UTC),
            replace_existing=True,
        )
        self._aps.start()
        log.info("scheduler ticking every %.0f s, %d jobs", self.interval, len(self.jobs))

    async def stop(self, timeout: float = 30.0) -> None:
        """No more ticks; a tick under way finishes (up to `timeout` seconds)."""
        if self._aps is not None:
            self._aps.shutdown(wait=False)
            self._aps = None
        ticking = self._ticking
        if ticking is not None and not ticking.done():
            try:
                await asyncio.wait_for(asyncio.shield(ticking), timeout)
            except TimeoutError:
                log.warning("scheduler: a tick was still running at shutdown")
