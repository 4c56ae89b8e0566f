"""Floods and failures: a short polite answer, the bot keeps running, nothing half-saved."""

from __future__ import annotations

import pytest

from bot.services import reports
from tests.handlers.test_onboarding import SCHOOL, onboard
from tests.support.harness import Harness, Person


async def test_a_flood_gets_one_warning_and_is_dropped(harness: Harness) -> None:
    who = Person(701, "Nhanh")
    for _ in range(30):
        await harness.say(who, "xin chào")
    texts = harness.session.texts(who.id)
    warnings = [t for t in texts if "quá nhanh" in t]
    assert len(warnings) == 1
    assert len(texts) == 21  # twenty answers, one warning, the rest dropped
    other = Person(702, "Chậm")
    await harness.say(other, "/help")
    assert "/start" in harness.last_text(other)


async def test_an_unexpected_error_is_apologised_for_and_rolled_back(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    class_id = await harness.org(*SCHOOL, ("class", "9A"))
    parent = Person(703, "Lỗi")
    await onboard(harness, parent, await harness.invite(class_id, "parent"))

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(reports, "submit", broken)
    await harness.say(parent, "/report")
    await harness.press(parent, harness.button(parent, "VNeID"))
    await harness.press(parent, harness.button(parent, "Gửi"))
    assert "trục trặc" in harness.alerts()[-1]
    assert "Lan" not in caplog.text and "xin chào" not in caplog.text
    assert "user 703" in caplog.text
    monkeypatch.undo()
    await harness.say(parent, "/progress")
    assert "0/7" in harness.last_text(parent)
