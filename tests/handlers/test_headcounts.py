"""Headcounts through the real dispatcher: "Sĩ số" under /class, then reach and progress."""

from __future__ import annotations

from sqlalchemy import select

from bot.handlers.callbacks import VERSION, HeadcountCallback
from storage.models import AuditEntry, Headcount
from tests.handlers.test_onboarding import SCHOOL, onboard
from tests.handlers.test_reports import school
from tests.support.harness import Harness, Person

FAMILIES = "90% học sinh, cha mẹ học sinh tiếp cận dịch vụ số giáo dục (chỉ tiêu đến năm 2026)"  # Bắc Ninh's target


def headcount(org_id: int) -> str:
    return HeadcountCallback(v=VERSION, o=org_id).pack()


async def recorded(h: Harness) -> set[tuple[int, str, int, str]]:
    async with h.app.database.transaction() as session:
        return {
            (r.org_id, r.kind, r.count, r.source) for r in await session.scalars(select(Headcount))
        }


async def audited(h: Harness) -> list[tuple[int | None, str, str | None, dict]]:
    async with h.app.database.transaction() as session:
        query = select(AuditEntry).where(AuditEntry.action == "headcount.set")
        return [
            (a.actor_tg_id, a.action, a.target, a.details) for a in await session.scalars(query)
        ]


async def report_services(h: Harness, who: Person) -> None:
    await h.say(who, "/report")
    await h.press(who, h.button(who, "dịch vụ số của nhà trường"))
    await h.press(who, h.button(who, "Gửi"))


async def test_a_teacher_records_the_class_and_the_indicators_divide_by_it(
    harness: Harness,
) -> None:
    h = harness
    _, class_id = await school(h)
    await h.org(*SCHOOL, ("class", "10A2"))  # not the teacher's: never offered to them
    teacher = Person(901, "Cô Hoa")
    parents = [Person(902, "Lan"), Person(903, "Mai"), Person(904, "Nam")]
    await onboard(h, teacher, await h.invite(class_id, "staff"))
    for parent in parents:
        await onboard(h, parent, await h.invite(class_id, "parent"))
    for parent in parents[:2]:
        await report_services(h, parent)

    await h.say(teacher, "/class")
    view = h.last_text(teacher)
    assert (
        f"⚠️ {FAMILIES}: 2 người hoàn thành, 3 người tham gia; chưa có sĩ số nên chưa tính "
        "được tỉ lệ (chỉ tiêu 90%)"
    ) in view
    assert "100%" not in view  # 2 of 3 joined is not the class's share
    assert "Cán bộ" not in view  # a class's view: its families' indicators
    await h.press(teacher, h.button(teacher, "Sĩ số"))
    ask = h.last_text(teacher)
    assert "Lớp 10A1 có bao nhiêu học sinh? Thầy/Cô vui lòng nhập số." in ask
    assert "Đến nay đã có 3 phụ huynh và học sinh của lớp tham gia bot." in ask
    assert "Quý vị" not in ask and " em " not in ask

    for typed, answer in (
        ("bốn mươi", "Thầy/Cô vui lòng nhập số bằng chữ số, ví dụ 40."),
        ("-40", "Sĩ số không thể là số âm."),
        ("6000", "Thầy/Cô vui lòng nhập một số từ 1 đến 5.000."),
        ("2", "Lớp 10A1 đã có 3 người tham gia bot, nên sĩ số ít nhất là 3."),
    ):
        await h.say(teacher, typed)
        assert answer in h.last_text(teacher), (typed, h.last_text(teacher))
        assert "Lớp 10A1 có bao nhiêu học sinh?" in h.last_text(teacher)  # asked again
    assert await recorded(h) == set()

    await h.say(teacher, "40")
    saved = h.last_text(teacher)
    assert "Đã lưu: lớp 10A1 có 40 học sinh." in saved and "Trước đó" not in saved
    assert await recorded(h) == {(class_id, "students", 40, "chat")}
    assert await audited(h) == [
        (
            teacher.id,
            "headcount.set",
            f"org_unit:{class_id}",
            {"kind": "students", "count": 40, "before": None},
        )
    ]

    # Reach 3 of 40, progress 2 of 40: not 67% of those who joined.
    await h.say(teacher, "/class")
    view = h.last_text(teacher)
    assert (f"⚠️ {FAMILIES}: hoàn thành 2/40 (5%), tham gia 3/40 (7,5%); chỉ tiêu 90%") in view, view

    # Someone joins while the teacher is typing: the finisher checks again.
    await h.press(teacher, h.button(teacher, "Sĩ số"))
    assert "Sĩ số đang ghi: 40." in h.last_text(teacher)
    await onboard(h, Person(905, "Bình"), await h.invite(class_id, "parent"))
    await h.say(teacher, "3")
    assert "Lớp 10A1 đã có 4 người tham gia bot, nên sĩ số ít nhất là 4" in h.last_text(teacher)
    assert await recorded(h) == {(class_id, "students", 40, "chat")}


