"""Onboarding throughput of the full bot against a bare aiogram echo bot, and idle RSS.

    python benchmarks/onboarding.py [--people 2000] [--concurrency 100]

Every variant gets the same traffic through ``Dispatcher.feed_update`` with real aiogram
``Update`` objects and the same in-memory Bot API session (no network): per simulated
person ``/start <code>``, then the language, consent and keep-name buttons, the child's
name typed and the relation button (a parent's onboarding), one after the other; people run concurrently, at most ``--concurrency`` at a time (like polling with
``handle_as_tasks``). Updates are built before the clock starts.

* full  - the real bot (``bot.app.build_app``) on a fresh migrated SQLite file database,
          its session behind the bot's ``Pace`` middleware without Telegram's limits
          (as the tests' harness has it: retries and bookkeeping, no waits); afterwards
          the memberships written through the timed invite must equal N, and no
          conversation may be left open.
* echo  - a bare ``Dispatcher``: answers each message with its text, answers each query.
* naive - echo plus one SQLAlchemy ``AsyncSession`` transaction per update (an upsert),
          plain SQLAlchemy on aiosqlite (WAL, one pooled connection): the issue's reference.

Each variant warms up on a separate invite/users, then is timed ``--repeats`` times on a
fresh database; the best run is reported. Last, ``hocvuso run`` is started as a user
would, against a tiny fake Bot API on 127.0.0.1, and its RSS is read 3 s after it polls.

Goals (from the issue): full >= 0.25 x echo, idle RSS < 120 MB. Exit status 1 when a
correctness check fails, 3 when ``--strict`` and a goal is missed.

Run time is dominated by the slowest variant: with the bot as it is (~200 updates/s on
a 2-core machine) the default run takes about 3 minutes. For a quick look:
``--people 500 --repeats 1 --no-rss``. What a person feels under steady traffic with
Telegram's round trip is benchmarks/mixed.py; this one is the CPU cost per update. Ratios from the same run are what to compare; on a
shared machine absolute figures move by 2x from run to run.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods import TelegramMethod
from aiogram.types import CallbackQuery, Chat, Message, MessageEntity, Update, User

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' support modules
from tests.support.fake_session import BOT_USER, FakeSession

TOKEN = "42:BENCH"
SCHOOL = [("province", "Bắc Ninh"), ("school", "THPT Lý Thái Tổ"), ("class", "10A1")]
PRESSES = (
    "f:1:onboarding:language:vi",
    "f:1:onboarding:consent:accept",
    "f:1:onboarding:name:keep",
)
CHILD = "An"  # typed after the name: a parent names their child in the class
RELATION = "f:1:onboarding:relation:mother"
MESSAGES_PER_PERSON = 2  # /start and the child's name
UPDATES_PER_PERSON = MESSAGES_PER_PERSON + len(PRESSES) + 1
FULL_GOAL = 0.25
RSS_GOAL_MB = 120.0


class BenchmarkFailure(Exception):
    """A correctness check failed: the figures of that run mean nothing."""


# --------------------------------------------------------------------------------------------
# A Bot API session answering from memory


class MemorySession(FakeSession):
    """The tests' fake Bot API session, which answers like Telegram from memory, with an
    optional round-trip delay and the calls counted by method."""

    def __init__(self, latency: float = 0.0) -> None:
        super().__init__()
        self.latency = latency  # seconds each call takes, as Telegram's round trip would

    async def make_request(
        self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None
    ) -> Any:
        if self.latency:
            await asyncio.sleep(self.latency)
        return await super().make_request(bot, method, timeout)

    def calls(self) -> Counter[str]:
        return Counter(type(method).__name__ for method in self.requests)


# --------------------------------------------------------------------------------------------
# Traffic: real Update objects, built before timing


class Traffic:
    """Updates bound to `bot` the way polling delivers them (parsed with the bot in context).

    An update built without that makes `feed_update` re-create it through a JSON round trip,
    a cost real polling does not pay.
    """

    def __init__(self, bot: Bot) -> None:
        self._bot = bot
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)

    def _mounted(self, update: Update) -> Update:
        data = update.model_dump(exclude_none=True)
        return Update.model_validate(data, context={"bot": self._bot})

    def user(self, user_id: int, language_code: str = "vi") -> User:
        return User(
            id=user_id, is_bot=False, first_name=f"Lan {user_id}", language_code=language_code
        )

    def message(self, user: User, text: str) -> Update:
        """A private message from `user`; a leading /command gets its entity."""
        entities = None
        if text.startswith("/"):
            length = len(text.split()[0])
            entities = [MessageEntity(type="bot_command", offset=0, length=length)]
        message = Message(
            message_id=next(self._message_ids),
            date=datetime.now(UTC),
            chat=Chat(id=user.id, type="private"),
            from_user=user,
            text=text,
            entities=entities,
        )
        return self._mounted(Update(update_id=next(self._update_ids), message=message))

    def press(self, user: User, data: str, message_id: int | None = None) -> Update:
        """A press on a button carrying `data` under the bot's message `message_id`."""
        shown = Message(
            message_id=message_id or next(self._message_ids),
            date=datetime.now(UTC),
            chat=Chat(id=user.id, type="private"),
            from_user=BOT_USER,
            text="…",
        )
        query = CallbackQuery(
            id=str(next(self._update_ids)),
            from_user=user,
            chat_instance="bench",
            message=shown,
            data=data,
        )
        return self._mounted(Update(update_id=next(self._update_ids), callback_query=query))

    def person(self, user_id: int, code: str) -> list[Update]:
        user = self.user(user_id)
        return [
            self.message(user, f"/start {code}"),
            *(self.press(user, d) for d in PRESSES),
            self.message(user, CHILD),
            self.press(user, RELATION),
        ]

    def crowd(self, first_user_id: int, people: int, code: str) -> list[list[Update]]:
        return [self.person(first_user_id + i, code) for i in range(people)]


