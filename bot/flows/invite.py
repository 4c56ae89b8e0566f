"""/invite: which unit, which role, then a link and a QR code.

| step | shows                                | pick             | next       |
|------|--------------------------------------|------------------|------------|
| unit | units this person may invite into    | an org id        | role       |
| role | roles this person may grant there    | a role           | end: invite|

The handler computes the options (`units`: [[id, name], …], `roles`: {id: [role, …]})
before the flow starts; a unit with one possible role skips the second question.
"""

# readers: staff principal dept_admin

from __future__ import annotations

from bot.flows.engine import Choice, Data, Finish, Flow, Go, Outcome, Record, Step
from bot.flows.onboarding import ROLE_NAMES
from bot.text import Plain, T, Text


def _units(data: Data) -> tuple[Choice, ...]:
    return tuple(Choice(str(org_id), Plain(name)) for org_id, name in data["units"])


UNIT_HEAD = "unit_head"  # a staff invite that makes whoever opens it the unit's head
HEAD_NAME = T("Head of the unit (tổ trưởng)")


def role_name(role: str) -> Text:
    return HEAD_NAME if role == UNIT_HEAD else ROLE_NAMES[role]


def _roles(data: Data) -> tuple[Choice, ...]:
    return tuple(Choice(role, role_name(role)) for role in data["roles"][data["unit"]])


def _on_unit(data: Data, key: str) -> Outcome:
    roles = data["roles"][key]
    if len(roles) == 1:
        return Finish((Record("invite", {"org_id": int(key), "role": roles[0]}),))
    return Go("role", {"unit": key})


def _on_role(data: Data, key: str) -> Outcome:
    return Finish((Record("invite", {"org_id": int(data["unit"]), "role": key}),))


INVITE = Flow(
    name="invite",
    first="unit",
    steps={
        "unit": Step(
            prompt=lambda _data: T("Which class or unit is the invite for?"),
            choices=_units,
            on_pick=_on_unit,
        ),
        "role": Step(
            prompt=lambda _data: T("Who is the invite for?"), choices=_roles, on_pick=_on_role
        ),
    },
)
