"""Declare handlers at import; install them on a dispatcher behind an index.

aiogram attaches a router to one parent only, and tests build many
dispatchers, so feature modules record their handlers in a `Routes` table.
`install` registers every table's handlers on the dispatcher itself, where an
`IndexedObserver` tries only those whose command or callback prefix could
match. Each nested router an update crosses costs middleware wrapping, root
filter checks and a trigger, more than an echo bot's whole update.
`Routes.build` still gives a plain router per table (tests compare the two).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.bases import UNHANDLED, SkipHandler
from aiogram.dispatcher.event.handler import HandlerObject
from aiogram.dispatcher.event.telegram import TelegramEventObserver
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.types import CallbackQuery, Message, TelegramObject

from bot.filters import COMMAND_ANY, NOT_COMMAND

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


# --------------------------------------------------------------------------------------------
# The index: try only the handlers that could take an update


ANY = None  # a handler whose filters say nothing indexable: it may take anything


def handler_keys(handler: HandlerObject) -> frozenset[str] | None:
    """The index keys a handler can match, from its filters; ANY when they do not say."""
    for filter_object in handler.filters or ():
        spec = filter_object.callback
        declared = getattr(spec, "index_keys", None)  # a filter of ours that says what it takes
        if declared is not None:
            return frozenset(declared)
        if isinstance(spec, Command):
            if not all(isinstance(c, str) for c in spec.commands):
                return ANY
            return frozenset(p + c.casefold() for p in spec.prefix for c in spec.commands)
        if isinstance(spec, CallbackQueryFilter):
            return frozenset({"cb:" + spec.callback_data.__prefix__})
    return ANY


def message_keys(message: Message) -> frozenset[str]:
    text = message.text or message.caption or ""
    keys = {COMMAND_ANY if (message.text or "").startswith("/") else NOT_COMMAND}
    words = text.split(maxsplit=1)  # as aiogram's Command filter reads a command
    if words:
        first = words[0]
        keys.add(first[0] + first[1:].partition("@")[0].casefold())
    return frozenset(keys)


def callback_keys(query: CallbackQuery) -> frozenset[str]:
    prefix = (query.data or "").partition(":")[0]
    return frozenset({"cb:" + prefix})


INDEXED = {"message": message_keys, "callback_query": callback_keys}


class IndexedObserver(TelegramEventObserver):
    """An observer that tries only the handlers whose index keys meet the event's.

    Handlers are kept in registration order and filters still decide; the index only
    skips handlers that would have declined. Used for messages and button presses on the
    dispatcher itself, so an update crosses no nested routers at all.
    """

    def __init__(
        self, router: Router, event_name: str, read_keys: Callable[[Any], frozenset[str]]
    ) -> None:
        super().__init__(router=router, event_name=event_name)
        self._read_keys = read_keys
        self._keys: dict[int, frozenset[str] | None] = {}

    def register(self, callback: Any, *filters: Any, flags: Any = None, **kwargs: Any) -> Any:
        registered = super().register(callback, *filters, flags=flags, **kwargs)
        handler = self.handlers[-1]
        self._keys[id(handler)] = handler_keys(handler)
        return registered

    async def trigger(self, event: TelegramObject, **kwargs: Any) -> Any:
        keys = self._read_keys(event)
        for handler in self.handlers:
            wanted = self._keys.get(id(handler), ANY)
            if wanted is not ANY and not (wanted & keys):
                continue
            kwargs["handler"] = handler
            result, data = await handler.check(event, **kwargs)
            if not result:
                continue
            kwargs.update(data)
            try:
                middlewares = self._resolve_middlewares()
                if not middlewares:
                    return await handler.call(event, **kwargs)
                wrapped = self.outer_middleware.wrap_middlewares(middlewares, handler.call)
                return await wrapped(event, kwargs)
            except SkipHandler:
                continue
        return UNHANDLED


def install(dispatcher: Router, tables: Sequence[Routes]) -> None:
    """Register every table's handlers on `dispatcher` itself, behind indexed observers.

    A table's router-level message filters (role gates) go in front of each of its
    message handlers: the outcome is the same as a gated router that is skipped.
    """
    for update_type, read_keys in INDEXED.items():
        observer = IndexedObserver(dispatcher, update_type, read_keys)
        setattr(dispatcher, update_type, observer)
        dispatcher.observers[update_type] = observer
    for table in tables:
        for kind, handler, filters in table.entries:
            gate = table.message_filters if kind == "message" else ()
            getattr(dispatcher, kind).register(handler, *gate, *filters)
