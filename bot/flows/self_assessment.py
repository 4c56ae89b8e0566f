"""The principal's yearly entries: the QĐ 4725 self-assessment, and a school figure.

Self-assessment:

| step      | shows                                          | input               | next          |
|-----------|------------------------------------------------|---------------------|---------------|
| score     | the group's name, the year, "0 to 100"         | a number            | score (next group) / mandatory / confirm |
| mandatory | the mandatory items, ☑ met / ☐ not             | an item / done      | mandatory / confirm |
| confirm   | scores, items met, the level against target    | save / again        | end: self_assessment |

Figure:

| step   | shows                              | input            | next          |
|--------|------------------------------------|------------------|---------------|
| pick   | the pack's figures, this year's    | a figure         | value         |
| value  | "how many of how many", e.g. 120/150 | "120/150"       | end: school_figure |

The handler passes plain data in the reader's language: `year` ("2025–2026"),
`groups` [{id, title}], `items` [{id, title}], the thresholds and `target`; for
figures `figures` [{id, title, unit, target, now}].
"""

# readers: principal

from __future__ import annotations

import math
import unicodedata
from typing import Any

from bot.campaign.assessment import level_of
from bot.flows.engine import Choice, Data, Finish, Flow, Go, Outcome, Record, Stay, Step
from bot.text import Joined, Plain, T, Text

ASK_NUMBER = T("Please type a number from 0 to 100, for example 72 or 72,5.")
ASK_FRACTION = T(
    "Please type two whole numbers: how many, a slash, then out of how many, for example 120/150."
)
ABOVE = T("The first number cannot be larger than the second.")
NO_DENOMINATOR = T("The second number must be at least 1.")
FIGURE_MAX = 10_000_000


def parse_score(text: str) -> float | None:
    """A score as typed ("72", "72,5", "72.5"), or None unless a number from 0 to 100."""
    cleaned = unicodedata.normalize("NFKC", text).strip().replace(",", ".")
    if not cleaned.isascii():
        return None
    try:
        value = float(cleaned)
    except ValueError:
        return None
    if not math.isfinite(value) or not 0 <= value <= 100:
        return None
    return round(value, 1)


def parse_fraction(text: str) -> tuple[int, int] | Text:
    """Whole counts as typed, "120/150" or "1.200 / 1.500"; a hint when it is not that."""
    typed = unicodedata.normalize("NFKC", text)
    parts = [part.strip().replace(".", "").replace(",", "") for part in typed.split("/")]
    if len(parts) != 2 or not all(part.isascii() and part.isdigit() for part in parts):
        return ASK_FRACTION
    value, out_of = int(parts[0]), int(parts[1])
    if not 0 < out_of <= FIGURE_MAX:
        return NO_DENOMINATOR
    if value > out_of:
        return ABOVE
    return value, out_of


def _group(data: Data) -> dict[str, Any]:
    return data["groups"][data["index"]]


def _score_prompt(data: Data) -> Text:
    return T(
        "Score of the criteria group “{group}” for the school year {year} (0 to 100):",
        group=Plain(_group(data)["title"]),
        year=Plain(data["year"]),
    )


def _on_score(data: Data, text: str) -> Outcome:
    value = parse_score(text)
    if value is None:
        return Stay(ASK_NUMBER)
    scores = {**data["scores"], _group(data)["id"]: value}
    if data["index"] + 1 < len(data["groups"]):
        return Go("score", {"scores": scores, "index": data["index"] + 1})
    return Go("mandatory" if data["items"] else "confirm", {"scores": scores})


def _mandatory_prompt(data: Data) -> Text:
    return T(
        "Which of these mandatory items does the school meet? Tap an item to tick or untick it, "
        "then “Done”. Without all of them the level is 1."
    )


def _mandatory_choices(data: Data) -> tuple[Choice, ...]:
    met = set(data["met"])
    items = tuple(
        Choice(item["id"], Plain(f"{'☑' if item['id'] in met else '☐'} {item['title'][:60]}"))
        for item in data["items"]
    )
    return (*items, Choice("done", T("✔️ Done")))


def _on_mandatory(data: Data, key: str) -> Outcome:
    if key == "done":
        return Go("confirm")
    met = set(data["met"]) ^ {key}
    return Go("mandatory", {"met": sorted(met)})


