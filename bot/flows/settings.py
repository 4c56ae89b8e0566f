"""/settings: language, quiet hours, non-urgent announcements. Each change is saved at once.

| step     | shows                                   | input                           | next            |
|----------|-----------------------------------------|---------------------------------|-----------------|
| menu     | the current values                      | language / quiet / news / done  | that step; end  |
| language | the /language question (reused)         | vi, en                          | menu: language  |
| quiet    | current and school's hours, presets     | school / a preset / off / back, | menu: quiet_hours |
|          |                                         | or typed "HH:MM-HH:MM"          |                 |
| news     | whether they arrive; urgent ones always | on / off / back                 | menu: announcements |

Data: `saved` (the menu opens with "Saved." after a change), `language`, `quiet` (None: the school's; "off"; "HH:MM-HH:MM"), `school_quiet`
(the school's window as configured, or None) and `announcements` (bool). Records:
`language` {language}, `quiet_hours` {value}, `announcements` {wanted}.
"""

# readers: parent student staff principal dept_admin superadmin

from __future__ import annotations

import re
from typing import Any

from bot.flows.engine import Choice, Data, Finish, Flow, Go, Outcome, Record, Reply, Stay, Step
from bot.flows.language import LANGUAGE
from bot.text import Joined, Plain, T, Text

OFF = "off"
MAX_MINUTES = 12 * 60  # longer would hold back reminders for most of the day
PRESETS = {"2100-0630": "21:00-06:30", "2200-0700": "22:00-07:00"}
LANGUAGE_NAMES = {"vi": Plain("Tiếng Việt"), "en": Plain("English")}
BACK = Choice("back", T("⬅️ Back"))

_TYPED = re.compile(
    r"^\s*(\d{1,2})(?:\s*[:hg.]\s*(\d\d))?\s*h?\s*(?:-|–|—|đến|to)\s*"
    r"(\d{1,2})(?:\s*[:hg.]\s*(\d\d))?\s*h?\s*$",
    re.IGNORECASE,
)
HOURS_HINT = T("Please type the hours from–to, for example 22:00-06:30, or choose a button.")
NOT_A_TIME = T("That is not a time of day: hours go from 00 to 23 and minutes from 00 to 59.")
SAME_ENDS = T(
    "The start and the end are the same. To have no quiet hours, choose “No quiet hours”."
)
TOO_LONG = T("Quiet hours can last at most 12 hours, so that messages still reach you by day.")


def hours_text(value: str | None) -> Text:
    """A window as people read it (22:00–07:00), or "none"."""
    if not value or value == OFF:
        return T("none")
    return Plain(value.replace("-", "–"))


def quiet_text(value: str | None, school: str | None) -> Text:
    if value is None:
        return T("the school's ({hours})", hours=hours_text(school))
    return hours_text(value)


def news_text(wanted: bool) -> Text:
    return T("on") if wanted else T("off (urgent notices still arrive)")


