"""Native polls for the fake Bot API: sendPoll and stopPoll as Telegram checks them, a user's
vote (a ``poll_answer`` update) and a poll closed by its ``open_period`` (a ``poll`` update),
and the ``allowed_updates`` Telegram keeps from the last getUpdates or setWebhook that gave it.

Limits (Bot API sendPoll): a question of 1-300 characters, 2-10 options of 1-100, a quiz's
``correct_option_id`` among them, an explanation of at most 200 characters, ``open_period``
5-600 seconds; a quiz poll takes one vote per user, never taken back.
"""

from __future__ import annotations

import copy
import itertools
from typing import TYPE_CHECKING, Any

from tests.support.botapi_state import JSON, ApiError, BotApiState, bad_request

if TYPE_CHECKING:
    from tests.support.botapi_state import FakeUser

_POLL_IDS = itertools.count(5_000_000_000_000_000_000)


class Polls:
    """What the server remembers about the polls it sent."""

    def __init__(self) -> None:
        self.sent: dict[str, JSON] = {}  # poll id: {"poll": ..., "chat_id", "message_id"}
        self.voters: dict[str, set[int]] = {}


def polls_of(state: BotApiState) -> Polls:
    found = getattr(state, "_polls", None)
    if found is None:
        found = Polls()
        state._polls = found  # type: ignore[attr-defined]
    return found


def _text(value: Any) -> str:
    return str(value.get("text", "")) if isinstance(value, dict) else str(value)


def send_poll(state: BotApiState, p: JSON) -> JSON:
    from tests.support.botapi_methods import markup, target_chat

    chat_id = target_chat(state, p)
    question = str(p.get("question") or "")
    if not 1 <= len(question) <= 300:
        raise bad_request("poll question length must not exceed 300")
    options = [_text(o) for o in p.get("options") or []]
    if not 2 <= len(options) <= 10:
        raise bad_request("poll must have 2-10 options")
    if any(not 1 <= len(o) <= 100 for o in options):
        raise bad_request("poll options length must not exceed 100")
    kind = p.get("type") or "regular"
    correct = p.get("correct_option_id")
    if kind == "quiz" and (correct is None or not 0 <= int(correct) < len(options)):
        raise bad_request("wrong correct option ID specified")
    explanation = p.get("explanation")
    if explanation is not None and len(str(explanation)) > 200:
        raise bad_request("explanation is too long")
    period = p.get("open_period")
    if period is not None and not 5 <= int(period) <= 600:
        raise bad_request("wrong open period specified")
    poll_id = str(next(_POLL_IDS))
    poll: JSON = {
        "id": poll_id,
        "question": question,
        "options": [
            {"persistent_id": str(n), "text": text, "voter_count": 0}
            for n, text in enumerate(options)
        ],
        "total_voter_count": 0,
        "is_closed": False,
        "is_anonymous": bool(p.get("is_anonymous", True)),
        "type": kind,
        "allows_multiple_answers": False,
        "allows_revoting": False,
        "members_only": False,
    }
    if kind == "quiz":
        poll["correct_option_id"] = int(correct)
    if explanation is not None:
        poll["explanation"] = str(explanation)
    if period is not None:
        poll["open_period"] = int(period)
    message = state.add_bot_message(chat_id, {"poll": poll}, markup(p))
    polls_of(state).sent[poll_id] = {
        "poll": poll,
        "chat_id": chat_id,
        "message_id": message["message_id"],
    }
    return message


def stop_poll(state: BotApiState, p: JSON) -> JSON:
    chat_id = int(p.get("chat_id") or 0)
    message_id = int(p.get("message_id") or 0)
    for entry in polls_of(state).sent.values():
        if entry["chat_id"] == chat_id and entry["message_id"] == message_id:
            if entry["poll"]["is_closed"]:
                raise bad_request("poll has already been closed")
            entry["poll"]["is_closed"] = True
            state.messages[(chat_id, message_id)]["poll"]["is_closed"] = True
            return copy.deepcopy(entry["poll"])
    raise bad_request("message with poll to stop not found")


POLL_METHODS = {"sendpoll": send_poll, "stoppoll": stop_poll}


def vote(state: BotApiState, user: FakeUser, poll_id: str, option_ids: list[int]) -> JSON:
    """The user chooses options (none: takes the vote back); the ``poll_answer`` update.
    Telegram refuses a second vote on a quiz poll and votes on closed polls in the app, so
    such calls raise here unless the test forges them with ``forge``."""
    entry = polls_of(state).sent.get(poll_id)
    if entry is None:
        raise AssertionError(f"no poll {poll_id} was sent")
    if entry["poll"]["is_closed"]:
        raise AssertionError(f"poll {poll_id} is closed: the app takes no vote")
    voters = polls_of(state).voters.setdefault(poll_id, set())
    if user.id in voters:
        raise AssertionError(f"user {user.id} already voted in quiz poll {poll_id}")
    voters.add(user.id)
    return forge(state, user, poll_id, option_ids)


def forge(state: BotApiState, user: FakeUser, poll_id: str, option_ids: list[int]) -> JSON:
    """A ``poll_answer`` update as given, whatever the poll (a forged or repeated vote)."""
    answer = {
        "poll_id": poll_id,
        "user": user.as_dict(),
        "option_ids": list(option_ids),
        "option_persistent_ids": [str(n) for n in option_ids],
    }
    return state.push_update({"poll_answer": answer})


def time_out(state: BotApiState, poll_id: str) -> JSON:
    """The poll's open_period ran out: it closes, and the bot gets a ``poll`` update."""
    entry = polls_of(state).sent[poll_id]
    entry["poll"]["is_closed"] = True
    return state.push_update({"poll": copy.deepcopy(entry["poll"])})


def last_poll(state: BotApiState, chat_id: int) -> JSON:
    """The newest poll sent to this chat."""
    found = [e["poll"] for e in polls_of(state).sent.values() if e["chat_id"] == chat_id]
    if not found:
        raise AssertionError(f"no poll was sent to {chat_id}")
    return copy.deepcopy(found[-1])


def allowed(state: BotApiState, update: JSON) -> bool:
    """Whether Telegram would deliver this update, given the allowed_updates it keeps
    (none given yet: every type but chat_member and the reactions)."""
    kept = getattr(state, "_allowed_updates", None)
    kind = next(k for k in update if k != "update_id")
    if kept is None:
        return kind not in ("chat_member", "message_reaction", "message_reaction_count")
    return kind in kept


def remember_allowed(state: BotApiState, p: JSON) -> None:
    given = p.get("allowed_updates")
    if isinstance(given, list):
        state._allowed_updates = [str(k) for k in given] or None  # type: ignore[attr-defined]


__all__ = ["POLL_METHODS", "ApiError", "allowed", "forge", "last_poll", "remember_allowed",
           "time_out", "vote"]  # fmt: skip
