"""What scheduled work may use: the same shared parts as updates, without an update.

A job is `async def job(ctx: JobContext, now: datetime) -> int`: it fires what is due
at `now`, one transaction per item (`ctx.database.unit_of_work()`, then `finish`), and
returns how many items it fired. Messages go through `ctx.outbox`, rendered with
`ctx.renderer(language, reader)` in each recipient's language, worded for their
address group (`bot.text.reader_of`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from bot.clock import Clock
from bot.delivery.outbox import Outbox
from bot.i18n import Renderer
from bot.turn import Shared
from storage.db import Database


@dataclass(frozen=True)
class JobContext:
    shared: Shared
    database: Database
    clock: Clock

    @property
    def outbox(self) -> Outbox:
        return self.shared.outbox

    def renderer(self, language: str, reader: str | None) -> Renderer:
        return Renderer(self.shared.catalogues, language, self.shared.zone, reader)


Job = Callable[[JobContext, datetime], Awaitable[int]]
