"""What a person feels: reply latency of one worker under steady mixed traffic.

    python benchmarks/mixed.py [--quick] [--rates 100,300,500] [--db sqlite|postgresql|both]
                               [--seconds 20] [--api-ms 40] [--send-rate N] [--diagnose]
                               [--mix onboarding=1,report=1,progress=2,class=1]
                               [--analyze] [--pg-read-pool] [--province-every S] [--strict]

One process, one event loop, the real dispatcher (``bot.app.build_app``) on a
province-size database (benchmarks/province.py, as benchmarks/indicators.py builds it:
200,000 people, 1,000,000 reports), on SQLite and on PostgreSQL. Every Bot API call
takes ``--api-ms`` (40 ms): the session is the tests' ``FakeSession``
(tests/support/fake_session.py, answering like Telegram), after an ``asyncio.sleep`` that long,
behind the bot's own ``Pace`` middleware as ``bot.app.make_bot`` installs it, with
``Limits()``' per-chat limits (3 at once then 1/s in a private chat, 20/min in a group).
Telegram's overall ~30 messages/s (``HOCVUSO_SEND_RATE``) is lifted unless
``--send-rate`` says otherwise: at these rates it alone would decide every figure (see
the note printed with the table). Each person writes from their own chat.

Traffic is open-loop: update i is due at i/rate seconds whatever happened to the
earlier ones, and is started as its own task when due, as aiogram's polling does with
``handle_as_tasks``. The mix, in updates: 40 % onboarding (``/start <code>``, then the
language, consent and keep-name buttons, a parent's child's name and relation, each step one ``--think`` second after the
previous one; new people on 20 class invites), 30 % /report (open, pick a milestone
not yet reported, confirm ``send``), 20 % /progress, 10 % /class from a member of staff;
report, progress and class from existing people of the database, nobody twice in a
run. Every 5 s (first at 2.5 s) a province-level indicator query
(``bot.services.indicators.tallies`` for ``/1/``, all indicators) runs through
``Database.reading()``, concurrently with the traffic: on read-only connections beside
the updates' (an officer's /class or /stats runs the same tallies on the update's own
reading connection, from the same kind of pool).

Measured per update: latency = when the last Bot API call it caused returned (the
reply is out: Telegram has answered) minus when the update was due. Achieved
throughput = updates / time from the first due to the last finished. Event-loop
stalls: a ticker sleeps 5 ms in a loop; its lateness beyond those 5 ms (max and p99).
The same schedule with fresh people goes through a bare aiogram echo bot (one
``Dispatcher``, a handler answering each message with its text and one answering each
button press, the same 40 ms session and ``Pace``) at each rate; its p99 is the floor.

Goals: at 300 updates/s, p99 <= 250 ms and the longest stall <= 50 ms, on both
databases. Exit status 1 when a correctness check fails (a join or report missing,
an update without a reply), 3 with ``--strict`` when a goal is missed.

Each run also prints the event loop's CPU time per update (its thread's CPU clock),
the whole process's (SQLite's threads too) and, for PostgreSQL on this machine, its
backends'; these move far less than wall times when others share the machine. Under
the goals, a ceiling per database from its lowest rate: the updates/s that CPU time
allows one event loop, and the machine's cores (bot and PostgreSQL together).

``--diagnose`` adds, per bot run: how long each engine's connections were checked out
and how many at once (SQLAlchemy pool events), how often an update holding one
connection asked for another, the garbage collector's pauses (``gc.callbacks``) and
whether long stalls overlapped them or a province query, and the statements that took
the most time (cursor events: from the statement being sent to its result being back
on the loop). What-ifs that change the setting, never the bot's code, and are named
above the table: ``--analyze`` (a full SQLite ANALYZE after loading; each run
already refreshes the statistics as the bot's start does, ``storage.migrate.analyze``),
``--pg-read-pool`` (``Database.reading()`` on a PostgreSQL pool of 10+10 of its own),
``--mix`` (e.g. ``class=0``), ``--province-every 0`` (no province query),
``--send-rate 30`` (the bot's default overall limit).
``--quick``: 3 s runs on a 20,000-person database, 0.6 s between a person's
updates, 5 s to drain (about a minute in all). The load average is printed before
and after: other work on the machine moves the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import gc
import itertools
import logging
import math
import os
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict, deque
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.methods import (
    TelegramMethod,
)
from aiogram.types import Update
from sqlalchemy import event, func, select

from bot.campaign.loader import load_default_pack
from bot.delivery.pace import MESSAGES, Limits, Pace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' support modules
from benchmarks.indicators import CpuMeter
from benchmarks.onboarding import CHILD, ERRORS, PRESSES, RELATION, Traffic, echo_dispatcher
from benchmarks.province import Data, build_postgres, build_sqlite, generate
from tests.support import postgres
from tests.support.fake_session import BOT_USER, FakeSession

TOKEN = "42:BENCH"
GOAL_RATE = 300
GOAL_P99 = 0.250
GOAL_STALL = 0.050
TICK = 0.005
PROVINCE_EVERY = 5.0
PROVINCE_FIRST = 2.5
INVITES = 20
# Before each timed run, untimed: every kind of update through every step once or more.
WARM_RATE, WARM_SECONDS, WARM_THINK = 50.0, 2.0, 0.3
# Family milestones reported with a tap (no evidence, no verification): /report goes
# list → confirm → send.
TAP_MILESTONES = (
    "vneid_level2",
    "online_public_service",
    "cashless_fees",
    "school_digital_services",
)
# Sessions started per kind, relative: with 4, 3, 1 and 1 updates each this gives
# 40 % onboarding, 30 % report, 20 % progress, 10 % class of all updates.
STARTS = {"onboarding": 1, "report": 1, "progress": 2, "class": 1}
NEW_PEOPLE = 7_000_000_000  # Telegram ids of people who onboard in the runs
COUNTED_NAMES = frozenset(method.__name__ for method in MESSAGES)


class BenchmarkFailure(Exception):
    """A correctness check failed: the figures of that run mean nothing."""


# --------------------------------------------------------------------------------------------
# A Bot API 40 ms away, and which update each call belongs to


@dataclass(slots=True)
class Tracked:
    """One update: when it was due, when its last Bot API call returned, how many it made."""

    kind: str
    due: float
    started: float = 0.0
    finished: float = 0.0
    last_reply: float = 0.0
    calls: int = 0


CURRENT: contextvars.ContextVar[Tracked | None] = contextvars.ContextVar(
    "bench_update", default=None
)


class SlowApi(FakeSession):
    """The tests' fake Bot API session (answers like Telegram), each call `latency` s away.

    The time a call returns is charged to the update whose task made it (a context
    variable set in that task), so an update's latency ends with its last reply.
    """

    def __init__(self, latency: float) -> None:
        super().__init__(keep=False)
        self.latency = latency
        self.calls: Counter[str] = Counter()

    async def make_request(
        self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None
    ) -> Any:
        await asyncio.sleep(self.latency)
        self.calls[type(method).__name__] += 1
        tracked = CURRENT.get()
        if tracked is not None:
            tracked.last_reply = time.perf_counter()
            tracked.calls += 1
        return await super().make_request(bot, method, timeout)


def make_bot(latency: float, send_rate: float) -> tuple[Bot, SlowApi]:
    """As bot.app.make_bot: the session behind Pace, links without previews."""
    session = SlowApi(latency)
    session.middleware(Pace(Limits(per_second=send_rate)))
    bot = Bot(TOKEN, session=session, default=DefaultBotProperties(link_preview_is_disabled=True))
    return bot, session


# --------------------------------------------------------------------------------------------
# Who takes part: drawn from the generated database before it is dropped from memory


@dataclass
class Cast:
    """People of the database, handed out once each (nobody appears twice across runs)."""

    reporters: Iterator[tuple[int, str]]  # tg id, a tap milestone they have not reported
    progress: Iterator[int]  # tg ids of parents and students
    staff: Iterator[int]  # tg ids of staff (members of a school's unit)
    classes: list[int]  # org ids to put the invites on
    new_people: Iterator[int] = field(default_factory=lambda: itertools.count(NEW_PEOPLE))

    @classmethod
    def synthetic(cls) -> Cast:
        """Made-up people for the echo bot, which has no database."""
        base = 8_000_000_000
        return cls(
            ((base + i, TAP_MILESTONES[0]) for i in itertools.count()),
            itertools.count(base + 10**8),
            itertools.count(base + 2 * 10**8),
            [],
            itertools.count(base + 3 * 10**8),
        )

    @classmethod
    def of(cls, data: Data, seed: int) -> Cast:
        rng = random.Random(seed)
        active = {pid: tg for pid, tg, _, status in data.people if status == "active"}
        roles: dict[int, set[str]] = defaultdict(set)
        for _, person, _, role in data.memberships:
            roles[person].add(role)
        reported: dict[int, set[str]] = defaultdict(set)
        for _, person, milestone, _ in data.reports:
            if milestone in TAP_MILESTONES:
                reported[person].add(milestone)
        family = [p for p, r in roles.items() if p in active and r <= {"parent", "student"}]
        rng.shuffle(family)
        reporters: list[tuple[int, str]] = []
        progress: list[int] = []
        for person in family:
            open_ = [m for m in TAP_MILESTONES if m not in reported[person]]
            if open_ and len(reporters) <= len(progress):
                reporters.append((active[person], rng.choice(open_)))
            else:
                progress.append(active[person])
        staff = [active[p] for p, r in roles.items() if p in active and r == {"staff"}]
        rng.shuffle(staff)
        classes = [org for org, kind, *_ in data.orgs if kind == "class"]
        classes = rng.sample(classes, min(INVITES, len(classes)))
        return cls(iter(reporters), iter(progress), iter(staff), classes)


# --------------------------------------------------------------------------------------------
# The schedule: update i due at i / rate


@dataclass
class Planned:
    due: float
    kind: str
    update: Update
    session: int  # which session (person) it belongs to; its step in it
    step: int
    steps: int


@dataclass
class Plan:
    updates: list[Planned]
    onboarded: list[int]  # tg ids of people whose whole onboarding is in the plan
    reported: list[tuple[int, str]]  # (tg id, milestone) of whole /report sessions

    def count(self, kind: str) -> int:
        return sum(1 for planned in self.updates if planned.kind == kind)


def plan(
    traffic: Traffic,
    cast: Cast,
    codes: list[str],
    rate: float,
    seconds: float,
    think: float,
    mix: dict[str, int] = STARTS,
) -> Plan:
    """Slots every 1/rate s. A slot goes to the next step of a session under way once its
    person has thought for `think` s since their last update; otherwise a new session
    starts, its kind taken in turn from STARTS. Sessions cut off by the end stay
    unfinished (as they would in a window of a busy evening) and are not checked."""
    kinds = [kind for kind, n in mix.items() for _ in range(n)]
    random.Random(7).shuffle(kinds)
    order = itertools.cycle(kinds)
    waiting: deque[tuple[float, int, list[tuple[str, Update]]]] = deque()
    updates: list[Planned] = []
    sessions: dict[int, list[tuple[str, Update]]] = {}
    session_kind: dict[int, tuple[str, Any]] = {}
    taken: Counter[int] = Counter()
    ids = itertools.count()
    for i in range(int(rate * seconds)):
        due = i / rate
        if waiting and waiting[0][0] <= due:
            _, session, steps = waiting.popleft()
        else:
            session = next(ids)
            kind = next(order)
            steps, who = session_steps(traffic, cast, codes, kind, session)
            sessions[session] = steps
            session_kind[session] = (kind, who)
        steps = sessions[session]
        step = taken[session]
        kind, update = steps[step]
        updates.append(Planned(due, kind, update, session, step, len(steps)))
        taken[session] += 1
        if taken[session] < len(steps):
            waiting.append((due + think, session, steps))
    onboarded, reported = [], []
    for session, (kind, who) in session_kind.items():
        if taken[session] == len(sessions[session]):
            if kind == "onboarding":
                onboarded.append(who)
            elif kind == "report":
                reported.append(who)
    return Plan(updates, onboarded, reported)


def session_steps(
    traffic: Traffic, cast: Cast, codes: list[str], kind: str, session: int
) -> tuple[list[tuple[str, Update]], Any]:
    if kind == "onboarding":
        user = traffic.user(next(cast.new_people))
        code = codes[session % len(codes)]
        steps = [
            traffic.message(user, f"/start {code}"),
            *(traffic.press(user, d) for d in PRESSES),
            traffic.message(user, CHILD),
            traffic.press(user, RELATION),
        ]
        return [(kind, update) for update in steps], user.id
    if kind == "report":
        tg_id, milestone = next(cast.reporters)
        user = traffic.user(tg_id)
        steps = [
            traffic.message(user, "/report"),
            traffic.press(user, f"f:1:report:milestone:{milestone}"),
            traffic.press(user, "f:1:report:confirm:send"),
        ]
        return [(kind, update) for update in steps], (tg_id, milestone)
    if kind == "progress":
        user = traffic.user(next(cast.progress))
        return [(kind, traffic.message(user, "/progress"))], user.id
    user = traffic.user(next(cast.staff))
    return [(kind, traffic.message(user, "/class"))], user.id


# --------------------------------------------------------------------------------------------
# Running a schedule


@dataclass
class Figures:
    label: str
    rate: float
    seconds: float
    updates: int
    latencies: list[float]  # s, of updates that got a reply; inf for those never finished
    silent: int  # updates that caused no Bot API call
    unfinished: int  # still running when we stopped waiting
    throughput: float
    stalls: list[float]  # ticker lateness, s
    province: list[float]  # s per province query
    calls: int
    counted: int  # calls under Telegram's overall limit (messages and edits)
    by_kind: dict[str, list[float]] = field(default_factory=dict)
    checks: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # work lost (joins, reports, replies)
    failures: list[str] = field(default_factory=list)  # other things that failed under load
    errors: int = 0
    first_error: str | None = None
    diagnosis: list[str] = field(default_factory=list)
    span: float = 0.0
    loop_cpu: float = 0.0  # CPU s of the event loop's thread
    process_cpu: float = 0.0  # CPU s of the process, driver threads included
    server_cpu: float | None = None  # CPU s of the PostgreSQL backends of the database

    @property
    def loop_busy(self) -> float:
        """Share of the run the event loop's thread was on a CPU (1.0: saturated)."""
        return self.loop_cpu / self.span if self.span else 0.0

    @staticmethod
    def pct(values: list[float], q: float) -> float:
        """Nearest-rank percentile; nan for no values."""
        if not values:
            return float("nan")
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]

    @property
    def p50(self) -> float:
        return self.pct(self.latencies, 0.50)

    @property
    def p99(self) -> float:
        return self.pct(self.latencies, 0.99)

    @property
    def longest(self) -> float:
        return max(self.latencies, default=float("nan"))

    @property
    def stall_max(self) -> float:
        return max(self.stalls, default=0.0)

    @property
    def stall_p99(self) -> float:
        return self.pct(self.stalls, 0.99)


