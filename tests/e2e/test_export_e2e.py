"""End to end: a principal sends /export and receives the school's workbook as a
document, prepared in the bot's worker process and uploaded over the Bot API."""

from __future__ import annotations

import io

import openpyxl
import pytest

from tests.e2e.support import SCHOOL, deployment, sent_text, text_of
from tests.e2e.test_reports_e2e import onboard

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.mark.asyncio(loop_scope="module")
async def test_a_principal_receives_the_workbook(tmp_path_factory: pytest.TempPathFactory) -> None:
    async with deployment(tmp_path_factory.mktemp("e2e-export")) as bot:
        code = bot.invite(SCHOOL, "principal")
        await bot.start()
        principal = bot.api.user(7401, "Hùng", "Trần")
        await onboard(bot, principal, code)
        card = await bot.say(principal, "/export", sent_text("Xuất dữ liệu của THPT Lý Thái Tổ"))
        document = await bot.tap(principal, card, "XLSX", lambda m: "document" in m)
        assert document["document"]["file_name"] == (
            f"hocvuso-THPT-Ly-Thai-To-{document_day(document)}.xlsx"
        )
        assert text_of(document).startswith("THPT Lý Thái Tổ: dữ liệu tính đến ngày")
        data = bot.api.file_bytes(document["document"]["file_id"])
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        assert book.sheetnames[:2] == ["Tổng hợp", "Người tham gia"]
        people = list(book["Người tham gia"].iter_rows(min_row=2, values_only=True))
        assert [row[:2] for row in people] == [("Trần Hùng", "cán bộ quản lý nhà trường")]
        ready = await bot.wait(principal.id, sent_text("đã sẵn sàng"), since_now=False)
        assert ready["message_id"] == card["message_id"]  # the card became the progress
        assert text_of(ready) == "Dữ liệu của THPT Lý Thái Tổ đã sẵn sàng."


def document_day(message: dict) -> str:
    return message["document"]["file_name"].removesuffix(".xlsx")[-10:]
