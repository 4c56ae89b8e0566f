"""/quiz: pick a quiz, then answer its questions one by one.

QUIZ_MENU
| step       | shows                                        | input                      | next                    |
|------------|----------------------------------------------|----------------------------|-------------------------|
| list       | my quizzes, best score, passed, my standing  | a quiz                     | unfinished / end: start |
| unfinished | an attempt left open                         | resume / restart / back    | end: resume, restart    |

QUIZ (the same table whichever way the questions are shown: native quiz polls, where
a vote arrives as a pick, or numbered text, where "2" picks the second option)
| step     | shows                   | input                                  | next                 |
|----------|-------------------------|----------------------------------------|----------------------|
| question | question n of N         | an option; "poll_closed" (timer ran out) | question / end: finish |

The handler passes, for the menu, `items`: [{id, title, best, total, passed, state
(ready | open | cooling), again_on, answered}] and `standing` (a line or None); for a quiz,
`attempt`, `quiz`, `title`, `total`, `index` and `questions`: [{text, options (labels in
the order shown), keys (the pack's option index of each, as text), right (the key of
the correct one), explanation}], already in the person's language.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.flows.engine import Choice, Data, Finish, Flow, Go, Outcome, Record, Stay, Step
from bot.text import Joined, Plain, T, Text

PASSED_MARK = "✅"
OPEN_MARK = "⏸"
CLOSED = "poll_closed"

PICK_A_QUIZ = T("Which quiz would you like to take?")
ANSWER_WITH_NUMBER = T("Please answer with the number of one of the options.")


def _item(data: Data, quiz_id: str | None = None) -> dict[str, Any]:
    wanted = quiz_id or data["quiz"]
    return next(item for item in data["items"] if item["id"] == wanted)


def _item_line(item: dict[str, Any]) -> Text:
    title = Plain(item["title"])
    if item["best"] is None:
        line: Text = T("{title}: not taken yet", title=title)
    elif item["passed"]:
        line = T(
            "{title}: best score {best}/{total}, passed",
            title=title,
            best=item["best"],
            total=item["total"],
        )
    else:
        line = T(
            "{title}: best score {best}/{total}, not passed yet",
            title=title,
            best=item["best"],
            total=item["total"],
        )
    if item["state"] == "open":
        line = Joined((line, T("(unfinished)")), sep=" ")
    elif item["state"] == "cooling":
        again = T("(again from {day})", day=date.fromisoformat(item["again_on"]))
        line = Joined((line, again), sep=" ")
    mark = PASSED_MARK if item["passed"] else ("▫️" if item["best"] is None else "✖️")
    return Joined((Plain(mark), line), sep=" ")


def _list_prompt(data: Data) -> Text:
    parts: list[Text] = [PICK_A_QUIZ, *(_item_line(item) for item in data["items"])]
    if data.get("standing") is not None:
        parts.append(Plain(data["standing"]))
    return Joined(tuple(parts), sep="\n")


def _list_choices(data: Data) -> tuple[Choice, ...]:
    return tuple(
        Choice(
            item["id"], Plain(f"{OPEN_MARK if item['state'] == 'open' else '📝'} {item['title']}")
        )
        for item in data["items"]
    )


def _on_quiz(data: Data, key: str) -> Outcome:
    item = _item(data, key)
    if item["state"] == "open":
        return Go("unfinished", {"quiz": key})
    if item["state"] == "cooling":
        return Stay(
            T(
                "You can take “{title}” again from {day}.",
                title=Plain(item["title"]),
                day=date.fromisoformat(item["again_on"]),
            )
        )
    return Finish((Record("start", {"quiz": key}),))


def _unfinished_prompt(data: Data) -> Text:
    item = _item(data)
    return T(
        "“{title}” is unfinished: {answered} of {total} questions answered. Carry on where "
        "it stopped, or start again from the first question?",
        title=Plain(item["title"]),
        answered=item["answered"],
        total=item["total"],
    )


def _unfinished_choices(_data: Data) -> tuple[Choice, ...]:
    return (
        Choice("resume", T("▶️ Carry on")),
        Choice("restart", T("🔁 Start again")),
        Choice("back", T("⬅️ Back to the list")),
    )


def _on_unfinished(data: Data, key: str) -> Outcome:
    if key == "back":
        return Go("list", {"quiz": None})
    return Finish((Record(key, {"quiz": data["quiz"]}),))


QUIZ_MENU = Flow(
    name="quiz_menu",
    first="list",
    steps={
        "list": Step(prompt=_list_prompt, choices=_list_choices, on_pick=_on_quiz),
        "unfinished": Step(
            prompt=_unfinished_prompt, choices=_unfinished_choices, on_pick=_on_unfinished
        ),
    },
)


# The questions ------------------------------------------------------------------------


def current(data: Data) -> dict[str, Any]:
    """The question being asked."""
    return dict(data["questions"][data["index"] - data.get("offset", 0)])


def _question_prompt(data: Data) -> Text:
    question = current(data)
    return Joined(
        (
            T("Question {n} of {total}", n=data["index"] + 1, total=data["total"]),
            Plain(question["text"]),
        )
    )


def _question_choices(data: Data) -> tuple[Choice, ...]:
    question = current(data)
    return tuple(
        Choice(key, Plain(label))
        for key, label in zip(question["keys"], question["options"], strict=True)
    )


def _answered(data: Data, chosen: int | None) -> Outcome:
    question = current(data)
    index = data["index"]
    answer = Record(
        "answer",
        {
            "attempt": data["attempt"],
            "quiz": data["quiz"],
            "rendering": data.get("rendering", "poll"),
            "question": index,
            "chosen": chosen,
            "correct": chosen is not None and str(chosen) == question["right"],
        },
    )
    if index + 1 < data["total"]:
        return Go("question", {"index": index + 1}, (answer,))
    return Finish((answer, Record("finish", {"attempt": data["attempt"], "quiz": data["quiz"]})))


def _on_option(data: Data, key: str) -> Outcome:
    return _answered(data, int(key))


def _on_text(_data: Data, _text: str) -> Outcome:
    return Stay(ANSWER_WITH_NUMBER)


def _on_other(data: Data, kind: str) -> Outcome:
    if kind == CLOSED:
        return _answered(data, None)
    return Stay(ANSWER_WITH_NUMBER)


QUIZ = Flow(
    name="quiz",
    first="question",
    steps={
        "question": Step(
            prompt=_question_prompt,
            choices=_question_choices,
            on_pick=_on_option,
            on_text=_on_text,
            on_other=_on_other,
            wrong_kind=ANSWER_WITH_NUMBER,
        ),
    },
)