async def drive(
    dispatcher: Dispatcher, bot: Bot, crowd: list[list[Update]], concurrency: int
) -> float:
    """Feed every person's updates in order, `concurrency` people at a time; seconds taken."""
    people = iter(crowd)

    async def worker() -> None:
        for updates in people:  # shared iterator: each person goes to exactly one worker
            for update in updates:
                await dispatcher.feed_update(bot, update)

    # The prebuilt traffic (thousands of parsed updates) is a fixture, not the bot's memory:
    # polling never holds it. Freezing it keeps the collector from walking it again and
    # again during the run (about a tenth of the full bot's time otherwise), for every
    # variant. What the bot built at start is frozen too, as `hocvuso run` does
    # (bot.runtime.settle_memory).
    gc.collect()
    gc.freeze()
    try:
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(max(1, concurrency))))
        return time.perf_counter() - started
    finally:
        gc.unfreeze()


# --------------------------------------------------------------------------------------------
# Logged errors count as failures (the bot's error handler swallows exceptions)


class ErrorCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.count = 0
        self.first: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        if self.first is None:
            self.first = self.format(record)

    def reset(self) -> None:
        self.count = 0
        self.first = None


ERRORS = ErrorCounter()
ERRORS.setFormatter(logging.Formatter("%(name)s: %(message)s"))


# --------------------------------------------------------------------------------------------
# Variants


@dataclass
class Setup:
    dispatcher: Dispatcher
    bot: Bot
    session: MemorySession
    warm_code: str
    timed_code: str
    check: Callable[[int], Awaitable[str]]  # raises BenchmarkFailure; returns a short note
    close: Callable[[], Awaitable[None]]


API_LATENCY = 0.0  # set from --api-latency


def _bot() -> tuple[Bot, MemorySession]:
    session = MemorySession(API_LATENCY)
    return Bot(TOKEN, session=session), session


