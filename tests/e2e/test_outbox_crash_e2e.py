"""End to end: `hocvuso run` killed with SIGKILL in the middle of a 1,000-recipient broadcast.

The broadcast's rows are queued in the bot's database as the outbox holds them; the bot
sends them at its configured rate through the fake Bot API, which enforces Telegram's
limits. After the kill and a restart every recipient has the message, and the only
repeats are of messages that were in flight (claimed and not yet recorded) at the kill.
"""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.e2e.support import Deployment, deployment, text_of
from tests.support.botapi_faults import TelegramLimits

RECIPIENTS = 1000
RATE = 100  # HOCVUSO_SEND_RATE: a paid-broadcast bot, so the test takes seconds, not a minute
TEXT = "Kính gửi Quý phụ huynh: nhà trường họp phụ huynh lúc 8:00 sáng Chủ nhật 6/12/2026."


def queue_broadcast(database: Path, first_id: int) -> None:
    """What /broadcast commits: the broadcast and one outbox row per recipient."""
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    with sqlite3.connect(database) as db:
        (school,) = db.execute("SELECT id FROM org_units WHERE kind = 'school'").fetchone()
        db.executemany(
            "INSERT INTO people (tg_user_id, display_name, language, consent_at, status,"
            " created_at, announcements) VALUES (?, ?, 'vi', ?, 'active', ?, 1)",
            [(first_id + n, f"Phụ huynh {n}", now, now) for n in range(RECIPIENTS)],
        )
        broadcast = db.execute(
            "INSERT INTO broadcasts (org_id, audience, text, needs_ack, urgent, send_at, status,"
            " total, skipped, created_at, fired_at) VALUES (?, '{}', ?, 0, 0, ?, 'sending', ?,"
            " 0, ?, ?)",
            (school, TEXT, now, RECIPIENTS, now, now),
        ).lastrowid
        db.execute(
            "INSERT INTO outbox (person_id, chat_id, source, broadcast_id, kind, text, urgent,"
            " not_before, status, attempts, created_at)"
            " SELECT id, tg_user_id, 'broadcast', ?, 'message', ?, 0, ?, 'queued', 0, ?"
            " FROM people WHERE tg_user_id >= ?",
            (broadcast, TEXT, now, now, first_id),
        )


def outbox_statuses(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as db:
        return dict(db.execute("SELECT status, count(*) FROM outbox GROUP BY status").fetchall())


def received(bot: Deployment, user_id: int) -> int:
    return sum(1 for m in bot.api.sent(user_id) if text_of(m) == TEXT)


@pytest.mark.asyncio(loop_scope="function")
async def test_a_sigkill_mid_broadcast_loses_nothing_and_repeats_only_what_was_in_flight(
    tmp_path: Path,
) -> None:
    limits = TelegramLimits(global_capacity=RATE + 3, global_rate=RATE + 1)
    async with deployment(tmp_path, limits=limits) as bot:
        bot.extra_env["HOCVUSO_SEND_RATE"] = str(RATE)
        first = 30_000
        users = [bot.api.user(first + n, f"PH{n}") for n in range(RECIPIENTS)]
        await bot.start()  # migrates the database
        database = tmp_path / "e2e.db"
        queue_broadcast(database, first)

        while sum(1 for u in users if received(bot, u.id)) < RECIPIENTS // 3:
            await asyncio.sleep(0.02)
        assert bot.process is not None
        bot.process.kill()
        await asyncio.to_thread(bot.process.wait)
        bot.process = None
        at_kill = outbox_statuses(database)
        in_flight = at_kill.get("sending", 0)
        delivered_before = sum(1 for u in users if received(bot, u.id))
        assert delivered_before < RECIPIENTS, "the kill came too late to test anything"

        await bot.start()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 90
        while any(received(bot, u.id) == 0 for u in users):
            assert loop.time() < deadline, f"not all delivered: {outbox_statuses(database)}"
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # the last outcomes are recorded

        repeats = sum(received(bot, u.id) - 1 for u in users)
        assert repeats <= in_flight, (repeats, at_kill)
        assert outbox_statuses(database) == {"sent": RECIPIENTS}
        assert bot.api.limit_refusals() == []
        assert bot.api.retry_after_violations() == []
        assert bot.alive()
