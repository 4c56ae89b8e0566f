"""Telegram's rate limits, injected faults, and the request log of the fake Bot API.

``FakeBotApi`` (``botapi.py``) runs every request through these: the token buckets Telegram
applies to message-producing methods, the faults a test injected, and a log of each request's
arrival time and outcome from which the assertions (retry_after violations, duplicate sends,
limit refusals) are computed afterwards. Times are the server's clock: ``time.monotonic``
plus whatever ``FakeBotApi.advance`` added.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from tests.support.botapi_state import JSON, ApiError, Upload

_MESSAGE_METHODS = (
    "sendMessage", "sendPhoto", "sendDocument", "sendVideo", "sendAudio", "sendVoice",
    "sendAnimation", "sendSticker", "sendMediaGroup", "copyMessage", "forwardMessage",
    "editMessageText", "editMessageCaption", "editMessageReplyMarkup", "editMessageMedia",
)  # fmt: skip
MESSAGE_METHODS = frozenset(name.lower() for name in _MESSAGE_METHODS)
EDIT_METHODS = frozenset(name for name in MESSAGE_METHODS if name.startswith("edit"))
SEND_METHODS = MESSAGE_METHODS - EDIT_METHODS
LIMIT_REASONS = ("chat", "group", "global")  # Attempt.reason of a refusal by the rate limits
FAULT_KINDS = ("429", "5xx", "timeout")
_MEDIA_PARAMS = ("photo", "document", "video", "audio", "voice", "animation", "sticker")


@dataclass(frozen=True)
class TelegramLimits:
    """Token buckets for message-producing requests, as Telegram enforces them.

    Defaults: 4 per private chat refilled at 1/s (the bot allows itself 3: one token of slack
    for arrival jitter), 21 per group refilled at 20 a minute, 33 across all chats refilled at
    31/s (the bot: 30/s). Rates are tokens per second. A request needs a token in each of its
    buckets when it arrives, and takes one only if it succeeds (an album is one request).
    """

    chat_capacity: float = 4
    chat_rate: float = 1.0
    group_capacity: float = 21
    group_rate: float = 20 / 60
    global_capacity: float = 33
    global_rate: float = 31.0
    methods: frozenset[str] = MESSAGE_METHODS  # lower-case names of the methods that count


@dataclass
class TokenBucket:
    capacity: float
    rate: float
    tokens: float
    stamp: float

    def refill(self, now: float) -> None:
        if now > self.stamp:
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now

    def wait(self, now: float) -> float:
        """Seconds from ``now`` until a token is available (0: one is there)."""
        self.refill(now)
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        self.refill(now)
        self.tokens -= 1


class RateLimiter:
    """The per-chat (private or group) and global buckets of one ``TelegramLimits``."""

    def __init__(self, limits: TelegramLimits) -> None:
        self.limits = limits
        self._chats: dict[int, TokenBucket] = {}
        self._global: TokenBucket | None = None

    def _buckets(self, chat_id: int | None, now: float) -> list[tuple[str, TokenBucket]]:
        """The buckets a request to ``chat_id`` draws from, created full when first used."""
        lim = self.limits
        if self._global is None:
            capacity = lim.global_capacity
            self._global = TokenBucket(capacity, lim.global_rate, capacity, now)
        buckets = [("global", self._global)]
        if chat_id is not None:
            kind = "chat" if chat_id > 0 else "group"
            if chat_id not in self._chats:
                capacity = lim.chat_capacity if kind == "chat" else lim.group_capacity
                rate = lim.chat_rate if kind == "chat" else lim.group_rate
                self._chats[chat_id] = TokenBucket(capacity, rate, capacity, now)
            buckets.insert(0, (kind, self._chats[chat_id]))
        return buckets

    def wait(self, chat_id: int | None, now: float) -> tuple[float, str]:
        """(seconds until the request may pass, the bucket that holds it longest)."""
        waits = [(bucket.wait(now), kind) for kind, bucket in self._buckets(chat_id, now)]
        return max(waits, key=lambda pair: pair[0])

    def take(self, chat_id: int | None, now: float) -> None:
        for _, bucket in self._buckets(chat_id, now):
            bucket.take(now)


def retry_after(seconds: float) -> int:
    """Telegram's whole-second retry_after for a wait: rounded up, at least 1."""
    return max(1, math.ceil(seconds - 1e-9))


