"""A principal adds a name to an award's shortlist, or removes one, with a reason.

| step    | shows                                  | input                   | next                   |
|---------|----------------------------------------|-------------------------|------------------------|
| award   | the pack's awards                      | a pick                  | add: search;           |
|         |                                        |                         | remove: end: listed    |
| search  | "type part of the name" (add)          | 2-64 characters         | end: search            |
| person  | matches (add) or the shortlist         | a pick; "search again"; | reason; search;        |
|         | (remove), at most SHOWN at once        | text: add: a new search,| add: end: search;      |
|         |                                        | remove: narrows the list| remove: person         |
| reason  | the question                           | 1-500 characters (NFC)  | confirm                |
| confirm | the change and its reason              | yes / no                | end: add or remove     |

The handler starts at `award` with {mode (add | remove), school, awards: [{id, title}]}.
The finisher answers the records `listed` and `search` by starting this flow again at
`person` with `matches`: [{key, label}] (or, when nothing matched, at `search` with
`none`: what was typed), and writes `add` / `remove` {school, award, key, reason}.
"""

# readers: principal

from __future__ import annotations

from bot.campaign.nominations import REASON_LIMIT, reason_text
from bot.flows.engine import Choice, Data, Finish, Flow, Go, Outcome, Record, Reply, Stay, Step
from bot.text import Joined, Plain, T, Text, normalise

SHOWN = 20  # names offered at once
TYPED = (2, 64)  # characters of a name to search for
NOTHING_CHANGED = T("Nothing was changed.")


def _awards(data: Data) -> tuple[Choice, ...]:
    return tuple(Choice(a["id"], Plain(a["title"])) for a in data["awards"])


def _award_prompt(data: Data) -> Text:
    if data["mode"] == "add":
        return T("Which award's shortlist would you like to add a name to?")
    return T("Which award's shortlist would you like to remove a name from?")


def _on_award(data: Data, key: str) -> Outcome:
    title = next(a["title"] for a in data["awards"] if a["id"] == key)
    if data["mode"] == "add":
        return Go("search", {"award": key, "award_title": title, "none": None})
    return Finish((Record("listed", {**data, "award": key, "award_title": title}),))


def _search_prompt(data: Data) -> Text:
    ask = T(
        "Please type part of the name to add to “{award}” (a person, or a class or unit "
        "for a collective award).",
        award=Plain(data["award_title"]),
    )
    if data.get("none"):
        nobody = T(
            "No one in the school who could be added matches “{typed}” (those already on "
            "the shortlist are not offered).",
            typed=Plain(data["none"]),
        )
        return Joined((nobody, ask))
    return ask


def _search(data: Data, text: str) -> Outcome:
    typed = normalise(text)
    if not TYPED[0] <= len(typed) <= TYPED[1]:
        return Stay(T("Please type from 2 to 64 characters of the name."))
    return Finish((Record("search", {**data, "typed": typed}),))


def _shown(data: Data) -> list[dict]:
    wanted = (data.get("filter") or "").casefold()
    return [m for m in data["matches"] if wanted in m["label"].casefold()][:SHOWN]


def _people(data: Data) -> tuple[Choice, ...]:
    choices = [Choice(m["key"], Plain(m["label"])) for m in _shown(data)]
    if data["mode"] == "add":
        choices.append(Choice("again", T("🔎 Search for another name")))
    return tuple(choices)


def _person_prompt(data: Data) -> Text:
    award = Plain(data["award_title"])
    if data["mode"] == "add":
        return T("Who would you like to add to the shortlist of “{award}”?", award=award)
    ask = T("Whose name would you like to remove from the shortlist of “{award}”?", award=award)
    if len(data["matches"]) > SHOWN:
        more = T("You can also type part of a name to find it in the list.")
        return Joined((ask, more), sep="\n")
    return ask


def _on_person(data: Data, key: str) -> Outcome:
    if key == "again":
        return Go("search", {"none": None})
    label = next(m["label"] for m in data["matches"] if m["key"] == key)
    return Go("reason", {"subject": key, "subject_label": label})


def _person_text(data: Data, text: str) -> Outcome:
    if data["mode"] == "add":
        return _search(data, text)
    typed = normalise(text)
    if not any(typed.casefold() in m["label"].casefold() for m in data["matches"]):
        return Stay(T("No name on the shortlist matches “{typed}”.", typed=Plain(typed[:64])))
    return Go("person", {"filter": typed})


def _reason_prompt(data: Data) -> Text:
    name, award = Plain(data["subject_label"]), Plain(data["award_title"])
    if data["mode"] == "add":
        return T(
            "Why should {name} be on the shortlist of “{award}”? Please type the reason "
            "(up to {limit} characters): the school's emulation council will read it.",
            name=name,
            award=award,
            limit=REASON_LIMIT,
        )
    return T(
        "Why should {name} come off the shortlist of “{award}”? Please type the reason "
        "(up to {limit} characters): the school's emulation council will read it.",
        name=name,
        award=award,
        limit=REASON_LIMIT,
    )


def _reason(data: Data, text: str) -> Outcome:
    kept = reason_text(text)
    if kept is None:
        return Stay(T("Please type a reason of 1 to {limit} characters.", limit=REASON_LIMIT))
    return Go("confirm", {"reason": kept})


def _confirm_prompt(data: Data) -> Text:
    name, award, reason = (
        Plain(data["subject_label"]),
        Plain(data["award_title"]),
        Plain(data["reason"]),
    )
    if data["mode"] == "add":
        return T(
            "Add {name} to the shortlist of “{award}”?\nReason: {reason}",
            name=name,
            award=award,
            reason=reason,
        )
    return T(
        "Remove {name} from the shortlist of “{award}”?\nReason: {reason}",
        name=name,
        award=award,
        reason=reason,
    )


def _confirm(data: Data, key: str) -> Outcome:
    if key == "no":
        return Finish((Reply(NOTHING_CHANGED),))
    record = {k: data[k] for k in ("school", "award", "award_title", "subject", "reason")}
    return Finish((Record(data["mode"], record),))


NOMINATION = Flow(
    name="nomination",
    first="award",
    steps={
        "award": Step(prompt=_award_prompt, choices=_awards, on_pick=_on_award),
        "search": Step(
            prompt=_search_prompt,
            on_text=_search,
            wrong_kind=T("Please type part of the name."),
        ),
        "person": Step(
            prompt=_person_prompt, choices=_people, on_pick=_on_person, on_text=_person_text
        ),
        "reason": Step(
            prompt=_reason_prompt,
            on_text=_reason,
            wrong_kind=T("Please type the reason as text."),
        ),
        "confirm": Step(
            prompt=_confirm_prompt,
            choices=lambda _d: (Choice("yes", T("✅ Confirm")), Choice("no", T("✖️ Cancel"))),
            on_pick=_confirm,
        ),
    },
)
