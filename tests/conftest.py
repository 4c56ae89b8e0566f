"""Fixtures: database URLs for SQLite and PostgreSQL, and the dispatcher harness."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator

import pytest

from storage import migrate
from storage.db import Database
from tests.support import postgres
from tests.support.harness import Harness

REDIS_URL = os.environ.get("HOCVUSO_TEST_REDIS", "redis://127.0.0.1:6379/0")


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    reason = postgres.problem()
    if reason:
        pytest.skip(reason)
    name = postgres.new_name("hocvuso_t")
    asyncio.run(postgres.create(name))
    try:
        yield postgres.url(name)
    finally:
        asyncio.run(postgres.drop(name))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request) -> str:
    """Both backends: storage tests take this and run twice."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")


async def migrated(url: str) -> AsyncIterator[Database]:
    database = Database(url)
    await migrate.upgrade(database)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    """A migrated database on each backend."""
    async for database in migrated(db_url):
        yield database


@pytest.fixture
async def pg_db(postgres_url: str) -> AsyncIterator[Database]:
    """A migrated PostgreSQL database, for what only PostgreSQL has."""
    async for database in migrated(postgres_url):
        yield database


@pytest.fixture
async def harness(sqlite_url) -> AsyncIterator[Harness]:
    h = await Harness.create(sqlite_url, superadmins="1")
    try:
        yield h
    finally:
        await h.close()


def _redis_problem() -> str | None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:
        return f"Redis is not reachable at {REDIS_URL}: {type(exc).__name__}"
    return None


@pytest.fixture
def redis_url() -> str:
    problem = _redis_problem()
    if problem:
        pytest.skip(problem)
    return REDIS_URL
