"""/language: one question, two answers."""

from __future__ import annotations

from bot.flows.engine import Data, Finish, Flow, Outcome, Record, SetLanguage, Step
from bot.flows.onboarding import LANGUAGE_CHOICES
from bot.text import Plain


def _chosen(_data: Data, key: str) -> Outcome:
    return Finish((SetLanguage(key), Record("language", {"language": key})))


LANGUAGE = Flow(
    name="language",
    first="pick",
    steps={
        "pick": Step(
            prompt=lambda _data: Plain("Chọn ngôn ngữ / Choose your language:"),
            choices=lambda _data: LANGUAGE_CHOICES,
            on_pick=_chosen,
            wrong_kind=Plain("Vui lòng chọn một nút bên dưới. / Please tap a button below."),
        )
    },
)
