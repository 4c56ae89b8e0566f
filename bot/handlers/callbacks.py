"""Typed, versioned callback data. Packed it must fit Telegram's 64 bytes."""

from __future__ import annotations

from typing import Any

from aiogram.filters import Filter
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery

VERSION = 1


class FlowCallback(CallbackData, prefix="f"):
    """A choice offered at `step` of `flow`; `v` lets old buttons be told apart."""

    v: int
    flow: str
    step: str
    key: str


class FlowButton(Filter):
    """A press on a flow button of this VERSION; the handler gets it as `callback_data`.

    The same as `FlowCallback.filter(F.v == VERSION)`, reading the packed form directly:
    presses are the busiest event, and validating a model for each cost more than the
    rest of the parsing.
    """

    index_keys = frozenset({f"cb:{FlowCallback.__prefix__}"})  # for the Switchboard

    async def __call__(self, query: CallbackQuery) -> bool | dict[str, Any]:
        parts = (query.data or "").split(":")
        if len(parts) != 5 or parts[0] != FlowCallback.__prefix__ or parts[1] != str(VERSION):
            return False
        _, _, flow, step, key = parts
        button = FlowCallback.model_construct(v=VERSION, flow=flow, step=step, key=key)
        return {"callback_data": button}


class ReviewCallback(CallbackData, prefix="rv"):
    """A principal's decision on revision `r` of report `id`: ok (approve), no (reject), skip."""

    v: int
    id: int
    r: int
    a: str


class AgainCallback(CallbackData, prefix="ra"):
    """'Report again' under a rejection notice: opens /report at milestone `m`."""

    v: int
    m: str
