"""End to end: headcounts from `hocvuso headcount import` and from 👥 Sĩ số under /class,
then reach and progress against them, over HTTP long polling (tests/e2e/support.py)."""

from __future__ import annotations

import pytest

from tests.e2e.support import SCHOOL, deployment, sent_text, text_of
from tests.e2e.test_reports_e2e import onboard
from tests.support.botapi import button

pytestmark = pytest.mark.asyncio(loop_scope="module")

FAMILIES = "90% học sinh, cha mẹ học sinh tiếp cận dịch vụ số giáo dục (chỉ tiêu đến năm 2026)"  # Bắc Ninh's target


@pytest.mark.asyncio(loop_scope="module")
async def test_headcounts_from_the_office_file_and_the_chat(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    async with deployment(tmp_path_factory.mktemp("e2e-headcounts")) as bot:
        root = bot.root
        (root / "counts.csv").write_text(
            "province,commune,school,class,students\nBắc Ninh,,THPT Lý Thái Tổ,10A2,30\n",
            encoding="utf-8",
        )
        out = bot.cli("headcount", "import", "counts.csv")
        assert "1 rows read, 1 headcounts recorded" in out, out
        codes = {
            "principal": bot.invite(SCHOOL, "principal"),
            "teacher": bot.invite(f"{SCHOOL}/10A1", "staff"),
            "parent": bot.invite(f"{SCHOOL}/10A1", "parent"),
        }
        await bot.start()
        api = bot.api
        principal = api.user(7301, "Hùng", "Trần")
        teacher = api.user(7302, "Hoa", "Phạm")
        parent = api.user(7303, "Lan", "Nguyễn")
        for who, role in ((principal, "principal"), (teacher, "teacher"), (parent, "parent")):
            await onboard(bot, who, codes[role])
        await bot.settle()

        view = await bot.say(teacher, "/class", sent_text("10A1"))
        assert "chưa có sĩ số nên chưa tính được tỉ lệ" in text_of(view), text_of(view)
        ask = await bot.tap(teacher, view, "Sĩ số", sent_text("bao nhiêu học sinh"))
        assert "Đến nay đã có 1 phụ huynh và học sinh" in text_of(ask), text_of(ask)
        saved = await bot.say(teacher, "40", sent_text("Đã lưu"))
        assert "Đã lưu: lớp 10A1 có 40 học sinh." in text_of(saved), text_of(saved)
        await bot.settle()

        view = await bot.say(teacher, "/class", sent_text("10A1"))
        line = f"⚠️ {FAMILIES}: hoàn thành 0/40 (0%), tham gia 1/40 (2,5%); chỉ tiêu 90%"
        assert line in text_of(view), text_of(view)
        # The principal's school: 10A1 from the chat and 10A2 from the file, 70 families.
        school = await bot.say(principal, "/class", sent_text("THPT Lý Thái Tổ"))
        line = f"⚠️ {FAMILIES}: hoàn thành 0/70 (0%), tham gia 1/70 (1,4%); chỉ tiêu 90%"
        assert line in text_of(school), text_of(school)
        assert button(school, "Sĩ số").startswith("hc:")
