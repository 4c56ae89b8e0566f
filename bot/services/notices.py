"""Notices: what the bot tells someone other than the person whose update it handles.

A notice is words and a recipient, no Telegram: handlers (and scheduled jobs)
render it in the recipient's own language and queue it in the outbox, in the
transaction that decided it.
"""

# readers: parent student staff principal

from __future__ import annotations

from dataclasses import dataclass

from bot.campaign.pack import CampaignPack
from bot.services.collectives import item_key
from bot.services.reports import Decision
from bot.text import Plain, T, Text, reader_of


@dataclass(frozen=True)
class Notice:
    tg_user_id: int
    language: str
    text: Text
    report_again: str | None = None  # a /report item ("id" or "id@org"): "report again"
    person_id: int | None = None
    quiet_hours: str | None = None
    reader: str | None = None  # the recipient's address group (bot.text.READERS)


def decision_notice(decision: Decision, pack: CampaignPack) -> Notice | None:
    """What the reporter is told about a verification decision (None: nobody to tell)."""
    report = decision.report
    if decision.outcome != "decided" or decision.reporter_tg_id is None or report is None:
        return None
    milestone = pack.milestone(report.milestone)
    title = Plain(milestone.title.get(decision.reporter_language))
    roles = decision.reporter_roles
    # worded for the role they reported it in (a teacher reporting as a parent: as a parent)
    reader = reader_of(roles & set(milestone.audience)) or reader_of(roles)
    if report.status == "approved":
        text: Text = T(
            "Good news: your report “{title}” has been verified by the school.", title=title
        )
        return Notice(
            decision.reporter_tg_id,
            decision.reporter_language,
            text,
            person_id=decision.reporter_id,
            quiet_hours=decision.reporter_quiet_hours,
            reader=reader,
        )
    text = T(
        "Your report “{title}” was not accepted. The school says: {reason}\nYou can send it again.",
        title=title,
        reason=Plain(report.reason or "—"),
    )
    return Notice(
        decision.reporter_tg_id,
        decision.reporter_language,
        text,
        item_key(report.milestone, report.org_id),
        person_id=decision.reporter_id,
        quiet_hours=decision.reporter_quiet_hours,
        reader=reader,
    )
