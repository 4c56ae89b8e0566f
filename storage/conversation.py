"""Conversation state: aiogram storages written in step with the update's transaction.

`DatabaseStorage` keeps aiogram's FSM state and data in the `conversation_states`
table, so conversations survive a restart without any other server.

`StagedStorage` wraps any aiogram storage (that one, Redis or memory). While an
update is handled (`storage.db.CURRENT` names its unit of work), writes are held
in the unit of work and reads see them. They reach the backend:

- for `DatabaseStorage`, inside the update's own transaction, just before it
  commits: the state moves on exactly when the update's other writes do;
- for Redis and memory, just after the commit. If the process dies in between,
  the writes are committed and the conversation is one step behind: the next
  press on the old card is answered as an earlier step's button and shows the
  current card again (`bot.handlers.flow`), so nobody is stranded.

Outside an update (scripts, tests) writes go straight to the backend.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey
from sqlalchemy import bindparam, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import CURRENT, Database, UnitOfWork
from storage.models import ConversationState

Entry = tuple[str | None, dict[str, Any]]


def key_string(key: StorageKey) -> str:
    thread, business = key.thread_id or "", key.business_connection_id or ""
    return f"{key.bot_id}:{key.chat_id}:{key.user_id}:{thread}:{business}:{key.destiny}"


def state_name(state: StateType) -> str | None:
    return state.state if isinstance(state, State) else state


class Clock(Protocol):
    def __call__(self) -> datetime: ...


# Every update reads its conversation: the statement is built once.
READ_STATE = select(ConversationState.state, ConversationState.data).where(
    ConversationState.key == bindparam("key")
)


class DatabaseStorage(BaseStorage):
    """aiogram's storage interface over the `conversation_states` table."""

    def __init__(self, database: Database, now: Clock) -> None:
        self._database = database
        self._now = now
        table = ConversationState.__table__
        insert = pg_insert if database.dialect == "postgresql" else sqlite_insert
        upsert = insert(table)
        self._upsert = upsert.on_conflict_do_update(
            index_elements=["key"],
            set_={
                "state": upsert.excluded.state,
                "data": upsert.excluded.data,
                "updated_at": upsert.excluded.updated_at,
            },
        )

    async def read(self, key: StorageKey, uow: UnitOfWork | None = None) -> Entry:
        """Through the update's reading session when there is one, else on its own."""
        params = {"key": key_string(key)}
        if uow is not None:
            row = (await uow.reads.execute(READ_STATE, params)).first()
        else:
            async with self._database.reading() as own:
                row = (await own.session.execute(READ_STATE, params)).first()
        return (row.state, dict(row.data or {})) if row else (None, {})

    async def write_in(self, session: AsyncSession, changes: Mapping[StorageKey, Entry]) -> None:
        """Write `changes` in the caller's transaction (an empty entry deletes the row)."""
        table = ConversationState.__table__
        now = self._now()
        keep = [
            {
                "key": key_string(key),
                "user_id": key.user_id,
                "state": state,
                "data": data,
                "updated_at": now,
            }
            for key, (state, data) in changes.items()
            if state is not None or data
        ]
        drop = [key_string(k) for k, (state, data) in changes.items() if state is None and not data]
        if drop:
            await session.execute(delete(table).where(table.c.key.in_(drop)))
        if keep:
            await session.execute(self._upsert, keep)

    # aiogram's interface, for use outside an update ------------------------------------

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self.read(key))[0]

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return (await self.read(key))[1]

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        _, data = await self.read(key)
        async with self._database.transaction() as session:
            await self.write_in(session, {key: (state_name(state), data)})

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        state, _ = await self.read(key)
        async with self._database.transaction() as session:
            await self.write_in(session, {key: (state, dict(data))})

    async def close(self) -> None:
        return None


class StagedStorage(BaseStorage):
    """Any aiogram storage, written in step with the update's transaction (module doc)."""

    def __init__(self, inner: BaseStorage) -> None:
        self.inner = inner
        # Awaited before closing: aiogram closes the storage first at shutdown, and updates
        # still finishing must be able to write their state (set by bot.app.build_app).
        self.before_close: Callable[[], Awaitable[Any]] | None = None

    def _changes(self, uow: UnitOfWork) -> dict[StorageKey, Entry]:
        return uow.staged.setdefault(("conversation", id(self)), {})

    async def _entry(self, key: StorageKey) -> Entry:
        uow = CURRENT.get()
        if uow is None:
            return await self._read(key, None)
        staged = self._changes(uow).get(key)
        if staged is not None:
            return staged
        # Read once per update: its handlers ask for state and data several times, and
        # nobody else writes this person's conversation while the update holds its lock.
        seen: dict[StorageKey, Entry] = uow.staged.setdefault(("conversation-read", id(self)), {})
        found = seen.get(key)
        if found is None:
            found = seen[key] = await self._read(key, uow)
        return found

    async def _read(self, key: StorageKey, uow: UnitOfWork | None) -> Entry:
        if isinstance(self.inner, DatabaseStorage):
            return await self.inner.read(key, uow)
        return await self.inner.get_state(key), await self.inner.get_data(key)

    async def _put(self, key: StorageKey, entry: Entry) -> None:
        uow = CURRENT.get()
        if uow is None:
            await self.inner.set_state(key, entry[0])
            await self.inner.set_data(key, entry[1])
            return
        changes = self._changes(uow)
        first = not changes
        changes[key] = entry
        if not first:
            return
        if isinstance(self.inner, DatabaseStorage):
            inner = self.inner

            async def write(unit: UnitOfWork) -> None:
                await inner.write_in(unit.session, changes)

            uow.before_commit(write)
        else:
            uow.after_commit(lambda: self._apply(changes))

    async def _apply(self, changes: Mapping[StorageKey, Entry]) -> None:
        for key, (state, data) in changes.items():
            await self.inner.set_state(key, state)
            await self.inner.set_data(key, data)

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._entry(key))[0]

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return copy.deepcopy((await self._entry(key))[1])

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        _, data = await self._entry(key)
        await self._put(key, (state_name(state), data))

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        state, _ = await self._entry(key)
        # Through JSON, as Redis and the database will store it: what would not survive
        # them fails here, in every backend, and nothing is shared with the caller.
        await self._put(key, (state, json.loads(json.dumps(dict(data)))))

    async def close(self) -> None:
        if self.before_close is not None:
            await self.before_close()
        await self.inner.close()
