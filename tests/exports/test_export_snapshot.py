"""An export is one snapshot: every sheet and every batch reads the database as the first
statement saw it, so the workbook's figures agree although people keep joining and
reporting while a province's export runs for minutes. Here a sheet in the middle commits
a new member of the school before the people sheet is read."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.services import exports
from bot.services.spreadsheets import Sheet
from bot.text import T
from storage import people
from storage.db import Database
from storage.models import Membership
from tests.exports import world

JOINED = datetime(2026, 9, 20, 8, 0, tzinfo=UTC)


async def members_of_class(database: Database) -> int:
    async with database.reading() as uow:
        return await uow.reads.scalar(
            select(func.count()).where(Membership.org_id == world.CLASS_A)
        )


async def test_a_member_joining_mid_export_is_in_no_sheet(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await world.build(db)
    before = await members_of_class(db)

    joined: list[int] = []

    async def someone_joins(scope: exports.Scope) -> Sheet:
        if joined:  # once, in the first export
            return Sheet(T("Joined"), [], [])
        async with db.transaction() as session:
            [person] = await people.create_many(session, [(9_999_001, "Mới Vào", "vi", JOINED)])
            await people.add_memberships(session, [(person, world.CLASS_A, "parent", None, JOINED)])
        joined.append(person)
        return Sheet(T("Joined"), [], [])

    summary, listed = exports.BY_KEY["summary"], exports.BY_KEY["people"]
    joining = exports.SheetSpec("joining", T("Joined"), someone_joins)
    monkeypatch.setattr(exports, "SHEETS", (summary, joining, listed))
    job = world.job(db.url, str(tmp_path / "school.xlsx"))
    written = await exports.run_job(job)
    assert await members_of_class(db) == before + 1  # the join did commit
    assert written.count("people") == 6  # the people sheet did not see it
    again = await exports.run_job(replace(job, out=str(tmp_path / "after.xlsx")))
    assert again.count("people") == 7  # a later export does
