"""A unit head and a homeroom teacher report for their unit and class, an initiative is
reported with its level, and quiz milestones cannot be ticked: through the real dispatcher."""

from __future__ import annotations

import pytest

from bot.handlers.callbacks import VERSION, AgainCallback
from bot.handlers.conversation import button_data
from tests.handlers.test_onboarding import SCHOOL, onboard
from tests.support.harness import Harness, Person

UNIT = ("unit", "Tổ Toán - Tin")


@pytest.fixture
def h(harness: Harness) -> Harness:
    return harness


PDF = ("dang-ky.pdf", "application/pdf", 40_000)


async def people(h: Harness) -> tuple[Person, Person, Person, Person, int, int]:
    school_id = await h.org(*SCHOOL)
    unit_id = await h.org(*SCHOOL, UNIT)
    class_id = await h.org(*SCHOOL, ("class", "10A1"))
    principal, head, homeroom, member = (
        Person(701, "Hiệu trưởng"),
        Person(702, "Trần Văn Nam"),
        Person(703, "Lê Thị Hoa"),
        Person(704, "Phạm Minh"),
    )
    await onboard(h, principal, await h.invite(school_id, "principal"))
    await onboard(h, head, await h.invite(unit_id, "staff", head=True))
    await onboard(h, homeroom, await h.invite(class_id, "staff"))
    await onboard(h, member, await h.invite(unit_id, "staff"))
    return principal, head, homeroom, member, unit_id, class_id


async def test_unit_head_reports_for_the_unit_and_the_principal_verifies(h: Harness) -> None:
    principal, head, homeroom, member, unit_id, _ = await people(h)

    await h.say(head, "/report")
    listing = h.last_text(head)
    assert "Cho Tổ Toán - Tin:" in listing and "Tổ có kế hoạch chi tiết" in listing
    assert "Lớp hướng dẫn cha mẹ" not in listing  # a class's milestone, not a unit's
    label = h.button_label(head, "Đăng ký thi đua tập thể")
    assert label.endswith("(cho Tổ Toán - Tin)")
    await h.press(head, h.button(head, "Đăng ký thi đua tập thể"))
    await h.document(head, *PDF)
    confirm = h.last_text(head)
    assert "Cho: Tổ Toán - Tin" in confirm
    await h.press(head, h.button(head, "Gửi"))
    assert "để nhà trường xác nhận" in h.last_text(head)

    # A member of the unit who does not head it has only their own milestones.
    await h.say(member, "/report")
    assert "Cho Tổ Toán - Tin" not in h.last_text(member)
    forged = button_data("report", "milestone", f"collective_registered@{unit_id}")
    await h.press(member, forged)
    assert "Đăng ký thi đua tập thể" not in h.last_text(member)

    await h.say(principal, "/review")
    card = h.session.last(principal.id)
    caption = getattr(card, "caption", None) or ""
    assert "Trần Văn Nam" in caption and "Cho: Tổ Toán - Tin" in caption
    assert "Đăng ký thi đua tập thể" in caption
    await h.press(principal, h.button(principal, "Duyệt"))
    assert "đã được nhà trường xác nhận" in h.last_text(head)

    await h.say(head, "/progress")
    progress = h.last_text(head)
    assert "Tiến độ của Tổ Toán - Tin: đã đạt 1/3 tiêu chí." in progress
    assert "✅ Đăng ký thi đua tập thể đầu năm học — đã xác nhận" in progress

    await h.say(principal, "/progress")
    school_view = h.last_text(principal)
    assert "THPT Lý Thái Tổ so với chỉ tiêu kế hoạch:" in school_view
    assert "Tổ đăng ký thi đua tập thể: 1/1" in school_view
    assert "Lớp đăng ký thi đua tập thể: 0/1" in school_view

    await h.say(head, "/class")
    assert "Kết quả của tập thể tổ:" in h.last_text(head)
    await h.say(homeroom, "/class")
    class_view = h.last_text(homeroom)
    assert "Kết quả của tập thể lớp:" in class_view
    assert "▫️ Đăng ký thi đua tập thể đầu năm học" in class_view


