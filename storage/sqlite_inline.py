"""SQLite for SQLAlchemy's asyncio engine, run inline on the event loop.

aiosqlite runs each call in a worker thread: a statement costs four thread
round trips (cursor, execute, fetch, close), about half a millisecond before
SQLite does any work, and the bot's single connection serialises them all.
SQLite itself answers in tens of microseconds from the page cache (WAL mode,
synchronous=NORMAL), so this dialect calls the standard `sqlite3` module
directly.

It is SQLAlchemy's own pysqlite dialect, declared usable from the asyncio
engine: the engine runs each call in a greenlet as usual, and the driver calls
inside it simply return. An "async" driver instead makes every cursor call a
greenlet round trip back to the event loop, which cost more than SQLite's work
(~100 us per statement). Waiting for the one pooled connection still yields to
the loop (AsyncAdaptedQueuePool).

The price: a call that must wait blocks the loop. Within the bot nothing waits
(one pooled connection, one process), but an admin command writing to the same
file at the same moment (`hocvuso org import`) can hold the bot for the length
of its transaction; `busy_timeout` caps that wait.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import pool
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.base import SQLiteExecutionContext
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import URL
from sqlalchemy.util.concurrency import await_

BUSY_TIMEOUT_S = 5.0
DRIVER = "hocvuso_inline"


async def _done() -> None:
    return None


class InlineCursor(sqlite3.Cursor):
    async def _async_soft_close(self) -> None:
        """Called by the asyncio result wrapper; rows stay readable, fetched inline."""


class InlineConnection(sqlite3.Connection):
    def cursor(self, factory: Any = InlineCursor) -> Any:  # type: ignore[override]
        return super().cursor(factory)


class InlineExecutionContext(SQLiteExecutionContext):
    def pre_exec(self) -> None:
        # AsyncConnection.execute insists that a statement awaited something (its guard
        # against blocking drivers used by mistake). One finished coroutine per statement
        # satisfies it for a few microseconds; SQLite's own call follows inline.
        await_(_done())
        super().pre_exec()


class InlineSQLiteDialect(SQLiteDialect_pysqlite):
    """pysqlite, for `create_async_engine`: `sqlite+hocvuso_inline:///path`."""

    driver = DRIVER
    is_async = True
    supports_statement_cache = True
    execution_ctx_cls = InlineExecutionContext

    @classmethod
    def get_pool_class(cls, url: URL) -> type[pool.Pool]:
        if cls._is_url_file_db(url):
            return pool.AsyncAdaptedQueuePool
        return pool.StaticPool

    def create_connect_args(self, url: URL) -> Any:
        args, kwargs = super().create_connect_args(url)
        kwargs.setdefault("timeout", BUSY_TIMEOUT_S)
        # Created and used on the event loop's thread; the pool may close it from another.
        kwargs["check_same_thread"] = False
        kwargs["factory"] = InlineConnection
        return args, kwargs


registry.register(f"sqlite.{DRIVER}", __name__, "InlineSQLiteDialect")


def inline_url(url: str | URL) -> URL:
    """The same SQLite database, through this dialect (whatever driver the URL names)."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername=f"sqlite+{DRIVER}")
