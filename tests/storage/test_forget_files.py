"""/forget leaves nothing recoverable in the database files. SQLite's database, write-ahead
log and shared memory are read as raw bytes and searched; PostgreSQL's table pages are
read raw through pageinspect, dead row versions included. Both also while a reader that
began before the /forget still holds its snapshot, as an export or a long query would."""

from __future__ import annotations

import sqlite3
import struct
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import select

from bot.services import privacy
from storage import people
from storage.db import Database, scrub
from storage.models import Person, Report
from tests.handlers.test_onboarding import onboard
from tests.handlers.test_reports import report_course_with_photo, school
from tests.support import postgres
from tests.support.harness import Harness
from tests.support.harness import Person as User

NAME = "Zyxwa Đặng Thị Quế"
TG_FIRST_NAME = "Qqqtgfirst"
CAPTION = "CAPTIONXYZ chứng nhận của Quế"
REASON = "REASONXYZ ảnh mờ"
TG_ID = 8_765_432_101


def raw(db_file: Path) -> bytes:
    return b"".join(
        path.read_bytes()
        for path in (
            db_file,
            db_file.with_name(db_file.name + "-wal"),
            db_file.with_name(db_file.name + "-shm"),
        )
        if path.exists()
    )


def traces(blob: bytes) -> list[str]:
    needles = {
        "name": NAME.encode(),
        "name (Telegram)": TG_FIRST_NAME.encode(),
        "caption": CAPTION.encode(),
        "reason": REASON.encode(),
        "id as text": str(TG_ID).encode(),
        "id as an integer": struct.pack(">q", TG_ID),
    }
    return [what for what, needle in needles.items() if needle in blob]


async def a_reported_parent(harness: Harness) -> tuple[User, User]:
    school_id, class_id = await school(harness, "12Q")
    principal = User(1701, "Thầy Hùng")
    parent = User(TG_ID, TG_FIRST_NAME)
    await onboard(harness, principal, await harness.invite(school_id, "principal"))
    await onboard(harness, parent, await harness.invite(class_id, "parent"), name=NAME)
    await report_course_with_photo(harness, parent, caption=CAPTION)
    return principal, parent


async def forget(harness: Harness, parent: User) -> None:
    await harness.say(parent, "/forget")
    await harness.press(parent, harness.button(parent, "xóa"))
    assert "đã được xóa" in harness.last_text(parent)


async def test_forget_leaves_nothing_in_the_database_files(harness: Harness, tmp_path) -> None:
    db_file = tmp_path / "test.db"
    principal, parent = await a_reported_parent(harness)
    await harness.say(principal, "/review")
    await harness.press(principal, harness.button(principal, "Từ chối"))
    await harness.say(principal, REASON)
    await harness.say(parent, "/report")  # an open conversation holding their data too
    assert set(traces(raw(db_file))) >= {"name", "caption", "reason"}  # the test can see

    await forget(harness, parent)
    await harness.app.shared.background.drain()

    assert traces(raw(db_file)) == []
    async with harness.app.database.reading() as uow:  # the tallies keep an anonymous row
        assert await uow.session.scalar(select(Person.status).where(Person.display_name == "")) == (
            "forgotten"
        )
        assert await uow.session.scalar(select(Report.status)) == "rejected"


async def test_a_reader_from_before_the_forget_is_waited_for(harness: Harness, tmp_path) -> None:
    """A checkpoint cannot copy past an open reader's snapshot, and once that reader ends
    the old pages are still in both files: the scrub waits for it, then finishes."""
    db_file = tmp_path / "test.db"
    _, parent = await a_reported_parent(harness)
    reader = sqlite3.connect(db_file, isolation_level=None)
    try:
        reader.execute("BEGIN")
        assert reader.execute("SELECT count(*) FROM people").fetchone() == (2,)
        await forget(harness, parent)
        await harness.app.shared.background.drain(timeout=1.0)
        assert "name" in traces(raw(db_file))  # still there while the reader reads
    finally:
        reader.execute("COMMIT")
        reader.close()
    await harness.app.shared.background.drain()
    assert traces(raw(db_file)) == []


async def raw_pages(dsn: str, table: str) -> bytes:
    """`table`'s pages and those of its indexes, byte for byte as PostgreSQL keeps them
    (dead row versions and free space included)."""
    connection = await asyncpg.connect(dsn)
    try:
        try:
            await connection.execute("CREATE EXTENSION IF NOT EXISTS pageinspect")
        except asyncpg.PostgresError as problem:  # not installed, or not a superuser
            pytest.skip(f"PostgreSQL's pageinspect extension is not available: {problem}")
        relations = [table] + [
            row["name"]
            for row in await connection.fetch(
                "SELECT indexrelid::regclass::text AS name FROM pg_index"
                " WHERE indrelid = $1::regclass",
                table,
            )
        ]
        blobs = []
        for relation in relations:
            pages = await connection.fetchval(
                "SELECT pg_relation_size($1::regclass) / current_setting('block_size')::int",
                relation,
            )
            for page in range(pages):
                blobs.append(
                    await connection.fetchval("SELECT get_raw_page($1, $2)", relation, page)
                )
        return b"".join(blobs)
    finally:
        await connection.close()


def pg_traces(blob: bytes) -> list[str]:
    needles = {"name": NAME.encode(), "id": struct.pack("<q", TG_ID)}  # int8 as stored here
    return [what for what, needle in needles.items() if needle in blob]


async def test_postgresql_pages_keep_nothing_once_older_snapshots_end(pg_db: Database) -> None:
    """Among thousands of people, so that a plain VACUUM would leave the indexes alone
    (too few dead rows) and the unique index would keep the Telegram id."""
    dsn = pg_db.url.replace("postgresql+asyncpg://", "postgresql://", 1)
    joined = datetime(2026, 9, 5, tzinfo=UTC)
    async with pg_db.transaction() as session:
        [person_id] = await people.create_many(session, [(TG_ID, NAME, "vi", joined)])
        others = [(1_000_000 + i, f"Người {i:05d}", "vi", joined) for i in range(20_000)]
        await people.create_many(session, others)
    assert pg_traces(await raw_pages(dsn, "people")) == ["name", "id"]  # the test can see

    older = await asyncpg.connect(dsn)
    elsewhere = await asyncpg.connect(postgres.ADMIN_DSN)  # another database on the server
    try:
        snapshot = older.transaction(isolation="repeatable_read", readonly=True)
        await snapshot.start()
        assert await older.fetchval("SELECT count(*) FROM people") == 20_001
        away = elsewhere.transaction(isolation="repeatable_read")
        await away.start()
        await elsewhere.fetchval("SELECT 1")
        async with pg_db.transaction() as session:
            await people.forget(session, person_id, TG_ID)
        # Still reading after the forget, in its snapshot from before it: the old row
        # version may be read, so no VACUUM removes it.
        assert await older.fetchval("SELECT count(*) FROM people WHERE tg_user_id IS NULL") == 0
        assert not await scrub(pg_db, privacy.PERSONAL_TABLES, patience=0.6, pause=0.2)
        assert "name" in pg_traces(await raw_pages(dsn, "people"))
        await snapshot.rollback()
        # A transaction in another database sees none of ours and holds nothing back.
        assert await scrub(pg_db, privacy.PERSONAL_TABLES, patience=5.0)
        assert pg_traces(await raw_pages(dsn, "people")) == []
        await away.rollback()
    finally:
        await older.close()
        await elsewhere.close()
