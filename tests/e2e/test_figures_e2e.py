"""End to end, over HTTP long polling (tests/e2e/support.py): a principal asks /stats and
receives the figures as text and the chart as a photo (a PNG drawn in the bot's worker
process), drills down to a class, then sends /export and receives the school's workbook as
a document, prepared in the worker process and uploaded over the Bot API. One bot for
both: starting one is most of an end-to-end test's time."""

from __future__ import annotations

import io

import openpyxl
import pytest

from tests.e2e.support import SCHOOL, deployment, sent_text, text_of
from tests.e2e.test_reports_e2e import onboard
from tests.support.botapi_state import JSON

pytestmark = pytest.mark.asyncio(loop_scope="module")

PNG = b"\x89PNG\r\n\x1a\n"


def a_photo(message: JSON) -> bool:
    return bool(message.get("photo"))


def document_day(message: dict) -> str:
    return message["document"]["file_name"].removesuffix(".xlsx")[-10:]


@pytest.mark.asyncio(loop_scope="module")
async def test_a_principal_gets_the_figures_a_chart_and_the_workbook(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    async with deployment(tmp_path_factory.mktemp("e2e-figures")) as bot:
        code = bot.invite(SCHOOL, "principal")
        await bot.start()
        principal = bot.api.user(7401, "Hùng", "Trần")
        await onboard(bot, principal, code)
        await bot.settle()

        # /stats: the text, then the chart as a photo; the next indicator; a class.
        view = await bot.say(principal, "/stats", sent_text("📊 THPT Lý Thái Tổ"))
        assert "So với chỉ tiêu kế hoạch:" in text_of(view), text_of(view)
        assert "Tự đánh giá QĐ 4725" in text_of(view)
        chart = await bot.wait(principal.id, a_photo)
        (photo,) = chart["photo"]
        assert bot.api.files[photo["file_id"]].content().startswith(PNG)
        assert "THPT Lý Thái Tổ" in chart.get("caption", "")
        down = await bot.tap(principal, chart, "Chỉ số tiếp", a_photo)
        assert down["photo"][0]["file_id"] != photo["file_id"]
        assert "10A1" in str(down.get("reply_markup"))
        view = await bot.tap(principal, down, "🔎 10A1", sent_text("📊 10A1"))
        assert "So với chỉ tiêu kế hoạch:" in text_of(view), text_of(view)
        await bot.settle()

        # /export: the card becomes the progress message; the workbook arrives.
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