LONG_STALLS: list[tuple[float, float]] = []  # (when it ended, how long), over 20 ms


async def ticker(lateness: list[float], stop: asyncio.Event) -> None:
    """Sleep 5 ms, again and again; record how late each wake-up is."""
    while not stop.is_set():
        before = time.perf_counter()
        await asyncio.sleep(TICK)
        now = time.perf_counter()
        late = max(0.0, now - before - TICK)
        lateness.append(late)
        if late > 0.020:
            LONG_STALLS.append((now, late))


@dataclass
class Driven:
    tracked: list[Tracked]
    span: float  # s from the first update due to the last finished
    stalls: list[float]  # the ticker's lateness, s
    unfinished: int  # still running when we stopped waiting
    loop_cpu: float  # CPU s of the event loop's thread over the span
    process_cpu: float  # CPU s of the whole process (SQLite's threads too)
    errors: int  # errors logged before the unfinished updates were cancelled
    first_error: str | None


async def drive(
    dispatcher: Dispatcher,
    bot: Bot,
    schedule: Plan,
    side: Callable[[float], Awaitable[None]] | None,
    wait_cap: float,
) -> Driven:
    """Start every update as a task when it is due; wait for them (at most `wait_cap` s
    after the last is due)."""
    log = logging.getLogger("bench.mixed")
    tracked = [Tracked(p.kind, p.due) for p in schedule.updates]
    stop = asyncio.Event()
    stalls: list[float] = []
    tasks: set[asyncio.Task[None]] = set()

    async def handle(record: Tracked, update: Update) -> None:
        CURRENT.set(record)
        record.started = time.perf_counter()
        try:
            await dispatcher.feed_update(bot, update)
        except Exception:  # aiogram's polling logs and goes on
            log.exception("update %s failed", update.update_id)
        record.finished = time.perf_counter()

    # The traffic is a fixture (polling never holds thousands of parsed updates), and
    # what the bot built at start lives as long as the process: out of the collector's
    # way, as bot.runtime.settle_memory does at start.
    gc.collect()
    gc.freeze()
    tick = asyncio.create_task(ticker(stalls, stop))
    await asyncio.sleep(0.05)
    stalls.clear()
    loop_cpu, process_cpu = time.thread_time(), time.process_time()
    origin = time.perf_counter()
    for record in tracked:
        record.due += origin
    side_task = asyncio.create_task(side(origin)) if side else None
    try:
        i, n = 0, len(tracked)
        while i < n:
            now = time.perf_counter()
            while i < n and tracked[i].due <= now:
                task = asyncio.create_task(handle(tracked[i], schedule.updates[i].update))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                i += 1
            if i < n:
                await asyncio.sleep(max(0.0, tracked[i].due - time.perf_counter()))
        window_end = time.perf_counter()
        if tasks:
            await asyncio.wait(set(tasks), timeout=wait_cap)
        loop_cpu, process_cpu = time.thread_time() - loop_cpu, time.process_time() - process_cpu
        unfinished = len(tasks)
        errors, first_error = ERRORS.count, ERRORS.first  # not what cancelling makes
        for task in list(tasks):
            task.cancel()
        if tasks:
            await asyncio.wait(set(tasks), timeout=5)
        # Stalls while the window was open and the backlog drained, not while idle after.
        last = max((r.finished for r in tracked if r.finished), default=window_end)
        stop.set()
        await tick
        if side_task is not None:
            await side_task
    finally:
        gc.unfreeze()
    return Driven(
        tracked, last - origin, stalls, unfinished, loop_cpu, process_cpu, errors, first_error
    )


