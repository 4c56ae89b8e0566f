"""Import aiogram without building every pydantic model up front.

aiogram declares its Telegram types with `defer_build=True`, then rebuilds all
of them at import (aiogram issue #1513), which costs about 150 MB and several
seconds before the bot has done anything. Here that import-time rebuild is
skipped: each model keeps the namespace it needs and pydantic builds it the
first time it is used. A bot only ever meets a few dozen of the ~900 types.

What aiogram itself needs complete — `Update` and every type a Bot API method
returns, which aiogram wraps in generic `Response[...]` models at run time — is
built at once (about 40 types, 15 MB); the other ~850 wait for first use.

This reaches into pydantic's internals (the private parameters of
`model_rebuild`, `__pydantic_parent_namespace__`), so it is opt-in and pinned:
only `hocvuso run` and `hocvuso webhook` call `install()`, before anything imports
aiogram, and it acts only on the aiogram and pydantic versions in `TESTED`. With
any other version, or when aiogram is already imported, it steps aside and aiogram
imports as usual (more memory, same bot). tests/test_lean_import.py builds every
type this way in a fresh interpreter, and fails when a tested version changes.
"""

from __future__ import annotations

import sys
from typing import Any, Literal, Optional, Union, get_args

# Release series this was tested with (tests/test_lean_import.py): major.minor.
TESTED = {
    "aiogram": ("3.31",),
    "pydantic": ("2.7", "2.8", "2.9", "2.10", "2.11", "2.12", "2.13"),  # what aiogram 3.31 allows
}


def tested_versions() -> bool:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return all(
            ".".join(version(name).split(".")[:2]) in series for name, series in TESTED.items()
        )
    except PackageNotFoundError:
        return False


def install() -> bool:
    """True when aiogram was imported lean by this call."""
    if "aiogram" in sys.modules or not tested_versions():
        return False
    try:
        from pydantic import BaseModel

        original = BaseModel.__dict__["model_rebuild"]
    except (ImportError, KeyError):
        return False

    shared: dict[str, Any] = {}

    def deferred(
        cls: type[BaseModel],
        *,
        force: bool = False,
        raise_errors: bool = True,
        _parent_namespace_depth: int = 2,
        _types_namespace: Any = None,
    ) -> bool | None:
        if _types_namespace is not None and not force and cls.__module__.startswith("aiogram."):
            if not shared:
                shared.update(_types_namespace)
            cls.__pydantic_parent_namespace__ = shared
            return None
        return original.__func__(
            cls,
            force=force,
            raise_errors=raise_errors,
            _parent_namespace_depth=_parent_namespace_depth,
            _types_namespace=_types_namespace,
        )

    BaseModel.model_rebuild = classmethod(deferred)  # type: ignore[method-assign,assignment]
    try:
        import aiogram.types
    finally:
        BaseModel.model_rebuild = original  # type: ignore[method-assign]
    import aiogram.methods
    from aiogram.client.default import Default

    if not shared:  # aiogram no longer rebuilds at import: nothing was deferred
        return False
    shared.update(List=list, Optional=Optional, Union=Union, Literal=Literal, Default=Default)
    needed: set[type[BaseModel]] = set()
    _models_in(aiogram.types.Update, needed)
    for name in aiogram.methods.__all__:
        method = getattr(aiogram.methods, name)
        if not getattr(method, "__pydantic_complete__", True):
            own = getattr(method, "__pydantic_parent_namespace__", None) or {}
            method.__pydantic_parent_namespace__ = {**shared, **own}
        _models_in(getattr(method, "__returning__", None), needed)
    for model in needed:
        model.model_rebuild()
    return True


def _models_in(annotation: Any, found: set[Any]) -> None:
    """The pydantic models named by a type annotation (list[Update] → Update)."""
    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        found.add(annotation)
        return
    for argument in get_args(annotation):
        _models_in(argument, found)
