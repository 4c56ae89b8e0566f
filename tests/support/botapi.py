"""A fake Telegram Bot API server for end-to-end tests.

Start it, point the bot at ``base_url`` (aiogram: ``AiohttpSession(api=TelegramAPIServer
.from_base(api.base_url))``), then play the users' side::

    async with FakeBotApi() as api:
        alice = api.user(1001, "Alice")
        api.send_text(alice, "/start")
        reply = await api.next_message(alice.id)
        api.press(alice, reply, api.button(reply, "Tiếng Việt"))

Requests arrive as ``POST {base}/bot{token}/{method}`` (aiogram sends urlencoded forms, and
multipart only when a file is uploaded) and file downloads as ``GET {base}/file/bot{token}/
{file_path}``. The in-memory model lives in ``botapi_state.py``, the methods in
``botapi_methods.py``. Nothing here touches the network beyond 127.0.0.1.

Pushed, it behaves like Telegram (``botapi_faults.py``). Message-producing requests pass
Telegram's token buckets (``limits``: ``TelegramLimits()`` by default, None for none) and over
them are refused with 429 and a retry_after. Any 429 (limits, floods, injected) tells the chat
to retry after N seconds, and until then it is refused. Tests can inject 429s, 5xx errors and
slow answers (``inject``) and take the server down (``outage``).
Every request's arrival and outcome is logged (``attempts``, ``log``), and from that log
``retry_after_violations``, ``duplicates`` and ``limit_refusals`` tell how the bot behaved::

    api = FakeBotApi(limits=TelegramLimits(chat_capacity=2))
    api.inject("5xx", {"sendMessage"}, rate=0.3, seed=7)
    ...
    assert api.retry_after_violations() == [] and api.duplicates() == []
"""

from __future__ import annotations

import asyncio
import inspect
import json
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from aiohttp import web

from tests.support import botapi_polls
from tests.support.botapi_faults import (
    LIMIT_REASONS,
    MESSAGE_METHODS,
    SEND_METHODS,
    Attempt,
    Duplicate,
    Fault,
    RateLimiter,
    TelegramLimits,
    Violation,
    chat_of,
    content_key,
    duplicates,
    make_fault,
    result_ids,
    retry_after,
    too_many_requests,
    update_chat,
    violations,
)
from tests.support.botapi_methods import METHODS
from tests.support.botapi_state import (
    JSON,
    ApiError,
    BotApiState,
    FakeUser,
    Upload,
    inline_buttons,
    wait_until,
)

__all__ = [
    "Attempt",
    "Duplicate",
    "FakeBotApi",
    "FakeUser",
    "Fault",
    "TelegramLimits",
    "Violation",
    "button",
    "buttons",
    "keyboard",
]
DEFAULT_LIMITS = TelegramLimits()


# Params that are plain strings even when they look like JSON ("123", "true", "[x]").
_STRING_PARAMS = frozenset((
    "text", "caption", "parse_mode", "callback_query_id", "url", "file_id", "action",
    "language_code", "emoji", "title", "description", "short_description", "name",
    "phone_number", "first_name", "last_name", "vcard", "question", "business_connection_id",
    "message_effect_id", "secret_token", "ip_address", "inline_message_id", "address", "query",
    "custom_title", "photo", "document", "video", "audio", "voice", "animation", "video_note",
    "sticker", "thumbnail", "certificate",
))  # fmt: skip
_NOT_FOUND = ApiError(404, "Not Found")
_UNAUTHORIZED = ApiError(401, "Unauthorized")


def buttons(message: JSON) -> list[tuple[str, str]]:
    """(text, callback_data) of every inline button, row by row (url buttons give the url)."""
    return inline_buttons(message)


def button(message: JSON, text_substring: str) -> str:
    """callback_data of the first inline button whose text contains ``text_substring``."""
    for text, data in inline_buttons(message):
        if text_substring in text:
            return data
    raise AssertionError(
        f"no button containing {text_substring!r} in message {message.get('message_id')} "
        f"({_summary(message)}); buttons: {inline_buttons(message)}"
    )