def figures(
    label: str, rate: float, seconds: float, run: Driven, province: list[float], api: SlowApi
) -> Figures:
    calls = sum(api.calls.values())
    counted = sum(n for name, n in api.calls.items() if name in COUNTED_NAMES)
    by_kind: dict[str, list[float]] = defaultdict(list)
    latencies = []
    tracked = run.tracked
    for r in tracked:
        if not r.finished:
            latency = float("inf")
        elif r.calls:
            latency = r.last_reply - r.due
        else:
            continue  # no reply at all: a problem, counted apart
        latencies.append(latency)
        by_kind[r.kind].append(latency)
    done = sum(1 for r in tracked if r.finished)
    return Figures(
        label=label,
        rate=rate,
        seconds=seconds,
        updates=len(tracked),
        latencies=latencies,
        silent=sum(1 for r in tracked if r.finished and not r.calls),
        unfinished=run.unfinished,
        throughput=done / run.span if run.span > 0 else 0.0,
        stalls=run.stalls,
        province=province,
        calls=calls,
        counted=counted,
        by_kind=dict(by_kind),
        span=run.span,
        loop_cpu=run.loop_cpu,
        process_cpu=run.process_cpu,
    )


# --------------------------------------------------------------------------------------------
# Diagnosis: where the database time goes (SQLAlchemy's public engine and pool events)


