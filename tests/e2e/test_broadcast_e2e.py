"""End to end: a principal broadcasts with acknowledgement to a school of 200 people.

One `hocvuso run` process against the fake Bot API, which enforces Telegram's limits. The
200 recipients (20 staff at the school, 60 parents and 30 students in each of two classes)
are written into the database before the bot starts, as an import would; the principal joins
through an invite link. Two parents have blocked the bot. The principal composes the notice
over HTTP, sees the preview and sends it; the progress message is edited in place while the
outbox drains at the default 30 messages a second, and ends with the counts. Then 50
recipients press "Đã đọc", one of them twice, and /broadcast's results say so.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import pytest_asyncio

from storage import org_units, people
from storage.db import Database
from tests.e2e.support import SCHOOL, Deployment, deployment, sent_text, text_of
from tests.e2e.test_reports_e2e import onboard
from tests.support.botapi import FakeUser

pytestmark = pytest.mark.asyncio(loop_scope="module")

NOTICE = "Kính mời toàn thể phụ huynh, học sinh và cán bộ dự lễ khai giảng lúc 7 giờ ngày 5/9."
FIRST_ID = 880_000


async def seed(bot: Deployment) -> list[FakeUser]:
    """200 people with memberships, straight into the database; their fake Telegram users."""
    database = Database(bot.env["HOCVUSO_DATABASE_URL"])
    now = datetime.now(UTC)
    plan: list[tuple[str, str]] = [("school", "staff")] * 20
    for cls in ("10A1", "10A2"):
        plan += [(cls, "parent")] * 60 + [(cls, "student")] * 30
    users = []
    try:
        async with database.transaction() as session:
            school = await org_units.by_names(session, SCHOOL.split("/"))
            assert school is not None
            orgs = {"school": school.id}
            for cls in ("10A1", "10A2"):
                unit = await org_units.child(session, school.id, "class", cls)
                assert unit is not None
                orgs[cls] = unit.id
            rows = []
            for n, _ in enumerate(plan):
                user = bot.api.user(FIRST_ID + n, f"Người {n:03d}", "Thử")
                users.append(user)
                rows.append((user.id, f"Người {n:03d}", "vi", now))
            ids = await people.create_many(session, rows)
            await people.add_memberships(
                session,
                [
                    (pid, orgs[where], role, None, now)
                    for pid, (where, role) in zip(ids, plan, strict=True)
                ],
            )
    finally:
        await database.dispose()
    return users


class School:
    def __init__(self, bot: Deployment, principal: FakeUser, users: list[FakeUser]) -> None:
        self.bot = bot
        self.api = bot.api
        self.principal = principal
        self.users = users


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def school(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[School]:
    async with deployment(tmp_path_factory.mktemp("e2e-broadcast")) as bot:
        code = bot.invite(SCHOOL, "principal")
        users = await seed(bot)
        await bot.start()
        principal = bot.api.user(7301, "Hùng", "Trần")
        await onboard(bot, principal, code)
        yield School(bot, principal, users)


async def test_principal_broadcasts_to_200_with_acknowledgement(school: School) -> None:
    bot, api, principal = school.bot, school.api, school.principal
    blocked = school.users[20:22]  # two parents
    for user in blocked:
        api.block(user.id)

    card = await bot.say(principal, "/broadcast")
    card = await bot.tap(principal, card, "Tất cả", sent_text("Vui lòng viết nội dung"))
    card = await bot.say(principal, NOTICE, sent_text("kèm ảnh hoặc tệp"))
    card = await bot.tap(principal, card, "Bỏ qua", sent_text("bản tiếng Anh"))
    card = await bot.tap(principal, card, "Bỏ qua", sent_text("bấm “Đã đọc”"))
    card = await bot.tap(principal, card, "Có", sent_text("khẩn"))
    confirm = await bot.tap(principal, card, "Không", sent_text("Thông báo sẽ đến 200 người"))
    shown = [text_of(m) for m in api.sent(principal.id)]
    preview = next(t for t in shown if t.startswith("📢"))
    assert "(200 người nhận)" in "\n".join(shown)
    assert NOTICE in preview and "THPT Lý Thái Tổ" in preview

    started = asyncio.get_running_loop().time()
    await bot.tap(principal, confirm, "Gửi ngay", sent_text("Đang gửi tới 200 người"))
    done = await api.wait_for(principal.id, sent_text("Đã gửi xong"), timeout=60.0, since_now=False)
    took = asyncio.get_running_loop().time() - started
    final = text_of(done)
    assert "Đã gửi tới: 198/200" in final and "Đã chặn bot: 2" in final, final
    assert "Không gửi được: 0" in final and "Đã đọc (đã bấm “Đã đọc”): 0/198" in final, final
    assert took > 5.0  # 200 messages at 30 a second: the progress message had time to move

    # The progress message is one message, edited in place several times, never too fast.
    edits = [
        c
        for c in api.calls_to("editMessageText")
        if str(c.get("chat_id")) == str(principal.id) and c["message_id"] == done["message_id"]
    ]
    assert len(edits) >= 2, edits
    assert edits[-1]["text"] == final
    assert any("Đang gửi thông báo" in c["text"] for c in edits), edits
    assert not api.limit_refusals(), api.limit_refusals()[:3]
    times = [
        a.at
        for a in api.attempts
        if a.method.lower() == "editmessagetext"
        and a.chat_id == principal.id
        and done["message_id"] in a.message_ids
    ]
    assert len(times) == len(edits), (times, len(edits))
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert all(gap >= 2.5 for gap in gaps), gaps  # about one edit every 3 s at most

    # Each reachable recipient got the notice once, with the button, worded for their role.
    got = {}
    for user in school.users:
        notices = [m for m in api.sent(user.id) if text_of(m).startswith("📢")]
        if user in blocked:
            assert not notices
            continue
        assert len(notices) == 1, (user.id, notices)
        got[user.id] = notices[0]
    assert "gửi quý Thầy/Cô" in text_of(got[school.users[0].id])
    assert "gửi Quý phụ huynh" in text_of(got[school.users[30].id])
    assert "gửi các em học sinh" in text_of(got[school.users[90].id])

    # 50 recipients acknowledge; one presses twice.
    readers = [u for u in school.users if u.id in got][:50]
    queries = [api.press(u, got[u.id], api.button(got[u.id], "Đã đọc")) for u in readers]
    answers = await asyncio.gather(*(api.wait_for_answer(q) for q in queries))
    assert all("đã ghi nhận" in (a.get("text") or "") for a in answers), answers[:3]
    await bot.settle()
    again = api.press(readers[0], got[readers[0].id], api.button(got[readers[0].id], "Đã đọc"))
    assert "từ trước" in ((await api.wait_for_answer(again)).get("text") or "")
    assert [label for label, _ in api.buttons(api.sent(readers[1].id)[-1])] == ["✅ Đã đọc"]
    await bot.settle()

    menu = await bot.say(principal, "/broadcast", sent_text("Cần làm gì?"))
    results = await bot.tap(principal, menu, "Kết quả", sent_text("Đã gửi tới: 198/200"))
    assert "Đã đọc (đã bấm “Đã đọc”): 50/198" in text_of(results), text_of(results)
    unread = await bot.tap(principal, results, "Ai chưa đọc", sent_text("Chưa đọc (148)"))
    assert "Người 199" in text_of(unread) and "Người 000" not in text_of(unread)


async def test_bot_stays_alive_and_logs_no_traceback(school: School) -> None:
    bot = school.bot
    assert bot.alive(), bot.log_tail()
    log = bot.log_path.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log, bot.log_tail(80)