async def test_a_principal_records_the_staff_and_any_class(harness: Harness) -> None:
    h = harness
    school_id, class_id = await school(h)
    other_class = await h.org(*SCHOOL, ("class", "10A2"))
    principal, teacher = Person(911, "Thầy Minh"), Person(912, "Cô Hoa")
    await onboard(h, principal, await h.invite(school_id, "principal"))
    await onboard(h, teacher, await h.invite(class_id, "staff"))

    await h.say(principal, "/class")
    view = h.last_text(principal)
    assert "THPT Lý Thái Tổ" in view and "chưa có sĩ số" in view
    await h.press(principal, h.button(principal, "Sĩ số"))
    assert "Thầy/Cô muốn ghi sĩ số nào?" in h.last_text(principal)
    labels = [label for label, _ in h.buttons(principal)]
    assert labels == [
        "👥 Cán bộ, giáo viên, nhân viên của trường: chưa có",
        "Lớp 10A1: chưa có sĩ số",
        "Lớp 10A2: chưa có sĩ số",
    ]
    await h.press(principal, h.button(principal, "Cán bộ"))
    ask = h.last_text(principal)
    assert "THPT Lý Thái Tổ có bao nhiêu cán bộ, giáo viên, nhân viên (kể cả Ban giám hiệu)?" in ask
    # The principal and the teacher: principals are staff in the staff indicators.
    assert "Đến nay đã có 2 cán bộ, giáo viên, nhân viên của trường tham gia bot." in ask
    await h.say(principal, "1")
    assert "THPT Lý Thái Tổ đã có 2 cán bộ, giáo viên, nhân viên tham gia bot" in h.last_text(
        principal
    )
    await h.say(principal, "50")
    assert "Đã lưu: THPT Lý Thái Tổ có 50 cán bộ, giáo viên, nhân viên." in h.last_text(principal)

    await h.say(principal, "/class")
    await h.press(principal, h.button(principal, "Sĩ số"))
    await h.press(principal, h.button(principal, "10A2"))
    await h.say(principal, "35")
    await h.say(principal, "/class")
    await h.press(principal, h.button(principal, "Sĩ số"))
    assert "Lớp 10A2: 35 học sinh" in h.button_label(principal, "10A2")
    await h.press(principal, h.button(principal, "10A2"))
    await h.say(principal, "36")
    assert "Trước đó là 35." in h.last_text(principal)
    assert await recorded(h) == {
        (school_id, "staff", 50, "chat"),
        (other_class, "students", 36, "chat"),
    }

    await h.say(principal, "/class")
    view = h.last_text(principal)
    # Staff: 0 of 50 did it, 2 of 50 joined. Families: 10A2 has 36, nobody joined; 10A1 has
    # no headcount yet.
    assert "hoàn thành 0/50 (0%), tham gia 2/50 (4%); chỉ tiêu 100%" in view, view
    assert (
        f"⚠️ {FAMILIES}: hoàn thành 0/36 (0%), tham gia 0/36 (0%); chỉ tiêu 90%\n"
        "   Số lớp chưa có sĩ số: 1."
    ) in view, view


async def test_forged_headcount_buttons_open_nothing(harness: Harness) -> None:
    h = harness
    school_id, class_id = await school(h)
    other_school = await h.org(("province", "Hà Nội"), ("school", "THCS Khác"))
    other_class = await h.org(("province", "Hà Nội"), ("school", "THCS Khác"), ("class", "6A"))
    sibling = await h.org(*SCHOOL, ("class", "10A2"))
    principal, stranger_principal = Person(921, "HT"), Person(922, "HT khác")
    teacher, other_teacher, parent = Person(923, "GV"), Person(924, "GV khác"), Person(925, "PH")
    await onboard(h, principal, await h.invite(school_id, "principal"))
    await onboard(h, stranger_principal, await h.invite(other_school, "principal"))
    await onboard(h, teacher, await h.invite(class_id, "staff"))
    await onboard(h, other_teacher, await h.invite(other_class, "staff"))
    await onboard(h, parent, await h.invite(class_id, "parent"))

    refusal = "Thầy/Cô không phụ trách lớp hoặc trường này nên không có gì thay đổi."
    for who, org in (
        (stranger_principal, school_id),  # another school's principal
        (stranger_principal, class_id),
        (other_teacher, class_id),  # another school's teacher
        (teacher, sibling),  # a class of the same school that is not theirs
        (teacher, school_id),  # a teacher is not the school's principal
        (principal, other_class),  # another school's class
        (principal, class_id),  # a principal opens from their school, not from a class
    ):
        await h.press(who, headcount(org))
        assert h.alerts()[-1] == refusal, (who.id, org)
    await h.press(parent, headcount(class_id))  # not a teacher's button at all
    assert "tin nhắn trước" in h.alerts()[-1]
    await h.press(teacher, f"hc:{VERSION}:0")  # not an id
    await h.press(teacher, f"hc:{VERSION}:{class_id}:x")  # not the shape
    assert await recorded(h) == set() and await audited(h) == []

    # The flow's own buttons cannot be forged for another school's class either.
    await h.press(principal, headcount(school_id))
    await h.press(principal, f"f:1:headcount:place:c{other_class}")
    assert "tin nhắn trước" in h.alerts()[-1] or "tin nhắn trước" in h.last_text(principal)
    await h.say(principal, "40")  # still at the pick: typed text is not a number of a place
    assert await recorded(h) == set()
