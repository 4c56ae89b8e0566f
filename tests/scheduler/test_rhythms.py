"""Weekly and monthly announcements: due at their hour, once per occurrence, latest only."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.campaign.loader import parse_pack
from bot.services.reminders import announcement_key, due_announcements
from tests.campaign.test_pack import MINI

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
PACK = parse_pack(
    MINI
    + """\
announcements:
  - id: weekly_tip
    audience: [parent]
    weekly: monday
    text: {vi: Mẹo an toàn số tuần này, en: This week's digital safety tip}
  - id: monthly_news
    audience: [parent]
    monthly: 1
    text: {vi: Bản tin tháng, en: Monthly news}
  - id: new_year
    audience: [parent]
    yearly: "05/09"
    text: {vi: Năm học mới, en: New school year}
""",
    "rhythms.yaml",
)


def due(*when: int) -> dict[str, str]:
    local = datetime(*when, tzinfo=ZONE)
    return {a.id: announcement_key(a, day) for a, day in due_announcements(PACK, local)}


def test_each_rhythm_is_keyed_by_its_occurrence() -> None:
    # Tuesday 1/12/2026, 09:00: the month's news; Monday's tip is a day late but not stale.
    assert due(2026, 12, 1, 9) == {
        "weekly_tip": "announcement:weekly_tip:2026-11-30",
        "monthly_news": "announcement:monthly_news:2026-12-01",
    }
    assert due(2027, 9, 5, 9)["new_year"] == "announcement:new_year:2027"


def test_nothing_before_the_hour_and_nothing_stale() -> None:
    assert "monthly_news" not in due(2026, 12, 1, 7)  # before 8:00
    assert due(2026, 12, 5, 9) == {}  # Saturday: Monday's tip is stale, the news too


def test_a_weekly_one_missed_for_weeks_goes_once_for_the_latest_week() -> None:
    # Down from before Monday 7/12 and back on Wednesday 9/12: only that Monday's.
    assert due(2026, 12, 9, 12) == {"weekly_tip": "announcement:weekly_tip:2026-12-07"}
