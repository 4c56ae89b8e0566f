"""The reason a principal gives when rejecting evidence: one short text."""

# readers: principal superadmin

from __future__ import annotations

from bot.flows.engine import Choice, Data, Finish, Flow, Outcome, Record, Reply, Stay, Step
from bot.text import REASON_LIMIT, T, normalise


def _on_text(data: Data, text: str) -> Outcome:
    reason = normalise(text)
    if not reason:
        return Stay(T("Please type a short reason."))
    if len(reason) > REASON_LIMIT:
        return Stay(T("Please keep the reason to {limit} characters.", limit=REASON_LIMIT))
    record = {"report_id": data["report_id"], "revision": data["revision"], "reason": reason}
    return Finish((Record("reject", record),))


def _on_pick(_data: Data, _key: str) -> Outcome:
    return Finish((Reply(T("The report is still waiting; nothing was changed.")),))


REJECT = Flow(
    name="reject",
    first="reason",
    steps={
        "reason": Step(
            prompt=lambda _data: T(
                "Why is this evidence not accepted? Please type a short reason; it will be sent "
                "to the person so they can report again."
            ),
            choices=lambda _data: (Choice("cancel", T("Cancel")),),
            on_pick=_on_pick,
            on_text=_on_text,
            wrong_kind=T("Please type the reason as text."),
        )
    },
)
