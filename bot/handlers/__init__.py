"""aiogram routers. Handlers parse, call a flow or a service, and render."""

from __future__ import annotations

from aiogram import Router

from bot.settings import Settings


def get_routers(settings: Settings) -> list[Router]:
    """Every router, in the order they are tried. Role gates sit on the routers themselves."""
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

    tables = (errors, start, common, privacy, report, review, class_view, invite, flow, fallback)
    return [module.router.build() for module in tables]


def get_switchboard(settings: Settings) -> Router:
    """The routers of `get_routers` behind one switchboard that skips those that can't match."""
    from bot.handlers.routes import Switchboard

    return Switchboard(get_routers(settings))
