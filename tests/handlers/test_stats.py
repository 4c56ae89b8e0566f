"""/stats through the real dispatcher: tallies as text, bars as a photo drawn in a worker
process, drill-down and back, the weekly line, quiz standings, the QĐ 4725 entries, and
forged or out-of-role presses."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from aiogram.methods import SendPhoto
from aiogram.types import BufferedInputFile
from sqlalchemy import select

from bot.handlers.callbacks import VERSION, StatsCallback
from bot.jobs import JobContext
from bot.services import charts, snapshots
from bot.services import stats as stats_service
from storage import headcounts, school_entries
from storage.models import AuditEntry, SelfAssessmentEntry
from tests.handlers.test_headcounts import report_services
from tests.handlers.test_onboarding import SCHOOL, onboard
from tests.support.harness import Harness, Person

PNG = b"\x89PNG\r\n\x1a\n"
FAMILIES = "90% học sinh, cha mẹ học sinh tiếp cận dịch vụ số giáo dục"


def stats(org_id: int, action: str = "show", i: int = 0, p: int = 0) -> str:
    return StatsCallback(v=VERSION, o=org_id, a=action, i=i, p=p).pack()  # type: ignore[arg-type]


def photos(h: Harness, who: Person) -> list[SendPhoto]:
    return [m for m in h.session.sent(who.id) if isinstance(m, SendPhoto)]


def png_of(photo: SendPhoto) -> bytes:
    assert isinstance(photo.photo, BufferedInputFile)
    return photo.photo.data


async def a_school(h: Harness) -> dict[str, int]:
    ids = {"school": await h.org(*SCHOOL)}
    for name in ("10A1", "10A2"):
        ids[name] = await h.org(*SCHOOL, ("class", name))
    ids["unit"] = await h.org(*SCHOOL, ("unit", "Tổ Toán"))
    async with h.app.database.transaction() as session:
        await headcounts.put(session, ids["10A1"], "students", 4, "teacher", h.clock.now())
        await headcounts.put(session, ids["school"], "staff", 10, "principal", h.clock.now())
    return ids


async def test_a_principal_sees_the_school_and_drills_down_to_a_class_and_back(
    harness: Harness,
) -> None:
    h = harness
    ids = await a_school(h)
    principal = Person(951, "Thầy Minh")
    await onboard(h, principal, await h.invite(ids["school"], "principal"))
    parents = [Person(952 + n, f"Phụ huynh {n}") for n in range(3)]
    for parent in parents:
        await onboard(h, parent, await h.invite(ids["10A1"], "parent"))
    for parent in parents[:2]:
        await report_services(h, parent)

    await h.say(principal, "/stats")
    texts = h.session.texts(principal.id)
    view = next(t for t in texts if t.startswith("📊 THPT Lý Thái Tổ"))
    # 10A1 has a headcount of 4: 2 did it (50%), 3 joined (75%); 10A2 has none.
    assert f"{FAMILIES}" in view and "2/4 (50%)" in view and "3/4 (75%)" in view
    assert "Số lớp chưa có sĩ số: 1." in view
    assert "Tự đánh giá QĐ 4725 2026–2027: chưa nhập" in view
    (photo,) = photos(h, principal)
    assert png_of(photo).startswith(PNG)
    assert photo.caption and "THPT Lý Thái Tổ" in photo.caption
    labels = [label for label, _ in h.buttons(principal)]
    # The first indicator is the staff's: bars and drill-down by unit.
    assert "🔎 Tổ Toán" in labels and "🔎 10A1" not in labels
    assert any("Tự đánh giá" in label for label in labels)
    assert not any("Quay lại" in label for label in labels)  # the top of the principal's tree

    # The next indicator, the families': another chart by class, no repeated text.
    before = len(h.session.texts(principal.id))
    await h.press(principal, h.button(principal, "Chỉ số tiếp"))
    assert len(h.session.texts(principal.id)) == before + 1 and len(photos(h, principal)) == 2
    assert FAMILIES in (photos(h, principal)[-1].caption or "")
    labels = [label for label, _ in h.buttons(principal)]
    assert "🔎 10A1" in labels and "🔎 10A2" in labels and "🔎 Tổ Toán" not in labels

    # Down to 10A1 and back up.
    await h.press(principal, stats(ids["10A1"]))
    class_view = next(t for t in reversed(h.session.texts(principal.id)) if t.startswith("📊"))
    assert class_view.startswith("📊 10A1") and "2/4 (50%)" in class_view
    assert "Cán bộ" not in class_view  # a class: its families' indicators
    await h.press(principal, h.button(principal, "Quay lại THPT Lý Thái Tổ"))
    assert h.session.texts(principal.id)[-2].startswith("📊 THPT Lý Thái Tổ")

    # The weekly line: none until the scheduler's first snapshot, then a photo.
    await h.press(principal, stats(ids["school"], "week"))
    assert "Chưa có số liệu theo tuần" in h.last_text(principal)
    ctx = JobContext(h.app.shared, h.app.database, h.clock)
    assert await snapshots.weekly(ctx, h.clock.now()) >= 1
    count = len(photos(h, principal))
    await h.press(principal, stats(ids["school"], "week"))
    assert len(photos(h, principal)) == count + 1
    assert "Theo tuần" in (photos(h, principal)[-1].caption or "")

    await h.press(principal, stats(ids["school"], "quiz"))
    standings = h.last_text(principal)
    # A school ranks its classes: 10A1 has the three parents, none took it yet.
    assert "1. 10A1: 0% — 0/3" in standings and "THPT Lý Thái Tổ:" not in standings


async def test_a_principal_enters_the_4725_scores_and_a_figure(harness: Harness) -> None:
    h = harness
    ids = await a_school(h)
    principal = Person(951, "Thầy Minh")
    await onboard(h, principal, await h.invite(ids["school"], "principal"))

    # QĐ 4725: scores, a wrong one asked again, the mandatory items, the level.
    await h.press(principal, stats(ids["school"], "sa"))
    assert "(từ 0 đến 100)" in h.last_text(principal)
    await h.say(principal, "bảy mươi")
    assert "từ 0 đến 100" in h.last_text(principal)
    await h.say(principal, "72,5")
    await h.say(principal, "150")
    assert "từ 0 đến 100" in h.last_text(principal)
    await h.say(principal, "60")
    for label, _ in list(h.buttons(principal))[:-1]:
        await h.press(principal, h.button(principal, label[2:12]))
    await h.press(principal, h.button(principal, "Xong"))
    assert "Mức 2: đạt chỉ tiêu (Mức 2)" in h.last_text(principal)  # 60 is the weakest
    await h.press(principal, h.button(principal, "Lưu"))
    assert "mức 2" in h.last_text(principal)
    async with h.app.database.transaction() as session:
        (entry,) = await session.scalars(select(SelfAssessmentEntry))
        assert (entry.level, entry.scores) == (2, {"teaching": 72.5, "management": 60.0})
        actions = {a.action for a in await session.scalars(select(AuditEntry))}
    assert "self_assessment.enter" in actions
    await h.say(principal, "/stats")
    view = next(t for t in reversed(h.session.texts(principal.id)) if t.startswith("📊 THPT"))
    assert "✅ Tự đánh giá QĐ 4725 2026–2027: mức 2" in view

    # A school figure: more than out of is refused, then saved.
    await h.press(principal, stats(ids["school"], "fig"))
    await h.press(principal, h.buttons(principal)[0][1])
    await h.say(principal, "160/150")
    assert "Số đạt không thể lớn hơn tổng số" in h.last_text(principal)
    await h.say(principal, "120/150")
    assert "120/150 (80%)" in h.last_text(principal)


async def test_forged_presses_and_other_roles_see_nothing(harness: Harness) -> None:
    h = harness
    ids = await a_school(h)
    other = await h.org(("province", "Bắc Ninh"), ("school", "THCS Tam Sơn"))
    principal, teacher = Person(961, "Thầy Minh"), Person(962, "Cô Hoa")
    await onboard(h, principal, await h.invite(ids["school"], "principal"))
    await onboard(h, teacher, await h.invite(ids["10A1"], "staff"))

    for forged in (stats(other), stats(other, "sa"), stats(other, "week"), stats(10**12)):
        await h.press(principal, forged)
        assert "không thuộc phạm vi" in h.alerts()[-1]
    assert not photos(h, principal)
    await h.press(principal, "st:1:1:drop:0:0")  # an action that does not exist
    await h.press(principal, f"st:1:{ids['school']}:show:0:5000")  # a page out of range
    assert not photos(h, principal)

    await h.say(teacher, "/stats")
    assert "/stats" in h.last_text(teacher) and "📊" not in h.last_text(teacher)
    await h.press(teacher, stats(ids["10A1"]))
    assert not photos(h, teacher)


async def test_a_department_sees_its_schools_and_cannot_enter_for_them(harness: Harness) -> None:
    h = harness
    ids = await a_school(h)
    province = await h.org(("province", "Bắc Ninh"))
    officer = Person(971, "Chị Hà")
    await onboard(h, officer, await h.invite(province, "dept_admin"))
    await h.say(officer, "/stats")
    assert any(t.startswith("📊 Bắc Ninh") for t in h.session.texts(officer.id))
    (photo,) = photos(h, officer)
    assert png_of(photo).startswith(PNG)
    labels = [label for label, _ in h.buttons(officer)]
    assert "🔎 Từ Sơn" in labels
    await h.press(officer, stats(ids["school"]))
    labels = [label for label, _ in h.buttons(officer)]
    assert not any("Tự đánh giá" in label for label in labels)
    assert any("Quay lại Từ Sơn" in label for label in labels)
    await h.press(officer, stats(ids["school"], "sa"))
    assert "Hiệu trưởng" in h.alerts()[-1]


async def test_an_empty_school_says_so_and_draws_nothing(harness: Harness) -> None:
    h = harness
    school = await h.org(("province", "Bắc Ninh"), ("school", "THCS Tam Sơn"))
    principal = Person(981, "Cô Lan")
    await onboard(h, principal, await h.invite(school, "principal"))
    await h.say(principal, "/stats")
    view = next(t for t in h.session.texts(principal.id) if t.startswith("📊 THCS Tam Sơn"))
    assert "chưa có lớp, tổ hay trường trực thuộc" in view
    # What counts classes or units has nothing to divide: said so, not 0/0 (0%).
    assert "➖ Lớp đăng ký thi đua tập thể: chưa có đơn vị nào để tính (chỉ tiêu 100%)" in view
    assert "0/0" not in view
    assert not photos(h, principal)
    labels = [label for label, _ in h.buttons(principal)]
    assert "📈 Theo tuần" in labels and not any(label.startswith("🔎") for label in labels)


async def test_the_bars_carry_each_classs_progress_reach_and_target(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What goes to the worker: the solid bar is who did it, the light one who joined,
    both of the class's headcount, and the target line is the plan's share."""
    h = harness
    ids = await a_school(h)
    principal = Person(991, "Thầy Minh")
    await onboard(h, principal, await h.invite(ids["school"], "principal"))
    parents = [Person(992 + n, f"Phụ huynh {n}") for n in range(3)]
    for parent in parents:
        await onboard(h, parent, await h.invite(ids["10A1"], "parent"))
    for parent in parents[:2]:
        await report_services(h, parent)
    drawn: list[charts.Bars] = []

    async def draw(work: object, chart: charts.Bars) -> bytes:
        drawn.append(chart)
        return PNG

    monkeypatch.setattr(h.app.shared.workers, "run", draw)
    await h.say(principal, "/stats")
    await h.press(principal, h.button(principal, "Chỉ số tiếp"))
    families = drawn[-1]
    assert families.title.startswith(FAMILIES)
    assert list(families.labels) == ["10A1", "10A2"]
    # 10A1: 2 of its 4 did it, 3 of 4 joined; 10A2 has no headcount.
    assert list(families.progress) == [0.5, None]
    assert list(families.reach) == [0.75, None]
    assert families.target == 0.9


