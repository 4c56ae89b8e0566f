"""/broadcast: compose a notice, then preview it, then send it now or at a time.

| step      | shows                                     | input                        | next                    |
|-----------|-------------------------------------------|------------------------------|-------------------------|
| menu      | new / scheduled / results                 | a choice                     | scope or audience; end: scheduled, results |
| scope     | the schools or departments I send from   | one of them                  | audience                |
| audience  | everyone, staff, parents, students, …     | a choice                     | orgs / milestone / text |
| orgs      | classes and units (a department: schools) | toggle one, or done          | orgs / text             |
| milestone | the campaign's milestones                 | one                          | text                    |
| text      | what to write, the limit                  | text (or a file with caption) | media / english        |
| media     | attach a photo or file?                   | a file, or skip              | english                 |
| english   | an English version?                       | text, or skip                | ack                     |
| ack       | must they press "I have read this"?       | yes / no                     | urgent                  |
| urgent    | urgent (past quiet hours and opt-outs)?   | yes / no                     | end: draft              |
| confirm   | how many will get it                      | now / later / cancel         | end: send; when; end    |
| when      | the date and time to send at              | "25/5/2026 08:00"            | end: schedule           |

The "draft" record makes the handler count the audience and show the preview exactly as
recipients will see it; it then opens `confirm` with `count`, `skipped` and `now_local`
(the campaign's local time, ISO, naive). Pressing "send" ends the flow, so a second
press is a stale button and nothing is sent twice.

The handler passes: `scopes` [{id, name, kind}], `scope` (when there is one only),
`parts` {scope id: [{id, name}]}, `milestones` [{id, title}], `text_limit` and
`caption_limit` (Telegram's limits less the frame), and `menu` [keys] when the menu
shows.
"""

# readers: principal dept_admin

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta
from typing import Any

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
from bot.text import Plain, T, Text

LABEL_LIMIT = 60
MAX_AHEAD = timedelta(days=366)
WHEN = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s+(\d{1,2})(?:\s*[:hH.]\s*(\d{2})?)?\s*$")

AUDIENCES = {
    "everyone": T("👥 Everyone"),
    "staff": T("🧑‍🏫 Staff"),
    "parents": T("👪 Parents"),
    "students": T("🎒 Students"),
    "orgs": T("🏫 Chosen classes or units"),
    "missing": T("⏳ Those who have not completed a milestone"),
}
SCHOOLS_LABEL = T("🏫 Chosen schools")
PROVINCE_PARTS_LABEL = T("🏫 Chosen communes, wards or schools")
SKIP = T("Skip ⏭")
YES, NO = T("Yes"), T("No")

TOO_LONG = T(
    "That text has {length} characters; a notice can have at most {limit} (Telegram's limit, "
    "with the bot's header). Please shorten it and send it again."
)
CAPTION_TOO_LONG = T(
    "With a photo or file attached, the text must fit in {limit} characters (Telegram's limit "
    "for captions); it has {length}. Press Skip to send the text alone, or /cancel and start "
    "again with a shorter text."
)
EMPTY_TEXT = T("Please write the text of the notice.")
BAD_WHEN = T("Please write the date and time like this: 25/5/2026 08:00")
NO_SUCH_DAY = T("There is no such date. Please check the day and month.")
PAST = T("That time has already passed. Please choose a time in the future.")
TOO_FAR = T("That is more than a year ahead. Please choose a time within a year.")
CANCELLED = T("Nothing was sent.")


def _label(text: str) -> str:
    return text if len(text) <= LABEL_LIMIT else text[: LABEL_LIMIT - 1] + "…"


def _scope(data: Data) -> dict[str, Any]:
    return next(s for s in data["scopes"] if s["id"] == data["scope"])


def _parts(data: Data) -> list[dict[str, Any]]:
    return list(data.get("parts", {}).get(str(data.get("scope")), []))


# menu ------------------------------------------------------------------------------


def _menu_choices(data: Data) -> tuple[Choice, ...]:
    labels = {
        "new": T("✍️ Write a new notice"),
        "scheduled": T("🗓 Scheduled notices"),
        "results": T("📊 Results of recent notices"),
    }
    return tuple(Choice(key, labels[key]) for key in ("new", *data.get("menu", ())))


def _on_menu(data: Data, key: str) -> Outcome:
    if key == "new":
        return Go("audience" if data.get("scope") is not None else "scope")
    return Finish((Record(key),))


# scope and audience ---------------------------------------------------------------------


def _scope_choices(data: Data) -> tuple[Choice, ...]:
    return tuple(Choice(str(s["id"]), Plain(_label(s["name"]))) for s in data["scopes"])


