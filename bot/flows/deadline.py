"""/deadline: a school's or a department's own deadline, with reminders; or cancel one.

| step      | shows                                   | input                     | next              |
|-----------|-----------------------------------------|---------------------------|-------------------|
| menu      | upcoming deadlines set here             | add / cancel one          | place, title / drop |
| drop      | the deadline to cancel                  | yes / no                  | end: cancel / menu |
| place     | schools or units this person runs       | an org id                 | title             |
| title     | —                                       | text, 3 to 200 characters | date              |
| date      | the format, 25/5/2026                   | a date, today to 2 years  | audience          |
| audience  | everyone / staff / parents / students   | a pick                    | offsets           |
| offsets   | presets, or other days                  | a pick                    | days / milestone / confirm |
| days      | —                                       | "10, 5, 2"                | milestone / confirm |
| milestone | milestones for that audience, or none   | a pick                    | confirm           |
| confirm   | summary                                 | save / cancel             | end: add          |

The handler passes `today` (ISO), `places` ([[org id, name], …]), `deadlines`
([{id, title, due (ISO), place}]) and `milestones` ([{id, title, audience}]), in
the person's language. Reminder offsets whose day has already passed are dropped.
"""

# readers: principal dept_admin

from __future__ import annotations

import re
from datetime import date, timedelta

from bot.flows.engine import Choice, Data, Finish, Flow, Go, Outcome, Record, Reply, Stay, Step
from bot.text import Joined, Plain, T, Text

TITLE_MIN, TITLE_MAX = 3, 200
MAX_OFFSET = 365
MAX_OFFSETS = 5
LABEL_LIMIT = 60
AUDIENCE_ROLES = {
    "everyone": ("parent", "student", "staff", "principal"),
    "staff": ("staff", "principal"),
    "parents": ("parent",),
    "students": ("student",),
}
AUDIENCE_NAMES = {
    "everyone": T("Everyone (parents, students and staff)"),
    "staff": T("Staff"),
    "parents": T("Parents"),
    "students": T("Students"),
}
PRESETS = {"7-3-1": (7, 3, 1), "3-1": (3, 1), "1": (1,), "none": ()}
DATE = re.compile(r"^\s*(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})\s*$")


def _short(text: str) -> str:
    return text if len(text) <= LABEL_LIMIT else text[: LABEL_LIMIT - 1] + "…"


def _today(data: Data) -> date:
    return date.fromisoformat(data["today"])


# menu and cancelling ---------------------------------------------------------------


def _menu_prompt(data: Data) -> Text:
    if not data["deadlines"]:
        return T("No upcoming deadline has been set here yet.")
    lines = [
        f"📅 {_due_label(item)} — {item['title']} ({item['place']})" for item in data["deadlines"]
    ]
    return Joined((T("Upcoming deadlines set here:"), Plain("\n".join(lines))))


def _due_label(item: dict[str, str]) -> str:
    due = date.fromisoformat(item["due"])
    return f"{due.day}/{due.month}/{due.year}"


def _menu_choices(data: Data) -> tuple[Choice, ...]:
    cancels = tuple(
        Choice(f"x{item['id']}", Plain(f"✖️ {_due_label(item)} {_short(item['title'])}"))
        for item in data["deadlines"]
    )
    return (Choice("add", T("➕ Add a deadline")), *cancels)


def _on_menu(data: Data, key: str) -> Outcome:
    if key == "add":
        if len(data["places"]) == 1:
            return Go("title", {"org_id": data["places"][0][0]})
        return Go("place")
    return Go("drop", {"drop": int(key[1:])})


def _dropping(data: Data) -> dict[str, str]:
    return next(item for item in data["deadlines"] if item["id"] == data["drop"])


def _drop_prompt(data: Data) -> Text:
    item = _dropping(data)
    return T(
        "Cancel the deadline “{title}” ({day})? Its reminders will not be sent.",
        title=Plain(item["title"]),
        day=date.fromisoformat(item["due"]),
    )


