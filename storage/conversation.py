"""Conversation state in the database: an aiogram storage that survives restarts.

Reads come from memory once a key has been seen. Writes land in memory at
once and reach the database by group commit: one writer task commits every
change queued so far in a single transaction, so a hundred people answering
at the same moment cost one commit, not a hundred. `sync()` waits until
everything written before the call is durable; the update middleware calls it
after the handler's own transaction, so an update is not done until its state
is stored.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey
from sqlalchemy import bindparam, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage.db import Database
from storage.models import ConversationState

log = logging.getLogger(__name__)

Entry = tuple[str | None, dict[str, Any]]
EMPTY: Entry = (None, {})


@lru_cache(maxsize=65_536)
def key_string(key: StorageKey) -> str:
    thread, business = key.thread_id or "", key.business_connection_id or ""
    return f"{key.bot_id}:{key.chat_id}:{key.user_id}:{thread}:{business}:{key.destiny}"


def _state_name(state: StateType) -> str | None:
    return state.state if isinstance(state, State) else state


_table = ConversationState.__table__
_DELETE = delete(_table).where(_table.c.key.in_(bindparam("keys", expanding=True)))


def _upsert(dialect: str) -> Any:
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(_table)
    return statement.on_conflict_do_update(
        index_elements=["key"],
        set_={
            "state": statement.excluded.state,
            "data": statement.excluded.data,
            "updated_at": statement.excluded.updated_at,
        },
    )


class DatabaseStorage(BaseStorage):
    def __init__(
        self, database: Database, now: Callable[[], datetime], max_cached: int = 200_000
    ) -> None:
        self._database = database
        self._now = now
        self._max_cached = max_cached
        self._cache: dict[str, Entry] = {}
        self._dirty: dict[str, tuple[int, Entry]] = {}
        # Resolved when the batch holding them is durable: writes not yet taken by the
        # writer (`_pending`) and the batch being written (`_inflight`).
        self._pending: asyncio.Future[None] | None = None
        self._inflight: asyncio.Future[None] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._complete = False  # the cache holds every stored row: a miss means empty
        self._upsert = _upsert(database.dialect)  # built once, reused by every batch

    async def preload(self) -> int:
        """Read every stored conversation at start. Only one process may then use this
        storage (the database mode's rule), so later misses need no query."""
        async with self._database.sessions() as session:
            rows = await session.execute(
                select(ConversationState.key, ConversationState.state, ConversationState.data)
            )
            for row in rows:
                self._cache.setdefault(row.key, (row.state, dict(row.data or {})))
        self._complete = True
        return len(self._cache)

    # aiogram's interface ---------------------------------------------------

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._entry(key))[0]

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return dict((await self._entry(key))[1])

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        _, data = await self._entry(key)
        self._put(key, (_state_name(state), data))

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        state, _ = await self._entry(key)
        self._put(key, (state, dict(data)))

    async def close(self) -> None:
        await self.sync()

    # group commit ----------------------------------------------------------

    async def sync(self) -> None:
        """Return once every write made before this call is in the database; raise if the
        batch holding them failed (the writer keeps them and tries again)."""
        durable = self._pending or self._inflight  # the pending batch is written after
        if durable is not None:
            await asyncio.shield(durable)

    def _put(self, key: StorageKey, entry: Entry) -> None:
        name = key_string(key)
        self._cache[name] = entry
        self._dirty[name] = (key.user_id, entry)
        loop = asyncio.get_running_loop()
        if self._pending is None:
            self._pending = loop.create_future()
        if self._writer is None or self._writer.done():
            self._writer = loop.create_task(self._write())

    async def _write(self) -> None:
        while self._dirty:
            batch, self._dirty = self._dirty, {}
            self._inflight, self._pending = self._pending, None
            try:
                await self._store(batch)
            except Exception as exc:  # keep the changes and report to whoever waits
                log.exception("conversation state: %d writes failed", len(batch))
                for name, item in batch.items():
                    self._dirty.setdefault(name, item)
                self._settle(exc)
                await asyncio.sleep(0.5)
                continue
            self._settle(None)
        self._trim()

    def _settle(self, failure: BaseException | None) -> None:
        done, self._inflight = self._inflight, None
        if done is None or done.done():
            return
        if failure is None:
            done.set_result(None)
        else:
            done.set_exception(failure)
            done.exception()  # retrieved here: nobody may be waiting for it

    async def _store(self, batch: dict[str, tuple[int, Entry]]) -> None:
        now = self._now()
        keep = [
            {"key": name, "user_id": user, "state": state, "data": data, "updated_at": now}
            for name, (user, (state, data)) in batch.items()
            if state is not None or data
        ]
        drop = [name for name, (_, (state, data)) in batch.items() if state is None and not data]
        async with self._database.transaction() as session:
            if drop:
                await session.execute(_DELETE, {"keys": drop})
            if keep:
                await session.execute(self._upsert, keep)

    # reading ---------------------------------------------------------------

    async def _entry(self, key: StorageKey) -> Entry:
        name = key_string(key)
        cached = self._cache.get(name)
        if cached is not None:
            return cached
        if self._complete:
            return EMPTY
        async with self._database.sessions() as session:
            row = (
                await session.execute(
                    select(ConversationState.state, ConversationState.data).where(
                        ConversationState.key == name
                    )
                )
            ).first()
        entry: Entry = (row.state, dict(row.data or {})) if row else EMPTY
        self._cache.setdefault(name, entry)
        return self._cache[name]

    def _trim(self) -> None:
        """Keep memory bounded: drop settled idle entries first (then misses must query)."""
        if len(self._cache) <= self._max_cached:
            return
        self._complete = False
        for name in [n for n, entry in self._cache.items() if entry == EMPTY]:
            if name not in self._dirty:
                del self._cache[name]
        if len(self._cache) > self._max_cached:
            for name in list(self._cache)[: len(self._cache) - self._max_cached]:
                if name not in self._dirty:
                    del self._cache[name]
