"""/quiz through the real dispatcher: native quiz polls, their answers and their timers."""

from __future__ import annotations

from datetime import timedelta

from aiogram.methods import SendPoll

from tests.handlers.test_onboarding import SCHOOL, onboard
from tests.support.harness import Harness, Person

FRAUD = "Spotting online fraud"


async def parent_in_class(h: Harness, user_id: int = 701, name: str = "Lan") -> Person:
    class_id = await h.org(*SCHOOL, ("class", "10A1"))
    parent = Person(user_id, name, language_code="en")
    await onboard(h, parent, await h.invite(class_id, "parent"), language="en")
    return parent


async def take(h: Harness, who: Person, rights: list[bool]) -> None:
    for right in rights:
        await h.answer_poll(who, right)


async def test_pass_awards_the_milestone(harness: Harness) -> None:
    parent = await parent_in_class(harness)
    await harness.say(parent, "/quiz")
    listing = harness.last_text(parent)
    assert "not taken yet" in listing
    await harness.press(parent, harness.button(parent, FRAUD))
    poll_id, poll = harness.session.last_poll(parent.id)
    assert poll.type == "quiz" and poll.is_anonymous is False
    assert poll.question.startswith("Question 1 of 11")
    assert poll.explanation
    await take(harness, parent, [True] * 9 + [False, False])
    end = harness.last_text(parent)
    assert "9 of 11 answers right" in end and "Passed" in end
    assert "Knows how to spot online fraud" in end
    assert "10. " in end and "11. " in end  # the missed questions, with explanations
    await harness.say(parent, "/progress")
    assert "✅ Knows how to spot online fraud" in harness.last_text(parent)
    await harness.say(parent, "/quiz")
    assert "best score 9/11, passed" in harness.last_text(parent)