class Probe:
    """While attached: how long connections stay checked out per engine, which updates
    hold one connection while asking for another, statement times (from being sent to
    the result being back on the loop), and the garbage collector's pauses. Public
    hooks only: SQLAlchemy's pool and cursor events, `gc.callbacks`."""

    def __init__(self) -> None:
        self.holds: dict[str, list[float]] = defaultdict(list)
        self.statements: dict[str, list[float]] = defaultdict(list)
        self.peak: Counter[str] = Counter()  # most connections out at once, per engine
        self.nested: Counter[str] = Counter()  # "held → asked for" → times
        self.gc_pauses: dict[int, list[float]] = defaultdict(list)
        self._out: dict[int, tuple[float, str, Any]] = {}
        self._held: dict[Any, list[str]] = defaultdict(list)  # task → engines it holds
        self._sent: dict[int, float] = {}
        self._undo: list[Callable[[], None]] = []
        self._gc_began = 0.0
        self.gc_spans: list[tuple[float, float]] = []
        self.province: list[tuple[float, float]] = []  # when the province queries ran
        self.attached = 0.0
        self.span = 0.0

    def attach(self, name: str, engine: Any) -> None:
        sync = engine.sync_engine
        if not self._undo:
            self.attached = time.perf_counter()
            gc.callbacks.append(self._gc)
            self._undo.append(lambda: gc.callbacks.remove(self._gc))

        def checkout(dbapi: Any, _record: Any, _proxy: Any) -> None:
            try:
                task = asyncio.current_task()
            except RuntimeError:
                task = None
            holding = self._held[task]
            if task is not None and holding:
                self.nested[f"{', '.join(holding)} held, {name} asked for"] += 1
            holding.append(name)
            self._out[id(dbapi)] = (time.perf_counter(), name, task)
            self.peak[name] = max(
                self.peak[name], sum(1 for _, n, _ in self._out.values() if n == name)
            )

        def checkin(dbapi: Any, _record: Any) -> None:
            found = self._out.pop(id(dbapi), None)
            if found is not None:
                began, _, task = found
                self.holds[name].append(time.perf_counter() - began)
                holding = self._held.get(task)
                if holding is not None:
                    holding.remove(name)
                    if not holding:
                        del self._held[task]

        def before(_conn: Any, cursor: Any, _statement: str, *_: Any) -> None:
            self._sent[id(cursor)] = time.perf_counter()

        def after(_conn: Any, cursor: Any, statement: str, *_: Any) -> None:
            began = self._sent.pop(id(cursor), None)
            if began is not None:
                key = " ".join(statement.split())[:110]
                self.statements[f"{name}: {key}"].append(time.perf_counter() - began)

        for target, hooks in (
            (sync.pool, (("checkout", checkout), ("checkin", checkin))),
            (sync, (("before_cursor_execute", before), ("after_cursor_execute", after))),
        ):
            for event_name, hook in hooks:
                event.listen(target, event_name, hook)
                self._undo.append(lambda t=target, e=event_name, h=hook: event.remove(t, e, h))

    def _gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_began = time.perf_counter()
        else:
            now = time.perf_counter()
            self.gc_pauses[info["generation"]].append(now - self._gc_began)
            if now - self._gc_began > 0.005:
                self.gc_spans.append((self._gc_began, now))

    def detach(self) -> None:
        self.span = time.perf_counter() - self.attached
        for undo in self._undo:
            undo()
        self._undo.clear()

    def report(self, stalls: list[float], updates: int) -> list[str]:
        span = self.span or 1.0
        lines = []
        for name, holds in self.holds.items():
            ordered = sorted(holds)
            busy = sum(holds)
            lines.append(
                f"{name} connections: {len(holds)} check-outs, at most {self.peak[name]} out at "
                f"once, held {busy:.1f} s in all ({busy / span:.0%} of {span:.1f} s), mean "
                f"{1000 * busy / len(holds):.1f} ms, p99 "
                f"{1000 * ordered[int(0.99 * (len(ordered) - 1))]:.1f} ms, max {1000 * ordered[-1]:.1f} ms"
            )
        for what, times in self.nested.most_common():
            lines.append(f"an update holding a connection asked for another: {what}, {times}x")
        pauses = ", ".join(
            f"gen {g}: {len(p)}x, max {1000 * max(p):.1f} ms, {sum(p):.2f} s in all"
            for g, p in sorted(self.gc_pauses.items())
        )
        lines.append(f"garbage collector: {pauses or 'no collections'}")
        until = self.attached + self.span
        long = [(end, late) for end, late in LONG_STALLS if self.attached <= end <= until]

        def during(spans: list[tuple[float, float]]) -> int:
            return sum(1 for end, late in long if any(a < end and b > end - late for a, b in spans))

        lines.append(
            f"stalls over 20 ms: {len(long)}, over 50 ms: {sum(1 for _, x in long if x > GOAL_STALL)};"
            f" overlapping a province query: {during(self.province)}, a collection over 5 ms:"
            f" {during(self.gc_spans)}"
        )
        per = max(updates, 1)
        checkouts = " + ".join(f"{len(h) / per:.2f} {n}" for n, h in sorted(self.holds.items()))
        sent = sum(len(times) for times in self.statements.values())
        lines.append(
            f"per update: {sent / per:.2f} statements (BEGIN, COMMIT and pings not counted),"
            f" {checkouts} connection check-outs"
        )
        lines.append("statements (time from sent to result back on the loop), most time first:")
        top = sorted(self.statements.items(), key=lambda kv: -sum(kv[1]))[:8]
        for statement, times in top:
            lines.append(
                f"  {sum(times):6.2f} s  {len(times):6d}x  mean {1000 * sum(times) / len(times):6.2f} ms"
                f"  {statement}"
            )
        return lines


