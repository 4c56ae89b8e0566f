"""The PostgreSQL the tests and benchmarks use: is it there, and throwaway databases on it."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache

ADMIN_DSN = os.environ.get("HOCVUSO_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


@cache
def problem() -> str | None:
    """Why PostgreSQL cannot be used (a reason to skip, naming what is missing), or None."""
    try:
        import asyncpg
    except ImportError:
        return "asyncpg is not installed"

    async def probe() -> None:
        connection = await asyncpg.connect(ADMIN_DSN, timeout=3)
        await connection.close()

    try:
        asyncio.run(probe())
    except Exception as exc:
        return f"PostgreSQL is not reachable at {ADMIN_DSN}: {type(exc).__name__}: {exc}"
    return None


async def admin(sql: str) -> None:
    """One statement on the admin database (CREATE / DROP DATABASE)."""
    import asyncpg

    connection = await asyncpg.connect(ADMIN_DSN)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def dsn(name: str) -> str:
    """The asyncpg DSN of database `name` on the same server."""
    return f"{ADMIN_DSN.rsplit('/', 1)[0]}/{name}"


def url(name: str) -> str:
    """The SQLAlchemy URL of database `name` on the same server."""
    return dsn(name).replace("postgresql://", "postgresql+asyncpg://", 1)


def new_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


async def create(name: str) -> None:
    await admin(f'CREATE DATABASE "{name}"')


async def drop(name: str) -> None:
    await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@asynccontextmanager
async def scratch_database(prefix: str) -> AsyncIterator[str]:
    """A new empty database for the block, dropped after it; yields its name."""
    name = new_name(prefix)
    await create(name)
    try:
        yield name
    finally:
        await drop(name)
