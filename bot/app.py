"""Building the bot: storage, dispatcher, middlewares. Nothing here runs at import.

Update middlewares, outermost first (aiogram's own first two):

1. errors (aiogram): a handler that raised gets the apology (bot.handlers.errors);
2. user context (aiogram): who and which chat;
3. flood guard: counted as updates arrive, before any lock;
4. unit of work: opened here, rolled back here if anything raised; then, for a poll
   closed by its timer (an update without a user), whose poll it was;
5. conversation lock and state (aiogram's FSM middleware, with our storage): one
   update per person at a time, so one person's replies keep their order;
6. commit: the handler, then the one commit, then the replies, still in the lock;
7. turn: the person, their language, the time.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import SimpleEventIsolation

from bot.background import Background
from bot.clock import Clock
from bot.delivery import broadcasts
from bot.delivery.outbox import Outbox
from bot.delivery.pace import Limits, Pace
from bot.delivery.wire import Wire
from bot.exporting import Exports
from bot.handlers import build_flows, get_routers
from bot.i18n import Catalogues, build_catalogues
from bot.middlewares.database import CommitMiddleware, UnitOfWorkMiddleware
from bot.middlewares.flood import FloodMiddleware
from bot.middlewares.polls import PollOwnerMiddleware
from bot.middlewares.turn import TurnMiddleware
from bot.services.campaigns import ActiveCampaign
from bot.services.enrolment import PreviewCache
from bot.services.people import Directory
from bot.settings import Settings
from bot.turn import Shared
from bot.workers import Workers
from storage.conversation import DatabaseStorage, StagedStorage
from storage.db import Database

if TYPE_CHECKING:
    from bot.scheduler import Scheduler

log = logging.getLogger(__name__)


@dataclass
class App:
    settings: Settings
    database: Database
    clock: Clock
    storage: BaseStorage
    dispatcher: Dispatcher
    shared: Shared
    flood: FloodMiddleware
    scheduler: Scheduler | None = None  # started by bot.runtime.prepare

    @property
    def outbox(self) -> Outbox:
        return self.shared.outbox

    @property
    def catalogues(self) -> Catalogues:
        return self.shared.catalogues

    @property
    def directory(self) -> Directory:
        return self.shared.directory

    async def start_sending(self, bot: Bot, pace: Pace | None, wire: Wire | None = None) -> None:
        """The outbox's sender, and the broadcasts' progress messages edited as it goes
        (picking up broadcasts a restart left in the middle)."""
        await self.outbox.start(bot, pace, wire)
        broadcasts.attach(self.shared, bot)

    async def stop_sending(self) -> None:
        await stop_sending(self.shared)

    async def preload(self) -> None:
        """With one worker (no Redis), learn the ids of known people once at start, so that
        a stranger's first message needs no query."""
        uow = self.database.unit_of_work()
        try:
            people = await self.directory.preload(uow)
        finally:
            await uow.abort()
        log.info("preloaded %d people", people)


async def stop_sending(shared: Shared) -> None:
    """The progress edits, then the sender: what is in flight finishes and is recorded."""
    reporter = broadcasts.reporter(shared)
    if reporter is not None:
        await reporter.stop()
    await shared.outbox.stop()


def make_bot(settings: Settings, token: str | None = None, pace: Pace | None = None) -> Bot:
    """The bot, its session paced at Telegram's limits (`HOCVUSO_SEND_RATE` overall)."""
    session = (
        AiohttpSession(api=TelegramAPIServer.from_base(settings.api_url.rstrip("/")))
        if settings.api_url
        else AiohttpSession()
    )
    session.middleware(pace or Pace(Limits(per_second=settings.send_rate)))
    return Bot(
        token or settings.bot_token or "",
        session=session,
        default=DefaultBotProperties(link_preview_is_disabled=True),
    )


def make_storage(
    settings: Settings, database: Database, clock: Clock
) -> tuple[StagedStorage, BaseEventIsolation]:
    if settings.redis_url:
        from aiogram.fsm.storage.base import DefaultKeyBuilder
        from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage

        redis = RedisStorage.from_url(
            settings.redis_url, key_builder=DefaultKeyBuilder(prefix="hocvuso", with_destiny=True)
        )
        isolation = RedisEventIsolation(redis.redis, key_builder=redis.key_builder)
        return StagedStorage(redis), isolation
    return StagedStorage(DatabaseStorage(database, clock.now)), SimpleEventIsolation()


def build_app(
    settings: Settings,
    database: Database,
    clock: Clock,
    bot_username: str,
    *,
    flood_limit: int = 20,
) -> App:
    catalogues = build_catalogues(settings.default_language)
    directory = Directory(ttl=30.0 if settings.redis_url else None)
    storage, isolation = make_storage(settings, database, clock)
    shared = Shared(
        directory=directory,
        campaign=ActiveCampaign(),
        previews=PreviewCache(),
        catalogues=catalogues,
        bot_username=bot_username,
        flows=build_flows(),
        zone=settings.zone,
        background=Background(),
        outbox=Outbox(
            database,
            settings.zone,
            settings.quiet_hours,
            clock.now,
            in_flight=max(8, min(200, int(settings.send_rate / 10))),
            lease=120.0 if settings.redis_url else None,
        ),
        quiz_rendering=settings.quiz_rendering,
        # Two processes: a chart (/stats) never waits behind an export, which takes one.
        workers=Workers(processes=2),
        exports=Exports(upload_limit=settings.export_upload_limit),
    )
    # The FSM middleware is registered below, after the flood guard, not by aiogram first.
    dispatcher = Dispatcher(storage=storage, events_isolation=isolation, disable_fsm=True)
    dispatcher.include_routers(*get_routers())
    flood = FloodMiddleware(catalogues, directory, limit=flood_limit)
    dispatcher.update.outer_middleware(flood)
    units_of_work = UnitOfWorkMiddleware(database)
    dispatcher.update.outer_middleware(units_of_work)
    dispatcher.update.outer_middleware(PollOwnerMiddleware())
    dispatcher.update.outer_middleware(dispatcher.fsm)
    dispatcher.update.outer_middleware(CommitMiddleware())
    dispatcher.update.outer_middleware(TurnMiddleware(shared, clock, settings.superadmins))

    async def let_updates_finish() -> None:
        # Runs at shutdown, before the storage and the HTTP session close: updates in
        # progress still commit, and their replies still go out.
        if not await units_of_work.drained(timeout=15.0):
            log.warning("shutdown: updates still running after 15 s")
        await shared.background.drain()
        await stop_sending(shared)
        await asyncio.to_thread(shared.workers.close)  # an export in progress finishes

    storage.before_close = let_updates_finish
    return App(settings, database, clock, storage, dispatcher, shared, flood)