def keyboard(message: JSON) -> list[str]:
    """Button texts of a reply (non-inline) keyboard the bot attached, row by row."""
    markup = message.get("reply_markup") or {}
    return [
        b if isinstance(b, str) else b["text"] for row in markup.get("keyboard", []) for b in row
    ]


def _summary(message: JSON) -> str:
    body = message.get("text", message.get("caption", ""))
    media = [k for k in ("photo", "document", "sticker", "voice", "video") if k in message]
    edited = " (edited)" if "edit_date" in message else ""
    return f"#{message['message_id']}{edited} {media or ''}{body!r} buttons={buttons(message)}"


def _decode(key: str, value: Any) -> Any:
    """Form values are strings; aiogram JSON-encodes everything that is not a str."""
    if isinstance(value, str) and key not in _STRING_PARAMS:
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _attach(value: Any, files: dict[str, Upload], used: set[str]) -> Any:
    """Replace ``attach://name`` references (top level or inside media lists) by the uploads."""
    if isinstance(value, str) and value.startswith("attach://") and value[9:] in files:
        used.add(value[9:])
        return files[value[9:]]
    if isinstance(value, dict):
        return {k: _attach(v, files, used) for k, v in value.items()}
    if isinstance(value, list):
        return [_attach(v, files, used) for v in value]
    return value


async def decode_params(request: web.Request) -> JSON:
    raw: JSON = dict(request.query)
    files: dict[str, Upload] = {}
    if request.method == "POST" and request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise ApiError(400, "Bad Request: can't parse JSON request body") from None
            raw.update(body if isinstance(body, dict) else {})
        else:
            for key, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    files[key] = Upload(value.filename, value.content_type, value.file.read())
                else:
                    raw[key] = value
    used: set[str] = set()
    params = {k: _attach(_decode(k, v), files, used) for k, v in raw.items()}
    for key, upload in files.items():  # a file part sent directly as the parameter
        if key not in used:
            params.setdefault(key, upload)
    return params


def _answer(error: ApiError) -> web.Response:
    return web.json_response(error.payload(), status=error.code)


