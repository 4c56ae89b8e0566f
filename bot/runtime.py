"""Starting the bot: long polling or webhook. Everything is built here and injected."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import sys
from urllib.parse import urlparse

from aiogram import Bot

from bot.app import App, build_app, make_bot
from bot.clock import Clock
from bot.delivery.pace import Limits, Pace
from bot.delivery.wire import Wire
from bot.handlers.menus import set_default_menus
from bot.i18n import Renderer
from bot.jobs import JobContext
from bot.scheduler import JOBS, RedisLock, Scheduler
from bot.services import campaigns
from bot.settings import LANGUAGES, Settings
from storage.db import Database

log = logging.getLogger("hocvuso")

NO_TOKEN = """\
HOCVUSO_BOT_TOKEN is not set, so the bot cannot start.
  1. In Telegram, open @BotFather, send /newbot and follow the steps.
  2. Copy the token it gives you (it looks like 123456789:AAH…).
  3. Put it in a file named .env in this folder:  HOCVUSO_BOT_TOKEN=123456789:AAH…
     (or run: export HOCVUSO_BOT_TOKEN=…), then start hocvuso again.
Chưa có HOCVUSO_BOT_TOKEN: hãy tạo bot với @BotFather (lệnh /newbot), rồi ghi token vào
tệp .env trong thư mục này: HOCVUSO_BOT_TOKEN=…"""


def require_token(settings: Settings) -> str:
    if not settings.bot_token:
        print(NO_TOKEN, file=sys.stderr)
        raise SystemExit(2)
    return settings.bot_token


def make_paced_bot(settings: Settings) -> tuple[Bot, Pace]:
    pace = Pace(Limits(per_second=settings.send_rate))
    return make_bot(settings, require_token(settings), pace), pace


async def prepare(settings: Settings, bot: Bot, pace: Pace) -> App:
    """Migrate, make sure a campaign is loaded, learn our username, set menus."""
    await upgrade_in_child(settings)
    database = Database(settings.database_url)
    clock = Clock(settings.zone)
    uow = database.unit_of_work()
    try:
        await campaigns.ensure_default(uow, clock.now())
        await uow.finish()
    except BaseException:
        await uow.abort()
        raise
    me = await bot.get_me()
    app = build_app(settings, database, clock, me.username or settings.bot_username or "")
    await app.preload()
    renderers = {lang: Renderer(app.catalogues, lang, settings.zone) for lang in LANGUAGES}
    await set_default_menus(bot, renderers, settings.default_language)
    wire = Wire(bot.token, settings.api_url, connections=app.outbox.in_flight + 4)
    await app.start_sending(bot, pace, wire)
    app.scheduler = build_scheduler(app)
    app.scheduler.start()
    settle_memory()
    log.info("bot @%s ready (database %s)", me.username, database.dialect)
    return app


def build_scheduler(app: App) -> Scheduler:
    """The tick, with a Redis lock when several workers may run (HOCVUSO_REDIS_URL)."""
    ctx = JobContext(app.shared, app.database, app.clock)
    if app.settings.redis_url:
        return Scheduler(ctx, JOBS, lock=RedisLock(app.settings.redis_url))
    return Scheduler(ctx, JOBS)


def settle_memory() -> None:
    """After start, collect once and freeze what survived: modules, schemas, catalogues
    and caches live as long as the process, and the collector would otherwise walk
    them all on every full collection. (The onboarding benchmark freezes the same way
    before timing, so it measures what runs here.)"""
    gc.collect()
    gc.freeze()


async def upgrade_in_child(settings: Settings) -> None:
    """`hocvuso db upgrade` in a child process, so that this long-running process never
    imports Alembic (about 8 MB of idle memory). It costs a second or so at start, and
    refreshes the planner's statistics (sampled, see storage.migrate.analyze)."""
    env = dict(os.environ, HOCVUSO_DATABASE_URL=settings.database_url)
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "db",
        "upgrade",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await child.communicate()
    if child.returncode != 0:
        sys.stderr.write(err.decode(errors="replace"))
        log.error("database upgrade failed (exit %s)", child.returncode)
        raise SystemExit(child.returncode or 1)
    log.info("%s", out.decode(errors="replace").strip())


async def shutdown(app: App) -> None:
    if app.scheduler is not None:
        await app.scheduler.stop()
        if isinstance(app.scheduler.lock, RedisLock):
            await app.scheduler.lock.close()
    await app.stop_sending()
    await app.storage.close()
    await app.database.dispose()


def allowed_updates(app: App) -> list[str]:
    """The update types some handler takes: quiz votes (`poll_answer`) and polls closed by
    their timer (`poll`) among them. Telegram keeps the last list it was given, so it is
    always given in full."""
    return app.dispatcher.resolve_used_update_types()


async def run_polling(settings: Settings) -> None:
    bot, pace = make_paced_bot(settings)
    app = await prepare(settings, bot, pace)
    try:
        await bot.delete_webhook(drop_pending_updates=False)
        await app.dispatcher.start_polling(
            bot,
            handle_as_tasks=True,
            close_bot_session=True,
            allowed_updates=allowed_updates(app),
        )
    finally:
        await shutdown(app)


async def run_webhook(settings: Settings) -> None:
    from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
    from aiohttp import web

    if not settings.webhook_url:
        print(
            "HOCVUSO_WEBHOOK_URL is not set (the public https URL Telegram should call).",
            file=sys.stderr,
        )
        raise SystemExit(2)
    bot, pace = make_paced_bot(settings)
    app = await prepare(settings, bot, pace)
    await bot.set_webhook(
        settings.webhook_url,
        secret_token=settings.webhook_secret,
        allowed_updates=allowed_updates(app),
    )
    web_app = web.Application()
    SimpleRequestHandler(
        dispatcher=app.dispatcher, bot=bot, secret_token=settings.webhook_secret
    ).register(web_app, path=urlparse(settings.webhook_url).path or "/webhook")
    setup_application(web_app, app.dispatcher, bot=bot)
    host, _, port = settings.webhook_listen.rpartition(":")
    runner = web.AppRunner(web_app)
    await runner.setup()
    await web.TCPSite(runner, host or "0.0.0.0", int(port)).start()
    log.info("webhook listening on %s", settings.webhook_listen)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
        await shutdown(app)
        await bot.session.close()
