"""/broadcast through the real dispatcher: compose, preview, send, acknowledge, schedule,
cancel, and the bad input the issue names."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from aiogram.methods import EditMessageReplyMarkup, EditMessageText
from sqlalchemy import update

from bot.delivery import broadcasts as delivery
from bot.errors import NotAllowed
from bot.handlers.callbacks import VERSION, AckCallback, BroadcastCallback
from bot.jobs import JobContext
from bot.services import broadcasts as service
from bot.services.people import load_view
from storage import broadcasts as store
from storage.models import Acknowledgement, Broadcast
from storage.models import Person as PersonRow
from tests.handlers.test_onboarding import SCHOOL, onboard
from tests.support.harness import Harness, Person

TEXT = "Kính mời Quý phụ huynh dự họp phụ huynh lúc 8 giờ sáng Chủ nhật 14/9."
ENGLISH = "Parents' meeting on Sunday 14/9 at 8 am."


async def school(h: Harness) -> dict[str, Person]:
    school_id = await h.org(*SCHOOL)
    class_id = await h.org(*SCHOOL, ("class", "10A1"))
    people = {
        "principal": Person(701, "HT"),
        "lan": Person(702, "Lan"),
        "mary": Person(703, "Mary", language_code="en"),
        "hoa": Person(704, "Cô Hoa"),
        "minh": Person(705, "Minh"),
    }
    await onboard(h, people["principal"], await h.invite(school_id, "principal"))
    await onboard(h, people["lan"], await h.invite(class_id, "parent"))
    await onboard(h, people["mary"], await h.invite(class_id, "parent"), language="en")
    await onboard(h, people["hoa"], await h.invite(class_id, "staff"))
    await onboard(h, people["minh"], await h.invite(class_id, "parent"))
    delivery.attach(h.app.shared, h.bot).every = 0.05
    h.app.flood.limit = 1000  # one person composing quickly is not a flood here
    return people


async def opt_out(h: Harness, who: Person) -> None:
    async with h.app.database.transaction() as session:
        await session.execute(
            update(PersonRow).where(PersonRow.tg_user_id == who.id).values(announcements=False)
        )


async def compose(h: Harness, who: Person, audience: str, text: str = TEXT, **options: str) -> None:
    """/broadcast up to the confirm card."""
    await h.say(who, "/broadcast")
    if any("Viết thông báo mới" in label for label, _ in h.buttons(who)):
        await h.press(who, h.button(who, "Viết thông báo mới"))
    await h.press(who, h.button(who, audience))
    await h.say(who, text)
    await h.press(who, h.button(who, "Bỏ qua"))
    if "english" in options:
        await h.say(who, options["english"])
    else:
        await h.press(who, h.button(who, "Bỏ qua"))
    await h.press(who, h.button(who, options.get("ack", "Có")))
    await h.press(who, h.button(who, options.get("urgent", "Không")))


async def progress_done(h: Harness, chat_id: int) -> str:
    for _ in range(100):
        edits = [m for m in h.session.of(EditMessageText) if m.chat_id == chat_id]
        if edits and "Đã gửi xong" in edits[-1].text:
            return edits[-1].text
        await asyncio.sleep(0.05)
    raise AssertionError("the progress message never reached its end")


async def test_principal_broadcasts_to_parents_with_acknowledgement(harness: Harness) -> None:
    h = harness
    p = await school(h)
    await opt_out(h, p["minh"])
    await compose(h, p["principal"], "Phụ huynh", english=ENGLISH)
    texts = h.session.texts(p["principal"].id)
    preview = texts[-2]
    assert "Xem trước" in texts[-3] and "(2 người nhận)" in texts[-3]
    assert preview.startswith("📢 Thông báo của THPT Lý Thái Tổ gửi Quý phụ huynh")
    assert TEXT in preview and "Kính mong Quý phụ huynh bấm “Đã đọc”" in preview
    assert "đến 2 người (thêm 1 người không nhận" in texts[-1]
    send = h.button(p["principal"], "Gửi ngay")
    await h.press(p["principal"], send)
    assert "Đang gửi tới 2 người" in "\n".join(h.session.texts(p["principal"].id))

    lan_notice = h.session.last(p["lan"].id)
    assert lan_notice.text == preview  # exactly what the preview showed
    mary_notice = h.session.last(p["mary"].id)
    assert ENGLISH in mary_notice.text and "Notice from THPT Lý Thái Tổ to parents" in (
        mary_notice.text
    )
    assert "I have read this" in h.button_label(p["mary"], "read")
    assert not h.session.sent(p["minh"].id)[-1].text.startswith("📢")  # opted out: skipped
    assert not any(t.startswith("📢") for t in h.session.texts(p["hoa"].id))  # not a parent

    await h.press(p["principal"], send)  # the same "send" again: nothing more goes out
    assert len([t for t in h.session.texts(p["lan"].id) if t.startswith("📢")]) == 1

    final = await progress_done(h, p["principal"].id)
    assert "Đã gửi tới: 2/2" in final and "Đã đọc (đã bấm “Đã đọc”): 0/2" in final
    assert "Không gửi cho 1 người" in final

    ack = h.button(p["lan"], "Đã đọc")
    await h.press(p["lan"], ack)
    assert "Cảm ơn Quý phụ huynh đã đọc thông báo" in h.alerts()[-1]  # worded for a parent
    edits = [m for m in h.session.of(EditMessageReplyMarkup) if m.chat_id == p["lan"].id]
    assert edits and edits[-1].reply_markup.inline_keyboard[0][0].text == "✅ Đã đọc"
    await h.press(p["lan"], ack)
    assert "Đã ghi nhận từ trước" in h.alerts()[-1]
    await h.press(p["hoa"], ack)  # a teacher forging the parents' button
    assert "không thuộc thông báo gửi tới" in h.alerts()[-1]
    async with h.app.database.transaction() as session:
        acks = (await session.execute(Acknowledgement.__table__.select())).all()
        broadcast = (await session.execute(Broadcast.__table__.select())).one()
    assert len(acks) == 1
    assert (broadcast.status, broadcast.total, broadcast.skipped) == ("done", 2, 1)

    b_id = AckCallback.unpack(ack).b
    await h.press(p["principal"], BroadcastCallback(v=VERSION, id=b_id, a="unread").pack())
    assert h.last_text(p["principal"]) == "Chưa đọc (1):\n• Mary"
    await h.press(p["hoa"], BroadcastCallback(v=VERSION, id=b_id, a="unread").pack())
    assert "Mary" not in h.session.texts(p["hoa"].id)[-1]


async def test_bad_input_schedule_and_cancel(harness: Harness) -> None:
    h = harness
    p = await school(h)
    principal = p["principal"]
    await h.say(principal, "/broadcast")
    await h.press(principal, h.button(principal, "Tất cả"))
    await h.say(principal, "x" * 4096)
    assert "Nội dung có 4.096 ký tự" in h.last_text(principal)
    await h.say(principal, "Lịch kiểm tra học kỳ I")
    await h.photo(principal)
    await h.press(principal, h.button(principal, "Bỏ qua"))
    await h.press(principal, h.button(principal, "Không"))
    await h.press(principal, h.button(principal, "Không"))
    assert "đến 4 người" in h.last_text(principal)
    await h.press(principal, h.button(principal, "Hẹn giờ gửi"))
    for typed, answer in (
        ("mai", "theo mẫu: 25/5/2026 08:00"),
        ("31/2/2027 08:00", "Không có ngày này"),
        ("1/9/2026 08:00", "đã qua"),
        ("5/9/2026 14:59", "đã qua"),  # 15:00 local now
        ("1/1/2028 08:00", "xa hơn một năm"),
    ):
        await h.say(principal, typed)
        assert answer in h.last_text(principal), typed
    await h.say(principal, "6/9/2026 07:30")
    assert "Đã hẹn gửi lúc 07:30 6/9/2026" in h.last_text(principal)

    await h.say(principal, "/broadcast")
    await h.press(principal, h.button(principal, "Thông báo đã hẹn gửi"))
    assert "Lịch kiểm tra học kỳ I" in h.last_text(principal)
    cancel = h.button(principal, "Hủy thông báo này")
    b_id = BroadcastCallback.unpack(cancel).id

    ctx = JobContext(h.app.shared, h.app.database, h.clock)
    assert await delivery.fire_due(ctx, h.clock.now()) == 0  # not yet due
    h.clock.advance(timedelta(hours=17))
    assert await delivery.fire_due(ctx, h.clock.now()) == 1
    assert await delivery.fire_due(ctx, h.clock.now()) == 0  # a second tick fires nothing
    await h.sent()
    assert any("Lịch kiểm tra học kỳ I" in t for t in h.session.texts(p["hoa"].id))
    await h.press(principal, cancel)
    assert "đã được gửi nên không thể hủy" in h.alerts()[-1]

    # Schedule another one and cancel it; cancelling again says so.
    await h.say(principal, "/broadcast")
    await h.press(principal, h.button(principal, "Viết thông báo mới"))
    await h.press(principal, h.button(principal, "Tất cả"))
    await h.say(principal, "Nghỉ học ngày mai")
    await h.press(principal, h.button(principal, "Bỏ qua"))
    await h.press(principal, h.button(principal, "Bỏ qua"))
    await h.press(principal, h.button(principal, "Không"))
    await h.press(principal, h.button(principal, "Không"))
    await h.press(principal, h.button(principal, "Hẹn giờ gửi"))
    await h.say(principal, "10/9/2026 07:00")
    async with h.app.database.transaction() as session:
        second = max(b.id for b, _ in await store.in_scope(session, None, ("scheduled",), 10))
    assert second != b_id
    cancel_second = BroadcastCallback(v=VERSION, id=second, a="cancel").pack()
    await h.press(principal, cancel_second)
    assert "Đã hủy" in h.last_text(principal)
    await h.press(principal, cancel_second)
    assert "đã được hủy trước đó" in h.alerts()[-1]
    h.clock.advance(timedelta(days=10))
    assert await delivery.fire_due(ctx, h.clock.now()) == 0
    await h.press(p["lan"], cancel_second)  # a parent pressing the principal's button
    assert not any("Đã hủy" in t for t in h.session.texts(p["lan"].id))


async def test_empty_audience_and_forged_scope(harness: Harness) -> None:
    h = harness
    p = await school(h)
    await compose(h, p["principal"], "Học sinh", ack="Không")
    assert "Không có ai thuộc nhóm người nhận này" in h.last_text(p["principal"])
    async with h.app.database.transaction() as session:
        assert not (await session.execute(Broadcast.__table__.select())).all()

    other = await h.org(("province", "Hà Nội"), ("school", "THCS Khác"))
    district = await h.org(*SCHOOL[:2])
    officer = Person(720, "Cán bộ xã")
    await onboard(h, officer, await h.invite(district, "dept_admin"))
    await h.say(officer, "/broadcast")
    await h.press(officer, h.button(officer, "Một số trường"))
    labels = [label for label, _ in h.buttons(officer)]
    assert any("THPT Lý Thái Tổ" in label for label in labels)
    assert not any("THCS Khác" in label for label in labels)
    forged = h.button(officer, "THPT Lý Thái Tổ").replace(f":{await h.org(*SCHOOL)}", f":{other}")
    await h.press(officer, forged)
    shown = "\n".join(h.session.texts(officer.id)[-2:])
    assert "không có gì thay đổi" in shown and "THCS Khác" not in shown
    assert not any("☑️" in label for label, _ in h.buttons(officer))  # nothing was chosen
    # The school that is theirs goes through, worded for each reader.
    await h.press(officer, h.button(officer, "THPT Lý Thái Tổ"))
    await h.press(officer, h.button(officer, "Xong"))
    await h.say(officer, "Kiểm tra chuyển đổi số ngày 20/9")
    for label in ("Bỏ qua", "Bỏ qua", "Không", "Không"):
        await h.press(officer, h.button(officer, label))
    assert "đến 5 người" in h.last_text(officer)
    await h.press(officer, h.button(officer, "Gửi ngay"))
    assert h.last_text(p["principal"]).startswith("📢 Thông báo của Từ Sơn gửi quý Thầy/Cô")
    assert h.last_text(p["lan"]).startswith("📢 Thông báo của Từ Sơn gửi Quý phụ huynh")
    assert h.last_text(p["mary"]).startswith("📢 Notice from Từ Sơn to parents")
    # The service refuses too, whatever a button says.
    uow = h.app.database.unit_of_work()
    view = await load_view(uow, officer.id)
    campaign_id, pack = await h.app.shared.campaign.get(uow)
    with pytest.raises(NotAllowed):
        await service.create(
            uow,
            service.Draft(scope=other, audience="everyone", text="x"),
            person=view,
            superadmin=False,
            campaign_id=campaign_id,
            pack=pack,
            send_at=h.clock.now(),
            now=h.clock.now(),
            sender_chat_id=officer.id,
        )
    with pytest.raises(NotAllowed):
        await service.create(
            uow,
            service.Draft(scope=district, audience="orgs", orgs=(other,), text="x"),
            person=view,
            superadmin=False,
            campaign_id=campaign_id,
            pack=pack,
            send_at=h.clock.now(),
            now=h.clock.now(),
            sender_chat_id=officer.id,
        )
    await uow.abort()
    # A parent cannot open /broadcast at all.
    await h.say(p["lan"], "/broadcast")
    assert "không dành cho vai trò" in h.last_text(p["lan"]) or "/help" in h.last_text(p["lan"])
