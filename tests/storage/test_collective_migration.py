"""Migration 0008 goes down and up again on both backends, dropping collective reports."""

from __future__ import annotations

from alembic import command
from sqlalchemy.engine import Connection

from storage import migrate
from storage.db import Database


async def test_0008_downgrades_and_upgrades(db: Database) -> None:
    def down_and_up(connection: Connection) -> None:
        config = migrate.alembic_config(db.url)
        config.attributes["connection"] = connection
        command.downgrade(config, "0007")
        command.upgrade(config, "head")

    async with db.engine.begin() as connection:
        await connection.run_sync(down_and_up)
    assert await migrate.current(db) == migrate.head()
