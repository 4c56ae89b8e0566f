"""The commands the bot answers, who may use them, and their menu texts.

One list feeds the per-person command menu (setMyCommands), /help and the
polite refusal of commands above a person's role.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.text import T

EVERYONE = frozenset({"parent", "student", "staff", "principal", "dept_admin"})
REPORTERS = frozenset({"parent", "student", "staff", "principal"})
INVITERS = frozenset({"staff", "principal", "dept_admin"})


@dataclass(frozen=True)
class CommandSpec:
    name: str
    roles: frozenset[str] | None  # None: also people who have not joined yet
    description: T
    superadmins: bool = True  # False: superadmins need one of `roles` too (own milestones)


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("start", None, T("Start, or join with an invite link")),
    CommandSpec("help", None, T("What I can do here")),
    CommandSpec("language", None, T("Tiếng Việt / English")),
    CommandSpec("cancel", None, T("Stop what we are doing")),
    CommandSpec("report", REPORTERS, T("Report a milestone, with evidence"), superadmins=False),
    CommandSpec("progress", REPORTERS, T("My milestones and what is left"), superadmins=False),
    CommandSpec(
        "quiz",
        frozenset({"parent", "student", "staff"}),
        T("Take a quiz; my best scores"),
        superadmins=False,
    ),
    CommandSpec(
        "quizstats",
        frozenset({"principal", "dept_admin"}),
        T("Quiz results: questions often missed, class standings"),
    ),
    CommandSpec(
        "stats",
        frozenset({"principal", "dept_admin"}),
        T("Indicators against the targets, with charts; the QĐ 4725 self-assessment"),
    ),
    CommandSpec(
        "class",
        frozenset({"staff", "principal"}),
        T("Progress of my class or unit; remind those who have not reported"),
        superadmins=False,
    ),
    CommandSpec("review", frozenset({"principal"}), T("Evidence waiting for verification")),
    CommandSpec(
        "broadcast",
        frozenset({"principal", "dept_admin"}),
        T("Send a notice to the school or unit"),
    ),
    CommandSpec(
        "export",
        frozenset({"principal", "dept_admin"}),
        T("Spreadsheet of tallies, people and evidence (XLSX or CSV)"),
    ),
    CommandSpec("invite", INVITERS, T("Create an invite link")),
    CommandSpec("settings", EVERYONE, T("Language, quiet hours, announcements"), superadmins=False),
    CommandSpec("deadlines", EVERYONE, T("Upcoming deadlines that concern me")),
    CommandSpec(
        "deadline", frozenset({"principal", "dept_admin"}), T("Add a deadline with reminders")
    ),
    CommandSpec(
        "nominations",
        frozenset({"principal", "dept_admin"}),
        T("Award shortlists, with the evidence behind each name"),
    ),
    CommandSpec("mydata", EVERYONE, T("See the data kept about me")),
    CommandSpec("forget", EVERYONE, T("Delete my data")),
)

BY_NAME = {spec.name: spec for spec in COMMANDS}


def allowed(spec: CommandSpec, roles: frozenset[str], superadmin: bool = False) -> bool:
    if spec.roles is None or (superadmin and spec.superadmins):
        return True
    return bool(spec.roles & roles)


def commands_for(roles: frozenset[str], superadmin: bool = False) -> tuple[CommandSpec, ...]:
    return tuple(spec for spec in COMMANDS if allowed(spec, roles, superadmin))
