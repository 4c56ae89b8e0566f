"""SQLite for SQLAlchemy's asyncio engine, run inline on the event loop.

aiosqlite runs each call in a worker thread: a statement costs four thread
round trips (cursor, execute, fetch, close), about half a millisecond before
SQLite does any work, and the bot's single connection serialises them all.
SQLite itself answers in tens of microseconds from the page cache (WAL mode,
synchronous=NORMAL), so this driver calls it directly and hands SQLAlchemy
coroutines that are already done.

The price: a call that must wait blocks the loop. Within the bot nothing waits
(one pooled connection, one process), but an admin command writing to the same
file at the same moment (`hocvuso org import`) can hold the bot for the length
of its transaction; `busy_timeout` caps that wait.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

BUSY_TIMEOUT_S = 5.0


class InlineCursor:
    """An aiosqlite-shaped cursor whose coroutines finish without yielding."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> InlineCursor:
        self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> InlineCursor:
        self._cursor.executemany(sql, rows)
        return self

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size or self._cursor.arraysize)

    async def close(self) -> None:
        self._cursor.close()

    async def nextset(self) -> None:
        return None

    async def setinputsizes(self, *sizes: Any) -> None:
        return None

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class InlineConnection:
    """An aiosqlite-shaped connection over a plain sqlite3 connection."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn = connection
        self._connection = connection  # SQLAlchemy checks this is still set

    def cursor(self) -> InlineCursor:
        return InlineCursor(self._conn.cursor())

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> InlineCursor:
        return InlineCursor(self._conn.execute(sql, parameters))

    async def commit(self) -> None:
        self._conn.commit()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        self._conn.close()

    def stop(self) -> None:
        self._conn.close()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level


def creator(path: str):  # type: ignore[no-untyped-def]
    """The `async_creator` for `create_async_engine`: one inline connection to `path`."""

    async def connect() -> InlineConnection:
        connection = sqlite3.connect(
            path,
            timeout=BUSY_TIMEOUT_S,
            detect_types=sqlite3.PARSE_DECLTYPES | sqlite3.PARSE_COLNAMES,
        )
        return InlineConnection(connection)

    return connect