async def test_a_school_with_more_classes_than_a_page_turns_to_the_next(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    school = await h.org(*SCHOOL)
    names = [f"Lớp {n:02}" for n in range(1, stats_service.PAGE + 2)]
    for name in names:
        await h.org(*SCHOOL, ("class", name))
    principal = Person(1001, "Cô Lan")
    await onboard(h, principal, await h.invite(school, "principal"))
    drawn: list[charts.Bars] = []

    async def draw(work: object, chart: charts.Bars) -> bytes:
        drawn.append(chart)
        return PNG

    monkeypatch.setattr(h.app.shared.workers, "run", draw)
    await h.say(principal, "/stats")  # the families' indicator is the only one by class
    first = list(drawn[-1].labels)
    assert len(first) == stats_service.PAGE and "trang 1/2" in drawn[-1].title
    labels = [label for label, _ in h.buttons(principal)]
    assert {label for label in labels if label.startswith("🔎")} == {f"🔎 {n}" for n in first}
    assert "Trang 2 »" in labels and not any("« Trang" in label for label in labels)

    await h.press(principal, h.button(principal, "Trang 2 »"))
    (last,) = drawn[-1].labels  # tree order: the one class the first page had no room for
    assert sorted([*first, last]) == names
    assert "trang 2/2" in drawn[-1].title and "trang 2/2" in (
        photos(h, principal)[-1].caption or ""
    )
    labels = [label for label, _ in h.buttons(principal)]
    assert [label for label in labels if label.startswith("🔎")] == [f"🔎 {last}"]
    assert "« Trang 1" in labels and "Trang 2 »" not in labels


async def test_a_principal_who_also_teaches_elsewhere_sees_nothing_of_that_school(
    harness: Harness,
) -> None:
    """Only principal and department memberships give a scope: a principal's staff
    membership in another school is no way into that school's figures."""
    h = harness
    ids = await a_school(h)
    other = await h.org(("province", "Bắc Ninh"), ("school", "THCS Tam Sơn"))
    other_class = await h.org(("province", "Bắc Ninh"), ("school", "THCS Tam Sơn"), ("class", "6A"))
    principal = Person(1011, "Thầy Minh")
    await onboard(h, principal, await h.invite(ids["school"], "principal"))
    await h.say(principal, f"/start {await h.invite(other, 'staff')}")
    assert "THCS Tam Sơn" in h.last_text(principal)  # joined there as staff

    await h.say(principal, "/stats")
    assert not any("THCS Tam Sơn" in t for t in h.session.texts(principal.id) if t.startswith("📊"))
    alerts, drawn = len(h.alerts()), len(photos(h, principal))
    for forged in (stats(other), stats(other_class), stats(other, "week"), stats(other, "fig")):
        await h.press(principal, forged)
    assert len(h.alerts()) == alerts + 4
    assert all("không thuộc phạm vi" in alert for alert in h.alerts()[alerts:])
    assert len(photos(h, principal)) == drawn


async def test_the_school_view_keeps_this_years_self_assessment_apart_from_earlier_ones(
    harness: Harness,
) -> None:
    h = harness
    ids = await a_school(h)
    principal = Person(1021, "Cô Lan")
    await onboard(h, principal, await h.invite(ids["school"], "principal"))

    async def entered(year: int, level: int) -> None:
        async with h.app.database.transaction() as session:
            await school_entries.put_assessment(
                session,
                org_id=ids["school"],
                school_year=year,
                scores={"teaching": 60.0, "management": 60.0},
                met=[],
                level=level,
                person_id=None,
                now=h.clock.now(),
            )

    def school_view() -> str:
        return next(t for t in reversed(h.session.texts(principal.id)) if t.startswith("📊 THPT"))

    await entered(2024, 3)
    await entered(2025, 1)  # last school year; the clock is in September 2026
    await h.say(principal, "/stats")
    view = school_view()
    assert "⚠️ Tự đánh giá QĐ 4725 2026–2027: chưa nhập" in view
    assert "Các năm trước (mức): 2025–2026: 1; 2024–2025: 3" in view

    await entered(2026, 2)
    await h.say(principal, "/stats")
    view = school_view()
    assert "✅ Tự đánh giá QĐ 4725 2026–2027: mức 2" in view
    assert "Các năm trước (mức): 2025–2026: 1; 2024–2025: 3" in view
    assert "2026–2027: 2" not in view


async def test_the_weekly_line_has_this_mondays_point_early_on_monday(harness: Harness) -> None:
    """00:30 on Monday 7/9/2026 in Vietnam is still Sunday in UTC: the snapshot the
    scheduler took at the week's first tick is this week's, and the line shows it."""
    h = harness
    ids = await a_school(h)
    principal = Person(1031, "Thầy Minh")
    await onboard(h, principal, await h.invite(ids["school"], "principal"))
    h.clock.at = datetime(2026, 9, 6, 17, 30, tzinfo=UTC)
    assert await snapshots.weekly(JobContext(h.app.shared, h.app.database, h.clock), h.clock.now())
    await h.press(principal, stats(ids["school"], "week"))
    assert "Chưa có số liệu theo tuần" not in h.last_text(principal)
    assert "Theo tuần" in (photos(h, principal)[-1].caption or "")


def test_parts_are_listed_by_name_as_people_count_them() -> None:
    names = ["10A10", "10A2", "Lớp 07", "lớp 01", "10A1", "A10", "10B", "²"]
    units = [SimpleNamespace(name=name, id=n) for n, name in enumerate(names)]
    ordered = [u.name for u in sorted(units, key=stats_service.by_name)]  # type: ignore[arg-type]
    assert ordered == ["10A1", "10A2", "10A10", "10B", "A10", "lớp 01", "Lớp 07", "²"]
