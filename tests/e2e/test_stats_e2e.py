"""End to end: a principal asks /stats over HTTP long polling and receives the figures as
text and the chart as a photo (a PNG drawn in the bot's worker process), then drills down
to a class (tests/e2e/support.py)."""

from __future__ import annotations

import pytest

from tests.e2e.support import SCHOOL, deployment, sent_text, text_of
from tests.e2e.test_reports_e2e import onboard
from tests.support.botapi_state import JSON

pytestmark = pytest.mark.asyncio(loop_scope="module")

PNG = b"\x89PNG\r\n\x1a\n"


def a_photo(message: JSON) -> bool:
    return bool(message.get("photo"))


@pytest.mark.asyncio(loop_scope="module")
async def test_a_principal_gets_the_figures_and_a_chart(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    async with deployment(tmp_path_factory.mktemp("e2e-stats")) as bot:
        code = bot.invite(SCHOOL, "principal")
        await bot.start()
        principal = bot.api.user(7401, "Hùng", "Trần")
        await onboard(bot, principal, code)
        await bot.settle()

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
