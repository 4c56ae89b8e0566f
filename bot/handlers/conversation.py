"""Runs declared flows over Telegram: stores their state, renders their effects.

The FSM state is `flow:<name>:<step>` and the FSM data is the flow's data, so
conversations survive a restart in whichever storage the bot runs on; the state
is written in the update's transaction (storage.conversation). Records a flow
emits go to the finisher registered for that flow in the `FlowRegistry`, which
`bot.handlers.build_flows` builds beside the routers.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.flows import engine
from bot.flows.engine import (
    Effect,
    FileInput,
    Flow,
    Input,
    OtherInput,
    Record,
    Reply,
    SetLanguage,
    TextInput,
)
from bot.handlers.callbacks import VERSION, FlowCallback
from bot.i18n import Renderer
from bot.text import Joined, Plain, Text
from bot.turn import Turn

TEXT_LIMIT = 4096


@dataclass(frozen=True)
class Attachment:
    """A file a finisher sends after the text before it (an invite's QR code after its link)."""

    kind: str  # photo | document
    file: bytes | str
    filename: str = "file"
    caption: Text | None = None


Shown = Effect | Attachment
Finisher = Callable[[Record, Turn], Awaitable[Sequence[Shown]]]
# Shows a flow's own prompts its own way (the quiz: a question as a native poll), given
# the flow's data after the step.
Presenter = Callable[[Turn, Reply, Mapping[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class FlowRegistry:
    """Every flow the bot runs, by name, with the finisher that writes its records."""

    flows: Mapping[str, Flow]
    finishers: Mapping[str, Finisher]
    presenters: Mapping[str, Presenter] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        entries: Iterable[tuple[Flow, Finisher | None]],
        presenters: Mapping[str, Presenter] | None = None,
    ) -> FlowRegistry:
        flows: dict[str, Flow] = {}
        finishers: dict[str, Finisher] = {}
        for flow, finisher in entries:
            if flow.name in flows:
                raise ValueError(f"flow {flow.name!r} is registered twice")
            flows[flow.name] = flow
            if finisher is not None:
                finishers[flow.name] = finisher
        return cls(flows, finishers, dict(presenters or {}))

    def get(self, name: str) -> Flow | None:
        return self.flows.get(name)


def raw_state(state: engine.State) -> str:
    return f"flow:{state.flow}:{state.step}"


def parse_state(raw: str | None, data: dict[str, Any]) -> engine.State | None:
    if not raw or not raw.startswith("flow:"):
        return None
    _, flow, step = raw.split(":", 2)
    return engine.State(flow, step, data)


async def current_state(turn: Turn, raw: str | None) -> engine.State | None:
    if turn.state is None or not raw or not raw.startswith("flow:"):
        return None
    return parse_state(raw, await turn.state.get_data())


@lru_cache(maxsize=4096)
def button_data(flow: str, step: str, key: str) -> str:
    """The packed callback data of a flow's choice (validated and length-checked once)."""
    return FlowCallback(v=VERSION, flow=flow, step=step, key=key).pack()


def keyboard(reply: Reply, render: Renderer) -> InlineKeyboardMarkup | None:
    if not reply.choices:
        return None
    labels = tuple((choice.key, render(choice.label)) for choice in reply.choices)

    def build() -> InlineKeyboardMarkup:
        rows = [
            [
                InlineKeyboardButton(
                    text=label, callback_data=button_data(reply.flow, reply.step, key)
                )
            ]
            for key, label in labels
        ]
        return InlineKeyboardMarkup(inline_keyboard=rows)

    if any(isinstance(choice.label, Plain) for choice in reply.choices):
        return build()  # labels from people's data (a name): one of a kind, not worth keeping
    return render.made(("keyboard", reply.flow, reply.step, labels), build)


def message_input(message: Message) -> Input:
    """What a person sent, as a flow input. Text is NFC; files keep ids, never bytes."""
    if message.text is not None:
        return TextInput(unicodedata.normalize("NFC", message.text)[:TEXT_LIMIT])
    if message.photo:
        largest = message.photo[-1]
        return FileInput(
            "photo",
            largest.file_id,
            largest.file_unique_id,
            size=largest.file_size,
            mime_type="image/jpeg",
            caption=message.caption,
        )
    if message.document is not None:
        doc = message.document
        return FileInput(
            "document",
            doc.file_id,
            doc.file_unique_id,
            size=doc.file_size,
            mime_type=doc.mime_type,
            file_name=doc.file_name,
            caption=message.caption,
        )
    return OtherInput(str(message.content_type))


class Conversation:
    """One person's chat: begin a flow, feed it input, show what it says.

    `pressed` is the id of the message whose button was just pressed: the first thing
    the flow says replaces it (its text and buttons), so the chat reads as one card
    moving forward and no old buttons are left behind. Anything more is sent as new
    messages. Nothing is sent until the update commits (see `Turn.replies`).
    """

    def __init__(self, turn: Turn, pressed: int | None = None) -> None:
        self.turn = turn
        self.pressed = pressed

    async def begin(self, flow: Flow, flow_data: dict[str, Any], at: str | None = None) -> None:
        await self._apply(flow, engine.start(flow, flow_data, at))

    async def feed(self, current: engine.State, event: Input) -> None:
        flow = self.turn.shared.flows.get(current.flow)
        if flow is None or current.step not in flow.steps:  # removed by an upgrade
            await self._end()
            return
        await self._apply(flow, engine.step(flow, current, event))

    async def show_current(self, current: engine.State, note: Any = None) -> bool:
        """Show the current step's card again (in place of the pressed message); False when
        the flow or step no longer exists."""
        flow = self.turn.shared.flows.get(current.flow)
        if flow is None or current.step not in flow.steps:
            await self._end()
            return False
        prompt = engine.start(flow, current.data, current.step).effects[0]
        assert isinstance(prompt, Reply)
        shown = (
            prompt
            if note is None
            else Reply(Joined((note, prompt.text)), prompt.choices, prompt.flow, prompt.step)
        )
        presenter = self.turn.shared.flows.presenters.get(flow.name)
        if presenter is not None:
            await presenter(self.turn, shown, current.data)
            self.show([])
        else:
            self.show([shown])
        return True

    async def _end(self) -> None:
        if self.turn.state is not None:
            await self.turn.state.clear()
        if self.pressed is not None:
            self.turn.replies.buttons(self.turn.chat_id, self.pressed, None)

    async def _apply(self, flow: Flow, result: engine.Result) -> None:
        state = self.turn.state
        assert state is not None, "flows run only where aiogram gives a conversation state"
        if result.state is None:
            await state.clear()
        else:
            await state.set_state(raw_state(result.state))
            await state.set_data(dict(result.state.data))
        finisher = self.turn.shared.flows.finishers.get(flow.name)
        presenter = self.turn.shared.flows.presenters.get(flow.name)
        done: list[Shown] = []
        for effect in result.effects:
            if isinstance(effect, SetLanguage):
                self.turn.render = self.turn.renderer(effect.language, self.turn.reader)
            if isinstance(effect, Record) and finisher is not None:
                done.extend(await finisher(effect, self.turn))
            elif (
                presenter is not None
                and isinstance(effect, Reply)
                and effect.flow == flow.name
                and result.state is not None
            ):
                self.show(done)  # what came before, in order
                done = []
                await presenter(self.turn, effect, result.state.data)
            else:
                done.append(effect)
        self.show(done)

    def show(self, effects: Sequence[Shown]) -> None:
        render = self.turn.render
        for effect in effects:
            if isinstance(effect, Attachment):
                caption = render(effect.caption) if effect.caption is not None else None
                self.turn.replies.media(
                    self.turn.chat_id, effect.kind, effect.file, caption, filename=effect.filename
                )
            elif isinstance(effect, SetLanguage):
                render = self.turn.renderer(effect.language, render.reader)
            elif isinstance(effect, Reply):
                text, markup = render(effect.text), keyboard(effect, render)
                pressed, self.pressed = self.pressed, None
                self.turn.replies.card(self.turn.chat_id, pressed, text, markup)
        if self.pressed is not None:  # nothing replaced it: at least take its buttons away
            self.turn.replies.buttons(self.turn.chat_id, self.pressed, None)
            self.pressed = None