def parse_hours(text: str) -> tuple[str | None, Text | None]:
    """(\"HH:MM-HH:MM\", None) for an acceptable typed window, else (None, why not)."""
    found = _TYPED.match(text)
    if found is None:
        return None, HOURS_HINT
    h1, m1, h2, m2 = (int(part) if part else 0 for part in found.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        return None, NOT_A_TIME
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if start == end:
        return None, SAME_ENDS
    if (end - start) % (24 * 60) > MAX_MINUTES:
        return None, TOO_LONG
    return f"{h1:02d}:{m1:02d}-{h2:02d}:{m2:02d}", None


# menu ---------------------------------------------------------------------------


def _menu_prompt(data: Data) -> Text:
    language = data["language"]
    saved: tuple[Text, ...] = (T("✅ Saved."),) if data.get("saved") else ()
    return Joined(
        (
            *saved,
            T("⚙️ Your settings"),
            T("Language: {language}", language=LANGUAGE_NAMES.get(language, Plain(language))),
            T("Quiet hours: {hours}", hours=quiet_text(data["quiet"], data["school_quiet"])),
            T("Non-urgent announcements: {state}", state=news_text(data["announcements"])),
            T("What would you like to change?"),
        ),
        sep="\n",
    )


def _menu_choices(_data: Data) -> tuple[Choice, ...]:
    return (
        Choice("language", T("🌐 Language")),
        Choice("quiet", T("🌙 Quiet hours")),
        Choice("news", T("📢 Announcements")),
        Choice("done", T("✔️ Done")),
    )


def _on_menu(_data: Data, key: str) -> Outcome:
    if key == "done":
        return Finish((Reply(T("Your settings are saved. /help shows what you can do.")),))
    return Go(key, {"saved": False})


# language: the /language question itself --------------------------------------

_PICK = LANGUAGE.steps[LANGUAGE.first]


def _on_language(data: Data, key: str) -> Outcome:
    assert _PICK.on_pick is not None
    chosen = _PICK.on_pick(data, key)  # what /language does: render in it, record it
    effects = chosen.effects if isinstance(chosen, Finish) else ()
    return Go("menu", {"language": key, "saved": True}, effects)


# quiet hours ----------------------------------------------------------------------


def _quiet_prompt(data: Data) -> Text:
    return Joined(
        (
            T(
                "Quiet hours: messages that are not urgent wait until they are over. "
                "Urgent school notices still arrive."
            ),
            T("Now: {hours}.", hours=quiet_text(data["quiet"], data["school_quiet"])),
            T("Choose below, or type your own hours, for example 22:00-06:30."),
        ),
        sep="\n",
    )


def _quiet_choices(data: Data) -> tuple[Choice, ...]:
    school = data["school_quiet"]
    presets = tuple(
        Choice(key, hours_text(value)) for key, value in PRESETS.items() if value != school
    )
    return (
        Choice("school", T("The school's ({hours})", hours=hours_text(school))),
        *presets,
        Choice(OFF, T("No quiet hours")),
        BACK,
    )


def _chosen_hours(value: str | None) -> Outcome:
    return Go("menu", {"quiet": value, "saved": True}, (Record("quiet_hours", {"value": value}),))


def _on_quiet(_data: Data, key: str) -> Outcome:
    if key == "back":
        return Go("menu")
    if key == "school":
        return _chosen_hours(None)
    return _chosen_hours(OFF if key == OFF else PRESETS[key])


def _on_quiet_text(_data: Data, text: str) -> Outcome:
    value, problem = parse_hours(text)
    if problem is not None:
        return Stay(problem)
    return _chosen_hours(value)


# announcements --------------------------------------------------------------------


def _news_prompt(data: Data) -> Text:
    return Joined(
        (
            T("Non-urgent announcements: {state}.", state=news_text(data["announcements"])),
            T(
                "These are the school's general notices. Urgent school notices always "
                "arrive, whatever you choose, and so do messages about your own reports."
            ),
        ),
        sep="\n",
    )


def _news_choices(_data: Data) -> tuple[Choice, ...]:
    return (
        Choice("on", T("🔔 Receive them")),
        Choice("off", T("🔕 Only urgent notices")),
        BACK,
    )


def _on_news(_data: Data, key: str) -> Outcome:
    if key == "back":
        return Go("menu")
    wanted = key == "on"
    record = Record("announcements", {"wanted": wanted})
    return Go("menu", {"announcements": wanted, "saved": True}, (record,))


SETTINGS = Flow(
    name="settings",
    first="menu",
    steps={
        "menu": Step(prompt=_menu_prompt, choices=_menu_choices, on_pick=_on_menu),
        "language": Step(
            prompt=_PICK.prompt,
            choices=_PICK.choices,
            on_pick=_on_language,
            wrong_kind=_PICK.wrong_kind,
        ),
        "quiet": Step(
            prompt=_quiet_prompt,
            choices=_quiet_choices,
            on_pick=_on_quiet,
            on_text=_on_quiet_text,
        ),
        "news": Step(prompt=_news_prompt, choices=_news_choices, on_pick=_on_news),
    },
)


def start_data(
    language: str, quiet: str | None, school_quiet: str | None, announcements: bool
) -> dict[str, Any]:
    school = None if not school_quiet or school_quiet.strip().lower() == OFF else school_quiet
    return {
        "language": language,
        "quiet": quiet,
        "school_quiet": school,
        "announcements": announcements,
        "saved": False,
    }
