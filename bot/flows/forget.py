"""/forget: ask once more before deleting anything."""

from __future__ import annotations

from bot.flows.engine import Choice, Data, Finish, Flow, Outcome, Record, Reply, Step
from bot.text import T


def _prompt(_data: Data) -> T:
    return T(
        "This deletes your name, your Telegram account number and your evidence from the bot, "
        "and you will stop receiving notices. The school's totals keep an anonymous count. "
        "It cannot be undone. Delete your data?"
    )


def _choices(_data: Data) -> tuple[Choice, ...]:
    return (Choice("delete", T("🗑 Yes, delete my data")), Choice("keep", T("No, keep it")))


def _decided(_data: Data, key: str) -> Outcome:
    if key == "delete":
        return Finish((Record("forget"),))
    return Finish((Reply(T("Nothing was deleted.")),))


FORGET = Flow(
    name="forget",
    first="confirm",
    steps={"confirm": Step(prompt=_prompt, choices=_choices, on_pick=_decided)},
)