def _on_scope(data: Data, key: str) -> Outcome:
    return Go("audience", {"scope": int(key), "orgs": []})


def _audience_prompt(data: Data) -> Text:
    return T("Who should receive the notice from {org}?", org=Plain(_scope(data)["name"]))


def _audience_choices(data: Data) -> tuple[Choice, ...]:
    found = []
    for key, label in AUDIENCES.items():
        if key == "orgs":
            if not _parts(data):
                continue
            if _scope(data)["kind"] == "province":
                label = PROVINCE_PARTS_LABEL
            elif _scope(data)["kind"] != "school":
                label = SCHOOLS_LABEL
        if key == "missing" and not data.get("milestones"):
            continue
        found.append(Choice(key, label))
    return tuple(found)


def _on_audience(data: Data, key: str) -> Outcome:
    if key == "orgs":
        return Go("orgs", {"audience": key, "orgs": []})
    if key == "missing":
        return Go("milestone", {"audience": key})
    return Go("text", {"audience": key, "orgs": [], "missing": None})


def _orgs_prompt(data: Data) -> Text:
    if data.get("orgs"):
        return T("Press the ones to add or remove, then “Done”.")
    return T("Which ones? Press each you want, then “Done”.")


def _orgs_choices(data: Data) -> tuple[Choice, ...]:
    chosen = set(data.get("orgs") or ())
    found = [
        Choice(str(p["id"]), Plain(("☑️ " if p["id"] in chosen else "▫️ ") + _label(p["name"])))
        for p in _parts(data)
    ]
    if chosen:
        found.append(Choice("done", T("Done ✅")))
    return tuple(found)


def _on_orgs(data: Data, key: str) -> Outcome:
    if key == "done":
        return Go("text", {"missing": None})
    chosen = list(data.get("orgs") or ())
    org_id = int(key)
    chosen = [i for i in chosen if i != org_id] if org_id in chosen else [*chosen, org_id]
    return Go("orgs", {"orgs": chosen})


def _milestone_choices(data: Data) -> tuple[Choice, ...]:
    return tuple(Choice(m["id"], Plain(_label(m["title"]))) for m in data["milestones"])


def _on_milestone(data: Data, key: str) -> Outcome:
    return Go("text", {"missing": key, "orgs": []})


# texts --------------------------------------------------------------------------------