async def test_homeroom_teacher_reports_for_the_class_and_is_told_of_a_rejection(
    h: Harness,
) -> None:
    principal, _, homeroom, _, _, class_id = await people(h)
    await h.say(homeroom, "/report")
    assert "Cho lớp 10A1:" in h.last_text(homeroom)
    await h.press(homeroom, h.button(homeroom, "Lớp hướng dẫn cha mẹ"))
    await h.photo(homeroom, caption="Buổi họp phụ huynh")
    await h.press(homeroom, h.button(homeroom, "Gửi"))
    await h.say(principal, "/review")
    assert "Cho: lớp 10A1" in (getattr(h.session.last(principal.id), "caption", None) or "")
    await h.press(principal, h.button(principal, "Từ chối"))
    await h.say(principal, "Ảnh không rõ")
    notice = h.last_text(homeroom)
    assert "chưa được chấp nhận" in notice and "Ảnh không rõ" in notice
    # "Report again" opens the class's milestone, not a personal one.
    again = h.button(homeroom, "Báo cáo lại")
    assert AgainCallback.unpack(again).m == f"class_parents_guided@{class_id}"
    await h.press(homeroom, again)
    await h.photo(homeroom, caption="Ảnh rõ")
    assert "Cho: lớp 10A1" in h.last_text(homeroom)


async def test_initiative_is_reported_with_its_level(h: Harness) -> None:
    principal, _, _, member, _, _ = await people(h)
    await h.say(member, "/report")
    await h.press(member, h.button(member, "sáng kiến"))
    assert "Cấp nào đã công nhận?" in h.last_text(member)
    assert [label for label, _ in h.buttons(member)] == [
        "Cấp trường",
        "Cấp xã, phường",
        "Cấp tỉnh",
        "Cấp toàn quốc",
    ]
    await h.press(member, h.button(member, "Cấp tỉnh"))
    await h.document(member, "sang-kien.pdf", "application/pdf", 80_000)
    assert "Được công nhận: Cấp tỉnh" in h.last_text(member)
    await h.press(member, h.button(member, "Gửi"))
    await h.say(principal, "/review")
    caption = getattr(h.session.last(principal.id), "caption", None) or ""
    assert "Được công nhận: Cấp tỉnh" in caption and "Phạm Minh" in caption
    await h.press(principal, h.button(principal, "Duyệt"))
    await h.say(member, "/progress")
    assert "— đã xác nhận (Cấp tỉnh)" in h.last_text(member)


async def test_quiz_milestones_are_not_reportable(h: Harness) -> None:
    _, _, _, member, _, _ = await people(h)
    await h.say(member, "/report")
    assert "lừa đảo" not in h.last_text(member)
    await h.press(member, button_data("report", "milestone", "spots_online_fraud"))
    assert "lừa đảo" not in h.last_text(member)
    # A forged "report again" for it opens the list, not the milestone.
    await h.press(member, AgainCallback(v=VERSION, m="spots_online_fraud").pack())
    assert "muốn báo cáo" in h.last_text(member)
    await h.say(member, "/progress")
    assert "đạt được khi làm đạt bài trắc nghiệm" in h.last_text(member)


async def test_mydata_shows_the_head_and_what_was_sent_for_the_unit(h: Harness) -> None:
    _, head, _, _, _, _ = await people(h)
    await h.say(head, "/report")
    await h.press(head, h.button(head, "Đăng ký thi đua tập thể"))
    await h.document(head, *PDF)
    await h.press(head, h.button(head, "Gửi"))
    await h.say(head, "/mydata")
    data = h.last_text(head)
    assert "là tổ trưởng của tổ này" in data
    assert "Báo cáo đã gửi cho lớp hoặc tổ" in data
    assert "• Tổ Toán - Tin: Đăng ký thi đua tập thể đầu năm học" in data


async def test_a_member_who_opens_the_head_invite_becomes_the_head(h: Harness) -> None:
    _, _, _, member, unit_id, _ = await people(h)
    await h.say(member, "/report")
    assert "Cho Tổ Toán - Tin" not in h.last_text(member)
    code = await h.invite(unit_id, "staff", head=True)
    await h.say(member, f"/start {code}")
    assert "đã là tổ trưởng của Tổ Toán - Tin" in h.last_text(member)
    await h.say(member, "/report")
    assert "Cho Tổ Toán - Tin:" in h.last_text(member)
