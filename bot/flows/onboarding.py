"""Onboarding: language → consent → name (→ child → relation, parents) → joined.

| step     | shows                              | pick / text           | next              |
|----------|------------------------------------|-----------------------|-------------------|
| language | bilingual greeting                 | vi, en                | consent           |
| consent  | what is stored, why, how to delete | accept                | name              |
|          |                                    | decline               | end, no record    |
| name     | name from Telegram, editable       | keep / a typed name   | parents: child    |
|          |                                    |                       | others: end: join |
| child    | "your child's name in {unit}?"     | "An" / "An, Bình"     | relation          |
| relation | "what are you to em An?"           | mother, father, …     | end: join         |

Data carried: `code`, `school`, `unit`, `role`, `tg_name`, `language`, then
`name` and `children`. Someone the bot already knows who opens a parent invite
starts at `child` (no name, no consent again). The `join` record is written by
the enrolment service, which checks the invite again (it may have expired while
the person was reading).
"""

from __future__ import annotations

from bot.families import (
    CHILD_NAME_MAX,
    MAX_CHILDREN,
    RELATION_CHOICES,
    children_text,
    parse_children,
)
from bot.flows.engine import (
    Choice,
    Data,
    Finish,
    Flow,
    Go,
    Outcome,
    Record,
    Reply,
    SetLanguage,
    Stay,
    Step,
)
from bot.text import NAME_MAX, Joined, Plain, T, Text, clean_name, place_name

LANGUAGE_CHOICES = (Choice("vi", Plain("🇻🇳 Tiếng Việt")), Choice("en", Plain("🇬🇧 English")))

ROLE_NAMES = {
    "parent": T("parent"),
    "student": T("student"),
    "staff": T("teacher or staff member"),
    "principal": T("school leader"),
    "dept_admin": T("education department officer"),
}
ROLE_AS = {  # "as {role}", "also {role}": English needs the article, which depends on the word
    "parent": T("a parent"),
    "student": T("a student"),
    "staff": T("a teacher or staff member"),
    "principal": T("a school leader"),
    "dept_admin": T("an education department officer"),
}


def _language_prompt(_data: Data) -> Text:
    return Plain("Xin chào! Vui lòng chọn ngôn ngữ.\nHello! Please choose your language.")


def _on_language(_data: Data, key: str) -> Outcome:
    return Go("consent", {"language": key}, (SetLanguage(key),))


def _consent_prompt(data: Data) -> Text:
    return Joined(
        (
            T(
                "You have been invited to join {place} as {role} in the "
                "“Bình dân học vụ số (Digital literacy for all)” campaign.",
                place=Plain(place_name(data["unit"], data["school"])),
                role=ROLE_AS[data["role"]],
            ),
            T(
                "What we keep: your Telegram account number, the name you give us, your "
                "language, your role, and the milestones, evidence and quiz results you "
                "report.\n"
                "Why: so the school can follow progress against the campaign's targets and "
                "send you notices and reminders.\n"
                "We never ask for phone numbers, birth dates or children's grades.\n"
                "You can see everything we keep with /mydata and delete it with /forget at "
                "any time, as the law on personal data protection provides."
            ),
            *(
                (
                    # readers: parent
                    T(
                        "Parents also give their child's name in this class and whether they "
                        "are the child's mother, father, grandparent or guardian, so that the "
                        "class teacher knows whose parent they are."
                    ),
                )
                if data["role"] == "parent"
                else ()
            ),
            T("Do you agree?"),
        )
    )


def _consent_choices(_data: Data) -> tuple[Choice, ...]:
    return (Choice("accept", T("✅ I agree")), Choice("decline", T("✖️ I do not agree")))


def _on_consent(data: Data, key: str) -> Outcome:
    if key == "accept":
        return Go("name")
    return Finish(
        (
            Record("declined"),
            Reply(
                T(
                    "Understood. We have kept nothing about you. If you change your mind, "
                    "just open the invite link again."
                )
            ),
        )
    )


