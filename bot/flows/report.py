"""/report: pick a milestone, show what counts, take evidence if asked, confirm.

| step      | shows                                   | input                  | next               |
|-----------|-----------------------------------------|------------------------|--------------------|
| milestone | my milestones by domain, then those of each class/unit I report for, done marked | a milestone | existing / level / evidence / confirm |
| existing  | when it was reported and its status     | again / withdraw       | level / evidence / confirm; end: withdraw |
| level     | which level recognised it               | school … national      | evidence / confirm |
| evidence  | what counts + what to send              | a photo or a document  | confirm            |
| confirm   | summary (for whom, level, evidence)     | send / cancel          | end: report        |

The handler passes `items`: [{id, title, description, domain, domain_name, evidence,
status, reported_on, asks_level, place, place_kind}], already in the person's language.
`id` is the milestone's id, or "id@org" for a class's or unit's collective milestone
(`place` its name, `place_kind` class or unit). `start_at` may name an item to jump to
(the "report again" button of a rejection). The record carries the item id and `level`.
"""

# readers: parent student staff principal

from __future__ import annotations

from datetime import date
from typing import Any

from bot.campaign.evidence import problem
from bot.flows.engine import (
    Choice,
    Data,
    FileInput,
    Finish,
    Flow,
    Go,
    Outcome,
    Record,
    Reply,
    Stay,
    Step,
)
from bot.text import Joined, Plain, T, Text

MARKS = {"": "▫️", "pending": "⏳", "approved": "✅", "accepted": "✅", "rejected": "✖️"}
STATUS_NAMES = {
    "pending": T("waiting for verification"),
    "approved": T("verified"),
    "accepted": T("counted"),
    "rejected": T("not accepted"),
}
ASK_EVIDENCE = {
    "photo": T(
        "Please send a photo as evidence (for example a screenshot). You may add a caption."
    ),
    "document": T(
        "Please send a file as evidence (for example a PDF certificate). You may add a caption."
    ),
    "photo_or_document": T(
        "Please send a photo or a file as evidence (for example a screenshot or a PDF "
        "certificate). You may add a caption."
    ),
}
EVIDENCE_PROBLEMS = {
    "kind": T("This milestone does not take that kind of evidence."),
    "too_big": T(
        "That file is larger than 20 MB, which is more than Telegram lets the bot receive."
    ),
    "caption_too_long": T("The caption is too long: please keep it to 1024 characters."),
    "missing": T("Please send the evidence as a photo or a file."),
}
LEVEL_NAMES = {
    "school": T("School level"),
    "commune": T("Commune or ward level"),
    "province": T("Provincial level"),
    "national": T("National level"),
}
LABEL_LIMIT = 60


def _item(data: Data, milestone_id: str | None = None) -> dict[str, Any]:
    wanted = milestone_id or data["milestone"]
    return next(item for item in data["items"] if item["id"] == wanted)


def place_label(kind: str, name: str) -> Text:
    """The class as "lớp 10A1"; a unit's own name says what it is ("Tổ Toán - Tin")."""
    return T("class {name}", name=Plain(name)) if kind == "class" else Plain(name)


def place_name(item: dict[str, Any]) -> Text:
    return place_label(item.get("place_kind") or "", item["place"])


def _label(item: dict[str, Any]) -> Text:
    title = item["title"]
    if len(title) > LABEL_LIMIT:
        title = title[: LABEL_LIMIT - 1] + "…"
    label = Plain(f"{MARKS[item['status']]} {title}")
    if not item.get("place"):
        return label
    return Joined((label, T("(for {place})", place=place_name(item))), sep=" ")


def _list_prompt(data: Data) -> Text:
    lines: list[str] = []
    domain = None
    own = [item for item in data["items"] if not item.get("place")]
    for item in own:
        if item["domain"] != domain:
            domain = item["domain"]
            lines.append(f"\n{domain}. {item['domain_name']}")
        lines.append(f"{MARKS[item['status']]} {item['title']}")
    parts: list[Text] = [T("Which milestone would you like to report?")]
    if lines:
        parts.append(Plain("\n".join(lines).strip()))
    places: dict[str, list[dict[str, Any]]] = {}
    for item in data["items"]:
        if item.get("place"):
            places.setdefault(item["place"], []).append(item)
    for listed in places.values():
        marks = "\n".join(f"{MARKS[item['status']]} {item['title']}" for item in listed)
        header = T("For {place}:", place=place_name(listed[0]))
        parts.append(Joined((header, Plain(marks)), sep="\n"))
    return Joined(tuple(parts))


def _list_choices(data: Data) -> tuple[Choice, ...]:
    return tuple(Choice(item["id"], _label(item)) for item in data["items"])


def _on_milestone(data: Data, key: str) -> Outcome:
    if _item(data, key)["status"]:
        return Go("existing", {"milestone": key})
    return _towards_evidence(data, key)


def _after_level(item: dict[str, Any]) -> str:
    return "confirm" if item["evidence"] == "none" else "evidence"


