"""Typed, versioned callback data. Packed it must fit Telegram's 64 bytes."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

VERSION = 1


class FlowCallback(CallbackData, prefix="f"):
    """A choice offered at `step` of `flow`; `v` lets old buttons be told apart."""

    v: int
    flow: str
    step: str
    key: str


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