# --------------------------------------------------------------------------------------------
# The bot and the echo bot


@dataclass
class Backend:
    name: str
    url: str
    codes: list[str]
    pg_name: str | None = None  # the PostgreSQL database, for its backends' CPU time


async def make_invites(url: str, classes: list[int]) -> list[str]:
    """One unlimited parent invite per class, through the project's services."""
    from bot.services import invites
    from storage.db import Database

    database = Database(url)
    try:
        uow = database.unit_of_work()
        codes = []
        for org_id in classes:
            unit = await invites.unit(uow, org_id)
            assert unit is not None
            created = await invites.create(
                uow,
                unit=unit,
                role="parent",
                bot_username=BOT_USER.username or "",
                now=datetime.now(UTC),
                creator=None,
                creator_tg_id=None,
                superadmin=True,
                days=None,
                max_uses=None,
            )
            codes.append(created.code)
        await uow.finish()
        return codes
    finally:
        await database.dispose()


async def run_bot(backend: Backend, cast: Cast, rate: float, args: argparse.Namespace) -> Figures:
    from bot.app import build_app
    from bot.clock import Clock
    from bot.runtime import settle_memory
    from bot.services import indicators
    from bot.settings import Settings
    from storage import migrate
    from storage.db import Database

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=backend.url,
        bot_token=TOKEN,
        redis_url=None,
        superadmins="",
        bot_username=BOT_USER.username,
    )
    database = Database(backend.url)
    if args.pg_read_pool and database.dialect == "postgresql":
        separate_read_pool(database)
    clock = Clock(settings.zone)
    bot, api = make_bot(args.api_ms / 1000, args.send_rate)
    app = build_app(settings, database, clock, BOT_USER.username or "")
    province: list[float] = []
    province_failures: list[str] = []
    probe = Probe() if args.diagnose else None
    try:
        # As `hocvuso run` starts: its `db upgrade` child refreshes the planner's
        # statistics (storage.migrate.analyze), then the people are preloaded.
        await migrate.analyze(database)
        await app.preload()
        traffic = Traffic(bot)
        warm = plan(traffic, cast, backend.codes, WARM_RATE, WARM_SECONDS, WARM_THINK)
        await drive(app.dispatcher, bot, warm, None, 30.0)
        timed = plan(traffic, cast, backend.codes, rate, args.seconds, args.think, args.mix)
        settle_memory()

        async def province_queries(origin: float) -> None:
            shared = app.shared
            due = origin + PROVINCE_FIRST
            while args.province_every and due < origin + args.seconds:
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                began = time.perf_counter()
                try:
                    async with database.reading() as reading:
                        campaign_id, pack = await shared.campaign.get(reading)
                        await indicators.tallies(reading, campaign_id, pack, "/1/")
                    province.append(time.perf_counter() - began)
                    if probe is not None:
                        probe.province.append((began, time.perf_counter()))
                except Exception as problem:  # what the person asking would get: an error
                    province.append(float("inf"))
                    province_failures.append(
                        f"after {time.perf_counter() - began:.1f} s: {type(problem).__name__}"
                    )
                due += args.province_every

        if probe is not None:
            probe.attach(
                "writer" if database.reader is not database.engine else "pool", database.engine
            )
            if database.reader is not database.engine:
                probe.attach("reader", database.reader)
        api.calls.clear()
        ERRORS.reset()
        async with CpuMeter(backend.pg_name) as meter:
            server_cpu = await meter.read()
            run = await drive(app.dispatcher, bot, timed, province_queries, args.wait_cap)
            after = await meter.read()
        if probe is not None:
            probe.detach()
        result = figures(backend.name, rate, args.seconds, run, province, api)
        if backend.pg_name and server_cpu is not None and after is not None:
            # the meter counts this process too: keep only the server's backends
            result.server_cpu = (after - server_cpu) - run.process_cpu
        result.errors, result.first_error = run.errors, run.first_error
        result.failures += [f"province query failed {f}" for f in province_failures]
        await app.storage.close()  # lets anything still running commit and reply
        await check(database, timed, result)
        if probe is not None:
            result.diagnosis = probe.report(result.stalls, len(timed.updates))
    finally:
        await app.storage.close()
        await database.dispose()
        await bot.session.close()
    return result


