"""Building the bot: storage, dispatcher, middlewares. Nothing here runs at import."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import SimpleEventIsolation

from bot.clock import Clock
from bot.handlers import install_handlers
from bot.i18n import Catalogues, build_catalogues
from bot.middlewares.database import UnitOfWorkMiddleware
from bot.middlewares.flood import FloodMiddleware
from bot.middlewares.locale import LocaleMiddleware
from bot.middlewares.people import PersonMiddleware
from bot.services.campaigns import ActiveCampaign
from bot.services.enrolment import Joiner, PreviewCache
from bot.services.people import Directory
from bot.settings import Settings
from storage.conversation import DatabaseStorage
from storage.db import Database

log = logging.getLogger(__name__)


@dataclass
class App:
    settings: Settings
    database: Database
    clock: Clock
    catalogues: Catalogues
    directory: Directory
    storage: BaseStorage
    dispatcher: Dispatcher

    async def preload(self) -> None:
        """With one worker (no Redis), read open conversations and the ids of known
        people once at start, so that later misses need no query."""
        if isinstance(self.storage, DatabaseStorage):
            conversations = await self.storage.preload()
            uow = self.database.unit_of_work()
            try:
                people = await self.directory.preload(uow)
            finally:
                await uow.finish()
            log.info("preloaded %d conversations, %d people", conversations, people)


def make_bot(settings: Settings, token: str | None = None) -> Bot:
    session = (
        AiohttpSession(api=TelegramAPIServer.from_base(settings.api_url.rstrip("/")))
        if settings.api_url
        else AiohttpSession()
    )
    return Bot(
        token or settings.bot_token or "",
        session=session,
        default=DefaultBotProperties(link_preview_is_disabled=True),
    )


def make_storage(
    settings: Settings, database: Database, clock: Clock
) -> tuple[BaseStorage, BaseEventIsolation]:
    if settings.redis_url:
        from aiogram.fsm.storage.base import DefaultKeyBuilder
        from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage

        storage = RedisStorage.from_url(
            settings.redis_url, key_builder=DefaultKeyBuilder(prefix="hocvuso", with_destiny=True)
        )
        return storage, RedisEventIsolation(storage.redis, key_builder=storage.key_builder)
    return DatabaseStorage(database, clock.now), SimpleEventIsolation()


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
    dispatcher = Dispatcher(
        storage=storage,
        events_isolation=isolation,
        settings=settings,
        database=database,
        clock=clock,
        directory=directory,
        catalogues=catalogues,
        bot_username=bot_username,
        campaign=ActiveCampaign(),
        previews=PreviewCache(),
        joiner=Joiner(database),
    )
    install_handlers(dispatcher)  # before the message middlewares: it replaces the observers
    units_of_work = UnitOfWorkMiddleware(database)
    dispatcher.update.outer_middleware(units_of_work)

    async def let_updates_finish() -> None:
        # Runs before aiogram closes the HTTP session: replies in flight still go out.
        if not await units_of_work.drained(timeout=10.0):
            log.warning("shutdown: updates still running after 10 s")

    dispatcher.shutdown.register(let_updates_finish)
    dispatcher.update.outer_middleware(PersonMiddleware(directory, settings, clock))
    LocaleMiddleware(catalogues, zone=settings.zone).setup(dispatcher)
    flood = FloodMiddleware(limit=flood_limit)
    dispatcher.message.outer_middleware(flood)
    dispatcher.callback_query.outer_middleware(flood)
    return App(settings, database, clock, catalogues, directory, storage, dispatcher)
