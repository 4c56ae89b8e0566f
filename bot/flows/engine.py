"""The flow engine: `start(flow, data)` and `step(flow, state, input)`, both pure.

A `Flow` is a table of named `Step`s. Each step has a prompt, optional
choices (buttons, or numbered answers on channels without buttons) and
handlers for a pick, a text or a file. A handler returns an `Outcome`:
go to another step, stay with a hint, or finish with records to write.
Inputs the step does not accept get a polite hint and the prompt again;
picks from an older step (stale buttons) are answered without effect.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from bot.text import Joined, T, Text

Data = Mapping[str, Any]


# Inputs -------------------------------------------------------------------


@dataclass(frozen=True)
class TextInput:
    text: str


@dataclass(frozen=True)
class Pick:
    """A button press (or numbered answer) naming the step it was offered at."""

    step: str
    key: str


@dataclass(frozen=True)
class FileInput:
    """A photo or document: Telegram's file id and metadata, never the bytes."""

    kind: str  # "photo" | "document"
    file_id: str
    file_unique_id: str
    size: int | None = None
    mime_type: str | None = None
    file_name: str | None = None
    caption: str | None = None


@dataclass(frozen=True)
class OtherInput:
    """Anything else: sticker, voice, contact, location, video note…"""

    kind: str


Input = TextInput | Pick | FileInput | OtherInput


# Effects ------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    key: str
    label: Text


@dataclass(frozen=True)
class Reply:
    """Say `text`; `choices`, if any, belong to `step` of `flow`."""

    text: Text
    choices: tuple[Choice, ...] = ()
    flow: str = ""
    step: str = ""


@dataclass(frozen=True)
class Record:
    """Something for a service to write once the flow says so."""

    kind: str
    data: Data = field(default_factory=dict)


@dataclass(frozen=True)
class SetLanguage:
    """From here on, render in this language."""

    language: str


Effect = Reply | Record | SetLanguage


# Outcomes a step handler returns ----------------------------------------------


@dataclass(frozen=True)
class Go:
    step: str
    data: Data = field(default_factory=dict)
    effects: tuple[Effect, ...] = ()


@dataclass(frozen=True)
class Stay:
    hint: Text


@dataclass(frozen=True)
class Finish:
    effects: tuple[Effect, ...] = ()


Outcome = Go | Stay | Finish


ANSWER_WITH_BUTTONS = T("Please answer with one of the buttons below.")
STALE = T("That button belongs to an earlier message, so nothing was changed.")


# Declarations -----------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    prompt: Callable[[Data], Text]
    choices: Callable[[Data], tuple[Choice, ...]] = lambda _data: ()
    on_pick: Callable[[Data, str], Outcome] | None = None
    on_text: Callable[[Data, str], Outcome] | None = None
    on_file: Callable[[Data, FileInput], Outcome] | None = None
    # Other inputs by kind: a sticker, or an event such as a quiz poll closed by its timer.
    on_other: Callable[[Data, str], Outcome] | None = None
    # What to say when the input is of a kind this step does not take.
    wrong_kind: Text = field(default_factory=lambda: ANSWER_WITH_BUTTONS)


@dataclass(frozen=True)
class Flow:
    name: str
    first: str
    steps: Mapping[str, Step]

    def __post_init__(self) -> None:
        if self.first not in self.steps:
            raise ValueError(f"flow {self.name}: first step {self.first!r} is not declared")


@dataclass(frozen=True)
class State:
    """Where a person is in a flow. JSON-safe: flow and step names plus plain data."""

    flow: str
    step: str
    data: Data = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"flow": self.flow, "step": self.step, "data": dict(self.data)}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> State:
        return cls(flow=str(raw["flow"]), step=str(raw["step"]), data=dict(raw.get("data", {})))


@dataclass(frozen=True)
class Result:
    state: State | None  # None: the flow ended
    effects: tuple[Effect, ...]


# The engine -------------------------------------------------------------------


def start(flow: Flow, data: Data | None = None, at: str | None = None) -> Result:
    if at is not None and at not in flow.steps:
        raise ValueError(f"flow {flow.name}: unknown step {at!r}")
    state = State(flow.name, at or flow.first, dict(data or {}))
    return Result(state, (_prompt(flow, state),))


def step(flow: Flow, state: State, event: Input) -> Result:
    if state.flow != flow.name or state.step not in flow.steps:
        raise ValueError(f"state {state.flow}/{state.step} does not belong to flow {flow.name}")
    current = flow.steps[state.step]
    outcome = _dispatch(current, state, event)
    if outcome is None:
        if isinstance(event, Pick):
            return Result(state, (Reply(STALE), _prompt(flow, state)))
        return Result(state, (_prompt(flow, state, hint=current.wrong_kind),))
    return _apply(flow, state, outcome)


def _dispatch(current: Step, state: State, event: Input) -> Outcome | None:
    choices = current.choices(state.data)
    if isinstance(event, Pick):
        if event.step != state.step or current.on_pick is None:
            return None
        if event.key not in {choice.key for choice in choices}:
            return None
        return current.on_pick(state.data, event.key)
    if isinstance(event, TextInput):
        picked = _numbered(event.text, choices)
        if picked is not None and current.on_pick is not None:
            return current.on_pick(state.data, picked)
        if current.on_text is not None:
            return current.on_text(state.data, event.text)
        return None
    if isinstance(event, FileInput) and current.on_file is not None:
        return current.on_file(state.data, event)
    if isinstance(event, OtherInput) and current.on_other is not None:
        return current.on_other(state.data, event.kind)
    return None


def _numbered(text: str, choices: tuple[Choice, ...]) -> str | None:
    """'2' picks the second choice: the way channels without buttons answer."""
    text = text.strip().rstrip(".)")
    # ASCII digits only: "²" or "٣" pass str.isdigit() but are not numbers int() reads.
    if text.isascii() and text.isdigit() and len(text) <= 3 and 1 <= int(text) <= len(choices):
        return choices[int(text) - 1].key
    return None


def _apply(flow: Flow, state: State, outcome: Outcome) -> Result:
    if isinstance(outcome, Stay):
        return Result(state, (_prompt(flow, state, hint=outcome.hint),))
    if isinstance(outcome, Finish):
        return Result(None, outcome.effects)
    if outcome.step not in flow.steps:
        raise ValueError(f"flow {flow.name}: unknown step {outcome.step!r}")
    following = replace(state, step=outcome.step, data={**state.data, **outcome.data})
    return Result(following, (*outcome.effects, _prompt(flow, following)))


def _prompt(flow: Flow, state: State, hint: Text | None = None) -> Reply:
    current = flow.steps[state.step]
    text = current.prompt(state.data)
    if hint is not None:
        text = Joined((hint, text))
    return Reply(text, current.choices(state.data), flow.name, state.step)
