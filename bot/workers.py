"""Work too heavy for the event loop (charts, spreadsheets), run in other processes.

A thread would still hold the interpreter lock while matplotlib or xlsxwriter
run Python code, and every person's reply would wait; a process does not. The
pool is built in `__main__` (or a test) and injected; functions sent to it take
and return plain, picklable data.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

R = TypeVar("R")


class Workers:
    def __init__(self, processes: int = 1) -> None:
        self._processes = processes
        self._pool: ProcessPoolExecutor | None = None

    def _ready(self) -> ProcessPoolExecutor:
        if self._pool is None:  # started on first use: most updates never need it
            self._pool = ProcessPoolExecutor(
                self._processes, mp_context=multiprocessing.get_context("spawn")
            )
        return self._pool

    def warm(self, work: Callable[[], object]) -> None:
        """Start a worker and run `work` there now, without waiting: its modules are
        loaded by the time the real work comes (the first chart after a start)."""
        if self._pool is None:
            self._ready().submit(work)

    async def run(self, work: Callable[..., R], *args: Any) -> R:
        """`work(*args)` in a worker process; the loop stays free while it runs."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._ready(), work, *args)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