def too_many_requests(seconds: int) -> ApiError:
    return ApiError(429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds})


@dataclass
class Attempt:
    """One request as the server saw it: when it arrived and how it was answered."""

    at: float  # server clock (monotonic) at arrival
    method: str  # as the client spelled it
    chat_id: int | None  # the chat_id parameter, when there is one
    status: int = 0  # HTTP status of the answer; 0 while pending or if the client went away
    retry_after: int | None = None  # of a 429
    reason: str = ""  # of a refusal: "chat"/"group"/"global" (limits), "penalty", "injected",
    # "flood" (FakeBotApi.flood), or another error's description
    fault: str | None = None  # the injected fault served: "429", "5xx" or "timeout"
    held: float = 0.0  # seconds an injected timeout held the answer back
    message_ids: tuple[int, ...] = ()  # what a successful send or edit produced
    content: str | None = None  # a successful send's content, for duplicates()

    @property
    def outcome(self) -> str:
        """One of "ok", "429", "5xx", "error" (any other refusal) or "pending"."""
        if self.status == 0:
            return "pending"
        if self.status < 300:
            return "ok"
        if self.status == 429:
            return "429"
        return "5xx" if self.status >= 500 else "error"

    @property
    def is_message(self) -> bool:
        return self.method.lower() in MESSAGE_METHODS


@dataclass
class Fault:
    """A fault rule from ``FakeBotApi.inject``; ``served`` counts the times it fired."""

    kind: str
    methods: frozenset[str] | None  # lower-case; None: every method but getUpdates
    rate: float
    retry_after: int
    delay: float
    chat_ids: frozenset[int] | None
    times: int | None
    rng: random.Random
    served: int = 0

    def matches(self, method: str, chat_id: int | None) -> bool:
        name = method.lower()
        if self.methods is None and name == "getupdates":
            return False
        if self.methods is not None and name not in self.methods:
            return False
        if self.chat_ids is not None and chat_id not in self.chat_ids:
            return False
        return self.times is None or self.served < self.times

    def fires(self) -> bool:
        """One deterministic draw from the seeded generator; counts the fault if it fires."""
        if self.rng.random() >= self.rate:
            return False
        self.served += 1
        return True

    def error(self) -> ApiError | None:
        """The answer of a fired 429 or 5xx fault (5xx alternates 500 and 502); None: timeout."""
        if self.kind == "429":
            return too_many_requests(self.retry_after)
        if self.kind == "5xx":
            return (
                ApiError(500, "Internal Server Error")
                if self.served % 2
                else ApiError(502, "Bad Gateway")
            )
        return None


def make_fault(
    kind: str,
    methods: Iterable[str] | str | None,
    rate: float,
    retry_after: int,
    delay: float,
    chat_ids: Iterable[int] | None,
    times: int | None,
    seed: int,
) -> Fault:
    if kind not in FAULT_KINDS:
        raise ValueError(f"fault kind must be one of {FAULT_KINDS}, not {kind!r}")
    if not 0 <= rate <= 1:
        raise ValueError("rate is a probability, 0..1")
    if retry_after < 1 or delay < 0:
        raise ValueError("retry_after is at least 1 second and delay is not negative")
    names = None
    if methods is not None:
        names = frozenset(m.lower() for m in ([methods] if isinstance(methods, str) else methods))
    chats = None if chat_ids is None else frozenset(chat_ids)
    return Fault(kind, names, rate, retry_after, delay, chats, times, random.Random(seed))


def chat_of(params: JSON) -> int | None:
    """The request's chat_id as an int, or None (absent, an @username, or garbage)."""
    try:
        return int(params["chat_id"])
    except (KeyError, TypeError, ValueError):
        return None


