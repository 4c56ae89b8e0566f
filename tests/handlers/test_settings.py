"""/settings through the real dispatcher: shown values, saved choices, and the outbox obeying them."""

from __future__ import annotations

from datetime import timedelta

from aiogram.methods import SetMyCommands
from sqlalchemy import select

from storage.models import OutboxMessage
from storage.models import Person as PersonRow
from tests.handlers.test_onboarding import onboard
from tests.handlers.test_reports import report_course_with_photo, school
from tests.support.harness import Harness, Person


async def stored(h: Harness, who: Person) -> PersonRow:
    async with h.app.database.transaction() as session:
        row = (await session.scalars(select(PersonRow).where(PersonRow.tg_user_id == who.id))).one()
        session.expunge(row)
        return row


async def queued_for(h: Harness, who: Person) -> list[OutboxMessage]:
    async with h.app.database.transaction() as session:
        rows = list(
            await session.scalars(select(OutboxMessage).where(OutboxMessage.chat_id == who.id))
        )
        for row in rows:
            session.expunge(row)
        return rows


async def test_settings_show_and_save_quiet_hours_and_announcements(harness: Harness) -> None:
    _, class_id = await school(harness)
    parent = Person(701, "Lan")
    await onboard(harness, parent, await harness.invite(class_id, "parent"))

    await harness.say(parent, "/settings")
    menu = harness.last_text(parent)
    assert "Ngôn ngữ: Tiếng Việt" in menu
    assert "Giờ yên lặng: theo nhà trường (21:00–06:30)" in menu
    assert "Thông báo không khẩn: nhận" in menu
    await harness.press(parent, harness.button(parent, "Giờ yên lặng"))
    assert "Theo nhà trường (21:00–06:30)" in harness.button_label(parent, "nhà trường")
    await harness.press(parent, harness.button(parent, "22:00–07:00"))
    menu = harness.last_text(parent)
    assert menu.startswith("✅ Đã lưu.") and "Giờ yên lặng: 22:00–07:00" in menu
    assert (await stored(harness, parent)).quiet_hours == "22:00-07:00"

    await harness.press(parent, harness.button(parent, "Thông báo"))
    assert "Thông báo khẩn của nhà trường luôn được gửi" in harness.last_text(parent)
    await harness.press(parent, harness.button(parent, "Chỉ nhận thông báo khẩn"))
    assert "Thông báo không khẩn: tắt (thông báo khẩn vẫn đến)" in harness.last_text(parent)
    row = await stored(harness, parent)
    assert row.announcements is False and row.quiet_hours == "22:00-07:00"
    await harness.press(parent, harness.button(parent, "Xong"))
    assert "Cài đặt đã được lưu" in harness.last_text(parent)

    # The directory forgot the old view: a new /settings and /mydata show what is stored.
    assert harness.app.directory.cached(parent.id) is None or (
        harness.app.directory.cached(parent.id).announcements is False
    )
    await harness.say(parent, "/settings")
    assert "Giờ yên lặng: 22:00–07:00" in harness.last_text(parent)
    await harness.press(parent, harness.button(parent, "Giờ yên lặng"))
    await harness.press(parent, harness.button(parent, "Không có giờ yên lặng"))
    assert "Giờ yên lặng: không có" in harness.last_text(parent)
    assert (await stored(harness, parent)).quiet_hours == "off"
    await harness.press(parent, harness.button(parent, "Giờ yên lặng"))
    await harness.press(parent, harness.button(parent, "Theo nhà trường"))
    assert (await stored(harness, parent)).quiet_hours is None
    await harness.say(parent, "/cancel")
    await harness.say(parent, "/mydata")
    data = harness.last_text(parent)
    assert "Giờ yên lặng: theo nhà trường (21:00–06:30)" in data
    assert "Thông báo không khẩn: tắt" in data and "/settings" in data


