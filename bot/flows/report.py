"""/report: pick a milestone, show what counts, take evidence if asked, confirm.

| step      | shows                                   | input                  | next               |
|-----------|-----------------------------------------|------------------------|--------------------|
| milestone | my milestones by domain, done marked    | a milestone            | existing / evidence / confirm |
| existing  | when I reported it and its status       | again / withdraw       | evidence / confirm; end: withdraw |
| evidence  | what counts + what to send              | a photo or a document  | confirm            |
| confirm   | summary                                 | send / cancel          | end: report        |

The handler passes `items`: [{id, title, description, domain, domain_name, evidence,
status, reported_on}], already in the person's language; `start_at` may name a
milestone to jump to (the "report again" button of a rejection).
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
LABEL_LIMIT = 60


def _item(data: Data, milestone_id: str | None = None) -> dict[str, Any]:
    wanted = milestone_id or data["milestone"]
    return next(item for item in data["items"] if item["id"] == wanted)


def _label(item: dict[str, Any]) -> Plain:
    title = item["title"]
    if len(title) > LABEL_LIMIT:
        title = title[: LABEL_LIMIT - 1] + "…"
    return Plain(f"{MARKS[item['status']]} {title}")


def _list_prompt(data: Data) -> Text:
    lines: list[str] = []
    domain = None
    for item in data["items"]:
        if item["domain"] != domain:
            domain = item["domain"]
            lines.append(f"\n{domain}. {item['domain_name']}")
        lines.append(f"{MARKS[item['status']]} {item['title']}")
    return Joined((T("Which milestone would you like to report?"), Plain("\n".join(lines).strip())))


def _list_choices(data: Data) -> tuple[Choice, ...]:
    return tuple(Choice(item["id"], _label(item)) for item in data["items"])


def _on_milestone(data: Data, key: str) -> Outcome:
    if _item(data, key)["status"]:
        return Go("existing", {"milestone": key})
    return _towards_evidence(data, key)


def _towards_evidence(data: Data, key: str) -> Outcome:
    item = _item(data, key)
    step = "confirm" if item["evidence"] == "none" else "evidence"
    return Go(step, {"milestone": key, "evidence": None})


def _existing_prompt(data: Data) -> Text:
    item = _item(data)
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
    return Finish(
        (Record("report", {"milestone": data["milestone"], "evidence": data.get("evidence")}),)
    )


REPORT = Flow(
    name="report",
    first="milestone",
    steps={
        "milestone": Step(prompt=_list_prompt, choices=_list_choices, on_pick=_on_milestone),
        "existing": Step(prompt=_existing_prompt, choices=_existing_choices, on_pick=_on_existing),
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
    data: dict[str, Any] = {"items": items, "milestone": None, "evidence": None}
    if start_at and any(item["id"] == start_at for item in items):
        return ("evidence" if _item(data, start_at)["evidence"] != "none" else "confirm"), {
            **data,
            "milestone": start_at,
        }
    return "milestone", data