def _towards_evidence(data: Data, key: str) -> Outcome:
    item = _item(data, key)
    step = "level" if item.get("asks_level") else _after_level(item)
    return Go(step, {"milestone": key, "evidence": None, "level": None})


def _existing_prompt(data: Data) -> Text:
    item = _item(data)
    if item.get("place"):
        return T(
            "“{title}” for {place} was reported on {day}. Status: {status}.",
            title=Plain(item["title"]),
            place=place_name(item),
            day=date.fromisoformat(item["reported_on"]),
            status=STATUS_NAMES[item["status"]],
        )
    return T(
        "You reported “{title}” on {day}. Status: {status}.",
        title=Plain(item["title"]),
        day=date.fromisoformat(item["reported_on"]),
        status=STATUS_NAMES[item["status"]],
    )


def _existing_choices(_data: Data) -> tuple[Choice, ...]:
    return (
        Choice("again", T("🔁 Report it again")),
        Choice("withdraw", T("↩️ Withdraw my report")),
        Choice("back", T("⬅️ Back to the list")),
    )


def _on_existing(data: Data, key: str) -> Outcome:
    if key == "again":
        return _towards_evidence(data, data["milestone"])
    if key == "withdraw":
        return Finish((Record("withdraw", {"milestone": data["milestone"]}),))
    return Go("milestone", {"milestone": None})


def _level_prompt(data: Data) -> Text:
    item = _item(data)
    return Joined(
        (
            Plain(f"{item['title']}\n{item['description']}"),
            T("Which level recognised it?"),
        )
    )


def _level_choices(_data: Data) -> tuple[Choice, ...]:
    return tuple(Choice(key, label) for key, label in LEVEL_NAMES.items())


def _on_level(data: Data, key: str) -> Outcome:
    return Go(_after_level(_item(data)), {"level": key})


def _evidence_prompt(data: Data) -> Text:
    item = _item(data)
    return Joined(
        (Plain(f"{item['title']}\n{item['description']}"), ASK_EVIDENCE[item["evidence"]])
    )


def _on_file(data: Data, file: FileInput) -> Outcome:
    found = problem(_item(data)["evidence"], file.kind, file.size, file.caption)
    if found is not None:
        return Stay(EVIDENCE_PROBLEMS[found])
    evidence = {
        "kind": file.kind,
        "file_id": file.file_id,
        "unique_id": file.file_unique_id,
        "mime": file.mime_type,
        "size": file.size,
        "name": file.file_name,
        "caption": file.caption,
    }
    return Go("confirm", {"evidence": evidence})


def _confirm_prompt(data: Data) -> Text:
    item = _item(data)
    evidence = data.get("evidence")
    parts: list[Text] = [Plain(f"{item['title']}\n{item['description']}")]
    if item.get("place"):
        parts.append(T("For: {place}", place=place_name(item)))
    if data.get("level"):
        parts.append(T("Recognised at: {level}", level=LEVEL_NAMES[data["level"]]))
    if evidence:
        kind = T("a photo") if evidence["kind"] == "photo" else T("a file")
        parts.append(T("Evidence: {kind}.", kind=kind))
    if item["evidence"] == "none" and not item.get("verification"):
        parts.append(T("Send this report? It counts as soon as you send it."))
    else:
        parts.append(T("Send this report? The school will check it before it counts."))
    return Joined(tuple(parts))


def _confirm_choices(_data: Data) -> tuple[Choice, ...]:
    return (Choice("send", T("📨 Send")), Choice("cancel", T("Cancel")))


def _on_confirm(data: Data, key: str) -> Outcome:
    if key == "cancel":
        return Finish((Reply(T("Nothing was sent.")),))
    record = {
        "milestone": data["milestone"],
        "evidence": data.get("evidence"),
        "level": data.get("level"),
    }
    return Finish((Record("report", record),))


REPORT = Flow(
    name="report",
    first="milestone",
    steps={
        "milestone": Step(prompt=_list_prompt, choices=_list_choices, on_pick=_on_milestone),
        "existing": Step(prompt=_existing_prompt, choices=_existing_choices, on_pick=_on_existing),
        "level": Step(prompt=_level_prompt, choices=_level_choices, on_pick=_on_level),
        "evidence": Step(
            prompt=_evidence_prompt,
            on_file=_on_file,
            wrong_kind=EVIDENCE_PROBLEMS["missing"],
        ),
        "confirm": Step(prompt=_confirm_prompt, choices=_confirm_choices, on_pick=_on_confirm),
    },
)


def start_data(
    items: list[dict[str, Any]], start_at: str | None = None
) -> tuple[str, dict[str, Any]]:
    """The step to open at and the flow data: the list, or straight to one milestone."""
    data: dict[str, Any] = {"items": items, "milestone": None, "evidence": None, "level": None}
    if start_at and any(item["id"] == start_at for item in items):
        item = _item(data, start_at)
        step = "level" if item.get("asks_level") else _after_level(item)
        return step, {**data, "milestone": start_at}
    return "milestone", data