def _on_drop(data: Data, key: str) -> Outcome:
    if key == "yes":
        return Finish((Record("cancel", {"id": data["drop"]}),))
    return Go("menu", {"drop": None})


# a new deadline --------------------------------------------------------------------


def _places(data: Data) -> tuple[Choice, ...]:
    return tuple(Choice(str(org_id), Plain(_short(name))) for org_id, name in data["places"])


def _on_place(data: Data, key: str) -> Outcome:
    return Go("title", {"org_id": int(key)})


def _on_title(data: Data, text: str) -> Outcome:
    title = " ".join(text.split())
    if title.startswith("/"):
        return Stay(T("Please type the title as plain text."))
    if not TITLE_MIN <= len(title) <= TITLE_MAX:
        return Stay(
            T(
                "Please keep the title between {low} and {high} characters.",
                low=TITLE_MIN,
                high=TITLE_MAX,
            )
        )
    return Go("date", {"title": title})


def two_years_after(day: date) -> date:
    """The same day two years later (28/2 for 29/2)."""
    try:
        return day.replace(year=day.year + 2)
    except ValueError:
        return day.replace(year=day.year + 2, day=28)


def parse_date(text: str) -> date | str | None:
    """A date typed as 25/5/2026; None when it is not in that form; the text back
    (day/month/year) when it names no real day, such as 31/2/2027."""
    found = DATE.match(text)
    if found is None:
        return None
    day, month, year = (int(part) for part in found.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return f"{day}/{month}/{year}"


def _on_date(data: Data, text: str) -> Outcome:
    parsed = parse_date(text)
    if parsed is None:
        return Stay(T("Please type the date as day/month/year, for example 25/5/2026."))
    if isinstance(parsed, str):
        return Stay(T("There is no {day} in the calendar. Please check the date.", day=parsed))
    today = _today(data)
    if parsed < today:
        return Stay(T("That date has already passed. Please type a date from today on."))
    if parsed > two_years_after(today):
        return Stay(T("That date is more than two years ahead. Please type a nearer date."))
    return Go("audience", {"due": parsed.isoformat()})


def _audiences(_data: Data) -> tuple[Choice, ...]:
    return tuple(Choice(key, name) for key, name in AUDIENCE_NAMES.items())


def _on_audience(data: Data, key: str) -> Outcome:
    return Go("offsets", {"audience": key})


def _offset_choices(_data: Data) -> tuple[Choice, ...]:
    return (
        Choice("7-3-1", T("7, 3 and 1 days before")),
        Choice("3-1", T("3 and 1 days before")),
        Choice("1", T("1 day before")),
        Choice("none", T("No reminders")),
        Choice("other", T("✏️ Other days")),
    )


def _after_offsets(data: Data, offsets: tuple[int, ...]) -> Outcome:
    due = date.fromisoformat(data["due"])
    kept = sorted({k for k in offsets if due - timedelta(days=k) >= _today(data)}, reverse=True)
    following = "milestone" if _milestones(data, data["audience"]) else "confirm"
    return Go(following, {"offsets": kept, "completes": None})


def _on_offsets(data: Data, key: str) -> Outcome:
    if key == "other":
        return Go("days")
    return _after_offsets(data, PRESETS[key])


def _on_offsets_text(data: Data, text: str) -> Outcome:
    parts = [part for part in re.split(r"[\s,;]+", text.strip()) if part]
    if (
        not parts
        or len(parts) > MAX_OFFSETS
        or not all(part.isascii() and part.isdigit() for part in parts)
    ):
        return Stay(
            T(
                "Please type up to {count} numbers of days, for example: 10, 5, 2",
                count=MAX_OFFSETS,
            )
        )
    offsets = tuple(int(part) for part in parts)
    if any(k > MAX_OFFSET for k in offsets):
        return Stay(T("A reminder can go at most {days} days before.", days=MAX_OFFSET))
    return _after_offsets(data, offsets)


def _milestones(data: Data, audience: str) -> list[dict[str, object]]:
    roles = set(AUDIENCE_ROLES[audience])
    return [m for m in data["milestones"] if roles & set(m["audience"])]  # type: ignore[arg-type]


def _milestone_choices(data: Data) -> tuple[Choice, ...]:
    found = _milestones(data, data["audience"])
    listed = tuple(Choice(str(m["id"]), Plain(_short(str(m["title"])))) for m in found)
    return (Choice("-", T("No milestone")), *listed)


def _on_milestone(data: Data, key: str) -> Outcome:
    return Go("confirm", {"completes": None if key == "-" else key})


def _summary(data: Data) -> Text:
    offsets = data["offsets"]
    reminders: Text = (
        T("Reminders: {days} days before, at 8:00.", days=", ".join(str(k) for k in offsets))
        if offsets
        else T("Reminders: none.")
    )
    lines: list[Text] = [
        T("New deadline: {title}", title=Plain(data["title"])),
        T("Due: {day}", day=date.fromisoformat(data["due"])),
        T("For: {audience}", audience=AUDIENCE_NAMES[data["audience"]]),
        reminders,
    ]
    if data.get("completes"):
        title = next(str(m["title"]) for m in data["milestones"] if m["id"] == data["completes"])
        lines.append(T("Done for those who reported: {milestone}", milestone=Plain(title)))
    lines.append(T("Save it?"))
    return Joined(tuple(lines), sep="\n")


def _on_confirm(data: Data, key: str) -> Outcome:
    if key != "save":
        return Finish((Reply(T("Nothing was saved.")),))
    record = {
        "org_id": data["org_id"],
        "title": data["title"],
        "due": data["due"],
        "audience": data["audience"],
        "offsets": list(data["offsets"]),
        "completes": data.get("completes"),
    }
    return Finish((Record("add", record),))


DEADLINE = Flow(
    name="deadline",
    first="menu",
    steps={
        "menu": Step(prompt=_menu_prompt, choices=_menu_choices, on_pick=_on_menu),
        "drop": Step(
            prompt=_drop_prompt,
            choices=lambda _d: (
                Choice("yes", T("✖️ Yes, cancel it")),
                Choice("no", T("⬅️ No, keep it")),
            ),
            on_pick=_on_drop,
        ),
        "place": Step(
            prompt=lambda _d: T("For which school or unit?"), choices=_places, on_pick=_on_place
        ),
        "title": Step(
            prompt=lambda _d: T("What is due? Please type a short title."),
            on_text=_on_title,
            wrong_kind=T("Please type the title as text."),
        ),
        "date": Step(
            prompt=lambda _d: T("When is it due? Please type the date, for example 25/5/2026."),
            on_text=_on_date,
            wrong_kind=T("Please type the date as text, for example 25/5/2026."),
        ),
        "audience": Step(
            prompt=lambda _d: T("Who is it for?"), choices=_audiences, on_pick=_on_audience
        ),
        "offsets": Step(
            prompt=lambda _d: T("When should reminders go?"),
            choices=_offset_choices,
            on_pick=_on_offsets,
        ),
        "days": Step(
            prompt=lambda _d: T(
                "How many days before should reminders go? Type up to {count} numbers, "
                "for example: 10, 5, 2",
                count=MAX_OFFSETS,
            ),
            on_text=_on_offsets_text,
            wrong_kind=T("Please type numbers of days, for example: 10, 5, 2"),
        ),
        "milestone": Step(
            prompt=lambda _d: T(
                "Does reporting a milestone complete it? Those who have reported it get no "
                "reminders."
            ),
            choices=_milestone_choices,
            on_pick=_on_milestone,
        ),
        "confirm": Step(
            prompt=_summary,
            choices=lambda _d: (Choice("save", T("💾 Save")), Choice("cancel", T("✖️ Cancel"))),
            on_pick=_on_confirm,
        ),
    },
)
