"""aiogram handlers. Handlers parse, call a flow or a service, and render.

`get_routers` builds one plain aiogram router per feature, role gates at router
level, in the order they are tried; `build_flows` is the one registry of flows and
the finishers that write what they record.
"""

from __future__ import annotations

from aiogram import Router

from bot.flows.broadcast import BROADCAST
from bot.flows.deadline import DEADLINE
from bot.flows.forget import FORGET
from bot.flows.headcount import HEADCOUNT
from bot.flows.invite import INVITE
from bot.flows.language import LANGUAGE
from bot.flows.nomination import NOMINATION
from bot.flows.onboarding import ONBOARDING
from bot.flows.quiz import QUIZ, QUIZ_MENU
from bot.flows.report import REPORT
from bot.flows.review import REJECT
from bot.flows.self_assessment import SCHOOL_FIGURE, SELF_ASSESSMENT
from bot.flows.settings import SETTINGS
from bot.handlers import (
    broadcast,
    class_view,
    common,
    deadlines,
    errors,
    export,
    fallback,
    flow,
    headcount,
    invite,
    nominations,
    privacy,
    quiz,
    quiz_polls,
    quiz_stats,
    report,
    review,
    school_entries,
    settings,
    start,
    stats,
)
from bot.handlers.conversation import FlowRegistry


def get_routers() -> list[Router]:
    """A fresh router per feature (aiogram attaches a router to one parent only)."""
    features = (
        errors,
        start,
        common,
        privacy,
        settings,
        report,
        quiz,
        quiz_stats,
        stats,
        export,
        review,
        class_view,
        invite,
        deadlines,
        broadcast,
        nominations,
        flow,
        fallback,
    )
    return [feature.router() for feature in features]


def build_flows() -> FlowRegistry:
    return FlowRegistry.of(
        (
            (ONBOARDING, start.finish_onboarding),
            (LANGUAGE, common.finish_language),
            (REPORT, report.finish_report),
            (REJECT, review.finish_reject),
            (INVITE, invite.finish_invite),
            (FORGET, privacy.finish_forget),
            (SETTINGS, settings.finish_settings),
            (DEADLINE, deadlines.finish_deadline),
            (BROADCAST, broadcast.finish_broadcast),
            (HEADCOUNT, headcount.finish_headcount),
            (NOMINATION, nominations.finish_nomination),
            (QUIZ_MENU, quiz.finish_menu),
            (QUIZ, quiz.finish_quiz),
            (SELF_ASSESSMENT, school_entries.finish_assessment),
            (SCHOOL_FIGURE, school_entries.finish_figure),
        ),
        presenters={QUIZ.name: quiz_polls.present},
    )
