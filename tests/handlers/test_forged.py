"""Forged and fuzzed input: a polite answer, nothing changed, nothing crashes."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from bot.flows.engine import STALE
from bot.handlers.fallback import NOT_FOR_YOU
from bot.i18n import Renderer
from storage.models import Report
from tests.handlers.test_onboarding import SCHOOL, onboard
from tests.handlers.test_reports import report_course_with_photo, school
from tests.support.harness import Harness, Person

SUPERADMIN = Person(1, "Quản trị")  # the harness's HOCVUSO_SUPERADMINS=1


def vi(h: Harness, reader: str | None) -> Renderer:
    """Vietnamese as `reader` (an address group) reads it: a principal "staff", a
    superadmin "officer"."""
    return Renderer(h.app.catalogues, "vi", h.app.settings.zone, reader)


async def pending_report(h: Harness) -> tuple[Person, tuple[int, int]]:
    school_id, class_id = await school(h, "11F1")
    principal, parent = Person(1601, "Thầy Nam"), Person(1602, "Lan")
    await onboard(h, principal, await h.invite(school_id, "principal"))
    await onboard(h, parent, await h.invite(class_id, "parent"))
    await report_course_with_photo(h, parent)
    async with h.app.database.reading() as uow:
        report = (await uow.session.execute(select(Report.id, Report.revision))).one()
    return principal, (report.id, report.revision)


async def status_of(h: Harness, report_id: int) -> str:
    async with h.app.database.reading() as uow:
        return str(await uow.session.scalar(select(Report.status).where(Report.id == report_id)))


@pytest.mark.parametrize(
    "action",
    ["approve", "ok\u202e", "OK", "yes", "ok ", "", "no\x00", "skip2"],
)
async def test_only_the_known_review_actions_act(
    harness: Harness, caplog: pytest.LogCaptureFixture, action: str
) -> None:
    principal, (report_id, revision) = await pending_report(harness)
    await harness.press(principal, f"rv:1:{report_id}:{revision}:{action}")
    assert harness.alerts()[-1] == vi(harness, "staff")(STALE)
    assert await status_of(harness, report_id) == "pending"
    assert "failed" not in caplog.text


@pytest.mark.parametrize("report_id", [str(2**63), str(2**64), "-1", "0", "1e3", "٣"])
async def test_ids_in_callback_data_are_range_checked(
    harness: Harness, caplog: pytest.LogCaptureFixture, report_id: str
) -> None:
    principal, (real_id, _) = await pending_report(harness)
    with caplog.at_level(logging.ERROR):
        await harness.press(principal, f"rv:1:{report_id}:1:ok")
        await harness.press(principal, f"rv:1:{real_id}:{report_id}:ok")
    assert harness.alerts()[-2:] == [vi(harness, "staff")(STALE)] * 2
    assert await status_of(harness, real_id) == "pending"
    assert not caplog.records, [r.getMessage() for r in caplog.records]


async def test_a_superadmin_who_has_not_joined_gets_what_a_superadmin_can_do(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        await harness.say(SUPERADMIN, "/help")
        help_text = harness.last_text(SUPERADMIN)
        for command in ("/report", "/progress", "/class"):
            await harness.say(SUPERADMIN, command)
            name = command[1:]
            assert harness.last_text(SUPERADMIN) == vi(harness, "officer")(
                type(NOT_FOR_YOU)(NOT_FOR_YOU.msgid, command=name)
            )
            assert command + " —" not in help_text
        await harness.press(SUPERADMIN, "ra:1:vneid_level2")  # a "report again" button
        assert harness.alerts()[-1] == vi(harness, "officer")(STALE)
        await harness.say(SUPERADMIN, "/review")
        assert "không còn minh chứng" in harness.last_text(SUPERADMIN)
        await harness.say(SUPERADMIN, "/invite")
    assert "/review —" in help_text and "/invite —" in help_text
    assert "trục trặc" not in " ".join(harness.session.texts(SUPERADMIN.id))
    assert not caplog.records, [r.getMessage() for r in caplog.records]


async def test_a_superscript_digit_at_a_step_with_buttons_gets_the_hint(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    class_id = await harness.org(*SCHOOL, ("class", "11F2"))
    who = Person(1603, "Số")
    await harness.say(who, f"/start {await harness.invite(class_id, 'parent')}")
    with caplog.at_level(logging.ERROR):
        for typed in ("²", "٣", "1" * 400):
            await harness.say(who, typed)
            assert "nút" in harness.last_text(who)
    assert not caplog.records
    await harness.say(who, "1")
    assert "đồng ý" in harness.last_text(who)


async def test_a_flood_is_told_once_per_flood(harness: Harness) -> None:
    clock = [1000.0]
    harness.app.flood.now = lambda: clock[0]
    who = Person(1604, "Nhanh")
    for _ in range(50):  # fifty messages in five seconds
        await harness.say(who, "xin chào")
        clock[0] += 0.1
    texts = harness.session.texts(who.id)
    assert len([t for t in texts if "quá nhanh" in t]) == 1
    assert len(texts) == 21  # twenty answers and one notice; the rest dropped
    clock[0] += 60  # calm again
    await harness.say(who, "/help")
    assert "/start" in harness.last_text(who)
    for _ in range(25):
        await harness.say(who, "xin chào")
    notices = [t for t in harness.session.texts(who.id) if "quá nhanh" in t]
    assert len(notices) == 2  # a new flood, a new notice
