"""/deadline and /deadlines through the real dispatcher, and their reminders."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from bot.jobs import JobContext
from bot.scheduler import Scheduler
from storage import campaigns
from storage.models import Person as PersonRow
from storage.models import Report, SchoolDeadline
from tests.handlers.test_onboarding import SCHOOL, onboard
from tests.support.harness import Harness, Person


async def deadlines(h: Harness) -> list[SchoolDeadline]:
    async with h.app.database.transaction() as session:
        return list(await session.scalars(select(SchoolDeadline).order_by(SchoolDeadline.id)))


async def add_deadline(h: Harness, principal: Person, title: str, day: str) -> None:
    await h.say(principal, "/deadline")
    await h.press(principal, h.button(principal, "Thêm hạn"))
    await h.say(principal, title)
    await h.say(principal, day)
    await h.press(principal, h.button(principal, "Phụ huynh"))
    await h.press(principal, h.button(principal, "Trước 7, 3 và 1 ngày"))
    await h.press(principal, h.button(principal, "VNeID"))
    assert "Lưu hạn này?" in h.last_text(principal)
    await h.press(principal, h.button(principal, "Lưu"))


async def test_principal_adds_a_deadline_parents_see_it_and_get_reminded(harness: Harness) -> None:
    h = harness
    school_id = await h.org(*SCHOOL)
    class_id = await h.org(*SCHOOL, ("class", "10A1"))
    principal, lan, minh = Person(701, "Hiệu trưởng"), Person(702, "Lan"), Person(703, "Minh")
    await onboard(h, principal, await h.invite(school_id, "principal"))
    await onboard(h, lan, await h.invite(class_id, "parent"))
    await onboard(h, minh, await h.invite(class_id, "parent"))

    await h.say(principal, "/deadline")
    assert "Chưa có hạn nào sắp tới" in h.last_text(principal)
    await h.press(principal, h.button(principal, "Thêm hạn"))
    await h.say(principal, "Cài đặt VNeID mức 2")
    await h.say(principal, "31/2/2027")
    assert "Lịch không có ngày 31/2/2027" in h.last_text(principal)
    await h.say(principal, "1/9/2026")
    assert "Ngày này đã qua" in h.last_text(principal)
    await h.say(principal, "1/9/2029")
    assert "xa hơn hai năm" in h.last_text(principal)
    await h.say(principal, "20/9/2026")
    await h.press(principal, h.button(principal, "Phụ huynh"))
    await h.press(principal, h.button(principal, "Trước 7, 3 và 1 ngày"))
    await h.press(principal, h.button(principal, "VNeID"))
    summary = h.last_text(principal)
    assert "Hạn: 20/9/2026" in summary and "trước hạn 7, 3, 1 ngày" in summary
    await h.press(principal, h.button(principal, "Lưu"))
    assert "Đã lưu: “Cài đặt VNeID mức 2”, hạn 20/9/2026" in h.last_text(principal)
    [saved] = await deadlines(h)
    assert (saved.org_id, saved.audience, saved.remind_days_before) == (
        school_id,
        "parent",
        "7,3,1",
    )
    assert saved.due_date == date(2026, 9, 20) and saved.completes == "vneid_level2"

    await h.say(lan, "/deadlines")
    listing = h.last_text(lan)
    assert "20/9/2026 — Cài đặt VNeID mức 2 (còn 15 ngày)" in listing and "✅" not in listing
    async with h.app.database.transaction() as session:
        minh_id = (
            await session.scalars(select(PersonRow.id).where(PersonRow.tg_user_id == minh.id))
        ).one()
        campaign = await campaigns.active(session)
        assert campaign is not None
        campaign_id = campaign.id
        session.add(
            Report(
                person_id=minh_id,
                campaign_id=campaign_id,
                milestone_key="vneid_level2",
                status="accepted",
                reported_at=h.clock.now(),
            )
        )
    await h.say(minh, "/deadlines")
    assert "(còn 15 ngày) ✅" in h.last_text(minh)

    # 13/9 at 08:00 local (01:00 UTC) is 7 days before: Lan is reminded, Minh has done it.
    before = {p.id: len(h.session.texts(p.id)) for p in (principal, lan, minh)}
    scheduler = Scheduler(JobContext(h.app.shared, h.app.database, h.clock))
    h.clock.at = datetime(2026, 9, 13, 0, 59, tzinfo=h.clock.at.tzinfo)
    assert (await scheduler.tick() or {})["remind"] == 0
    h.clock.advance(timedelta(minutes=1))
    assert (await scheduler.tick() or {})["remind"] == 1
    assert (await scheduler.tick() or {})["remind"] == 0
    h.app.outbox.wake()
    await h.sent()
    reminder = h.last_text(lan)
    assert reminder.startswith("⏰ Kính nhắc Quý phụ huynh") and "20/9/2026" in reminder
    assert "còn 7 ngày" in reminder and "/report" in reminder
    assert len(h.session.texts(lan.id)) == before[lan.id] + 1
    assert len(h.session.texts(minh.id)) == before[minh.id]
    assert len(h.session.texts(principal.id)) == before[principal.id]

    await h.say(principal, "/deadline")
    assert "Cài đặt VNeID mức 2" in h.last_text(principal)
    await h.press(principal, h.button(principal, "✖️ 20/9/2026"))
    assert "Huỷ hạn “Cài đặt VNeID mức 2” (20/9/2026)?" in h.last_text(principal)
    await h.press(principal, h.button(principal, "Đồng ý huỷ"))
    assert "Đã huỷ hạn" in h.last_text(principal)
    assert (await deadlines(h))[0].cancelled
    await h.say(lan, "/deadlines")
    assert "chưa có hạn nào sắp tới cần lưu ý" in h.last_text(lan)
    h.clock.advance(timedelta(days=4))  # 17/9, 3 days before: cancelled, so nothing
    assert (await scheduler.tick() or {})["remind"] == 0


async def test_parents_cannot_set_deadlines_and_principals_see_the_packs(harness: Harness) -> None:
    h = harness
    school_id = await h.org(*SCHOOL)
    class_id = await h.org(*SCHOOL, ("class", "10A1"))
    principal, lan = Person(711, "Hiệu trưởng"), Person(712, "Lan")
    await onboard(h, principal, await h.invite(school_id, "principal"))
    await onboard(h, lan, await h.invite(class_id, "parent"))
    await h.say(lan, "/deadline")
    assert "lệnh /deadline không dành cho vai trò" in h.last_text(lan)
    assert await deadlines(h) == []
    await h.say(lan, "/deadlines")
    assert "chưa có hạn nào sắp tới cần lưu ý" in h.last_text(lan)

    await h.say(principal, "/deadlines")
    listing = h.last_text(principal)
    assert "Các hạn sắp tới:" in listing
    # A Bắc Ninh school: its own calendar, not Khánh Hòa's 20/5–30/5 nor Quảng Ngãi's 15/6.
    assert "31/5/2027 — Nộp bản tự đánh giá" in listing
    for other in ("20/5/2027", "25/5/2027", "27/5/2027", "30/5/2027", "15/6/2027"):
        assert other not in listing, other
    assert "30/8/2026" not in listing  # Bắc Ninh's shortlist, already past on 5/9/2026
    h.clock.at = h.clock.at - timedelta(days=40)
    await h.say(principal, "/deadlines")
    listing = h.last_text(principal)
    assert "30/8/2026 — Gửi danh sách tập thể, cá nhân tiêu biểu về Sở GDĐT Bắc Ninh" in listing
    assert listing.index("30/8/2026") < listing.index("31/5/2027")


async def test_department_officer_sets_a_deadline_for_the_schools_below(harness: Harness) -> None:
    h = harness
    province_id = await h.org(SCHOOL[0])
    class_id = await h.org(*SCHOOL, ("class", "10A1"))
    other_class = await h.org(("province", "Khánh Hòa"), ("school", "THPT B"), ("class", "6A"))
    officer, teacher, far = Person(721, "Sở"), Person(722, "Cô Hoa"), Person(723, "Thầy Nam")
    await onboard(h, officer, await h.invite(province_id, "dept_admin"))
    await onboard(h, teacher, await h.invite(class_id, "staff"))
    await onboard(h, far, await h.invite(other_class, "staff"))
    await h.say(officer, "/deadline")
    await h.press(officer, h.button(officer, "Thêm hạn"))
    await h.say(officer, "Báo cáo sơ kết học kỳ")
    await h.say(officer, "15/1/2027")
    await h.press(officer, h.button(officer, "Cán bộ, giáo viên"))
    await h.press(officer, h.button(officer, "Trước 3 ngày"))
    await h.press(officer, h.button(officer, "Không gắn tiêu chí"))
    await h.press(officer, h.button(officer, "Lưu"))
    [saved] = await deadlines(h)
    assert saved.org_id == province_id and saved.audience == "staff,principal"
    await h.say(teacher, "/deadlines")
    assert "15/1/2027 — Báo cáo sơ kết học kỳ" in h.last_text(teacher)
    await h.say(far, "/deadlines")
    assert "Báo cáo sơ kết học kỳ" not in h.last_text(far)
