"""Nudges from /class through the real dispatcher: who gets them, once a day, forged presses."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.handlers.callbacks import VERSION, NudgeCallback
from storage import people
from storage.models import Firing, OutboxMessage
from tests.handlers.test_onboarding import onboard
from tests.handlers.test_reports import school
from tests.support.harness import Harness, Person

VNEID = "vneid_level2"


def nudge(org_id: int, action: str, milestone: str = VNEID) -> str:
    return NudgeCallback(v=VERSION, o=org_id, m=milestone, a=action).pack()


async def outbox_rows(h: Harness, source: str = "nudge") -> int:
    async with h.app.database.transaction() as session:
        query = (
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.source == source)
        )
        return int(await session.scalar(query) or 0)


async def firings(h: Harness) -> list[tuple[str, int]]:
    async with h.app.database.transaction() as session:
        return [(f.key, f.recipients) for f in await session.scalars(select(Firing))]


async def unreachable(h: Harness, who: Person) -> None:
    async with h.app.database.transaction() as session:
        row = await people.by_tg(session, who.id)
        assert row is not None
        await people.set_status(session, row.id, "unreachable")
    h.app.directory.invalidate(who.id)


async def report_vneid(h: Harness, who: Person) -> None:
    await h.say(who, "/report")
    await h.press(who, h.button(who, "VNeID"))
    await h.press(who, h.button(who, "Gửi"))


async def class_10a1(h: Harness):
    _, class_id = await school(h)
    teacher = Person(801, "Cô Hoa")
    lan, john, minh, done, gone = (
        Person(802, "Lan"),
        Person(803, "John", language_code="en"),
        Person(804, "Minh"),
        Person(805, "Đạt"),
        Person(806, "Chặn"),
    )
    await onboard(h, teacher, await h.invite(class_id, "staff"))
    await onboard(h, lan, await h.invite(class_id, "parent"))
    await onboard(h, john, await h.invite(class_id, "parent"), language="en")
    await onboard(h, minh, await h.invite(class_id, "student"))
    await onboard(h, done, await h.invite(class_id, "parent"))
    await onboard(h, gone, await h.invite(class_id, "parent"))
    await report_vneid(h, done)
    await unreachable(h, gone)
    return class_id, teacher, (lan, john, minh, done, gone)


async def test_a_teacher_nudges_those_who_have_not_reported_once_a_day(harness: Harness) -> None:
    h = harness
    class_id, teacher, (lan, john, minh, done, gone) = await class_10a1(h)
    await h.say(teacher, "/class")
    await h.press(teacher, h.button(teacher, "Nhắc những người chưa báo cáo"))
    listing = h.last_text(teacher)
    assert "Nhắc những thành viên lớp 10A1" in listing
    assert "Kích hoạt tài khoản định danh điện tử VNeID mức 2: 4 người chưa báo cáo" in listing
    assert "(3)" in h.button_label(teacher, "VNeID")  # reachable: Lan, John, Minh

    await h.press(teacher, h.button(teacher, "VNeID"))
    ask = h.last_text(teacher)
    assert "tới 3 thành viên lớp 10A1" in ask and "Ngoài ra 1 người" in ask
    before = {who.id: len(h.session.texts(who.id)) for who in (done, gone)}
    go = h.button(teacher, "Gửi lời nhắc")
    await h.press(teacher, go)
    result = h.last_text(teacher)
    assert "đang được gửi tới 3 thành viên lớp 10A1" in result and "giờ yên lặng" not in result

    assert h.last_text(lan).startswith("Kính gửi Quý phụ huynh lớp 10A1")
    assert "Cô Hoa" in h.last_text(lan) and "Quý phụ huynh" in h.last_text(lan)
    assert " em " not in h.last_text(lan)
    assert h.last_text(john).startswith("Dear parent of class 10A1")
    assert "Activated a level 2 VNeID" in h.last_text(john)
    assert h.last_text(minh).startswith("Chào em!") and "Quý phụ huynh" not in h.last_text(minh)
    assert h.button(john, "Report now") == f"ra:{VERSION}:{VNEID}"
    assert {who.id: len(h.session.texts(who.id)) for who in (done, gone)} == before
    assert await outbox_rows(h) == 3
    assert await firings(h) == [(f"nudge:{class_id}:{VNEID}:2026-09-05", 3)]

    # A second press, or a second try from the list, the same day: a clear answer, no sends.
    await h.press(teacher, go)
    again = h.last_text(teacher)
    assert "đã được nhắc về tiêu chí" in again and "lúc 15:00" in again and "ngày mai" in again
    await h.press(teacher, nudge(class_id, "ask"))
    assert "đã được nhắc về tiêu chí" in h.last_text(teacher)
    await h.say(teacher, "/class")
    await h.press(teacher, h.button(teacher, "Nhắc những người chưa báo cáo"))
    assert "(đã nhắc hôm nay lúc 15:00)" in h.last_text(teacher)
    assert not any("VNeID" in label for label, _ in h.buttons(teacher))
    assert await outbox_rows(h) == 3

    # The report button opens /report at the milestone; after reporting, one fewer is missing.
    await h.press(lan, h.button(lan, "Báo cáo ngay"))
    await h.press(lan, h.button(lan, "Gửi"))
    h.clock.advance(timedelta(days=1))  # the next local day: allowed again
    await h.press(teacher, go)
    assert "đang được gửi tới 2 thành viên" in h.last_text(teacher)
    assert await outbox_rows(h) == 5
    assert len(await firings(h)) == 2


async def test_forged_and_stale_nudge_buttons(harness: Harness) -> None:
    h = harness
    class_id, teacher, (lan, *_rest) = await class_10a1(h)
    other_class = await h.org(
        ("province", "Bắc Ninh"),
        ("district", "Từ Sơn"),
        ("school", "THPT Lý Thái Tổ"),
        ("class", "10A2"),
    )
    other = Person(811, "Thầy Nam")
    await onboard(h, other, await h.invite(other_class, "staff"))

    for action in ("list", "ask", "go"):
        await h.press(other, nudge(class_id, action))
        assert "không phụ trách lớp này" in h.alerts()[-1]
    await h.press(lan, nudge(class_id, "go"))  # a parent: not a teacher's button at all
    assert "tin nhắn trước" in h.alerts()[-1]
    await h.press(teacher, nudge(class_id, "go", milestone="staff_digital_signature"))
    assert "không có trong đợt hiện tại" in h.last_text(teacher)
    await h.press(teacher, nudge(class_id, "go", milestone="nope"))
    assert "không có trong đợt hiện tại" in h.last_text(teacher)
    await h.press(teacher, f"nu:{VERSION}:{class_id}:{VNEID}:send")  # not an action
    await h.press(teacher, f"nu:{VERSION}:0:{VNEID}:go")  # not an id
    assert await outbox_rows(h) == 0 and await firings(h) == []

    await h.press(teacher, nudge(class_id, "ask"))
    await h.press(teacher, h.button(teacher, "Hủy"))
    assert h.last_text(teacher) == "Chưa gửi gì cả."
    assert await outbox_rows(h) == 0


async def test_quiet_hours_hold_nudges_and_the_teacher_is_told(harness: Harness) -> None:
    h = harness
    class_id, teacher, (lan, john, minh, *_rest) = await class_10a1(h)
    h.clock.advance(timedelta(hours=7))  # 22:00 local
    await h.press(teacher, nudge(class_id, "go"))
    told = h.last_text(teacher)
    assert "đang được gửi tới 3" in told and "giờ yên lặng" in told and "06:30" in told
    assert not h.last_text(lan).startswith("Kính gửi")
    h.clock.advance(timedelta(hours=8, minutes=30))  # 06:30 local
    h.app.outbox.wake()
    await h.sent()
    assert h.last_text(lan).startswith("Kính gửi Quý phụ huynh")
    assert h.last_text(john).startswith("Dear parent") and h.last_text(minh).startswith("Chào em")


async def test_everyone_reported_nothing_to_send(harness: Harness) -> None:
    h = harness
    _, class_id = await school(h)
    teacher, parent = Person(821, "Cô Thu"), Person(822, "Yến")
    await onboard(h, teacher, await h.invite(class_id, "staff"))
    await onboard(h, parent, await h.invite(class_id, "parent"))
    await report_vneid(h, parent)
    await h.press(teacher, nudge(class_id, "go"))
    assert "Không còn ai trong lớp 10A1 cần nhắc" in h.last_text(teacher)
    assert await firings(h) == []


async def test_someone_who_blocked_the_bot_and_writes_again_is_reachable(
    harness: Harness,
) -> None:
    h = harness
    _, class_id = await school(h)
    parent = Person(951, "Lan")
    await onboard(h, parent, await h.invite(class_id, "parent"))
    async with h.app.database.transaction() as session:
        found = await people.by_tg(session, parent.id)
        assert found is not None
        await people.set_status(session, found.id, "unreachable")  # as a 403 leaves them
    h.app.directory.invalidate(parent.id)
    await h.say(parent, "/help")
    async with h.app.database.transaction() as session:
        found = await people.by_tg(session, parent.id)
        assert found is not None and found.status == "active"
    uow = h.app.database.unit_of_work()
    try:
        seen = await h.app.directory.get(uow, parent.id)
    finally:
        await uow.abort()
    assert seen is not None and seen.status == "active"
