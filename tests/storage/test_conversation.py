"""Conversation state: one contract for every backend, then the staging rules.

`TestStorageContract` is aiogram's storage interface, run in the manner of
aiogram's own storage tests against memory, the database (SQLite and
PostgreSQL) and Redis, each bare and behind `StagedStorage`, outside an update
and inside one. The staging tests then pin what an update may see and when its
writes reach each backend.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StorageKey
from aiogram.fsm.storage.memory import MemoryStorage

from storage import migrate
from storage.conversation import DatabaseStorage, StagedStorage
from storage.db import CURRENT, Database, UnitOfWork

NOW = datetime(2026, 9, 5, 1, 0, tzinfo=UTC)
BACKENDS = ["memory", "sqlite", "postgresql", "redis"]


@pytest.fixture(params=BACKENDS)
def where(request: pytest.FixtureRequest) -> tuple[str, str, str | None]:
    """(backend, database URL, Redis URL); resolved here, outside the event loop."""
    kind = request.param
    url = request.getfixturevalue("postgres_url" if kind == "postgresql" else "sqlite_url")
    redis = request.getfixturevalue("redis_url") if kind == "redis" else None
    return kind, url, redis


@pytest.fixture
async def bare(where: tuple[str, str, str | None]) -> AsyncIterator[tuple[BaseStorage, Database]]:
    kind, url, redis_url = where
    database = Database(url)
    await migrate.upgrade(database)
    inner: BaseStorage
    if kind == "memory":
        inner = MemoryStorage()
    elif kind == "redis":
        from aiogram.fsm.storage.base import DefaultKeyBuilder
        from aiogram.fsm.storage.redis import RedisStorage

        prefix = f"hocvuso-test-{uuid.uuid4().hex[:8]}"
        inner = RedisStorage.from_url(str(redis_url), key_builder=DefaultKeyBuilder(prefix=prefix))
    else:
        inner = DatabaseStorage(database, lambda: NOW)
    try:
        yield inner, database
    finally:
        await inner.close()
        await database.dispose()


@pytest.fixture(params=["bare", "staged", "staged-in-update"])
async def storage(
    request: pytest.FixtureRequest, bare: tuple[BaseStorage, Database]
) -> AsyncIterator[BaseStorage]:
    inner, database = bare
    if request.param == "bare":
        yield inner
        return
    staged = StagedStorage(inner)
    if request.param == "staged":
        yield staged
        return
    uow = database.unit_of_work()  # every call inside one update, committed at the end
    token = CURRENT.set(uow)
    try:
        yield staged
        await uow.finish()
    finally:
        CURRENT.reset(token)


@pytest.fixture
def key() -> StorageKey:
    return StorageKey(bot_id=42, chat_id=-1_001_234, user_id=2**40 + 7)


class TestStorageContract:
    async def test_set_state(self, storage: BaseStorage, key: StorageKey) -> None:
        assert await storage.get_state(key) is None
        await storage.set_state(key, "flow:onboarding:consent")
        assert await storage.get_state(key) == "flow:onboarding:consent"
        await storage.set_state(key, State("step", group_name="Group"))
        assert await storage.get_state(key) == "Group:step"
        await storage.set_state(key, None)
        assert await storage.get_state(key) is None

    async def test_set_data(self, storage: BaseStorage, key: StorageKey) -> None:
        assert await storage.get_data(key) == {}
        data = {"code": "abc", "tên": "Nguyễn Thị Lan", "items": [{"id": "x", "n": 2}]}
        await storage.set_data(key, data)
        assert await storage.get_data(key) == data
        await storage.set_data(key, {})
        assert await storage.get_data(key) == {}

    async def test_state_and_data_are_independent(
        self, storage: BaseStorage, key: StorageKey
    ) -> None:
        await storage.set_state(key, "flow:report:confirm")
        await storage.set_data(key, {"milestone": "vneid"})
        await storage.set_state(key, "flow:report:evidence")
        assert await storage.get_data(key) == {"milestone": "vneid"}
        await storage.set_data(key, {"milestone": "course"})
        assert await storage.get_state(key) == "flow:report:evidence"

    async def test_update_data_and_get_value(self, storage: BaseStorage, key: StorageKey) -> None:
        assert await storage.update_data(key, {"a": 1}) == {"a": 1}
        assert await storage.update_data(key, {"b": "hai"}) == {"a": 1, "b": "hai"}
        assert await storage.get_value(key, "b") == "hai"
        assert await storage.get_value(key, "missing", "mặc định") == "mặc định"

    async def test_keys_do_not_share(self, storage: BaseStorage, key: StorageKey) -> None:
        other = StorageKey(bot_id=42, chat_id=key.chat_id, user_id=key.user_id + 1)
        await storage.set_state(key, "flow:a:b")
        await storage.set_data(key, {"x": 1})
        assert await storage.get_state(other) is None
        assert await storage.get_data(other) == {}

    async def test_data_handed_out_is_a_copy(self, storage: BaseStorage, key: StorageKey) -> None:
        await storage.set_data(key, {"list": [1]})
        got = await storage.get_data(key)
        got["new"] = True
        assert await storage.get_data(key) == {"list": [1]}


async def test_staged_data_is_json_and_never_shared(sqlite_url: str, key: StorageKey) -> None:
    """As it would be through Redis or the database: a copy, and JSON or an error."""
    staged = StagedStorage(MemoryStorage())
    database = Database(sqlite_url)
    uow = database.unit_of_work()
    token = CURRENT.set(uow)
    try:
        given = {"list": [1]}
        await staged.set_data(key, given)
        given["list"].append(2)
        got = await staged.get_data(key)
        got["list"].append(3)
        assert await staged.get_data(key) == {"list": [1]}
        with pytest.raises(TypeError):
            await staged.set_data(key, {"when": NOW})
        await uow.abort()
    finally:
        CURRENT.reset(token)
        await database.dispose()


# Staging ---------------------------------------------------------------------------------


async def test_an_updates_writes_are_seen_by_it_and_reach_the_backend_on_commit(
    bare: tuple[BaseStorage, Database], key: StorageKey
) -> None:
    inner, database = bare
    staged = StagedStorage(inner)
    uow = database.unit_of_work()
    token = CURRENT.set(uow)
    try:
        await staged.set_state(key, "flow:onboarding:name")
        await staged.set_data(key, {"language": "vi"})
        assert await staged.get_state(key) == "flow:onboarding:name"
        assert await inner.get_state(key) is None  # not before the commit
        await uow.finish()
    finally:
        CURRENT.reset(token)
    assert await inner.get_state(key) == "flow:onboarding:name"
    assert await inner.get_data(key) == {"language": "vi"}


async def test_an_update_that_rolls_back_leaves_the_state_as_it_was(
    bare: tuple[BaseStorage, Database], key: StorageKey
) -> None:
    inner, database = bare
    staged = StagedStorage(inner)
    await staged.set_state(key, "flow:report:confirm")  # outside an update: at once
    uow = database.unit_of_work()
    token = CURRENT.set(uow)
    try:
        await staged.set_state(key, None)
        await staged.set_data(key, {})
        await uow.abort()
    finally:
        CURRENT.reset(token)
    assert await staged.get_state(key) == "flow:report:confirm"


async def test_database_state_is_written_in_the_updates_own_transaction(
    sqlite_url: str, key: StorageKey
) -> None:
    """When the update's transaction fails at commit, the state did not move either."""
    database = Database(sqlite_url)
    await migrate.upgrade(database)
    staged = StagedStorage(DatabaseStorage(database, lambda: NOW))
    uow = database.unit_of_work()
    token = CURRENT.set(uow)
    try:
        await staged.set_state(key, "flow:onboarding:consent")

        async def fails(unit: UnitOfWork) -> None:
            raise RuntimeError("the update's last write failed")

        uow.before_commit(fails)  # runs after the state was written, in the same transaction
        with pytest.raises(RuntimeError):
            await uow.finish()
    finally:
        CURRENT.reset(token)
    assert await staged.get_state(key) is None
    await database.dispose()


async def test_database_state_survives_a_restart(sqlite_url: str, key: StorageKey) -> None:
    database = Database(sqlite_url)
    await migrate.upgrade(database)
    await DatabaseStorage(database, lambda: NOW).set_data(key, {"tên": "Lan"})
    await database.dispose()
    again = Database(sqlite_url)
    assert await DatabaseStorage(again, lambda: NOW).get_data(key) == {"tên": "Lan"}
    await again.dispose()
