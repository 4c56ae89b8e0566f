"""End to end, when Telegram pushes back: injected 429s and 5xx, an outage, a SIGKILL.

The bot runs as `hocvuso run` against the fake Bot API, which enforces Telegram's
limits (tests/support/botapi_faults.py). Thirty parents onboard and thirty strangers
ask for /help at the same time; whatever Telegram does, each of them must end up
answered, nobody twice, and the bot must never call a chat before its retry_after.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.support import SCHOOL, Deployment, deployment, fresh, text_of
from tests.support.botapi import FakeUser
from tests.support.botapi_state import JSON

PATIENCE = 90.0  # one step of one person, through 429s, 5xx and an outage
PARENTS = 30


def has_button(label: str) -> Callable[[JSON], bool]:
    return lambda m: fresh(m) and any(label in text for text, _ in _buttons(m))


def says(*needles: str) -> Callable[[JSON], bool]:
    return lambda m: fresh(m) and all(needle in text_of(m) for needle in needles)


def _buttons(message: JSON) -> list[tuple[str, str]]:
    from tests.support.botapi import buttons

    return buttons(message)


async def step(
    bot: Deployment, user: FakeUser, act: Callable[[], object], want: Callable[[JSON], bool]
) -> JSON:
    act()
    return await bot.api.wait_for(user.id, want, timeout=PATIENCE)


async def tap(
    bot: Deployment, user: FakeUser, card: JSON, label: str, want: Callable[[JSON], bool]
) -> JSON:
    data = bot.api.button(card, label)
    return await step(bot, user, lambda: bot.api.press(user, card, data), want)


async def to_the_name_question(bot: Deployment, user: FakeUser, code: str) -> JSON:
    greeting = await step(
        bot, user, lambda: bot.api.send_text(user, f"/start {code}"), has_button("Tiếng Việt")
    )
    consent = await tap(bot, user, greeting, "Tiếng Việt", has_button("đồng ý"))
    return await tap(bot, user, consent, "đồng ý", has_button(user.first_name))


RELATION = "Bố"  # the button that joins a parent, once their child is named


async def to_the_relation_question(bot: Deployment, user: FakeUser, code: str) -> JSON:
    name = await to_the_name_question(bot, user, code)
    await tap(bot, user, name, user.first_name, says("tên của con"))
    return await step(bot, user, lambda: bot.api.send_text(user, "An"), has_button(RELATION))


async def onboard(bot: Deployment, user: FakeUser, code: str) -> JSON:
    card = await to_the_relation_question(bot, user, code)
    return await tap(bot, user, card, RELATION, says("Chào mừng", user.first_name))


def joined(root: Path) -> set[int]:
    """Telegram ids of the people whose join is committed."""
    with sqlite3.connect(root / "e2e.db") as db:
        rows = db.execute(
            "SELECT p.tg_user_id FROM people p JOIN memberships m ON m.person_id = p.id"
        ).fetchall()
    return {tg_id for (tg_id,) in rows}


def memberships(root: Path) -> int:
    with sqlite3.connect(root / "e2e.db") as db:
        return int(db.execute("SELECT count(*) FROM memberships").fetchone()[0])


@pytest.mark.asyncio(loop_scope="function")
async def test_everyone_is_answered_through_429s_5xx_and_an_outage(tmp_path: Path) -> None:
    async with deployment(tmp_path) as bot:
        code = bot.invite(f"{SCHOOL}/10A1", "parent")
        await bot.start()
        api = bot.api
        throttled = api.inject("429", rate=0.3, retry_after=1, seed=11)
        failing = api.inject("5xx", rate=0.1, seed=12)
        parents = [api.user(8100 + n, f"Phụhuynh{n}") for n in range(PARENTS)]
        strangers = [api.user(8200 + n, f"Khách{n}") for n in range(PARENTS)]

        async def ask_help(user: FakeUser) -> JSON:
            return await step(bot, user, lambda: api.send_text(user, "/help"), says("/start"))

        async def outage() -> None:
            await asyncio.sleep(2.0)
            await api.outage(5.0)

        results = await asyncio.gather(
            *(onboard(bot, p, code) for p in parents),
            *(ask_help(s) for s in strangers),
            outage(),
            return_exceptions=True,
        )
        problems = [r for r in results if isinstance(r, BaseException)]
        assert not problems, f"{len(problems)} not answered, first: {problems[0]}\n{bot.log_tail()}"
        assert throttled.served > 20 and failing.served > 5  # the faults really happened
        assert memberships(tmp_path) == PARENTS
        assert api.retry_after_violations() == []
        assert api.limit_refusals() == []  # the bot kept the limits before being refused
        assert api.duplicates() == []
        assert bot.alive()


@pytest.mark.asyncio(loop_scope="function")
async def test_after_a_sigkill_everyone_who_presses_again_is_told_where_they_stand(
    tmp_path: Path,
) -> None:
    async with deployment(tmp_path) as bot:
        code = bot.invite(f"{SCHOOL}/10A2", "parent")
        await bot.start()
        api = bot.api
        parents = [api.user(8300 + n, f"Mẹ{n}") for n in range(PARENTS)]
        cards = await asyncio.gather(*(to_the_relation_question(bot, p, code) for p in parents))

        for parent, card in zip(parents, cards, strict=True):  # all press at once
            api.press(parent, card, api.button(card, RELATION))
        while len(joined(tmp_path)) < PARENTS // 2:  # half the joins are committed; their
            await asyncio.sleep(0.01)  # welcomes still wait their turn under the chat's limit
        assert bot.process is not None
        bot.process.kill()  # SIGKILL, in the middle of the thirty joins
        await asyncio.to_thread(bot.process.wait)
        bot.process = None
        await bot.start()

        def welcomed(parent: FakeUser) -> JSON | None:  # the welcome, and what to do next after it
            return next((m for m in api.sent(parent.id) if "Chào mừng" in text_of(m)), None)

        told_before = {p.id for p in parents if welcomed(p) is not None}
        assert joined(tmp_path) - told_before, "the kill came too late to test anything"

        async def press_again(parent: FakeUser) -> JSON:
            latest = api.sent(parent.id)[-1]  # the card as the person sees it now
            told = welcomed(parent)
            if told is not None:
                return told  # told before the kill: nothing left to press
            data = api.button(latest, RELATION)
            return await step(
                bot,
                parent,
                lambda: api.press(parent, latest, data),
                lambda m: (
                    fresh(m)
                    and any(w in text_of(m) for w in ("Chào mừng", "đã tham gia", "đang tham gia"))
                ),
            )

        told = await asyncio.gather(*(press_again(p) for p in parents), return_exceptions=True)
        problems = [t for t in told if isinstance(t, BaseException)]
        assert not problems, f"{len(problems)} stranded, first: {problems[0]}\n{bot.log_tail()}"
        assert memberships(tmp_path) == PARENTS
        for parent in parents:
            assert not any(RELATION in label for label, _ in api.buttons(api.sent(parent.id)[-1]))