async def check(database: Any, timed: Plan, result: Figures) -> None:
    """Every whole onboarding joined, every whole /report saved, every update answered."""
    from storage.models import Membership, Person, Report

    async with database.sessions() as session:
        joined = (
            set(
                await session.scalars(
                    select(Person.tg_user_id)
                    .join(Membership, Membership.person_id == Person.id)
                    .where(Person.tg_user_id.in_(timed.onboarded))
                )
            )
            if timed.onboarded
            else set()
        )
        saved = 0
        for chunk in range(0, len(timed.reported), 500):
            part = timed.reported[chunk : chunk + 500]
            rows = await session.execute(
                select(Person.tg_user_id, Report.milestone_key)
                .join(Report, Report.person_id == Person.id)
                .where(Person.tg_user_id.in_([tg for tg, _ in part]))
            )
            found = {(tg, milestone) for tg, milestone in rows}
            saved += sum(1 for pair in part if pair in found)
        people = await session.scalar(select(func.count()).select_from(Person))
    result.checks.append(
        f"{len(joined)}/{len(timed.onboarded)} onboardings joined, "
        f"{saved}/{len(timed.reported)} reports saved, {people:,} people in the database"
    )
    if len(joined) != len(timed.onboarded):
        result.problems.append(f"{len(timed.onboarded) - len(joined)} onboardings did not join")
    if saved != len(timed.reported):
        result.problems.append(f"{len(timed.reported) - saved} reports were not saved")
    if result.silent:
        result.problems.append(f"{result.silent} updates got no reply at all")


async def run_echo(cast: Cast, rate: float, args: argparse.Namespace) -> Figures:
    bot, api = make_bot(args.api_ms / 1000, args.send_rate)
    dispatcher = echo_dispatcher()

    try:
        traffic = Traffic(bot)
        codes = [f"ECHO{i}" for i in range(INVITES)]
        warm = plan(traffic, cast, codes, WARM_RATE, WARM_SECONDS, WARM_THINK)
        await drive(dispatcher, bot, warm, None, 30.0)
        timed = plan(traffic, cast, codes, rate, args.seconds, args.think, args.mix)
        api.calls.clear()
        run = await drive(dispatcher, bot, timed, None, args.wait_cap)
        result = figures("echo", rate, args.seconds, run, [], api)
        if result.silent:
            result.problems.append(f"{result.silent} updates got no reply at all")
    finally:
        await bot.session.close()
    return result


# --------------------------------------------------------------------------------------------
# Output


def ms(value: float) -> str:
    if value != value:  # nan
        return "-"
    if value == float("inf"):
        return "inf"
    return f"{1000 * value:.0f}"


def print_run(result: Figures) -> None:
    kinds = ", ".join(
        f"{kind} p50/p99 {ms(result.pct(v, 0.5))}/{ms(result.pct(v, 0.99))}"
        for kind, v in sorted(result.by_kind.items())
    )
    province = ", ".join(f"{q:.2f}" for q in result.province)
    print(
        f"  {result.label:<10} {result.rate:4.0f}/s: {result.updates} updates, "
        f"{result.throughput:.0f}/s done, p50 {ms(result.p50)} ms, p99 {ms(result.p99)} ms, "
        f"stall max {ms(result.stall_max)} ms"
        + (f", {result.unfinished} unfinished" if result.unfinished else "")
        + (f", {result.errors} errors logged" if result.errors else ""),
        flush=True,
    )
    per = 1000 / max(1, result.updates)
    server = f", PostgreSQL {per * result.server_cpu:.1f}" if result.server_cpu is not None else ""
    print(
        f"      event loop busy {result.loop_busy:.0%} of {result.span:.1f} s; CPU ms per update:"
        f" loop thread {per * result.loop_cpu:.1f}, whole process {per * result.process_cpu:.1f}"
        f"{server}; {result.calls / max(1, result.updates):.2f} Bot API calls per update"
    )
    print(f"      latency by kind (ms): {kinds}")
    if result.province:
        print(f"      province queries (s): {province}")
    for line in result.checks:
        print(f"      check: {line}")
    for line in result.problems:
        print(f"      PROBLEM: {line}")
    for line in result.failures:
        print(f"      FAILED: {line}")
    if result.first_error:
        print(f"      first error: {result.first_error.splitlines()[0][:300]}")
    for line in result.diagnosis:
        print(f"      {line}")