async def test_typed_quiet_hours_are_checked(harness: Harness) -> None:
    _, class_id = await school(harness)
    parent = Person(702, "Mai")
    await onboard(harness, parent, await harness.invite(class_id, "parent"))
    await harness.say(parent, "/settings")
    await harness.press(parent, harness.button(parent, "Giờ yên lặng"))
    await harness.say(parent, "25:00-06:00")
    assert "Giờ không hợp lệ" in harness.last_text(parent)
    await harness.say(parent, "20:00-10:00")
    assert "tối đa 12 tiếng" in harness.last_text(parent)
    await harness.say(parent, "sau 10 giờ tối")
    assert "ví dụ 22:00-06:30" in harness.last_text(parent)
    assert (await stored(harness, parent)).quiet_hours is None
    await harness.say(parent, "22h30-6h")
    assert "Giờ yên lặng: 22:30–06:00" in harness.last_text(parent)
    assert (await stored(harness, parent)).quiet_hours == "22:30-06:00"


async def test_language_from_settings_is_the_language_command(harness: Harness) -> None:
    _, class_id = await school(harness)
    teacher = Person(703, "Hoa")
    await onboard(harness, teacher, await harness.invite(class_id, "staff"))
    await harness.say(teacher, "/settings")
    await harness.press(teacher, harness.button(teacher, "Ngôn ngữ"))
    assert "Choose your language" in harness.last_text(teacher)
    await harness.press(teacher, harness.button(teacher, "English"))
    menu = harness.last_text(teacher)
    assert menu.startswith("✅ Saved.") and "Language: English" in menu
    assert (await stored(harness, teacher)).language == "en"
    menu_commands = harness.session.of(SetMyCommands)[-1]
    assert any(c.command == "settings" for c in menu_commands.commands)
    assert "Language, quiet hours" in next(
        c.description for c in menu_commands.commands if c.command == "settings"
    )


async def test_strangers_have_no_settings(harness: Harness) -> None:
    stranger = Person(704, "Lạ")
    await harness.say(stranger, "/settings")
    assert "đường liên kết mời" in harness.last_text(stranger)


async def test_own_quiet_hours_hold_a_notice_until_they_end(harness: Harness) -> None:
    school_id, class_id = await school(harness)
    principal, parent = Person(705, "HT"), Person(706, "Bình")
    await onboard(harness, principal, await harness.invite(school_id, "principal"))
    await onboard(harness, parent, await harness.invite(class_id, "parent"))
    await harness.say(parent, "/settings")
    await harness.press(parent, harness.button(parent, "Giờ yên lặng"))
    await harness.say(parent, "14:00-18:00")  # it is 15:00 local: inside
    await harness.say(parent, "/cancel")
    await report_course_with_photo(harness, parent)
    before = len(harness.session.texts(parent.id))

    await harness.say(principal, "/review")
    await harness.press(principal, harness.button(principal, "Duyệt"))
    assert len(harness.session.texts(parent.id)) == before  # held back
    (row,) = await queued_for(harness, parent)
    assert row.status == "queued" and row.quiet_hours == "14:00-18:00"
    local_release = row.not_before.astimezone(harness.clock.zone)
    assert (local_release.hour, local_release.minute) == (18, 0)

    harness.clock.advance(timedelta(hours=2, minutes=59))  # 17:59 local: still quiet
    harness.app.outbox.wake()
    await harness.sent()
    assert len(harness.session.texts(parent.id)) == before
    harness.clock.advance(timedelta(minutes=1))
    harness.app.outbox.wake()
    await harness.sent()
    assert "đã được nhà trường xác nhận" in harness.last_text(parent)


async def test_a_new_choice_applies_to_what_is_already_queued(harness: Harness) -> None:
    school_id, class_id = await school(harness)
    principal, parent = Person(707, "HT"), Person(708, "Cúc")
    await onboard(harness, principal, await harness.invite(school_id, "principal"))
    await onboard(harness, parent, await harness.invite(class_id, "parent"))
    await report_course_with_photo(harness, parent)
    harness.clock.advance(timedelta(hours=7))  # 22:00 local: the school's quiet hours
    await harness.say(principal, "/review")
    await harness.press(principal, harness.button(principal, "Duyệt"))
    (row,) = await queued_for(harness, parent)
    assert row.status == "queued"
    await harness.say(parent, "/settings")
    await harness.press(parent, harness.button(parent, "Giờ yên lặng"))
    await harness.press(parent, harness.button(parent, "Không có giờ yên lặng"))
    (row,) = await queued_for(harness, parent)
    assert row.quiet_hours == "off"