class FakeBotApi(BotApiState):
    """The fake server plus the test-facing helpers; see the module docstring."""

    def __init__(
        self,
        token: str = "123456:TEST",
        bot_username: str = "hocvuso_test_bot",
        *,
        limits: TelegramLimits | None = DEFAULT_LIMITS,
    ) -> None:
        super().__init__(token, bot_username)
        self.base_url = ""
        self.errors: list[tuple[str, JSON, JSON]] = []  # (method, params, error answer)
        self.limits = limits  # fixed at construction
        self.attempts: list[Attempt] = []  # every method request, in arrival order
        self.pushed: list[tuple[float, int | None]] = []  # (now(), chat) of each update queued
        self.faults: list[Fault] = []
        self.down = False  # during an outage: not listening, every connection dropped
        self._limiter = RateLimiter(limits) if limits is not None else None
        self._counted = limits.methods if limits is not None else MESSAGE_METHODS
        self._penalties: dict[int, float] = {}  # chat -> end of the announced retry_after
        self._clock_offset = 0.0
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._port = 0
        self._cursors: dict[int, int] = {}

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> FakeBotApi:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        # handler_cancellation: a bot process that dies mid long-poll frees its getUpdates.
        self._runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=1.0
        )
        await self._runner.setup()
        await self._listen()
        self.base_url = f"http://127.0.0.1:{self._port}"
        self.closing = False
        return self

    async def stop(self) -> None:
        if self._runner is None:
            return
        self.closing = True
        self.update_signal.notify()
        await self._runner.cleanup()
        self._runner = self._site = None

    async def __aenter__(self) -> FakeBotApi:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _listen(self) -> None:
        assert self._runner is not None, "start() the server first"
        # reuse_address: after an outage the same port is bound again, TIME_WAIT or not.
        self._site = web.TCPSite(self._runner, "127.0.0.1", self._port, reuse_address=True)
        await self._site.start()
        self._port = self._site.port
        self.down = False

    async def take_down(self) -> None:
        """Stop listening and drop every open connection, a long poll's too: clients get
        connection errors (refused, or disconnected mid-request) until ``bring_up``."""
        if self._site is None or self._runner is None:
            return
        self.down = True
        await self._site.stop()
        self._site = None
        for connection in self._runner.server.connections if self._runner.server else []:
            connection.force_close()  # handler_cancellation then cancels what it was doing
        await asyncio.sleep(0)

    async def bring_up(self) -> None:
        """Listen again on the same port (so ``base_url`` stays valid) after ``take_down``."""
        if self._site is None and self._runner is not None:
            await self._listen()

    async def outage(self, seconds: float) -> None:
        """Unreachable for ``seconds``, then back on the same port."""
        await self.take_down()
        try:
            await asyncio.sleep(seconds)
        finally:
            await self.bring_up()

    # -- HTTP -----------------------------------------------------------------------------

    async def _handle_method(self, request: web.Request) -> web.Response:
        at = self.now()  # before reading the body: limits are measured at arrival
        if request.match_info["token"] != self.token:
            return _answer(_UNAUTHORIZED)
        method = request.match_info["method"]
        try:
            params = await decode_params(request)
        except ApiError as error:
            return _answer(error)
        if self.down:  # read while the server went down: dropped, like the connection
            if request.transport is not None:
                request.transport.close()
            return web.Response(status=503)
        self.calls.append((method, params))
        attempt = Attempt(at, method, chat_of(params))
        self.attempts.append(attempt)
        try:
            self._admit(attempt)
            handler = METHODS.get(method.lower())
            if handler is None:
                raise _NOT_FOUND
            result = handler(self, params)  # sends and edits are synchronous: no other
            if inspect.isawaitable(result):  # request runs between admission and take
                result = await result
        except ApiError as error:
            self._refused(attempt, params, error)
            response = _answer(error)
        else:
            self._succeeded(attempt, params, result)
            response = web.json_response({"ok": True, "result": result})
        if attempt.held:  # an injected timeout: done, but the answer comes late (or never)
            await asyncio.sleep(attempt.held)
        return response

    def _admit(self, attempt: Attempt) -> None:
        """Raise the refusal a request gets on arrival, in Telegram's order: a chat still in
        its announced retry_after, then injected faults, then the rate limits."""
        counted = attempt.method.lower() in self._counted
        chat_id = attempt.chat_id
        if counted and chat_id is not None and attempt.at < self._penalties.get(chat_id, 0):
            attempt.reason = "penalty"
            raise too_many_requests(retry_after(self._penalties[chat_id] - attempt.at))
        for fault in self.faults:
            if fault.matches(attempt.method, chat_id) and fault.fires():
                attempt.fault = fault.kind
                error = fault.error()
                if error is not None:
                    attempt.reason = "injected"
                    raise error
                attempt.held = fault.delay
                break
        if counted and self._limiter is not None:
            wait, bucket = self._limiter.wait(chat_id, attempt.at)
            if wait > 0:
                attempt.reason = bucket
                raise too_many_requests(retry_after(wait))

    def _refused(self, attempt: Attempt, params: JSON, error: ApiError) -> None:
        attempt.status = error.code
        if error.code == 429:
            attempt.reason = attempt.reason or "flood"
            attempt.retry_after = int((error.parameters or {}).get("retry_after", 1))
            if attempt.chat_id is not None:  # every 429 (a penalty's too) sets when it may
                end = attempt.at + attempt.retry_after  # come back: the latest of them counts
                self._penalties[attempt.chat_id] = max(end, self._penalties.get(attempt.chat_id, 0))
        else:
            attempt.reason = attempt.reason or error.description
        self.errors.append((attempt.method, params, error.payload()))
        self.message_signal.notify()

    def _succeeded(self, attempt: Attempt, params: JSON, result: Any) -> None:
        attempt.status = 200
        name = attempt.method.lower()
        if name in self._counted and self._limiter is not None:
            self._limiter.take(attempt.chat_id, attempt.at)
        attempt.message_ids = result_ids(result)
        if name in SEND_METHODS:
            attempt.content = content_key(name, params)

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _answer(_UNAUTHORIZED)
        fake = self.files_by_path.get(request.match_info["path"])
        if fake is None:
            return _answer(_NOT_FOUND)
        return web.Response(body=fake.content(), content_type="application/octet-stream")

    # -- failure simulation ---------------------------------------------------------------

    def block(self, user_id: int) -> None:
        """Sends and edits to this chat now fail with 403 "bot was blocked by the user"."""
        self.blocked.add(user_id)

    def unblock(self, user_id: int) -> None:
        self.blocked.discard(user_id)

    def flood(self, chat_id: int, retry_after: int, times: int = 1) -> None:
        """The next ``times`` sends/edits to this chat fail with 429 and this retry_after
        (which, like every 429, the chat must then wait out)."""
        self.floods[chat_id] = [retry_after, times]

    def inject(
        self,
        kind: str,
        methods: Iterable[str] | str | None = None,
        *,
        rate: float = 1.0,
        retry_after: int = 1,
        delay: float = 1.0,
        chat_ids: Iterable[int] | None = None,
        times: int | None = None,
        seed: int = 0,
    ) -> Fault:
        """From now on a request to ``methods`` (names, case-insensitive; None: all but
        getUpdates), to ``chat_ids`` if given, gets the fault with probability ``rate``, drawn
        from ``random.Random(seed)``; at most ``times`` times. Kinds:

        - "429": Too Many Requests with ``retry_after``; the chat must then wait it out;
        - "5xx": 500 Internal Server Error and 502 Bad Gateway, alternately;
        - "timeout": handled normally (a send IS sent), answered after ``delay`` seconds.

        A 429 or 5xx has no effect. The first matching fault that fires wins; the returned
        Fault counts in ``served`` how often it fired.
        """
        fault = make_fault(kind, methods, rate, retry_after, delay, chat_ids, times, seed)
        self.faults.append(fault)
        return fault

    def push_update(self, update: JSON) -> JSON:
        self.pushed.append((self.now(), update_chat(update)))
        return super().push_update(update)

    # -- polls (tests.support.botapi_polls) -------------------------------------------------

    def vote(self, user: FakeUser, poll_id: str, *option_ids: int) -> JSON:
        return botapi_polls.vote(self, user, poll_id, list(option_ids))

    def forge_vote(self, user: FakeUser, poll_id: str, *option_ids: int) -> JSON:
        return botapi_polls.forge(self, user, poll_id, list(option_ids))

    def time_out(self, poll_id: str) -> JSON:
        return botapi_polls.time_out(self, poll_id)

    def last_poll(self, chat_id: int) -> JSON:
        return botapi_polls.last_poll(self, chat_id)

    def clear_faults(self, fault: Fault | None = None) -> None:
        """Remove one injected fault, or all of them."""
        self.faults = [] if fault is None else [f for f in self.faults if f is not fault]

    def now(self) -> float:
        """The server's clock (time.monotonic, plus what ``advance`` added)."""
        return time.monotonic() + self._clock_offset

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass for the limits at once: buckets refill, retry_afters run out."""
        self._clock_offset += seconds

    # -- inspection -----------------------------------------------------------------------

    buttons = staticmethod(buttons)
    button = staticmethod(button)
    keyboard = staticmethod(keyboard)

    def log(self, chat_id: int) -> list[Attempt]:
        """Message-method requests to this chat in arrival order, each with its outcome."""
        return [a for a in self.attempts if a.chat_id == chat_id and a.is_message]

    def retry_after_violations(self, tolerance: float = 0.05) -> list[Violation]:
        """(chat_id, method, seconds too early) of every message request that arrived in a
        chat more than ``tolerance`` seconds before a retry_after announced to it had passed.
        The server refused them all; a bot that honours retry_after leaves this empty."""
        return violations(self.attempts, tolerance, self._counted)

    def duplicates(
        self, chat_id: int | None = None, window: float = 30.0, *, across_updates: bool = False
    ) -> list[Duplicate]:
        """Successful sends whose content (text or caption, markup, media) repeats a send to
        the same chat less than ``window`` seconds before; edits do not count. A repeat after
        the user wrote or pressed again in that chat answers them, and counts only with
        ``across_updates``."""
        return duplicates(self.attempts, self.pushed, chat_id, window, across_updates)

    def limit_refusals(self) -> list[Attempt]:
        """Requests refused by the rate limits themselves (not by faults, floods or a
        retry_after still running): a bot that paces itself leaves this empty."""
        return [a for a in self.attempts if a.status == 429 and a.reason in LIMIT_REASONS]

    def faults_served(self) -> dict[str, int]:
        """How many injected faults of each kind ("429", "5xx", "timeout") were served."""
        return dict(Counter(a.fault for a in self.attempts if a.fault))

    def calls_to(self, method: str) -> list[JSON]:
        """Params of every request to ``method`` (case-insensitive), failed ones included."""
        return [params for name, params in self.calls if name.lower() == method.lower()]

    def sent(self, chat_id: int, *, include_deleted: bool = False) -> list[JSON]:
        """Bot messages in this chat, in sending order, each in its current (edited) state."""
        return [
            self.view((chat_id, message_id))
            for message_id in self.bot_message_ids.get(chat_id, [])
            if include_deleted or (chat_id, message_id) not in self.deleted
        ]

    def commands(
        self,
        scope_type: str = "default",
        chat_id: int | None = None,
        language_code: str = "",
        user_id: int | None = None,
    ) -> list[JSON]:
        """Commands stored by setMyCommands for exactly this scope and language."""
        return self.commands_by_scope.get((scope_type, chat_id, user_id, language_code), [])

    def file_bytes(self, file_id: str) -> bytes:
        """What downloading ``file_id`` returns (uploaded bytes or deterministic filler)."""
        return self.files[file_id].content()

    async def wait_for(
        self,
        chat_id: int,
        predicate: Callable[[JSON], bool] | None = None,
        timeout: float = 10.0,
        *,
        since_now: bool = True,
    ) -> JSON:
        """First bot send/edit in the chat (after this call began, unless ``since_now=False``)
        that matches ``predicate``; a snapshot of the message as of that send or edit."""
        start = len(self.events.get(chat_id, [])) if since_now else 0

        def find() -> JSON | None:
            events = self.events.get(chat_id, [])[start:]
            return next((m for m in events if predicate is None or predicate(m)), None)

        found = await wait_until(self.message_signal, find, timeout)
        if found is None:
            raise AssertionError(f"no matching bot message in {timeout}s. {self.describe(chat_id)}")
        return found

    async def next_message(self, chat_id: int, timeout: float = 10.0) -> JSON:
        """The next bot send/edit in the chat after the one the previous call returned
        (the first call starts at the beginning of the chat); a snapshot, like wait_for."""
        cursor = self._cursors.get(chat_id, 0)

        def find() -> JSON | None:
            events = self.events.get(chat_id, [])
            return events[cursor] if len(events) > cursor else None

        found = await wait_until(self.message_signal, find, timeout)
        if found is None:
            raise AssertionError(f"no new bot message in {timeout}s. {self.describe(chat_id)}")
        self._cursors[chat_id] = cursor + 1
        return found

    def skip_pending(self, chat_id: int) -> list[JSON]:
        """Move next_message's cursor to the end, returning the snapshots skipped over."""
        cursor = self._cursors.get(chat_id, 0)
        events = self.events.get(chat_id, [])
        self._cursors[chat_id] = len(events)
        return events[cursor:]

    async def wait_for_answer(self, callback_query: JSON | str, timeout: float = 10.0) -> JSON:
        """The bot's answerCallbackQuery params (text, show_alert, ...) for this press."""
        query_id = callback_query if isinstance(callback_query, str) else callback_query["id"]
        found = await wait_until(
            self.message_signal, lambda: self.callback_answers.get(query_id), timeout
        )
        if found is None:
            raise AssertionError(f"callback query {query_id} not answered in {timeout}s")
        return found

    def describe(self, chat_id: int, last: int = 8) -> str:
        """Recent bot sends/edits and API errors for a chat, for assertion messages."""
        lines = [f"Recent bot messages to chat {chat_id}:"]
        lines += [f"  {_summary(m)}" for m in self.events.get(chat_id, [])[-last:]] or ["  (none)"]
        errors = [
            f"  {method}: {answer['description']}"
            for method, params, answer in self.errors[-last:]
            if params.get("chat_id") in (chat_id, str(chat_id)) or "chat_id" not in params
        ]
        return "\n".join(lines + (["Recent API errors:", *errors] if errors else []))
