"""/quiz through the real dispatcher: native quiz polls, their answers and their timers."""

from __future__ import annotations

from datetime import timedelta

from aiogram.methods import SendMessage, SendPoll, StopPoll

from bot.campaign.loader import load_default_pack
from bot.services import quizzes
from tests.handlers.test_onboarding import SCHOOL, onboard
from tests.support.harness import Harness, Person

FRAUD = "Spotting online fraud"
_QUIZ = load_default_pack().quiz("fraud_awareness")
N, PASS = len(_QUIZ.questions), _QUIZ.passing  # questions, and right answers to pass
MILESTONE = "Knows how to spot online fraud"


async def parent_in_class(h: Harness, user_id: int = 701, name: str = "Lan") -> Person:
    class_id = await h.org(*SCHOOL, ("class", "10A1"))
    parent = Person(user_id, name, language_code="en")
    await onboard(h, parent, await h.invite(class_id, "parent"), language="en")
    return parent


async def begin(h: Harness, who: Person, label: str = FRAUD) -> None:
    await h.say(who, "/quiz")
    await h.press(who, h.button(who, label))


async def take(h: Harness, who: Person, rights: list[bool]) -> None:
    for right in rights:
        await h.answer_poll(who, right)


def polls(h: Harness, who: Person) -> list[SendPoll]:
    return [m for m in h.session.of(SendPoll) if m.chat_id == who.id]


async def test_pass_awards_the_milestone(harness: Harness) -> None:
    parent = await parent_in_class(harness)
    teacher = Person(702, "Hoa", language_code="en")
    class_id = await harness.org(*SCHOOL, ("class", "10A1"))
    await onboard(harness, teacher, await harness.invite(class_id, "staff"), language="en")
    await harness.say(parent, "/quiz")
    assert "Spotting online fraud: not taken yet" in harness.last_text(parent)
    await harness.press(parent, harness.button(parent, FRAUD))
    _, poll = harness.session.last_poll(parent.id)
    assert poll.type == "quiz" and poll.is_anonymous is False and poll.open_period is None
    assert poll.question.startswith(f"Question 1 of {N}")
    assert poll.explanation and len(poll.options) == 3
    await take(harness, parent, [True] * PASS + [False] * (N - PASS))
    end = harness.last_text(parent)
    assert f"{PASS} of {N} answers right" in end and "Passed" in end and MILESTONE in end
    assert f"\n{N}. " in end and "\n1. " not in end  # missed, explained
    assert len(polls(harness, parent)) == N
    await harness.say(parent, "/progress")
    assert f"✅ {MILESTONE} — counted" in harness.last_text(parent)
    await harness.say(parent, "/quiz")
    assert f"best score {PASS}/{N}, passed" in harness.last_text(parent)
    await harness.say(teacher, "/class")
    assert f"{MILESTONE}: 1/1" in harness.last_text(teacher)


async def test_options_are_shuffled_and_the_right_one_tracked(harness: Harness) -> None:
    parent = await parent_in_class(harness)
    await begin(harness, parent)
    _, pack = await harness.app.shared.campaign.get(harness.app.database.unit_of_work())
    question = pack.quiz("fraud_awareness").questions[0]
    _, poll = harness.session.last_poll(parent.id)
    shown = [o.text for o in poll.options]
    assert sorted(shown) == sorted(o.en for o in question.options)
    assert shown[poll.correct_option_id or 0] == question.options[question.answer].en


async def test_fail_then_retake_after_the_cool_down_best_score_counts(harness: Harness) -> None:
    parent = await parent_in_class(harness)
    await begin(harness, parent)
    await take(harness, parent, [True] * 5 + [False] * (N - 5))
    end = harness.last_text(parent)
    assert f"5 of {N}" in end and f"Not passed yet: {PASS} right answers are needed" in end
    assert "after 24 hours" in end
    await harness.say(parent, "/quiz")
    assert f"best score 5/{N}, not passed yet (again from" in harness.last_text(parent)
    await harness.press(parent, harness.button(parent, FRAUD))
    assert "You can take “Spotting online fraud” again from" in harness.last_text(parent)
    assert len(polls(harness, parent)) == N  # no new attempt
    harness.clock.advance(timedelta(hours=24))
    await harness.say(parent, "/quiz")
    await harness.press(parent, harness.button(parent, FRAUD))
    await take(harness, parent, [True] * (N - 1) + [False])
    assert f"{N - 1} of {N}" in harness.last_text(parent)
    harness.clock.advance(timedelta(hours=25))
    await begin(harness, parent)
    await take(harness, parent, [False] * N)
    await harness.say(parent, "/quiz")
    assert f"best score {N - 1}/{N}, passed" in harness.last_text(parent)
    await harness.say(parent, "/progress")
    assert f"✅ {MILESTONE}" in harness.last_text(parent)


