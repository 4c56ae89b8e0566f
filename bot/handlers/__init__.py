"""aiogram routers. Handlers parse, call a flow or a service, and render."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiogram import Router

from bot.settings import Settings

if TYPE_CHECKING:
    from bot.handlers.routes import Routes


def get_routers(settings: Settings) -> list[Router]:
    """Every router, in the order they are tried. Role gates sit on the routers themselves."""
    return [table.build() for table in route_tables()]


def route_tables() -> list[Routes]:
    """Every feature's route table, in the order its handlers are tried."""
    from bot.handlers import (
        class_view,
        common,
        errors,
        fallback,
        flow,
        invite,
        privacy,
        report,
        review,
        start,
    )

    modules = (errors, start, common, privacy, report, review, class_view, invite, flow, fallback)
    return [module.router for module in modules]


def install_handlers(dispatcher: Router) -> None:
    """Every handler on the dispatcher itself, tried through an index (see routes.install)."""
    from bot.handlers.routes import install

    install(dispatcher, route_tables())


def get_switchboard(settings: Settings) -> Router:
    """The routers of `get_routers` behind one switchboard that skips those that can't match."""
    from bot.handlers.routes import Switchboard

    return Switchboard(get_routers(settings))
