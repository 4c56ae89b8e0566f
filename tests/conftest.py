"""Fixtures: database URLs for SQLite and PostgreSQL, and the dispatcher harness."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from storage import migrate
from storage.db import Database
from tests.support.harness import Harness

PG_ADMIN_DSN = os.environ.get("HOCVUSO_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("HOCVUSO_TEST_REDIS", "redis://127.0.0.1:6379/0")


def _pg_reachable() -> str | None:
    try:
        import asyncpg
    except ImportError:
        return "asyncpg is not installed"

    async def probe() -> None:
        connection = await asyncpg.connect(PG_ADMIN_DSN, timeout=3)
        await connection.close()

    try:
        asyncio.run(probe())
    except Exception as exc:
        return f"PostgreSQL is not reachable at {PG_ADMIN_DSN}: {type(exc).__name__}"
    return None


_PG_PROBLEM: list[str | None] = []


def pg_problem() -> str | None:
    if not _PG_PROBLEM:
        _PG_PROBLEM.append(_pg_reachable())
    return _PG_PROBLEM[0]


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    problem = pg_problem()
    if problem:
        pytest.skip(problem)
    import asyncpg

    name = f"hocvuso_t_{uuid.uuid4().hex[:12]}"

    async def admin(sql: str) -> None:
        connection = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    try:
        yield f"{base}/{name}"
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request) -> str:
    """Both backends: storage tests take this and run twice."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    """A migrated database on each backend."""
    database = Database(db_url)
    await migrate.upgrade(database)
    try:
        yield database
    finally:
        await database.dispose()


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
