"""The database: engine, sessions and the unit of work.

SQLite (the default) runs in WAL mode behind a single pooled connection, so
writers queue in Python instead of failing with "database is locked".
PostgreSQL gets an ordinary pool.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage import sqlite_inline

log = logging.getLogger(__name__)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def build_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An engine with the pragmas and pool this project relies on."""
    if is_sqlite(url):
        engine = create_async_engine(
            sqlite_inline.inline_url(url),
            echo=echo,
            pool_size=1,
            max_overflow=0,
            pool_timeout=60,
        )
        _sqlite_pragmas(engine)
        return engine
    return create_async_engine(url, echo=echo, pool_size=10, max_overflow=10, pool_pre_ping=True)


def _sqlite_pragmas(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(sqlite_inline.BUSY_TIMEOUT_S * 1000)}")
        cursor.close()


class Database:
    """Owns the engine and makes sessions. Built in `__main__`, injected everywhere."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = build_engine(url, echo=echo)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One session, committed on success and rolled back on error."""
        async with self.sessions() as session, session.begin():
            yield session

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self)

    async def dispose(self) -> None:
        await self.engine.dispose()


class UnitOfWork:
    """One update's database work. The session opens on first use; `finish` commits.

    Repositories never commit: the middleware that made this calls `finish`
    once, after the handler returned, and `abort` when it raised.
    """

    def __init__(self, database: Database) -> None:
        self._database = database
        self._session: AsyncSession | None = None
        self._after_commit: list[Callable[[], Awaitable[Any]]] = []

    def after_commit(self, hook: Callable[[], Awaitable[Any]]) -> None:
        """Run `hook` once the work is committed (sending to other people is one);
        dropped if the work is rolled back."""
        self._after_commit.append(hook)

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            self._session = self._database.sessions()
        return self._session

    @property
    def used(self) -> bool:
        return self._session is not None

    async def flush(self) -> None:
        if self._session is not None:
            await self._session.flush()

    async def finish(self) -> None:
        if self._session is not None:
            try:
                await self._session.commit()
            finally:
                await self._session.close()
                self._session = None
        hooks, self._after_commit = self._after_commit, []
        for hook in hooks:
            try:
                await hook()
            except Exception:  # one failed notice must not undo the others
                log.exception("after-commit hook failed")

    async def abort(self) -> None:
        self._after_commit = []
        if self._session is None:
            return
        try:
            await self._session.rollback()
        finally:
            await self._session.close()
            self._session = None