def echo_dispatcher() -> Dispatcher:
    """The bare aiogram echo bot: every message answered with its text, every press
    answered. The baseline every benchmark here compares with."""
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    @dispatcher.callback_query()
    async def pressed(query: CallbackQuery) -> None:
        await query.answer()

    return dispatcher


async def setup_echo(workdir: Path) -> Setup:
    bot, session = _bot()
    dispatcher = echo_dispatcher()

    async def check(people: int) -> str:
        calls = session.calls()
        sent, answered = calls["SendMessage"], calls["AnswerCallbackQuery"]
        presses = len(PRESSES) + 1
        if sent != people * MESSAGES_PER_PERSON or answered != people * presses:
            raise BenchmarkFailure(f"echo: {sent} messages, {answered} answers for {people}")
        return f"{sent} echoes, {answered} answers"

    async def close() -> None:
        await bot.session.close()

    return Setup(dispatcher, bot, session, "WARMUP", "TIMED", check, close)


async def setup_naive(workdir: Path) -> Setup:
    from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, event, func, select
    from sqlalchemy.dialects.sqlite import insert
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    # Plain SQLAlchemy on aiosqlite, as the reference: WAL, one pooled connection.
    engine = create_async_engine(
        f"sqlite+aiosqlite:///{workdir / 'naive.db'}", pool_size=1, max_overflow=0
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _wal(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    sessions = async_sessionmaker(engine, expire_on_commit=False)
    metadata = MetaData()
    seen = Table(
        "seen",
        metadata,
        Column("user_id", BigInteger, primary_key=True),
        Column("updates", Integer, nullable=False),
        Column("last", String(200), nullable=False),
    )
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    bot, session = _bot()
    dispatcher = Dispatcher()

    async def note(user_id: int, what: str) -> None:
        statement = insert(seen).values(user_id=user_id, updates=1, last=what[:200])
        statement = statement.on_conflict_do_update(
            index_elements=[seen.c.user_id],
            set_={"updates": seen.c.updates + 1, "last": statement.excluded["last"]},
        )
        async with sessions() as db, db.begin():
            await db.execute(statement)

    @dispatcher.message()
    async def echo(message: Message) -> None:
        assert message.from_user is not None
        await note(message.from_user.id, message.text or "")
        await message.answer(message.text or "")

    @dispatcher.callback_query()
    async def pressed(query: CallbackQuery) -> None:
        await note(query.from_user.id, query.data or "")
        await query.answer()

    async def check(people: int) -> str:
        async with sessions() as db:
            rows, total = (
                await db.execute(
                    select(func.count(), func.sum(seen.c.updates)).where(
                        seen.c.user_id >= TIMED_USERS
                    )
                )
            ).one()
        if rows != people or total != people * UPDATES_PER_PERSON:
            raise BenchmarkFailure(f"naive: {rows} rows, {total} updates stored for {people}")
        return f"{rows} rows, {total} updates stored"

    async def close() -> None:
        await bot.session.close()
        await engine.dispose()

    return Setup(dispatcher, bot, session, "WARMUP", "TIMED", check, close)


async def setup_full(workdir: Path) -> Setup:
    from sqlalchemy import func, select

    from bot.app import build_app
    from bot.clock import Clock
    from bot.delivery.pace import Pace
    from bot.services import campaigns, invites
    from bot.settings import Settings
    from storage import migrate, org_units
    from storage.db import Database
    from storage.models import ConversationState, Invite, Membership

    url = f"sqlite+aiosqlite:///{workdir / 'full.db'}"
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=url,
        bot_token=TOKEN,
        redis_url=None,
        superadmins="",
        bot_username=BOT_USER.username,
    )
    database = Database(url)
    await migrate.upgrade(database)
    clock = Clock(settings.zone)
    uow = database.unit_of_work()
    await campaigns.ensure_default(uow, clock.now())
    await uow.finish()
    async with database.transaction() as db:
        unit, _ = await org_units.ensure(db, SCHOOL, clock.now())
        unit_id = unit.id
    uow = database.unit_of_work()
    found = await invites.unit(uow, unit_id)
    assert found is not None
    codes = []
    for _ in range(2):  # one invite to warm up with, one for the timed people; no max uses
        created = await invites.create(
            uow,
            unit=found,
            role="parent",
            bot_username=BOT_USER.username or "",
            now=clock.now(),
            creator=None,
            creator_tg_id=None,
            superadmin=True,
            days=None,
            max_uses=None,
        )
        codes.append(created.code)
    await uow.finish()
    bot, session = _bot()
    # The bot's own session middleware (bot.app.make_bot), without Telegram's limits: a
    # zero-latency run would otherwise measure the 30 messages/s overall and 1/s per chat
    # pacing, not the bot. Its retries and bookkeeping stay in the measured path.
    session.middleware(Pace(limits=None))
    app = build_app(settings, database, clock, BOT_USER.username or "")
    await app.preload()  # as `hocvuso run` does at start
    welcome = f"Lan {TIMED_USERS}"  # the kept Telegram name is in the welcome text

    async def check(people: int) -> str:
        await app.storage.close()  # lets updates still in progress commit and reply
        async with database.sessions() as db:
            members = await db.scalar(
                select(func.count())
                .select_from(Membership)
                .join(Invite, Invite.id == Membership.invite_id)
                .where(Invite.code == codes[1])
            )
            uses = await db.scalar(select(Invite.uses).where(Invite.code == codes[1]))
            states = await db.scalar(
                select(func.count())
                .select_from(ConversationState)
                .where(ConversationState.user_id >= TIMED_USERS)
            )
        text = (session.texts(TIMED_USERS) or [""])[-1]
        if members != people or uses != people:
            raise BenchmarkFailure(
                f"full: {members} memberships and {uses} invite uses in the database, "
                f"expected {people}"
            )
        if states:
            raise BenchmarkFailure(f"full: {states} conversations still open after joining")
        if welcome not in text:
            raise BenchmarkFailure(f"full: the first person was not welcomed, last text {text!r}")
        return f"{members} memberships, invite used {uses}x, 0 open conversations"

    async def close() -> None:
        await app.storage.close()
        await database.dispose()
        await bot.session.close()

    return Setup(app.dispatcher, bot, session, codes[0], codes[1], check, close)


VARIANTS: dict[str, Callable[[Path], Awaitable[Setup]]] = {
    "echo": setup_echo,
    "naive": setup_naive,
    "full": setup_full,
}
WARM_USERS = 5_000_000_000
TIMED_USERS = 6_000_000_000


@dataclass
class Run:
    seconds: float
    calls: int
    note: str


@dataclass
class Figures:
    variant: str
    updates: int
    runs: list[Run] = field(default_factory=list)

    @property
    def best(self) -> Run:
        return min(self.runs, key=lambda run: run.seconds)

    @property
    def rate(self) -> float:
        return self.updates / self.best.seconds


async def run_once(variant: str, repeat: int, args: argparse.Namespace) -> Run:
    """One timed run on a fresh setup (fresh database), after an untimed warm-up."""
    updates = args.people * UPDATES_PER_PERSON
    with tempfile.TemporaryDirectory(prefix=f"hocvuso-bench-{variant}-") as tmp:
        setup = await VARIANTS[variant](Path(tmp))
        try:
            traffic = Traffic(setup.bot)
            warm = traffic.crowd(WARM_USERS + repeat * 1_000_000, args.warmup, setup.warm_code)
            timed = traffic.crowd(TIMED_USERS, args.people, setup.timed_code)
            first = timed[0][0].message
            if first is None or first.bot is not setup.bot:
                raise BenchmarkFailure("updates are not bound to the bot: timings would be off")
            await drive(setup.dispatcher, setup.bot, warm, args.concurrency)
            setup.session.requests.clear()
            ERRORS.reset()
            seconds = await drive(setup.dispatcher, setup.bot, timed, args.concurrency)
            calls = len(setup.session.requests)
            if ERRORS.count:
                raise BenchmarkFailure(
                    f"{variant}: {ERRORS.count} errors were logged; first: {ERRORS.first}"
                )
            note = await setup.check(args.people)
        finally:
            await setup.close()
    print(
        f"  run {repeat + 1} {variant:<5}: {updates} updates in {seconds:6.2f} s "
        f"= {updates / seconds:6.0f} updates/s  ({note})",
        flush=True,
    )
    return Run(seconds, calls, note)


async def measure(args: argparse.Namespace) -> dict[str, Figures]:
    """Repeats outermost, so load drifting on a shared machine hits every variant alike."""
    results = {name: Figures(name, args.people * UPDATES_PER_PERSON) for name in args.variant_names}
    for repeat in range(args.repeats):
        for name in args.variant_names:
            results[name].runs.append(await run_once(name, repeat, args))
    return results


# --------------------------------------------------------------------------------------------
# Idle RSS of `hocvuso run` against a tiny fake Bot API


class TinyBotApi:
    """getMe, getUpdates (long poll, always empty) and `true` for everything else."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.polling = asyncio.Event()
        self.base_url = ""
        self._runner: Any = None

    async def start(self) -> None:
        from aiohttp import web

        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: Any) -> Any:
        from aiohttp import web

        if request.match_info["token"] != TOKEN:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        params = await request.post()
        self.calls[method] += 1
        result: Any = True
        if method.lower() == "getme":
            result = {
                "id": BOT_USER.id,
                "is_bot": True,
                "first_name": BOT_USER.first_name,
                "username": BOT_USER.username,
            }
        elif method.lower() == "getupdates":
            self.polling.set()
            await asyncio.sleep(min(float(params.get("timeout") or 0), 30.0))
            result = []
        return web.json_response({"ok": True, "result": result})


async def idle_rss(
    settle: float = 3.0, start_timeout: float = 60.0, command: list[str] | None = None
) -> float:
    """RSS in MB of `hocvuso run` (or `command`), `settle` seconds after its first getUpdates."""
    import psutil

    if command is None:
        executable = Path(sys.executable).parent / "hocvuso"
        if not executable.exists():
            raise BenchmarkFailure(f"{executable} not found: install the project into this venv")
        command = [str(executable), "run"]
    api = TinyBotApi()
    await api.start()
    try:
        with tempfile.TemporaryDirectory(prefix="hocvuso-bench-rss-") as tmp:
            env = {k: v for k, v in os.environ.items() if not k.startswith("HOCVUSO_")}
            env.update(
                HOCVUSO_API_URL=api.base_url,
                HOCVUSO_BOT_TOKEN=TOKEN,
                HOCVUSO_DATABASE_URL=f"sqlite+aiosqlite:///{Path(tmp) / 'bot.db'}",
            )
            log_path = Path(tmp) / "bot.log"
            with log_path.open("wb") as log:
                process = subprocess.Popen(command, cwd=tmp, env=env, stdout=log, stderr=log)
                try:
                    started = time.perf_counter()
                    while not api.polling.is_set():
                        if process.poll() is not None:
                            raise BenchmarkFailure(
                                f"hocvuso run exited with {process.returncode}:\n"
                                + log_path.read_text(errors="replace")[-2000:]
                            )
                        if time.perf_counter() - started > start_timeout:
                            raise BenchmarkFailure(f"hocvuso run did not poll in {start_timeout}s")
                        await asyncio.sleep(0.05)
                    ready = time.perf_counter() - started
                    await asyncio.sleep(settle)
                    if process.poll() is not None:
                        raise BenchmarkFailure("hocvuso run died while idle")
                    rss = psutil.Process(process.pid).memory_info().rss / 2**20
                    print(
                        f"  hocvuso run polled {ready:.1f} s after start; RSS {settle:.0f} s later: "
                        f"{rss:.1f} MB (calls: {dict(api.calls)})",
                        flush=True,
                    )
                    return rss
                finally:
                    if process.poll() is None:
                        process.terminate()
                        try:
                            await asyncio.to_thread(process.wait, 15)
                        except subprocess.TimeoutExpired:
                            process.kill()
                            await asyncio.to_thread(process.wait, 15)
    finally:
        await api.stop()


# --------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=2000, help="timed people (4 updates each)")
    parser.add_argument("--concurrency", type=int, default=100, help="people in flight at once")
    parser.add_argument("--warmup", type=int, default=50, help="untimed people before each run")
    parser.add_argument("--repeats", type=int, default=2, help="timed runs per variant; best wins")
    parser.add_argument(
        "--variants", default="echo,naive,full", help="comma-separated: echo, naive, full"
    )
    parser.add_argument(
        "--api-latency",
        type=float,
        default=0.0,
        metavar="MS",
        help="make every Bot API call take MS milliseconds (default 0: pure CPU comparison)",
    )
    parser.add_argument("--no-rss", action="store_true", help="skip the idle RSS measurement")
    parser.add_argument("--strict", action="store_true", help="exit 3 when a goal is missed")
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.variants.split(",") if name.strip()]
    unknown = [name for name in names if name not in VARIANTS]
    if unknown or not names:
        parser.error(f"unknown variants {unknown}; choose from {', '.join(VARIANTS)}")
    if args.people < 1 or args.concurrency < 1 or args.repeats < 1 or args.warmup < 0:
        parser.error("--people, --concurrency and --repeats must be positive")
    args.variant_names = names
    return args


def report(results: dict[str, Figures], rss: float | None, args: argparse.Namespace) -> bool:
    echo = results.get("echo")
    print()
    print(
        f"onboarding, {args.people} people x {UPDATES_PER_PERSON} updates, concurrency "
        f"{args.concurrency}, Bot API latency {args.api_latency:g} ms, best of {args.repeats} "
        f"(python {sys.version.split()[0]})"
    )
    print(
        f"{'variant':<8}{'updates':>9}{'seconds':>10}{'updates/s':>11}{'vs echo':>9}"
        f"{'API calls/upd':>15}"
    )
    met = True
    for name, figures in results.items():
        best = figures.best
        ratio = f"{figures.rate / echo.rate:.3f}" if echo else "-"
        print(
            f"{name:<8}{figures.updates:>9}{best.seconds:>10.2f}{figures.rate:>11.0f}{ratio:>9}"
            f"{best.calls / figures.updates:>15.2f}"
        )
    if echo and "full" in results:
        ratio = results["full"].rate / echo.rate
        ok = ratio >= FULL_GOAL
        met &= ok
        print(f"goal full/echo >= {FULL_GOAL}: {ratio:.3f} -> {'met' if ok else 'NOT MET'}")
    if echo and "naive" in results:
        print(f"reference naive/echo: {results['naive'].rate / echo.rate:.3f}")
    if rss is not None:
        ok = rss < RSS_GOAL_MB
        met &= ok
        print(f"goal idle RSS < {RSS_GOAL_MB:.0f} MB: {rss:.1f} MB -> {'met' if ok else 'NOT MET'}")
    return met


async def main_async(args: argparse.Namespace) -> int:
    global API_LATENCY
    API_LATENCY = args.api_latency / 1000
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    shown = itertools.count()
    for handler in logging.getLogger().handlers:  # a broken run must not print 2000 tracebacks
        handler.addFilter(lambda _record: next(shown) < 5)
    logging.getLogger().addHandler(ERRORS)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("hocvuso.errors").propagate = True
    began = time.perf_counter()
    try:
        results = await measure(args)
        rss = None if args.no_rss else await idle_rss()
    except BenchmarkFailure as failure:
        print(f"\nBENCHMARK FAILED: {failure}", file=sys.stderr)
        return 1
    met = report(results, rss, args)
    print(f"benchmark wall time: {time.perf_counter() - began:.0f} s")
    return 3 if args.strict and not met else 0


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(main_async(parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
