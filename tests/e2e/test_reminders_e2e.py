"""End to end: `hocvuso run` starts the scheduler, and a reminder missed while the bot was
down goes out once when it comes back, and not again after another restart.

A parent joins; the bot stops; a school deadline due in three days with a reminder five
days before (so its hour has passed, whatever the real clock says) is written while it is
down; the bot starts, and the first tick (at start) sends the parent the reminder.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from storage import deadlines
from storage.db import Database
from storage.models import OrgUnit
from tests.e2e.support import SCHOOL, deployment, sent_text, text_of
from tests.e2e.test_reports_e2e import onboard


async def test_a_reminder_missed_while_down_goes_once(tmp_path) -> None:
    async with deployment(tmp_path) as bot:
        code = bot.invite(f"{SCHOOL}/10A1", "parent")
        await bot.start()
        parent = bot.api.user(7301, "Mai", "Lê")
        await onboard(bot, parent, code)
        await bot.settle()
        await bot.stop()

        database = Database(bot.env["HOCVUSO_DATABASE_URL"])
        today = datetime.now(UTC).astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).date()
        due = today + timedelta(days=3)
        try:
            async with database.transaction() as session:
                school = (
                    await session.scalars(select(OrgUnit).where(OrgUnit.kind == "school"))
                ).one()
                await deadlines.add(
                    session,
                    org_id=school.id,
                    created_by=None,
                    title="Nộp phiếu khảo sát chuyển đổi số",
                    audience=("parent",),
                    due_date=due,
                    remind_days_before=[5],
                    completes=None,
                    now=datetime.now(UTC),
                )
        finally:
            await database.dispose()

        before = len(bot.api.sent(parent.id))
        await bot.start()
        reminder = await bot.wait(parent.id, sent_text("Nộp phiếu khảo sát"), since_now=False)
        text = text_of(reminder)
        assert text.startswith("⏰ Kính nhắc Quý phụ huynh"), text
        assert f"{due.day}/{due.month}/{due.year}" in text and "còn 3 ngày" in text, text
        await bot.stop()

        await bot.start()
        await asyncio.sleep(2.0)  # the tick at start has run (it needs no update to come)
        assert "scheduler ticking" in bot.log_path.read_text(encoding="utf-8")
        reminders = [m for m in bot.api.sent(parent.id) if "Nộp phiếu khảo sát" in text_of(m)]
        assert len(reminders) == 1
        assert len(bot.api.sent(parent.id)) == before + 1
