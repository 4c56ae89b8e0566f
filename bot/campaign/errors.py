"""Plain-English messages for pydantic validation errors in a campaign pack."""

from __future__ import annotations

import difflib
from typing import Any, get_args

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from bot.campaign.fields import show_value
from bot.campaign.pack import CampaignPack

_KINDS = {
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "string": "text",
    "date": "a date like 2025-12-31",
    "list": "a list",
    "dict": "a mapping",
}


def describe(error: ErrorDetails) -> str:
    """One short message for one pydantic error (without the field path)."""
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    got = f" (got {show_value(value)})"
    if kind.startswith("pack_"):  # our own validators: the message is final
        return error["msg"]
    if kind == "missing":
        return "is missing"
    if kind == "extra_forbidden":
        return _unknown_field(error["loc"])
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected', '?')}{got}"
    if kind in ("model_type", "model_attributes_type"):
        if ctx.get("class_name") == "LocalText":
            return f"must be a mapping with 'vi' and 'en' texts{got}"
        return f"must be a mapping of fields{got}"
    if kind == "too_short":
        return (
            f"must have at least {_items(ctx.get('min_length'))} (got {ctx.get('actual_length')})"
        )
    if kind == "too_long":
        return f"must have at most {_items(ctx.get('max_length'))} (got {ctx.get('actual_length')})"
    for bound, words in (
        ("ge", "at least"),
        ("gt", "more than"),
        ("le", "at most"),
        ("lt", "less than"),
    ):
        if bound in ctx and kind.startswith(("greater", "less")):
            return f"must be {words} {show_value(ctx[bound])}{got}"
    base = kind.split("_", 1)[0]
    if base in _KINDS and kind.endswith(("_type", "_parsing", "_from_float", "_inexact")):
        return f"must be {_KINDS[base]}{got}"
    message = error["msg"].replace("Input should be", "must be")
    return message.replace("Value error, ", "")


def _items(count: Any) -> str:
    return f"{count} item" if count == 1 else f"{count} items"


def _unknown_field(loc: tuple[int | str, ...]) -> str:
    name = str(loc[-1])
    model = _model_at(loc[:-1])
    if model is None:
        return f"unknown field '{name}'"
    allowed = list(model.model_fields)
    close = difflib.get_close_matches(name, allowed, n=1)
    if close:
        return f"unknown field '{name}' (did you mean '{close[0]}'?)"
    return f"unknown field '{name}' (allowed: {', '.join(allowed)})"


def _model_at(loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The pack model found at `loc`, e.g. Milestone at ('milestones', 0)."""
    model: type[BaseModel] | None = CampaignPack
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if model else None
        if field is None:
            return None
        model = _inner_model(field.annotation)
    return model


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None