def clean(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


def _text_prompt(data: Data) -> Text:
    return T(
        "Please write the notice, as recipients should read it (at most {limit} characters). "
        "You can also send a photo or a file with the text as its caption.",
        limit=int(data["text_limit"]),
    )


def _check(text: str, limit: int, media: bool) -> Stay | None:
    if not text:
        return Stay(EMPTY_TEXT)
    if len(text) > limit:
        return Stay(
            T((CAPTION_TOO_LONG if media else TOO_LONG).msgid, length=len(text), limit=limit)
        )
    return None


def _on_text(data: Data, text: str) -> Outcome:
    text = clean(text)
    problem = _check(text, int(data["text_limit"]), media=False)
    return problem or Go("media", {"text": text, "media_kind": None, "media_file_id": None})


def _on_text_file(data: Data, file: FileInput) -> Outcome:
    text = clean(file.caption or "")
    if not text:
        return Stay(T("Please write the text as the file's caption, or send the text first."))
    limit = int(data["caption_limit"])
    if len(text) > limit:
        return Stay(T(TOO_LONG.msgid, length=len(text), limit=limit))
    return Go("english", {"text": text, "media_kind": file.kind, "media_file_id": file.file_id})


def _media_prompt(_data: Data) -> Text:
    return T("Would you like to attach a photo or a file? Send it now, or press Skip.")


def _on_media(data: Data, file: FileInput) -> Outcome:
    text = data["text"]
    limit = int(data["caption_limit"])
    if len(text) > limit:
        return Stay(T(CAPTION_TOO_LONG.msgid, length=len(text), limit=limit))
    return Go("english", {"media_kind": file.kind, "media_file_id": file.file_id})


def _skip(_data: Data) -> tuple[Choice, ...]:
    return (Choice("skip", SKIP),)


def _on_media_skip(data: Data, key: str) -> Outcome:
    return Go("english", {"media_kind": None, "media_file_id": None})


def _english_prompt(_data: Data) -> Text:
    return T(
        "Would you like to add an English version for those who use the bot in English? "
        "Send it now, or press Skip."
    )


def _on_english(data: Data, text: str) -> Outcome:
    text = clean(text)
    media = bool(data.get("media_kind"))
    limit = int(data["caption_limit"] if media else data["text_limit"])
    problem = _check(text, limit, media)
    return problem or Go("ack", {"text_en": text})


def _on_english_skip(data: Data, key: str) -> Outcome:
    return Go("ack", {"text_en": None})


def _yes_no(_data: Data) -> tuple[Choice, ...]:
    return (Choice("yes", YES), Choice("no", NO))


def _on_ack(data: Data, key: str) -> Outcome:
    return Go("urgent", {"needs_ack": key == "yes"})


def _on_urgent(data: Data, key: str) -> Outcome:
    return Finish((Record("draft", {**data, "urgent": key == "yes"}),))


# confirm and when ---------------------------------------------------------------------------


def _confirm_prompt(data: Data) -> Text:
    if data.get("skipped"):
        return T(
            "It will go to {count} people ({skipped} more are left out: they cannot be reached "
            "or turned announcements off). Send it now, or at a time you choose?",
            count=int(data["count"]),
            skipped=int(data["skipped"]),
        )
    return T(
        "It will go to {count} people. Send it now, or at a time you choose?",
        count=int(data["count"]),
    )


def _confirm_choices(_data: Data) -> tuple[Choice, ...]:
    return (
        Choice("now", T("📨 Send now")),
        Choice("later", T("🗓 Send at a time")),
        Choice("cancel", T("Cancel")),
    )


def _on_confirm(data: Data, key: str) -> Outcome:
    if key == "now":
        return Finish((Record("send", dict(data)),))
    if key == "later":
        return Go("when")
    return Finish((Reply(CANCELLED),))


def _when_prompt(_data: Data) -> Text:
    return T("When should it be sent? Write the date and time, for example 25/5/2026 08:00.")


def parse_when(text: str) -> datetime | str:
    """A local date and time, or the reason it is not one: format, no_such_day."""
    found = WHEN.match(text)
    if found is None:
        return "format"
    day, month, year, hour, minute = (int(g) if g else 0 for g in found.groups())
    if hour > 23 or minute > 59:
        return "format"
    try:
        return datetime(year, month, day, hour, minute)  # noqa: DTZ001 - local wall time
    except ValueError:
        return "no_such_day"


def _on_when(data: Data, text: str) -> Outcome:
    when = parse_when(text)
    if when == "format":
        return Stay(BAD_WHEN)
    if when == "no_such_day":
        return Stay(NO_SUCH_DAY)
    assert isinstance(when, datetime)
    now = datetime.fromisoformat(data["now_local"])
    if when <= now:
        return Stay(PAST)
    if when > now + MAX_AHEAD:
        return Stay(TOO_FAR)
    return Finish((Record("schedule", {**data, "send_at_local": when.isoformat()}),))


BROADCAST = Flow(
    name="broadcast",
    first="audience",
    steps={
        "menu": Step(
            prompt=lambda _d: T("What would you like to do?"),
            choices=_menu_choices,
            on_pick=_on_menu,
        ),
        "scope": Step(
            prompt=lambda _d: T("Which school or unit is the notice from?"),
            choices=_scope_choices,
            on_pick=_on_scope,
        ),
        "audience": Step(prompt=_audience_prompt, choices=_audience_choices, on_pick=_on_audience),
        "orgs": Step(prompt=_orgs_prompt, choices=_orgs_choices, on_pick=_on_orgs),
        "milestone": Step(
            prompt=lambda _d: T("Send it to those who have not completed which milestone?"),
            choices=_milestone_choices,
            on_pick=_on_milestone,
        ),
        "text": Step(
            prompt=_text_prompt,
            on_text=_on_text,
            on_file=_on_text_file,
            wrong_kind=EMPTY_TEXT,
        ),
        "media": Step(
            prompt=_media_prompt,
            choices=_skip,
            on_pick=_on_media_skip,
            on_file=_on_media,
        ),
        "english": Step(
            prompt=_english_prompt, choices=_skip, on_pick=_on_english_skip, on_text=_on_english
        ),
        "ack": Step(
            prompt=lambda _d: T("Should recipients press “I have read this” after reading it?"),
            choices=_yes_no,
            on_pick=_on_ack,
        ),
        "urgent": Step(
            prompt=lambda _d: T(
                "Is it urgent? Urgent notices are sent at once, even during quiet hours and to "
                "those who turned announcements off."
            ),
            choices=_yes_no,
            on_pick=_on_urgent,
        ),
        "confirm": Step(prompt=_confirm_prompt, choices=_confirm_choices, on_pick=_on_confirm),
        "when": Step(prompt=_when_prompt, on_text=_on_when, wrong_kind=BAD_WHEN),
    },
)


def start_at(data: Data) -> str:
    if data.get("menu"):
        return "menu"
    return "audience" if data.get("scope") is not None else "scope"
