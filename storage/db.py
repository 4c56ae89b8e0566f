"""The database: engines, sessions and the unit of work.

SQLite (the default) goes through aiosqlite, so every query runs in the
driver's thread and the event loop stays free. Writes share one connection
(WAL mode), so writers queue in Python instead of failing with "database is
locked"; long read-only queries (indicators, exports) use a small pool of
read-only connections beside it, so they never hold the writers up.
PostgreSQL gets one ordinary pool for both.

An update's work is one `UnitOfWork`: one transaction, committed in one place
(the update middleware), with hooks that run just before the commit (inside
the transaction) and just after it.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import AsyncAdaptedQueuePool

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
READERS = 8  # reading connections for updates: an update holds one while it runs
SCANNERS = 2  # for long read-only work outside updates, so it never queues behind them


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_url(url: str) -> str:
    """The same SQLite file through aiosqlite, whatever driver the URL names."""
    return make_url(url).set(drivername="sqlite+aiosqlite").render_as_string(hide_password=False)


def build_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """The engine that writes: one connection on SQLite, a pool on PostgreSQL."""
    if is_sqlite(url):
        engine = create_async_engine(
            sqlite_url(url),
            echo=echo,
            poolclass=AsyncAdaptedQueuePool,
            pool_size=1,
            max_overflow=0,
            pool_timeout=60,
        )
        _sqlite_pragmas(engine, read_only=False)
        return engine
    return create_async_engine(url, echo=echo, pool_size=10, max_overflow=10, pool_pre_ping=True)


def build_reader(
    url: str, size: int, *, echo: bool = False, reset: bool = True
) -> AsyncEngine | None:
    """Connections for reading beside the writers: read-only SQLite connections (WAL lets
    them read while the writer writes), or a PostgreSQL pool of its own, so that an
    update holding a writer and reading never waits on its own pool. Reads decide
    nothing written: each statement is its own snapshot (autocommit), with no BEGIN
    and ROLLBACK round trips around it. `reset=False` leaves out the pool's rollback
    when a connection comes back, as SQLAlchemy's "Reset On Return" documents for
    autocommit connections (~150 µs of the event loop per update, an aiosqlite thread
    hop on SQLite); only for connections on which nobody opens a transaction."""
    on_return = "rollback" if reset else None
    if not is_sqlite(url):
        return create_async_engine(
            url,
            echo=echo,
            pool_size=size,
            max_overflow=size,
            pool_pre_ping=True,
            isolation_level="AUTOCOMMIT",
            pool_reset_on_return=on_return,
        )
    if make_url(url).database in (None, "", ":memory:"):
        return None
    engine = create_async_engine(
        sqlite_url(url),
        echo=echo,
        poolclass=AsyncAdaptedQueuePool,
        pool_size=size,
        max_overflow=0,
        pool_timeout=60,
        isolation_level="AUTOCOMMIT",
        pool_reset_on_return=on_return,
    )
    _sqlite_pragmas(engine, read_only=True)
    return engine


def _sqlite_pragmas(engine: AsyncEngine, *, read_only: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Deleted content is overwritten with zeros, so /forget leaves nothing to recover.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if read_only:
            cursor.execute("PRAGMA query_only=ON")
        cursor.close()


class Database:
    """Owns the engines and makes sessions. Built in `__main__`, injected everywhere."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = build_engine(url, echo=echo)
        # The updates' reads never open a transaction; `snapshot()` does, on the scanners.
        self.reader = build_reader(url, READERS, echo=echo, reset=False) or self.engine
        self.scanner = build_reader(url, SCANNERS, echo=echo) or self.reader
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.read_sessions = async_sessionmaker(self.reader, expire_on_commit=False)
        self.scan_sessions = async_sessionmaker(self.scanner, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One session, committed on success and rolled back on error."""
        async with self.sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[UnitOfWork]:
        """`reading()` with every statement seeing the database as the first one saw it: one
        read-only transaction (REPEATABLE READ on PostgreSQL; on SQLite a read transaction,
        whose snapshot WAL keeps from its first statement). For read-only work of many
        statements whose figures must agree, as an export's sheets and batches do. While
        it lasts, old row versions stay (a checkpoint or VACUUM waits for it, and so does
        /forget's scrub): keep it to such work. An in-memory SQLite database (tests) has
        one connection, so there it is no snapshot and holds the writer while it lasts."""
        async with self.scanner.connect() as connection:
            if self.dialect == "postgresql":
                connection = await connection.execution_options(
                    isolation_level="REPEATABLE READ", postgresql_readonly=True
                )
                await connection.begin()
            elif self.scanner is not self.engine:
                # A read-only autocommit connection: the driver leaves transactions to us.
                await connection.exec_driver_sql("BEGIN")
            bound = AsyncSession(bind=connection, expire_on_commit=False)
            uow = UnitOfWork(self, read_only=True, sessions=lambda: bound)
            try:
                yield uow
            finally:
                await uow.abort()  # ends the transaction: nothing was written

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[UnitOfWork]:
        """A unit of work for long read-only work outside an update (scheduled tallies,
        exports), on connections of its own: it never waits for the writer or for the
        updates' readers, nor they for it. Inside an update use the update's `uow.reads`
        instead: a second connection from the pool one holds is how pools deadlock."""
        uow = UnitOfWork(self, read_only=True)  # on the scanners
        try:
            yield uow
        finally:
            await uow.abort()

    async def dispose(self) -> None:
        await self.engine.dispose()
        for other in {self.reader, self.scanner} - {self.engine}:
            await other.dispose()


Hook = Callable[["UnitOfWork"], Awaitable[None]]


class UnitOfWork:
    """One update's database work: one transaction, opened on first use.

    Repositories never commit. The update middleware calls `finish` once, after
    the handler returned, and `abort` when it raised. `before_commit` hooks run
    inside the transaction (conversation state is written there), `after_commit`
    hooks once it is durable (caches learn the new facts); neither runs on abort.
    """

    def __init__(
        self,
        database: Database,
        *,
        read_only: bool = False,
        sessions: Callable[[], AsyncSession] | None = None,
    ) -> None:
        self.database = database
        self.read_only = read_only
        self._make = sessions or (database.scan_sessions if read_only else database.sessions)
        self._session: AsyncSession | None = None
        self._reader: AsyncSession | None = None
        self._before: list[Hook] = []
        self._after: list[Callable[[], Any]] = []
        self.staged: dict[Any, Any] = {}  # conversation state written by this update

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            self._session = self._make()
        return self._session

    @property
    def reads(self) -> AsyncSession:
        """The session for queries that decide nothing written (who is writing, their
        progress, the conversation state): until this update writes, a read-only session
        of its own, so that reading never holds the one SQLite writer; once it has
        written, the writer's session, which sees those writes and needs no second
        connection."""
        if self._session is not None or self.read_only:
            return self.session
        if self._reader is None:
            self._reader = self.database.read_sessions()
        return self._reader

    @property
    def used(self) -> bool:
        return self._session is not None

    def before_commit(self, hook: Hook) -> None:
        if hook not in self._before:
            self._before.append(hook)

    def after_commit(self, hook: Callable[[], Any]) -> None:
        """`hook()` once the work is durable; an awaitable it returns is awaited. A hook that
        fails is logged and the others still run."""
        self._after.append(hook)

    async def _close_reader(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            await reader.close()  # autocommit: nothing to roll back

    async def finish(self) -> None:
        """Commit everything (hooks first), then tell the after-commit hooks."""
        await self._close_reader()
        try:
            for hook in self._before:
                await hook(self)
            if self._session is not None:
                await self._session.commit()
        except BaseException:
            await self.abort()
            raise
        finally:
            if self._session is not None:
                await self._session.close()
                self._session = None
        hooks, self._after, self._before = self._after, [], []
        self.staged = {}
        for hook in hooks:
            try:
                result = hook()
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception("after-commit hook failed")

    async def abort(self) -> None:
        self._before, self._after, self.staged = [], [], {}
        await self._close_reader()
        if self._session is None:
            return
        try:
            await self._session.rollback()
        finally:
            await self._session.close()
            self._session = None


CURRENT: ContextVar[UnitOfWork | None] = ContextVar("hocvuso_unit_of_work", default=None)
"""The unit of work of the update being handled, for the conversation-state storage
(aiogram's FSM calls it with a key only)."""


SCRUB_PATIENCE = 600.0  # s: an export or a long query may hold an old snapshot this long


async def scrub(
    database: Database,
    tables: tuple[str, ...],
    *,
    patience: float = SCRUB_PATIENCE,
    pause: float = 0.25,
) -> bool:
    """Make what was just deleted unrecoverable from the database files; whether it could.

    SQLite overwrites deleted content with zeros (`secure_delete`, set on every
    connection); a checkpoint then copies the pages into the main file and empties
    the write-ahead log, where the old versions still were. PostgreSQL keeps dead row
    versions in the table files until VACUUM removes them.

    Neither can while a reader still sees the old rows: a checkpoint stops at the oldest
    reader's snapshot (and the old pages stay in both files even after that reader ends),
    VACUUM keeps what any older snapshot may still see (`_OLDER_SNAPSHOTS` says whose
    count) and, with few dead rows, would leave the indexes alone unless told to clean
    them. So it waits for those readers, trying again with growing pauses for up to
    `patience` seconds, on a connection of its own (never the bot's one SQLite writer; a
    checkpoint holds new writes back 50 ms at most). Call it after the deletes
    committed; it logs, with no personal data, when it gives up.
    """
    deadline = time.monotonic() + patience
    if database.dialect == "sqlite":
        path = make_url(database.url).database
        if path in (None, "", ":memory:"):
            return True  # nothing on disk

        async def attempt() -> bool:
            return await _checkpointed(path)
    else:
        mark = await _next_transaction_id(database)

        async def attempt() -> bool:
            return await _vacuumed(database, tables, mark)

    wait = pause
    while not await attempt():
        if time.monotonic() + wait > deadline:
            log.error("scrub gave up after %.0f s: an older snapshot is still open", patience)
            return False
        await asyncio.sleep(wait)
        wait = min(2 * wait, 5.0)
    return True


async def _checkpointed(path: str) -> bool:
    import aiosqlite  # only SQLite deployments need it

    # Waits at most 50 ms for readers (and holds new writes back that long), so that
    # under steady traffic it finds a moment when every reader has moved on.
    async with aiosqlite.connect(path, timeout=0.05) as connection:
        cursor = await connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        busy, _, _ = await cursor.fetchone() or (1, 0, 0)
    return busy == 0


_NEXT_XID = text("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint")


async def _next_transaction_id(database: Database) -> int:
    """The first transaction id not yet handed out: the deletes' own is below it."""
    async with database.engine.connect() as connection:
        return int(await connection.scalar(_NEXT_XID))


# What keeps VACUUM from removing a dead row version: any transaction or snapshot whose
# oldest transaction id is below the mark. Those are other backends of this database,
# standbys' feedback (walsenders), replication slots and prepared transactions; VACUUMs
# (autovacuum workers) never hold each other back. The ids compare by age, which wraps.
_OLDER_SNAPSHOTS = text(
    "SELECT count(*) FROM ("
    " SELECT backend_xmin AS held FROM pg_stat_activity"
    "  WHERE (datname = current_database() OR backend_type = 'walsender')"
    "  AND backend_type <> 'autovacuum worker' AND pid <> pg_backend_pid()"
    " UNION ALL SELECT backend_xid FROM pg_stat_activity"
    "  WHERE datname = current_database() AND pid <> pg_backend_pid()"
    " UNION ALL SELECT xmin FROM pg_replication_slots"
    "  WHERE database IS NULL OR database = current_database()"
    " UNION ALL SELECT transaction FROM pg_prepared_xacts WHERE database = current_database()"
    ") holders"
    " WHERE held IS NOT NULL AND age(held) > age(CAST(CAST(:mark AS text) AS xid))"
)


async def _vacuumed(database: Database, tables: tuple[str, ...], mark: int) -> bool:
    async with database.engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        if await autocommit.scalar(_OLDER_SNAPSHOTS, {"mark": str(mark % 2**32)}):
            return False  # a snapshot from before the deletes may still see the rows
        # INDEX_CLEANUP ON: with few dead rows VACUUM would skip the indexes, and the
        # unique index on Telegram ids would keep the forgotten id.
        await autocommit.execute(text("VACUUM (INDEX_CLEANUP ON) " + ", ".join(tables)))
    return True
