"""Apply Alembic migrations from code: `hocvuso db upgrade` and the bot at start.

Alembic is imported only when a function here runs: the bot migrates in a
child process at start (see bot.runtime), so that the long-running process
never holds Alembic and its templates (about 8 MB).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Connection

from storage.db import Database

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str = "") -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url)
    return config


async def upgrade(database: Database, revision: str = "head") -> None:
    """Bring the schema to `revision` in one transaction."""

    from alembic import command

    def run(connection: Connection) -> None:
        config = alembic_config(database.url)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with database.engine.begin() as connection:
        await connection.run_sync(run)


async def current(database: Database) -> str | None:
    """The revision the database is at, or None when it has none."""
    from alembic.runtime.migration import MigrationContext

    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with database.engine.connect() as connection:
        return await connection.run_sync(read)


def head() -> str:
    """The newest revision the code knows."""
    from alembic.script import ScriptDirectory

    revision = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert revision is not None
    return revision


async def analyze(database: Database) -> None:
    """Refresh the planner's statistics. Without them SQLite picks plans that make a class's
    roster a 100 ms query on a province's data instead of half a millisecond
    (benchmarks/mixed.py). On SQLite each index is sampled, not read whole
    (`analysis_limit`), so this stays quick however large the file; PostgreSQL samples by
    itself."""
    from sqlalchemy import text

    async with database.engine.begin() as connection:
        if database.dialect == "sqlite":
            await connection.execute(text("PRAGMA analysis_limit=1000"))
        await connection.execute(text("ANALYZE"))
