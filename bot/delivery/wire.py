"""The outbox's own line to the Bot API: one JSON POST per message, nothing more.

Replies go through aiogram's session (bot.delivery.replies), which builds a
multipart form for every call and validates every answer into pydantic models:
about 1.5 ms of CPU per message, which caps one worker near 600 messages a
second. A queued message is already plain data (chat, text, file id, buttons as
JSON), and the outbox needs three things from the answer (ok, the message id, the
error code with its retry_after), so it speaks the documented HTTP interface
directly (https://core.telegram.org/bots/api#making-requests) with aiohttp's
public client: JSON in, JSON out. Its pace is the same `Pace` as the replies'
(the outbox takes each turn before calling), so both share Telegram's budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp

TELEGRAM = "https://api.telegram.org"


@dataclass(frozen=True)
class Answer:
    ok: bool
    code: int = 200  # the Bot API's error_code, or the HTTP status
    message_id: int | None = None
    retry_after: float | None = None
    description: str = ""


class WireError(Exception):
    """The request never got a Bot API answer (connection refused, reset, timed out)."""


class Wire:
    def __init__(self, token: str, api_url: str | None = None, connections: int = 100) -> None:
        self._base = f"{(api_url or TELEGRAM).rstrip('/')}/bot{token}/"
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections),
                timeout=aiohttp.ClientTimeout(total=30),
            )
        return self._session

    async def call(self, method: str, params: dict[str, Any]) -> Answer:
        try:
            async with self._client().post(self._base + method, json=params) as response:
                status = response.status
                try:
                    body = await response.json(content_type=None)
                except ValueError:
                    body = None
        except (TimeoutError, aiohttp.ClientError, OSError) as problem:
            raise WireError(type(problem).__name__) from problem
        if not isinstance(body, dict):
            return Answer(False, status, description="not a Bot API answer")
        if body.get("ok"):
            result = body.get("result")
            message_id = result.get("message_id") if isinstance(result, dict) else None
            return Answer(True, 200, message_id=message_id)
        parameters = body.get("parameters") or {}
        return Answer(
            False,
            int(body.get("error_code") or status),
            retry_after=parameters.get("retry_after"),
            description=str(body.get("description") or "")[:200],
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
