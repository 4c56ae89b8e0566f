"""Typed, versioned callback data. Packed it must fit Telegram's 64 bytes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aiogram.filters import Filter
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery
from pydantic import Field

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

    async def __call__(self, query: CallbackQuery) -> bool | dict[str, Any]:
        parts = (query.data or "").split(":")
        if len(parts) != 5 or parts[0] != FlowCallback.__prefix__ or parts[1] != str(VERSION):
            return False
        _, _, flow, step, key = parts
        button = FlowCallback.model_construct(v=VERSION, flow=flow, step=step, key=key)
        return {"callback_data": button}


DB_ID = Annotated[int, Field(ge=1, le=2**63 - 1)]  # what a BIGINT primary key can hold


class ReviewCallback(CallbackData, prefix="rv"):
    """A principal's decision on revision `r` of report `id`: ok (approve), no (reject), skip.

    Anything else does not parse, so a forged action or an id out of range never reaches
    the handler (the stale-button answer takes it)."""

    v: int
    id: DB_ID
    r: DB_ID
    a: Literal["ok", "no", "skip"]


class AgainCallback(CallbackData, prefix="ra"):
    """'Report again' under a rejection notice: opens /report at milestone `m` ("id", or
    "id@org" for a class's or unit's collective milestone)."""

    v: int
    m: Annotated[str, Field(pattern=r"^[a-z0-9_]{1,32}(@[0-9]{1,12})?$")]


class NudgeCallback(CallbackData, prefix="nu"):
    """A teacher's nudge of class `o` about milestone `m` (empty for the list of milestones):
    list them, ask to confirm, go (queue the reminders) or no (cancel). The class is checked
    against the presser's memberships, so a button forged for another class does nothing."""

    v: int
    o: DB_ID
    m: Annotated[str, Field(pattern=r"^[a-z0-9_]{0,32}$")]
    a: Literal["list", "ask", "go", "no"]


class AckCallback(CallbackData, prefix="ak"):
    """ "I have read this" under broadcast `b`."""

    v: int
    b: DB_ID


class NominationsCallback(CallbackData, prefix="nm"):
    """Under /nominations for school or department `o`: the XLSX sheet, or add / remove a
    name (a principal, in their school). The node is checked against the presser's scope,
    so a button forged for another school shows and changes nothing."""

    v: int
    o: DB_ID
    a: Literal["xlsx", "add", "remove"]


class BroadcastCallback(CallbackData, prefix="bc"):
    """A sender's action on broadcast `id`: cancel (a scheduled one), results, unread (who
    has not read it yet)."""

    v: int
    id: DB_ID
    a: Literal["cancel", "results", "unread"]


class HeadcountCallback(CallbackData, prefix="hc"):
    """ "Headcount" under /class for place `o` (a principal's school, a homeroom teacher's
    class). The place is checked against the presser's memberships, so a button forged for
    another school's class opens nothing."""

    v: int
    o: DB_ID


class StatsCallback(CallbackData, prefix="st"):
    """/stats at org node `o`: show it (its tallies and indicator `i`'s chart on page `p`
    of its parts), the chart alone, the weekly line, the quiz standings, or the school's
    entries (sa: the QĐ 4725 self-assessment, fig: school figures). The node is checked
    against what the presser administers, so a forged button shows nothing."""

    v: int
    o: DB_ID
    a: Literal["show", "chart", "week", "quiz", "sa", "fig"]
    i: Annotated[int, Field(ge=0, le=99)] = 0
    p: Annotated[int, Field(ge=0, le=999)] = 0


class ExportCallback(CallbackData, prefix="ex"):
    """/export at place `o`: open (its card: the file kinds, and the places below it),
    xlsx (the whole workbook), csv (the list of sheets) or sheet (sheet `s` as CSV). The
    place is checked with bot.services.scopes and the sheet against the export's sheets,
    so a forged button exports nothing."""

    v: int
    o: DB_ID
    a: Literal["open", "xlsx", "csv", "sheet"]
    s: Annotated[str, Field(pattern=r"^[a-z_]{0,12}$")] = ""