async def test_resume_and_restart_an_unfinished_quiz(harness: Harness) -> None:
    parent = await parent_in_class(harness)
    await begin(harness, parent)
    await take(harness, parent, [True, True, False])
    stale_id, _ = harness.session.last_poll(parent.id)
    await harness.say(parent, "/cancel")
    await harness.vote(parent, stale_id, 0)
    assert "This quiz is paused, so that answer does not count" in harness.last_text(parent)
    await harness.say(parent, "/quiz")
    assert "(unfinished)" in harness.last_text(parent)
    await harness.press(parent, harness.button(parent, FRAUD))
    assert f"3 of {N} questions answered" in harness.last_text(parent)
    await harness.press(parent, harness.button(parent, "Carry on"))
    _, poll = harness.session.last_poll(parent.id)
    assert poll.question.startswith(f"Question 4 of {N}")
    assert harness.session.of(StopPoll)  # the old poll of question 4 is stopped
    await harness.vote(parent, stale_id, 0)  # and, if answered anyway, does not count
    assert harness.session.last_poll(parent.id)[1] is poll
    await take(harness, parent, [True] * (N - 3))
    assert f"{N - 1} of {N}" in harness.last_text(parent)

    harness.clock.advance(timedelta(days=2))
    await begin(harness, parent)
    await take(harness, parent, [True, True])
    await harness.say(parent, "/quiz")
    await harness.press(parent, harness.button(parent, FRAUD))
    abandoned_id, _ = harness.session.last_poll(parent.id)
    await harness.press(parent, harness.button(parent, "Start again"))
    _, poll = harness.session.last_poll(parent.id)
    assert poll.question.startswith(f"Question 1 of {N}")
    await harness.vote(parent, abandoned_id, 0)  # the open poll of the attempt given up
    assert "from an earlier attempt" in harness.last_text(parent)
    await take(harness, parent, [False] * N)
    assert f"0 of {N}" in harness.last_text(parent)


async def test_bad_input_leaves_the_score_right(harness: Harness) -> None:
    parent = await parent_in_class(harness)
    other = await parent_in_class(harness, 703, "Minh")
    await begin(harness, parent)
    first_id, first = harness.session.last_poll(parent.id)
    right = first.correct_option_id or 0
    await harness.vote(parent, first_id, right)
    second_id, _ = harness.session.last_poll(parent.id)
    await harness.vote(parent, first_id, right)  # the same vote delivered twice
    await harness.vote(parent, first_id)  # and taken back
    assert harness.session.last_poll(parent.id)[0] == second_id
    sent = len(harness.session.requests)
    await harness.vote(other, second_id, 0)  # a forged vote on someone else's poll
    assert len(harness.session.requests) == sent  # nothing said, nothing sent
    await harness.say(parent, "2")  # typing while a poll is open
    assert "Please answer in the poll above" in harness.last_text(parent)
    assert harness.session.last_poll(parent.id)[0] == second_id
    await harness.say(parent, "/quiz")  # a second quiz while one is open
    await harness.press(parent, harness.button(parent, "Protecting personal data"))
    await harness.vote(parent, second_id, 0)
    assert "paused" in harness.last_text(parent)
    await take(harness, parent, [True] * N)
    assert f"{N} of {N}" in harness.last_text(parent)
    await harness.say(parent, "/quiz")
    await harness.press(parent, harness.button(parent, FRAUD))
    assert f"1 of {N} questions answered" in harness.last_text(parent)
    await harness.press(parent, harness.button(parent, "Carry on"))
    await take(harness, parent, [True] * (N - 1))
    assert f"{N} of {N}" in harness.last_text(parent)  # the first answer, counted once
    sent = len(harness.session.requests)
    await harness.vote(parent, first_id, right)  # a poll answered in a finished attempt
    assert len(harness.session.requests) == sent


async def test_a_poll_closed_by_its_timer_counts_as_missed(harness: Harness) -> None:
    parent = await parent_in_class(harness)
    await begin(harness, parent)
    await harness.answer_poll(parent, True)
    timed_out, _ = harness.session.last_poll(parent.id)
    await harness.poll_closed(timed_out)
    _, poll = harness.session.last_poll(parent.id)
    assert poll.question.startswith(f"Question 3 of {N}")
    await harness.poll_closed(timed_out)  # told twice: nothing more
    assert harness.session.last_poll(parent.id)[1] is poll
    await take(harness, parent, [True] * (N - 2))
    end = harness.last_text(parent)
    assert f"{N - 1} of {N}" in end and "\n2. " in end


async def test_the_score_survives_a_restart_of_the_bot(sqlite_url: str) -> None:
    h = await Harness.create(sqlite_url)
    try:
        parent = await parent_in_class(h)
        await begin(h, parent)
        await take(h, parent, [True] * 4)
        poll_id, poll = h.session.last_poll(parent.id)
    finally:
        await h.close()
    h = await Harness.create(sqlite_url)
    try:
        await h.vote(parent, poll_id, poll.correct_option_id or 0)
        await take(h, parent, [True] * (N - 5))
        assert f"{N} of {N}" in h.last_text(parent)
    finally:
        await h.close()
    assert quizzes.RENDERINGS == ("poll", "text")