def table(results: list[Figures], args: argparse.Namespace) -> bool:
    echo = {r.rate: r for r in results if r.label == "echo"}
    print()
    overall = "not limited" if args.send_rate >= 1e5 else f"{args.send_rate:g} messages/s"
    print(
        f"mixed traffic, one worker, Bot API {args.api_ms:g} ms per call, {args.seconds:g} s per "
        f"rate, {args.people:,} people / {args.reports:,} reports; Pace per chat "
        f"{Limits().chat_burst} per {Limits().chat_period:g} s, overall {overall} "
        f"(python {sys.version.split()[0]})"
    )
    changed = [
        *(["SQLite fully ANALYZEd after loading"] if args.analyze else []),
        *(["a separate PostgreSQL pool for Database.reading()"] if args.pg_read_pool else []),
        *([f"mix {args.mix}"] if args.mix != STARTS else []),
    ]
    if changed:
        print("WHAT IF, not the bot as it ships: " + "; ".join(changed))
    header = (
        f"{'db':<11}{'offered/s':>10}{'done/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'max ms':>8}"
        f"{'stall max':>10}{'stall p99':>10}{'province s':>11}{'echo p99':>9}{'p99/echo':>9}"
    )
    print(header)
    for r in results:
        floor = echo.get(r.rate)
        ratio = f"{r.p99 / floor.p99:.2f}" if floor and r.label != "echo" and floor.p99 else "-"
        lmax = r.longest
        province = f"{max(r.province):.2f}" if r.province else "-"
        print(
            f"{r.label:<11}{r.rate:>10.0f}{r.throughput:>8.0f}{ms(r.p50):>8}{ms(r.p99):>8}"
            f"{ms(lmax):>8}{ms(r.stall_max):>10}{ms(r.stall_p99):>10}{province:>11}"
            f"{ms(floor.p99) if floor else '-':>9}{ratio:>9}"
        )
    print("(ms unless marked; province s: the slowest of the run's province queries)")
    met = True
    goal_runs = [r for r in results if r.label != "echo" and r.rate == GOAL_RATE]
    print(
        f"goals at {GOAL_RATE} updates/s: p99 <= {1000 * GOAL_P99:.0f} ms and longest stall "
        f"<= {1000 * GOAL_STALL:.0f} ms, on both databases"
    )
    if not goal_runs:
        print(f"  not measured: run with --rates including {GOAL_RATE}")
    for r in goal_runs:
        p99_ok, stall_ok = r.p99 <= GOAL_P99, r.stall_max <= GOAL_STALL
        met &= p99_ok and stall_ok
        print(
            f"  {r.label}: p99 {ms(r.p99)} ms {'met' if p99_ok else 'NOT MET'}; "
            f"longest stall {ms(r.stall_max)} ms {'met' if stall_ok else 'NOT MET'}"
        )
    print_ceilings(results)
    bots = [r for r in results if r.label != "echo" and r.updates and not r.unfinished]
    if args.send_rate >= 1e5 and bots:
        each = sum(r.counted for r in bots) / sum(r.updates for r in bots)
        print(
            f"note: the bot sent {each:.2f} messages or edits per update of this mix; with "
            f"HOCVUSO_SEND_RATE at its default 30/s, Pace lets 30 a second out, so about "
            f"{30 / each:.0f} updates/s: above that every reply queues behind the overall "
            "limit (--send-rate 30 shows it)."
        )
    return met


def print_ceilings(results: list[Figures]) -> None:
    """What the CPU time per update allows, from each database's lowest rate (where nothing
    queues, so the time is the updates' own): the event loop runs on one core, and the
    process with its driver threads and PostgreSQL's backends share the machine's."""
    cores = os.cpu_count() or 1
    for label in dict.fromkeys(r.label for r in results if r.label != "echo"):
        r = min((x for x in results if x.label == label and x.updates), key=lambda x: x.rate)
        loop, whole = 1000 * r.loop_cpu / r.updates, 1000 * r.process_cpu / r.updates
        if r.server_cpu is not None:
            whole += 1000 * r.server_cpu / r.updates
        if loop <= 0 or whole <= 0:
            continue
        print(
            f"  ceiling ({label}, from {r.rate:.0f}/s): {loop:.1f} ms of loop CPU per update lets"
            f" one event loop do at most {1000 / loop:.0f} updates/s; {whole:.1f} ms of CPU in all"
            f" (bot{', PostgreSQL' if r.server_cpu is not None else ''}) lets this machine's"
            f" {cores} cores do at most {1000 * cores / whole:.0f}/s"
        )


