"""Headcount ("Sĩ số", under /class): a principal records the school's staff or a class's
students; a homeroom teacher, their class's students.

| step  | shows                                      | input               | next        |
|-------|--------------------------------------------|---------------------|-------------|
| place | the school's staff and its classes, with   | a pick              | count       |
|       | what is recorded (principals)              |                     |             |
| count | the question, what is recorded, how many   | a whole number from | end: record |
|       | of those it counts have joined             | `joined` (at least  |             |
|       |                                            | 1) to MAX_HEADCOUNT |             |

The handler passes `places`: [{key, org, kind (students | staff), name, current (int or
None), joined, counts (families | students | staff: who `joined` are)}] and starts at
`count` with `chosen` when there is only one. The finisher checks again (someone may
have joined meanwhile) and writes the record {org, kind, name, count}.
"""

# readers: staff principal

from __future__ import annotations

import re

from bot.flows.engine import Choice, Data, Finish, Flow, Go, Outcome, Record, Stay, Step
from bot.text import Joined, Plain, T, Text

MAX_HEADCOUNT = 5000
LABEL_LIMIT = 60


def parse_count(text: str) -> int | None:
    """A whole number as people type it: "40", "1.200", "1 200"; None otherwise."""
    cleaned = text.strip()
    if re.fullmatch(r"\d{1,3}([.,\s]\d{3})+", cleaned):
        cleaned = re.sub(r"[.,\s]", "", cleaned)
    if not (cleaned.isascii() and cleaned.isdigit()) or len(cleaned) > 9:
        return None
    return int(cleaned)


def _chosen(data: Data) -> dict:
    return next(place for place in data["places"] if place["key"] == data["chosen"])


def _short(name: str) -> str:
    return name if len(name) <= LABEL_LIMIT else name[: LABEL_LIMIT - 1] + "…"


def _label(place: dict) -> Text:
    name = Plain(_short(place["name"]))
    current = place["current"]
    if place["kind"] == "staff":
        if current is None:
            return T("👥 Staff of the school: not recorded yet")
        return T("👥 Staff of the school: {count}", count=current)
    if current is None:
        return T("Class {name}: not recorded yet", name=name)
    return T("Class {name}: {count} students", name=name, count=current)


def _places(data: Data) -> tuple[Choice, ...]:
    return tuple(Choice(place["key"], _label(place)) for place in data["places"])


def _on_place(data: Data, key: str) -> Outcome:
    return Go("count", {"chosen": key})


def _question(place: dict) -> Text:
    if place["kind"] == "staff":
        return T(
            "How many staff does {school} have, its leaders included? Please type the number.",
            school=Plain(place["name"]),
        )
    return T(
        "How many students does class {name} have? Please type the number.",
        name=Plain(place["name"]),
    )


def _joined(counts: str, joined: int) -> Text:
    if counts == "staff":
        return T("So far {count} staff of the school have joined the bot.", count=joined)
    if counts == "students":
        return T("So far {count} students of the class have joined the bot.", count=joined)
    return T(
        "So far {count} parents and students of the class have joined the bot.", count=joined
    )


def _count_prompt(data: Data) -> Text:
    place = _chosen(data)
    lines: list[Text] = [_question(place)]
    if place["current"] is not None:
        lines.append(T("Recorded now: {count}.", count=place["current"]))
    if place["joined"]:
        lines.append(_joined(place["counts"], place["joined"]))
    return Joined(tuple(lines), sep="\n")


def too_few(place: dict, joined: int) -> Text:
    """The answer to a headcount below those who already joined (the flow's and the
    finisher's)."""
    if place["kind"] == "staff":
        return T(
            "{joined} staff of {name} have already joined the bot, so the school has at "
            "least {joined}. Please check the number; nothing was saved.",
            joined=joined,
            name=Plain(place["name"]),
        )
    return T(
        "{joined} people of class {name} have already joined the bot, so it has at least "
        "{joined}. Please check the number; nothing was saved.",
        joined=joined,
        name=Plain(place["name"]),
    )


OUT_OF_RANGE = T("Please type a number from 1 to {high}.", high=MAX_HEADCOUNT)


def _on_count(data: Data, text: str) -> Outcome:
    typed = text.strip()
    if typed.startswith("-") and parse_count(typed[1:]) is not None:
        return Stay(T("A headcount cannot be negative. Please type the number of people."))
    count = parse_count(typed)
    if count is None:
        return Stay(T("Please type the number in digits, for example 40."))
    if not 1 <= count <= MAX_HEADCOUNT:
        return Stay(OUT_OF_RANGE)
    place = _chosen(data)
    if count < place["joined"]:
        return Stay(too_few(place, place["joined"]))
    record = {"org": place["org"], "kind": place["kind"], "name": place["name"], "count": count}
    return Finish((Record("set", record),))


HEADCOUNT = Flow(
    name="headcount",
    first="place",
    steps={
        "place": Step(
            prompt=lambda _d: T("Which headcount would you like to record?"),
            choices=_places,
            on_pick=_on_place,
        ),
        "count": Step(
            prompt=_count_prompt,
            on_text=_on_count,
            wrong_kind=T("Please type the number in digits, for example 40."),
        ),
    },
)
