"""Texts that flows emit: translated later, in the recipient's language."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class T:
    """A gettext message id with its parameters, rendered by the caller's translator.

    `T("Hello, {name}", name="Lan")`; the extractor knows `T` as a keyword.
    """

    msgid: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __init__(self, msgid: str, /, **params: Any) -> None:
        object.__setattr__(self, "msgid", msgid)
        object.__setattr__(self, "params", params)


@dataclass(frozen=True)
class Plain:
    """Text shown as it is, in every language (a name, a language's own name)."""

    text: str


@dataclass(frozen=True)
class Joined:
    """Several texts shown one after another, separated by `sep`."""

    parts: tuple[Text, ...]
    sep: str = "\n\n"


Text = T | Plain | Joined