def _identity(value: Any) -> Any:
    if isinstance(value, Upload):
        return "upload:" + hashlib.sha1(value.data).hexdigest()
    if isinstance(value, dict):
        return {k: _identity(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_identity(v) for v in value]
    return value


def content_key(method: str, params: JSON) -> str:
    """What a send says: text or caption, markup, media (uploads by their bytes), source."""
    keys = ("text", "caption", "reply_markup", "media", "from_chat_id", "message_id")
    picked = {k: _identity(params[k]) for k in (*keys, *_MEDIA_PARAMS) if k in params}
    return json.dumps({"method": method.lower(), **picked}, sort_keys=True, default=str)


def result_ids(result: Any) -> tuple[int, ...]:
    """The message ids in a method's result (a message, a list of them, or a MessageId)."""
    items = result if isinstance(result, list) else [result]
    return tuple(m["message_id"] for m in items if isinstance(m, dict) and "message_id" in m)


class Violation(NamedTuple):
    chat_id: int
    method: str
    early: float  # seconds before the announced retry_after had elapsed


class Duplicate(NamedTuple):
    chat_id: int
    method: str
    content: str  # content_key() of both sends
    first_id: int  # message_id of the earlier send
    repeat_id: int  # message_id of the repeat
    seconds: float  # between the two arrivals


def violations(
    attempts: Iterable[Attempt], tolerance: float, methods: frozenset[str] = MESSAGE_METHODS
) -> list[Violation]:
    """Requests to ``methods`` that arrived in a chat before the end of a retry_after
    announced to it (by any 429 with a chat_id, of any method) minus ``tolerance``."""
    deadlines: dict[int, float] = {}
    found = []
    for attempt in attempts:
        if attempt.chat_id is None:
            continue
        deadline = deadlines.get(attempt.chat_id)
        counted = attempt.method.lower() in methods
        if counted and deadline is not None and attempt.at < deadline - tolerance:
            found.append(Violation(attempt.chat_id, attempt.method, deadline - attempt.at))
        if attempt.retry_after is not None:
            end = attempt.at + attempt.retry_after
            deadlines[attempt.chat_id] = max(end, deadline or end)
    return found


def update_chat(update: JSON) -> int | None:
    """The chat a user's update comes from (a message's or a pressed button's)."""
    for key in ("message", "edited_message", "callback_query"):
        item = update.get(key)
        if isinstance(item, dict):
            message = item.get("message", item) if key == "callback_query" else item
            chat = message.get("chat") if isinstance(message, dict) else None
            if isinstance(chat, dict) and "id" in chat:
                return int(chat["id"])
    return None


def duplicates(
    attempts: Iterable[Attempt],
    updates: Iterable[tuple[float, int | None]],
    chat_id: int | None,
    window: float,
    across_updates: bool,
) -> list[Duplicate]:
    """Successful sends repeating an earlier send's content to the same chat within ``window``
    seconds (edits are not sends); one entry per repeat, paired with the send it repeats.
    Unless ``across_updates``, a repeat after a new update from that chat (``updates``:
    (time, chat) of each one pushed) is an answer to it, not a duplicate."""
    pushed: dict[int | None, list[float]] = {}
    for at, chat in updates:
        pushed.setdefault(chat, []).append(at)
    last: dict[tuple[int, str], Attempt] = {}
    found = []
    for attempt in attempts:
        if attempt.chat_id is None or attempt.outcome != "ok" or attempt.content is None:
            continue
        if chat_id is not None and attempt.chat_id != chat_id:
            continue
        key = (attempt.chat_id, attempt.content)
        before, last[key] = last.get(key), attempt
        if before is None or attempt.at - before.at > window:
            continue
        asked = any(before.at < at < attempt.at for at in pushed.get(attempt.chat_id, []))
        if asked and not across_updates:
            continue
        found.append(
            Duplicate(
                attempt.chat_id,
                attempt.method,
                attempt.content,
                before.message_ids[0] if before.message_ids else 0,
                attempt.message_ids[0] if attempt.message_ids else 0,
                attempt.at - before.at,
            )
        )
    return found
