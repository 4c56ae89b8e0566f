"""Reporting, verification and progress through the real dispatcher."""

from __future__ import annotations

from aiogram.methods import SendPhoto

from bot.handlers.callbacks import VERSION, ReviewCallback
from tests.handlers.test_onboarding import SCHOOL, onboard
from tests.support.harness import Harness, Person


async def school(h: Harness, class_name: str = "10A1") -> tuple[int, int]:
    school_id = await h.org(*SCHOOL)
    class_id = await h.org(*SCHOOL, ("class", class_name))
    return school_id, class_id


async def report_course_with_photo(h: Harness, parent: Person, caption: str | None = None) -> None:
    await h.say(parent, "/report")
    await h.press(parent, h.button(parent, "Bình dân học vụ số"))
    if any("Báo cáo lại" in label for label, _ in h.buttons(parent)):  # reported before
        await h.press(parent, h.button(parent, "Báo cáo lại"))
    await h.photo(parent, caption=caption)
    await h.press(parent, h.button(parent, "Gửi"))


async def test_report_reject_report_again_approve(harness: Harness) -> None:
    school_id, class_id = await school(harness)
    principal, parent, teacher = (
        Person(601, "Hiệu trưởng"),
        Person(602, "Lan"),
        Person(603, "Cô Hoa"),
    )
    await onboard(harness, principal, await harness.invite(school_id, "principal"))
    await onboard(harness, parent, await harness.invite(class_id, "parent"))
    await onboard(harness, teacher, await harness.invite(class_id, "staff"))

    await harness.say(parent, "/report")
    listing = harness.last_text(parent)
    assert "Quý phụ huynh muốn báo cáo tiêu chí nào?" in listing and "2. Giao tiếp" in listing
    # Safety milestones are earned by passing their quizzes, never ticked here.
    assert "4. An toàn" not in listing and "lừa đảo" not in listing
    await harness.press(parent, harness.button(parent, "Bình dân học vụ số"))
    assert "ảnh" in harness.last_text(parent)
    await harness.sticker(parent)
    assert "dưới dạng ảnh hoặc tệp" in harness.last_text(parent)
    await harness.photo(parent, caption="Chứng nhận hoàn thành")
    assert "kiểm tra trước khi ghi nhận" in harness.last_text(parent)
    await harness.press(parent, harness.button(parent, "Gửi"))
    assert "để nhà trường xác nhận" in harness.last_text(parent)

    await harness.say(principal, "/review")
    card = harness.session.last(principal.id)
    assert isinstance(card, SendPhoto) and "Lan" in (card.caption or "")
    assert "Chứng nhận hoàn thành" in (card.caption or "")
    await harness.press(principal, harness.button(principal, "Từ chối"))
    assert "lý do" in harness.last_text(principal)
    await harness.say(principal, "Ảnh mờ, không đọc được tên")
    notice = harness.last_text(parent)
    assert "chưa được chấp nhận" in notice and "Ảnh mờ" in notice
    again = harness.button(parent, "Báo cáo lại")
    assert "Không còn minh chứng" not in harness.last_text(principal)

    await harness.say(parent, "/progress")
    assert "chưa được chấp nhận: Ảnh mờ" in harness.last_text(parent)
    await harness.press(parent, again)
    await harness.photo(parent, caption="Ảnh rõ hơn")
    await harness.press(parent, harness.button(parent, "Gửi"))
    await harness.say(principal, "/review")
    await harness.press(principal, harness.button(principal, "Duyệt"))
    assert "đã được nhà trường xác nhận" in harness.last_text(parent)
    assert "không còn minh chứng" in harness.last_text(principal).lower()

    await harness.say(parent, "/progress")
    progress = harness.last_text(parent)
    assert "đã xác nhận" in progress and "1/7" in progress
    await harness.say(teacher, "/class")
    view = harness.last_text(teacher)
    assert "10A1" in view
    assert "Hoàn thành khóa học trên nền tảng Bình dân học vụ số: 1/1" in view
    assert "chưa báo cáo: Lan" in view


async def test_pressing_approve_twice_or_from_another_school(harness: Harness) -> None:
    school_id, class_id = await school(harness)
    other_school = await harness.org(("province", "Hà Nội"), ("school", "THCS Khác"))
    principal, other, parent = Person(611, "HT"), Person(612, "HT khác"), Person(613, "Mai")
    await onboard(harness, principal, await harness.invite(school_id, "principal"))
    await onboard(harness, other, await harness.invite(other_school, "principal"))
    await onboard(harness, parent, await harness.invite(class_id, "parent"))
    await report_course_with_photo(harness, parent)

    await harness.say(principal, "/review")
    approve = harness.button(principal, "Duyệt")
    report_id = ReviewCallback.unpack(approve).id
    await harness.say(other, "/review")
    assert "không còn minh chứng" in harness.last_text(other).lower()
    forged = ReviewCallback(v=VERSION, id=report_id, r=1, a="ok").pack()
    await harness.press(other, forged)
    assert "không thuộc trường" in harness.alerts()[-1]
    await harness.press(other, ReviewCallback(v=VERSION, id=report_id, r=1, a="no").pack())
    assert "không thuộc trường" in harness.alerts()[-1]
    await harness.press(principal, approve)
    await harness.press(principal, approve)
    assert "đã được xử lý" in harness.alerts()[-1]
    await harness.press(parent, forged)  # a parent pressing a principal's button
    await harness.press(principal, ReviewCallback(v=VERSION, id=99999, r=1, a="ok").pack())
    assert "không còn nữa" in harness.alerts()[-1]


