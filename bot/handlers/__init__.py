"""aiogram handlers. Handlers parse, call a flow or a service, and render."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiogram import Router

from bot.settings import Settings

if TYPE_CHECKING:
    from bot.handlers.routes import Routes


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


def get_routers(settings: Settings) -> list[Router]:
    """A plain aiogram router per route table, role gates on the routers (no index).
    The bot uses `install_handlers`; tests check that both answer alike."""
    return [table.build() for table in route_tables()]