def _name_prompt(data: Data) -> Text:
    if data.get("tg_name"):
        return T(
            "How should the school address you? Tap your name below to keep it, or type "
            "another name (at most {limit} characters).",
            limit=NAME_MAX,
        )
    return T("How should the school address you? Please type your name.")


def _name_choices(data: Data) -> tuple[Choice, ...]:
    return (Choice("keep", Plain(data["tg_name"])),) if data.get("tg_name") else ()


NAME_PROBLEMS = {
    "empty": T("The name cannot be empty. Please type your name."),
    "too_long": T("That name is too long: please keep it to {limit} characters.", limit=NAME_MAX),
    "no_letters": T("A name needs at least one letter. Please type your name."),
}


def _on_name_pick(data: Data, key: str) -> Outcome:
    return _join(data, data["tg_name"])


def _on_name_text(data: Data, text: str) -> Outcome:
    name, problem = clean_name(text)
    if name is None:
        return Stay(NAME_PROBLEMS[problem or "empty"])
    return _join(data, name)


def _join(data: Data, name: str) -> Outcome:
    if data["role"] == "parent":
        return Go("child", {"name": name})
    return _finish(data, name)


def _finish(data: Data, name: str | None, **family: object) -> Outcome:
    return Finish(
        (
            Record(
                "join",
                {"code": data["code"], "name": name, "language": data["language"], **family},
            ),
        )
    )


def _child_prompt(data: Data) -> Text:
    # readers: parent
    return T(
        "Please tell us your child's name in class {unit}, as the class knows it (for "
        "example: An, or Nguyễn Văn An). For two or more children in this class, write all "
        "their names separated by commas (for example: An, Bình). Only the school's "
        "teachers see it.",
        unit=Plain(data["unit"]),
    )


CHILD_PROBLEMS = {
    # readers: parent
    "empty": T("Please type your child's name."),
    # readers: parent
    "too_long": T(
        "That name is too long: please keep each child's name to {limit} characters.",
        limit=CHILD_NAME_MAX,
    ),
    # readers: parent
    "no_letters": T("A name needs at least one letter. Please type your child's name."),
    # readers: parent
    "too_many": T(
        "Please name at most {limit} children here. For more, please ask the class teacher.",
        limit=MAX_CHILDREN,
    ),
}


def _on_child_text(data: Data, text: str) -> Outcome:
    children, problem = parse_children(text)
    if children is None:
        return Stay(CHILD_PROBLEMS[problem or "empty"])
    return Go("relation", {"children": list(children)})


def _relation_prompt(data: Data) -> Text:
    # readers: parent
    return T("And what are you to {children}?", children=children_text(tuple(data["children"])))


def _relation_choices(_data: Data) -> tuple[Choice, ...]:
    return tuple(Choice(key, label) for key, label in RELATION_CHOICES.items())


def _on_relation(data: Data, key: str) -> Outcome:
    return _finish(data, data.get("name"), children=list(data["children"]), relation=key)


ONBOARDING = Flow(
    name="onboarding",
    first="language",
    steps={
        "language": Step(
            prompt=_language_prompt,
            choices=lambda _data: LANGUAGE_CHOICES,
            on_pick=_on_language,
            wrong_kind=Plain("Vui lòng chọn một nút bên dưới. / Please tap a button below."),
        ),
        "consent": Step(prompt=_consent_prompt, choices=_consent_choices, on_pick=_on_consent),
        "name": Step(
            prompt=_name_prompt,
            choices=_name_choices,
            on_pick=_on_name_pick,
            on_text=_on_name_text,
            wrong_kind=T("Please type your name as text."),
        ),
        "child": Step(
            prompt=_child_prompt,
            on_text=_on_child_text,
            # readers: parent
            wrong_kind=T("Please type your child's name as text."),
        ),
        "relation": Step(prompt=_relation_prompt, choices=_relation_choices, on_pick=_on_relation),
    },
)