async def test_withdraw_and_no_evidence_milestone(harness: Harness) -> None:
    _, class_id = await school(harness)
    parent = Person(621, "Bình")
    await onboard(harness, parent, await harness.invite(class_id, "parent"))
    await harness.say(parent, "/report")
    await harness.press(parent, harness.button(parent, "VNeID"))
    assert "ghi nhận ngay" in harness.last_text(parent)
    await harness.press(parent, harness.button(parent, "Gửi"))
    assert "đã được ghi nhận" in harness.last_text(parent)
    await harness.say(parent, "/report")
    assert "✅" in harness.button_label(parent, "VNeID")
    await harness.press(parent, harness.button(parent, "VNeID"))
    assert "Trạng thái: đã ghi nhận" in harness.last_text(parent)
    await harness.press(parent, harness.button(parent, "Rút lại"))
    assert "Đã rút lại" in harness.last_text(parent)
    await harness.say(parent, "/progress")
    assert "0/7" in harness.last_text(parent)


async def test_bad_evidence_is_refused_and_nothing_is_stored(harness: Harness) -> None:
    _, class_id = await school(harness)
    parent = Person(631, "Cường")
    await onboard(harness, parent, await harness.invite(class_id, "parent"))
    await harness.say(parent, "/report")
    await harness.press(parent, harness.button(parent, "Bình dân học vụ số"))
    await harness.photo(parent, size=21 * 1024 * 1024)
    assert "20 MB" in harness.last_text(parent)
    await harness.photo(parent, caption="x" * 1025)
    assert "1024" in harness.last_text(parent)
    await harness.say(parent, "đây là ảnh")
    assert "dưới dạng ảnh hoặc tệp" in harness.last_text(parent)
    await harness.press(parent, "f:1:report:milestone:staff_digital_signature")  # not a parent's
    await harness.say(parent, "/cancel")
    await harness.say(parent, "/report")
    await harness.press(parent, "f:1:report:milestone:staff_digital_signature")
    assert "tin nhắn trước" in harness.session.texts(parent.id)[-2]
    await harness.press(parent, "ra:1:staff_digital_signature")  # forged 'report again'
    assert "Quý phụ huynh muốn báo cáo tiêu chí nào?" in harness.last_text(parent)
    await harness.say(parent, "/progress")
    assert "0/7" in harness.last_text(parent)


async def test_roles_gate_the_new_commands(harness: Harness) -> None:
    _, class_id = await school(harness)
    parent, stranger = Person(641, "Dũng"), Person(642, "Lạ")
    await onboard(harness, parent, await harness.invite(class_id, "parent"))
    for command in ("/review", "/class"):
        await harness.say(parent, command)
        assert "không dành cho vai trò" in harness.last_text(parent)
    await harness.say(stranger, "/report")
    assert "đường liên kết mời" in harness.last_text(stranger)


async def test_an_old_card_cannot_decide_newer_evidence(harness: Harness) -> None:
    school_id, class_id = await school(harness)
    principal, parent = Person(651, "HT"), Person(652, "Hạnh")
    await onboard(harness, principal, await harness.invite(school_id, "principal"))
    await onboard(harness, parent, await harness.invite(class_id, "parent"))
    await report_course_with_photo(harness, parent, caption="ảnh cũ")
    await harness.say(principal, "/review")
    old_approve = harness.button(principal, "Duyệt")
    old_reject = harness.button(principal, "Từ chối")
    await report_course_with_photo(harness, parent, caption="ảnh mới")  # sent again meanwhile
    await harness.press(principal, old_approve)
    assert "gửi lại" in harness.alerts()[-1]
    card = harness.session.last(principal.id)
    assert "ảnh mới" in (card.caption or "")
    await harness.press(principal, old_reject)
    assert "gửi lại" in harness.alerts()[-1]
    await harness.say(parent, "/progress")
    assert "đang chờ xác nhận" in harness.last_text(parent)
    await harness.press(principal, harness.button(principal, "Duyệt"))
    assert "đã được nhà trường xác nhận" in harness.last_text(parent)


async def test_a_reason_typed_after_a_resubmission_rejects_nothing(harness: Harness) -> None:
    school_id, class_id = await school(harness)
    principal, parent = Person(661, "HT"), Person(662, "Khoa")
    await onboard(harness, principal, await harness.invite(school_id, "principal"))
    await onboard(harness, parent, await harness.invite(class_id, "parent"))
    await report_course_with_photo(harness, parent)
    await harness.say(principal, "/review")
    await harness.press(principal, harness.button(principal, "Từ chối"))
    await report_course_with_photo(harness, parent)
    await harness.say(principal, "Ảnh mờ")
    assert "gửi lại" in harness.session.texts(principal.id)[-2] or "gửi lại" in harness.last_text(
        principal
    )
    await harness.say(parent, "/progress")
    assert "đang chờ xác nhận" in harness.last_text(parent)
