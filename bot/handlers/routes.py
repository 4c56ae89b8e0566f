"""Declare handlers at import, build fresh routers on demand.

aiogram attaches a router to one parent only, and tests build many
dispatchers, so feature modules record their handlers in a `Routes` table
and `get_routers` builds new routers from the tables each time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram import Router

Handler = Callable[..., Any]


class _Observer:
    def __init__(self, routes: Routes, kind: str) -> None:
        self._routes = routes
        self._kind = kind

    def __call__(self, *filters: Any) -> Callable[[Handler], Handler]:
        def record(handler: Handler) -> Handler:
            self._routes.entries.append((self._kind, handler, filters))
            return handler

        return record


class Routes:
    def __init__(self, name: str, *, message_filters: tuple[Any, ...] = ()) -> None:
        self.name = name
        self.message_filters = message_filters
        self.entries: list[tuple[str, Handler, tuple[Any, ...]]] = []
        self.message = _Observer(self, "message")
        self.callback_query = _Observer(self, "callback_query")
        self.errors = _Observer(self, "errors")

    def build(self) -> Router:
        router = Router(name=self.name)
        if self.message_filters:
            router.message.filter(*self.message_filters)
        for kind, handler, filters in self.entries:
            getattr(router, kind).register(handler, *filters)
        return router
