"""Two workers behind a load balancer: shared database, conversation state in Redis."""

from __future__ import annotations

import random

from tests.support.harness import Harness, Person

SCHOOL = [("province", "Hà Nội"), ("district", "Cầu Giấy"), ("school", "THCS Dịch Vọng")]


async def test_a_conversation_moves_between_workers(sqlite_url: str, redis_url: str) -> None:
    first = await Harness.create(sqlite_url, redis_url=redis_url)
    second = await Harness.create(sqlite_url, redis_url=redis_url)
    try:
        class_id = await first.org(*SCHOOL, ("class", "6A1"))
        code = await first.invite(class_id, "parent")
        parent = Person(random.randint(10**9, 2 * 10**9), "Hương")
        await first.say(parent, f"/start {code}")
        await second.press(parent, first.button(parent, "Tiếng Việt"))
        assert "6A1" in second.last_text(parent)
        await first.press(parent, second.button(parent, "đồng ý"))
        await second.press(parent, first.button(parent, "Hương"))
        assert "tên của con" in second.last_text(parent)
        await first.say(parent, "Nam")
        assert "em Nam" in first.last_text(parent)
        await second.press(parent, first.button(parent, "Mẹ"))
        assert "Chào mừng Hương" in second.last_text(parent)
        await first.say(parent, "/mydata")
        assert "6A1" in first.last_text(parent)
        await first.say(parent, "/help")
        assert "6A1" in first.last_text(parent) and "/forget" in first.last_text(parent)
    finally:
        await first.close()
        await second.close()