async def test_numbered_text_answers_without_polls(sqlite_url: str) -> None:
    h = await Harness.create(sqlite_url, quiz_rendering="text")
    try:
        parent = await parent_in_class(h)
        await begin(h, parent)
        assert not polls(h, parent)
        question = h.last_text(parent)
        assert (
            question.startswith(f"Question 1 of {N}") and "\n1. " in question and "\n3. " in question
        )
        await h.say(parent, "maybe")
        assert "Please answer with the number" in h.last_text(parent)
        await h.say(parent, "7")
        assert "Please answer with the number" in h.last_text(parent)
        _, pack = await h.app.shared.campaign.get(h.app.database.unit_of_work())
        quiz = pack.quiz("fraud_awareness")
        attempt = await _attempt_id(h)
        for index, question_def in enumerate(quiz.questions):
            order = quizzes.option_order(attempt, index, len(question_def.options))
            right = order.index(question_def.answer) + 1
            await h.say(parent, str(right if index else right % len(order) + 1))
        texts = h.session.texts(parent.id)
        assert any(t.startswith("✖️ Not right: the answer is") for t in texts)
        assert texts.count("✅ Right.") == N - 1
        assert f"{N - 1} of {N}" in h.last_text(parent)
        assert not [m for m in h.session.of(SendMessage) if m.reply_markup and "Question" in m.text]
    finally:
        await h.close()


async def _attempt_id(h: Harness) -> int:
    from storage.models import QuizAttempt

    async with h.app.database.transaction() as session:
        from sqlalchemy import select

        return int((await session.scalars(select(QuizAttempt.id))).one())


async def test_quiz_votes_and_closed_polls_are_asked_for(harness: Harness) -> None:
    from bot.runtime import allowed_updates

    wanted = allowed_updates(harness.app)
    assert {"message", "callback_query", "poll_answer", "poll"} <= set(wanted)


async def test_mydata_shows_quiz_scores_and_forget_unlinks_the_polls(harness: Harness) -> None:
    parent = await parent_in_class(harness)
    await begin(harness, parent)
    await take(harness, parent, [True] * N)
    await begin(harness, parent, "Protecting personal data")
    poll_id, _ = harness.session.last_poll(parent.id)
    await harness.say(parent, "/mydata")
    held = harness.last_text(parent)
    assert f"Quiz Spotting online fraud: 1 attempts, best score {N}" in held
    assert "best score —" in held  # the one under way
    uow = harness.app.database.unit_of_work()
    assert await quizzes.by_poll(uow, poll_id) is not None
    await uow.abort()
    await harness.say(parent, "/forget")
    await harness.press(parent, harness.buttons(parent)[0][1])
    assert "deleted" in harness.last_text(parent)
    uow = harness.app.database.unit_of_work()
    assert await quizzes.by_poll(uow, poll_id) is None
    assert await quizzes.standings_count(uow) == (1, 0)  # the score kept, none left open
    await uow.abort()


async def test_principal_sees_statistics_and_parents_their_class_standing(
    harness: Harness,
) -> None:
    school_id = await harness.org(*SCHOOL)
    principal = Person(710, "HT", language_code="en")
    await onboard(harness, principal, await harness.invite(school_id, "principal"), language="en")
    lan = await parent_in_class(harness)  # 10A1
    minh = await parent_in_class(harness, 703, "Minh")  # 10A1 too
    other_class = await harness.org(*SCHOOL, ("class", "10A2"))
    hoa = Person(704, "Hoa", language_code="en")
    await onboard(harness, hoa, await harness.invite(other_class, "parent"), language="en")
    await begin(harness, lan)
    await take(harness, lan, [False] + [True] * (N - 1))  # passed, question 1 missed
    await begin(harness, hoa)
    await take(harness, hoa, [False] + [True] * (N - 1))  # passed, questions 1, 2 missed
    await begin(harness, minh)
    await take(harness, minh, [False] * 3 + [True] * (N - 3))  # failed
    await harness.say(principal, "/quizstats")
    stats = harness.last_text(principal)
    assert "📊 Spotting online fraud" in stats
    assert "first attempts of 3" in stats
    assert "\n1. " in stats and "100% (3/3)" in stats  # question 1: all three missed it
    assert "\n2. " in stats and "33.3% (1/3)" in stats  # question 2: Minh alone
    assert "1. 10A2: 100% — 1/1 (100%), 1 ✅ (100%)" in stats
    assert "2. 10A1: 50% — 2/2 (100%), 1 ✅ (50%)" in stats
    await harness.say(minh, "/quiz")
    assert "10A1 is number 2 of 2 in the school, with 50% of its members passed" in (
        harness.last_text(minh)
    )
    await harness.say(lan, "/quizstats")
    assert "📊" not in harness.last_text(lan)