# --------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", default="100,300,500", help="offered updates/s, comma-separated")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each timed run")
    parser.add_argument("--api-ms", type=float, default=40.0, help="each Bot API call's time")
    parser.add_argument(
        "--send-rate",
        type=float,
        default=1e6,
        help="Pace's overall messages/s (default: not limited; the bot's default is 30)",
    )
    parser.add_argument("--think", type=float, default=1.0, help="s between a person's updates")
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20260905)
    parser.add_argument("--wait-cap", type=float, default=30.0, help="s to let a backlog drain")
    parser.add_argument(
        "--mix",
        default=",".join(f"{k}={v}" for k, v in STARTS.items()),
        help="sessions started per kind, relative (diagnosis: class=0 leaves /class out)",
    )
    parser.add_argument(
        "--pg-read-pool",
        action="store_true",
        help="what if: Database.reading() on PostgreSQL uses a pool of its own",
    )
    parser.add_argument(
        "--analyze",
        action="store_true",
        help="what if: a full ANALYZE of SQLite after loading (the bot's start samples)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke test: 3 s runs, 20,000 people, 5 s to drain"
    )
    parser.add_argument(
        "--province-every",
        type=float,
        default=PROVINCE_EVERY,
        help="s between province queries (0: none, a what-if)",
    )
    parser.add_argument("--no-echo", action="store_true", help="skip the echo bot runs")
    parser.add_argument("--diagnose", action="store_true", help="database time per engine")
    parser.add_argument("--strict", action="store_true", help="exit 3 when a goal is missed")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds = min(args.seconds, 3.0)
        args.people = min(args.people, 20_000)
        args.reports = min(args.reports, 100_000)
        args.wait_cap = min(args.wait_cap, 5.0)
        args.think = min(args.think, 0.6)  # whole onboardings fit in 3 s, so they are checked
    try:
        args.rate_list = [float(r) for r in args.rates.split(",") if r.strip()]
    except ValueError:
        parser.error("--rates takes numbers, such as 100,300")
    if not args.rate_list or min(args.rate_list) <= 0:
        parser.error("--rates needs positive rates")
    try:
        args.mix = {k.strip(): int(v) for k, v in (p.split("=") for p in args.mix.split(","))}
    except ValueError:
        parser.error("--mix looks like onboarding=1,report=1,progress=2,class=1")
    if set(args.mix) - set(STARTS) or not any(args.mix.values()):
        parser.error(f"--mix takes kinds {', '.join(STARTS)} with counts, not all zero")
    return args


class OneLine(logging.Formatter):
    """Log lines without tracebacks: the exception's type and message are enough here."""

    def format(self, record: logging.LogRecord) -> str:
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            problem = record.exc_info[1]
            text += f" ({type(problem).__name__}: {str(problem)[:200]})"
        return f"{record.levelname} {record.name}: {text}"


def separate_read_pool(database: Any) -> None:
    """What if: `Database.reading()` on PostgreSQL gets a pool of its own (as SQLite's
    read-only connections are), so an update holding a connection never waits for a
    second one from the same pool. Set on the Database's public attributes."""
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    reader = create_async_engine(database.url, pool_size=10, max_overflow=10, pool_pre_ping=True)
    database.reader = reader
    database.read_sessions = async_sessionmaker(reader, expire_on_commit=False)


def analyze_sqlite(file: Path) -> None:
    import sqlite3

    connection = sqlite3.connect(file)
    try:
        connection.execute("ANALYZE")
        connection.commit()
    finally:
        connection.close()


async def main_async(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    shown = itertools.count()
    for handler in logging.getLogger().handlers:  # a broken run must not print 5000 tracebacks
        handler.addFilter(lambda _record: next(shown) < 5)
        handler.setFormatter(OneLine("%(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(ERRORS)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    began = time.perf_counter()
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()), flush=True)
    pack = load_default_pack()
    data = generate(pack, args.people, args.reports, args.seed)
    cast = Cast.of(data, args.seed)
    print(
        f"generated {len(data.people):,} people, {len(data.memberships):,} memberships, "
        f"{len(data.reports):,} reports in {time.perf_counter() - began:.1f} s",
        flush=True,
    )
    backends: list[Backend] = []
    results: list[Figures] = []
    with tempfile.TemporaryDirectory(prefix="hocvuso-bench-mixed-") as tmp:
        async with AsyncExitStack() as stack:
            if args.db in ("sqlite", "both"):
                started = time.perf_counter()
                file = Path(tmp) / "mixed.db"
                await build_sqlite(file, data, pack)
                if args.analyze:
                    await asyncio.to_thread(analyze_sqlite, file)
                url = f"sqlite+aiosqlite:///{file}"
                backends.append(Backend("sqlite", url, await make_invites(url, cast.classes)))
                print(f"sqlite: built in {time.perf_counter() - started:.1f} s", flush=True)
            if args.db in ("postgresql", "both"):
                problem = await asyncio.to_thread(postgres.problem)
                if problem:
                    print(f"postgresql: skipped, {problem}", flush=True)
                else:
                    started = time.perf_counter()
                    name = await stack.enter_async_context(
                        postgres.scratch_database("hocvuso_bench_mixed")
                    )
                    url = postgres.url(name)
                    await build_postgres(postgres.dsn(name), url, data, pack, analyze=True)
                    backends.append(
                        Backend("postgresql", url, await make_invites(url, cast.classes), name)
                    )
                    print(f"postgresql: built in {time.perf_counter() - started:.1f} s", flush=True)
            del data  # a million tuples the bot would never hold
            gc.collect()
            echo_cast = Cast.synthetic()
            for rate in args.rate_list:
                if not args.no_echo:
                    results.append(await run_echo(echo_cast, rate, args))
                    print_run(results[-1])
                for backend in backends:
                    results.append(await run_bot(backend, cast, rate, args))
                    print_run(results[-1])
    met = table(results, args)
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print(f"benchmark wall time: {time.perf_counter() - began:.0f} s")
    lost = [r for r in results if r.problems]
    if any(not r.errors and not r.unfinished for r in lost):
        print("CORRECTNESS CHECKS FAILED: work lost with no error logged", file=sys.stderr)
        return 1
    for r in lost:
        print(
            f"{r.label} at {r.rate:.0f}/s, work not done: "
            + "; ".join(r.problems)
            + f" ({r.errors} errors logged; {r.unfinished} updates still unfinished "
            f"{args.wait_cap:g} s after the last was due, then cancelled)"
        )
    return 3 if args.strict and not met else 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return asyncio.run(main_async(args))
    except BenchmarkFailure as failure:
        print(f"\nBENCHMARK FAILED: {failure}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