def level(data: Data) -> int:
    return level_of(
        {group["id"]: data["scores"][group["id"]] for group in data["groups"]},
        set(data["met"]),
        [item["id"] for item in data["items"]],
        data["level_2_from"],
        data["level_3_above"],
    )


def _confirm_prompt(data: Data) -> Text:
    met = set(data["met"])
    lines: list[Text] = [
        T("• {group}: {score}", group=Plain(group["title"]), score=data["scores"][group["id"]])
        for group in data["groups"]
    ]
    lines += [
        Plain(f"{'☑' if item['id'] in met else '☐'} {item['title']}") for item in data["items"]
    ]
    reached = level(data)
    verdict = (
        T(
            "Level {level}: the target (level {target}) is met.",
            level=reached,
            target=data["target"],
        )
        if reached >= data["target"]
        else T(
            "Level {level}: below the target (level {target}).",
            level=reached,
            target=data["target"],
        )
    )
    return Joined(
        (
            T("Self-assessment for the school year {year}:", year=Plain(data["year"])),
            Joined(tuple(lines), sep="\n"),
            verdict,
            T("Save it? An earlier entry for this school year is replaced."),
        )
    )


def _confirm_choices(_data: Data) -> tuple[Choice, ...]:
    return (Choice("save", T("💾 Save")), Choice("again", T("✏️ Enter again")))


def _on_confirm(data: Data, key: str) -> Outcome:
    if key == "again":
        return Go("score", {"scores": {}, "index": 0, "met": []})
    record = Record("self_assessment", {"scores": data["scores"], "met": list(data["met"])})
    return Finish((record,))


SELF_ASSESSMENT = Flow(
    name="self_assessment",
    first="score",
    steps={
        "score": Step(prompt=_score_prompt, on_text=_on_score, wrong_kind=ASK_NUMBER),
        "mandatory": Step(
            prompt=_mandatory_prompt, choices=_mandatory_choices, on_pick=_on_mandatory
        ),
        "confirm": Step(prompt=_confirm_prompt, choices=_confirm_choices, on_pick=_on_confirm),
    },
)


def assessment_data(
    year: str,
    groups: list[dict[str, str]],
    items: list[dict[str, str]],
    level_2_from: int,
    level_3_above: int,
    target: int,
) -> dict[str, Any]:
    return {
        "year": year,
        "groups": groups,
        "items": items,
        "level_2_from": level_2_from,
        "level_3_above": level_3_above,
        "target": target,
        "scores": {},
        "met": [],
        "index": 0,
    }


# Figures -----------------------------------------------------------------------


def _figure(data: Data) -> dict[str, Any]:
    return next(f for f in data["figures"] if f["id"] == data["figure"])


def _pick_prompt(data: Data) -> Text:
    lines = [
        f"• {f['title']}: {f['now']}" if f.get("now") else f"• {f['title']}: —"
        for f in data["figures"]
    ]
    return Joined(
        (
            T("School figures for the school year {year}:", year=Plain(data["year"])),
            Plain("\n".join(lines)),
            T("Which figure would you like to enter?"),
        )
    )


def _pick_choices(data: Data) -> tuple[Choice, ...]:
    return tuple(Choice(f["id"], Plain(f["title"][:60])) for f in data["figures"])


def _on_pick(data: Data, key: str) -> Outcome:
    return Go("value", {"figure": key})


def _value_prompt(data: Data) -> Text:
    figure = _figure(data)
    return T(
        "{title}: how many {unit} out of how many in all? For example 120/150.",
        title=Plain(figure["title"]),
        unit=Plain(figure["unit"]),
    )


def _on_value(data: Data, text: str) -> Outcome:
    parsed = parse_fraction(text)
    if not isinstance(parsed, tuple):
        return Stay(parsed)
    value, out_of = parsed
    return Finish(
        (Record("school_figure", {"figure": data["figure"], "value": value, "out_of": out_of}),)
    )


SCHOOL_FIGURE = Flow(
    name="school_figure",
    first="pick",
    steps={
        "pick": Step(prompt=_pick_prompt, choices=_pick_choices, on_pick=_on_pick),
        "value": Step(prompt=_value_prompt, on_text=_on_value, wrong_kind=ASK_FRACTION),
    },
)
