"""In-memory model behind the fake Telegram Bot API (see ``botapi.py``).

Holds the simulated users, the update queue the bot polls, every message in every chat (the
bot's ones in the same JSON shape the real API returns), the files, and the per-chat event log
that tests wait on. Everything runs on one asyncio loop; nothing here is thread-safe.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import itertools
import mimetypes
import re
import time
from dataclasses import dataclass, field
from typing import Any

from tests.support.botapi_html import utf16_len

JSON = dict[str, Any]
MAX_DOWNLOAD_SIZE = 20 * 1024 * 1024  # getFile refuses bigger files, like the real API

_FILE_DIRS = {
    "photo": ("photos", "jpg"),
    "document": ("documents", "bin"),
    "voice": ("voice", "oga"),
    "sticker": ("stickers", "webp"),
    "video": ("videos", "mp4"),
    "audio": ("music", "mp3"),
    "animation": ("animations", "mp4"),
}
_KIND_DEFAULTS: dict[str, JSON] = {
    "photo": {"width": 1280, "height": 960},
    "sticker": {"type": "regular", "width": 512, "height": 512, "is_animated": False,
                "is_video": False},
    "video": {"width": 640, "height": 360, "duration": 5},
    "animation": {"width": 640, "height": 360, "duration": 5},
    "audio": {"duration": 60},
    "voice": {"duration": 3},
}  # fmt: skip
_MAGIC = {"photo": b"\xff\xd8\xff\xe0", "voice": b"OggS", "sticker": b"RIFF"}
_COMMAND = re.compile(r"/\S+")


class ApiError(Exception):
    """An error answer: raised by method handlers, rendered as ``{"ok": false, ...}``."""

    def __init__(self, code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(text: str) -> ApiError:
    return ApiError(400, f"Bad Request: {text}")


@dataclass
class FakeUser:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "vi"

    @property
    def chat_id(self) -> int:
        return self.id

    def as_dict(self) -> JSON:
        data: JSON = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data

    def chat(self) -> JSON:
        data: JSON = {"id": self.id, "type": "private", "first_name": self.first_name}
        for key in ("last_name", "username"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data


@dataclass
class Upload:
    """A file part the bot uploaded; ``file_id`` is filled in once the fake registers it."""

    filename: str
    content_type: str | None
    data: bytes
    file_id: str | None = None


@dataclass
class FakeFile:
    file_id: str
    file_unique_id: str
    kind: str
    file_size: int
    file_path: str
    data: bytes | None = None  # None: deterministic filler bytes of file_size length
    meta: JSON = field(default_factory=dict)  # file_name, mime_type, width, duration, ...

    def content(self) -> bytes:
        if self.data is not None:
            return self.data
        seed = hashlib.sha256(self.file_unique_id.encode()).digest()
        body = _MAGIC.get(self.kind, b"") + seed * (self.file_size // len(seed) + 1)
        return body[: self.file_size]

    def as_media(self) -> JSON:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
            **self.meta,
        }


class Signal:
    """Wake-all notification: take ``current`` before checking a condition, then wait on it."""

    def __init__(self) -> None:
        self.current = asyncio.Event()

    def notify(self) -> None:
        self.current.set()
        self.current = asyncio.Event()


async def wait_until(signal: Signal, check: Any, timeout: float) -> Any:
    """Re-run ``check()`` on every notification until it returns non-None or time runs out."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        event = signal.current
        result = check()
        remaining = deadline - loop.time()
        if result is not None or remaining <= 0:
            return result
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), remaining)


class BotApiState:
    def __init__(self, token: str, bot_username: str) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_user: JSON = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "hocvuso test",
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.users: dict[int, FakeUser] = {}
        self.groups: dict[int, JSON] = {}  # chat_id (negative) -> chat
        self.calls: list[tuple[str, JSON]] = []
        self.callback_answers: dict[str, JSON] = {}  # callback_query_id -> answer params
        self.commands_by_scope: dict[tuple[Any, ...], list[JSON]] = {}
        self.menu_buttons: dict[int | None, JSON] = {}
        self.webhook_url = ""
        self.closing = False  # set by FakeBotApi.stop(): pending long polls return at once
        self.poll_generation = 0  # a newer getUpdates ends an older one with 409 Conflict
        self.blocked: set[int] = set()
        self.floods: dict[int, list[int]] = {}  # chat_id -> [retry_after, times left]
        self.updates: list[JSON] = []  # not yet confirmed by getUpdates' offset
        self.update_signal = Signal()
        self.message_signal = Signal()
        self.events: dict[int, list[JSON]] = {}  # chat -> snapshots of bot sends and edits
        self.messages: dict[tuple[int, int], JSON] = {}  # (chat, message_id), API shape
        self.raw_markup: dict[tuple[int, int], JSON] = {}  # reply markup as the bot sent it
        self.bot_message_ids: dict[int, list[int]] = {}
        self.deleted: set[tuple[int, int]] = set()
        self.open_callbacks: set[str] = set()
        self.files: dict[str, FakeFile] = {}
        self.files_by_path: dict[str, FakeFile] = {}
        self._last_update_id = 0
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._file_numbers = itertools.count(1)
        self._callback_ids = itertools.count(1)

    # -- users and injected updates -------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "vi",
    ) -> FakeUser:
        """Register (or re-describe) a Telegram user; their private chat id is the user id."""
        self.users[user_id] = FakeUser(user_id, first_name, last_name, username, language_code)
        return self.users[user_id]

    def group(self, chat_id: int, title: str) -> JSON:
        """Register a group chat the bot is in (ids below -10**12 are supergroups)."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        kind = "supergroup" if chat_id < -(10**12) else "group"
        self.groups[chat_id] = {"id": chat_id, "type": kind, "title": title}
        return dict(self.groups[chat_id])

    def push_update(self, update: JSON) -> JSON:
        """Queue a raw update for getUpdates, assigning ``update_id`` if missing."""
        update = dict(update)
        update.setdefault("update_id", self._last_update_id + 1)
        self._last_update_id = max(self._last_update_id, update["update_id"])
        self.updates.append(update)
        self.update_signal.notify()
        return update

    def send_text(self, user: FakeUser, text: str) -> JSON:
        content: JSON = {"text": text}
        if command := _COMMAND.match(text):
            length = utf16_len(command.group(0))
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return self._from_user(user, content)

    def send_photo(
        self, user: FakeUser, caption: str | None = None, file_size: int = 50_000
    ) -> JSON:
        sizes = []
        for width, height, share in ((90, 67, 50), (320, 240, 10), (1280, 960, 1)):
            size = file_size if share == 1 else max(1, file_size // share)
            sizes.append(self.new_file("photo", size, width=width, height=height).as_media())
        return self._from_user(user, _with_caption({"photo": sizes}, caption))

    def send_document(
        self,
        user: FakeUser,
        file_name: str,
        mime_type: str,
        file_size: int | None = None,
        caption: str | None = None,
        *,
        data: bytes | None = None,
    ) -> JSON:
        """A document; pass ``data`` to have the download return exactly those bytes."""
        size = len(data) if file_size is None and data is not None else file_size
        if size is None:
            raise TypeError("send_document needs file_size or data")
        doc = self.new_file("document", size, data=data, file_name=file_name, mime_type=mime_type)
        return self._from_user(user, _with_caption({"document": doc.as_media()}, caption))

    def send_sticker(self, user: FakeUser, emoji: str = "👍") -> JSON:
        sticker = self.new_file("sticker", 20_000, emoji=emoji)
        return self._from_user(user, {"sticker": sticker.as_media()})

    def send_voice(self, user: FakeUser, duration: int = 3) -> JSON:
        voice = self.new_file("voice", 4_000 * duration, duration=duration, mime_type="audio/ogg")
        return self._from_user(user, {"voice": voice.as_media()})

    def send_contact(self, user: FakeUser, phone: str) -> JSON:
        contact = {"phone_number": phone, "first_name": user.first_name, "user_id": user.id}
        if user.last_name:
            contact["last_name"] = user.last_name
        return self._from_user(user, {"contact": contact})

    def send_location(self, user: FakeUser, lat: float, lon: float) -> JSON:
        return self._from_user(user, {"location": {"latitude": lat, "longitude": lon}})

    def press(
        self, user: FakeUser, message: JSON, callback_data: str, *, strict: bool = True
    ) -> JSON:
        """The user taps an inline button; returns the callback_query (its ``id`` is unique).

        ``message`` may be any snapshot of a bot message: the query carries the message as
        currently stored. With ``strict`` the data must belong to one of its current buttons.
        """
        key = (message["chat"]["id"], message["message_id"])
        current = copy.deepcopy(self.messages.get(key, message))
        if strict:
            offered = [data for _, data in inline_buttons(current)]
            if callback_data not in offered:
                raise AssertionError(
                    f"message {key} has no button with callback_data {callback_data!r}; "
                    f"buttons: {inline_buttons(current)}"
                )
        query_id = str(4_000_000_000_000 + next(self._callback_ids))
        self.open_callbacks.add(query_id)
        query = {
            "id": query_id,
            "from": user.as_dict(),
            "message": current,
            "chat_instance": str(abs(hash((self.bot_id, key[0])))),  # ints hash stably
            "data": callback_data,
        }
        self.push_update({"callback_query": query})
        return query

    def _from_user(self, user: FakeUser, content: JSON) -> JSON:
        self.users.setdefault(user.id, user)
        message_id = self.next_message_id(user.id)
        message = {
            "message_id": message_id,
            "from": user.as_dict(),
            "chat": user.chat(),
            "date": int(time.time()),
            **content,
        }
        self.messages[(user.id, message_id)] = message
        self.push_update({"message": message})
        return copy.deepcopy(message)

    # -- storage used by the method handlers ----------------------------------------------

    def next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def confirm_updates(self, offset: int | None) -> None:
        """getUpdates' offset: forget updates below it (negative: keep only the last -offset)."""
        if offset is None:
            return
        if offset < 0:
            del self.updates[: max(0, len(self.updates) + offset)]
        else:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]

    def new_file(
        self, kind: str, file_size: int, data: bytes | None = None, **meta: Any
    ) -> FakeFile:
        number = next(self._file_numbers)
        folder, ext = _FILE_DIRS.get(kind, ("documents", "bin"))
        if meta.get("file_name") and "." in meta["file_name"]:
            ext = meta["file_name"].rsplit(".", 1)[1]
        digest = hashlib.sha1(f"{self.token}/{number}".encode()).hexdigest()
        fake = FakeFile(
            file_id=f"{kind[:2].upper()}AC{number:06d}-{digest[:24]}",
            file_unique_id=f"AQAD{number:06d}{digest[24:30]}",
            kind=kind,
            file_size=len(data) if data is not None else file_size,
            file_path=f"{folder}/file_{number}.{ext}",
            data=data,
            meta={
                **_KIND_DEFAULTS.get(kind, {}),
                **{k: v for k, v in meta.items() if v is not None},
            },
        )
        self.files[fake.file_id] = fake
        self.files_by_path[fake.file_path] = fake
        return fake

    def register_upload(self, upload: Upload, kind: str) -> FakeFile:
        mime = upload.content_type
        if not mime or mime == "application/octet-stream":
            mime = mimetypes.guess_type(upload.filename)[0] or mime
        meta: JSON = {}
        if kind in ("document", "audio", "video", "animation"):
            meta = {"file_name": upload.filename, "mime_type": mime}
        fake = self.new_file(kind, len(upload.data), data=upload.data, **meta)
        upload.file_id = fake.file_id
        return fake

    def chat(self, chat_id: int) -> JSON:
        if chat_id in self.users:
            return self.users[chat_id].chat()
        if chat_id in self.groups:
            return dict(self.groups[chat_id])
        raise bad_request("chat not found")

    def add_bot_message(self, chat_id: int, content: JSON, markup: JSON | None) -> JSON:
        message_id = self.next_message_id(chat_id)
        message = {
            "message_id": message_id,
            "from": self.bot_user,
            "chat": self.chat(chat_id),
            "date": int(time.time()),
            **content,
        }
        self.messages[(chat_id, message_id)] = message
        self.bot_message_ids.setdefault(chat_id, []).append(message_id)
        self.set_markup((chat_id, message_id), markup)
        self.emit((chat_id, message_id))
        return copy.deepcopy(message)

    def set_markup(self, key: tuple[int, int], markup: JSON | None) -> None:
        """Messages only echo inline keyboards; reply keyboards are kept aside for tests."""
        message = self.messages[key]
        message.pop("reply_markup", None)
        self.raw_markup.pop(key, None)
        if markup is not None:
            self.raw_markup[key] = markup
            if "inline_keyboard" in markup:
                message["reply_markup"] = markup

    def view(self, key: tuple[int, int]) -> JSON:
        """A test-facing snapshot: the API message plus any reply keyboard the bot attached."""
        snapshot = copy.deepcopy(self.messages[key])
        if key in self.raw_markup:
            snapshot["reply_markup"] = copy.deepcopy(self.raw_markup[key])
        return snapshot

    def emit(self, key: tuple[int, int], new_content: bool = False) -> None:
        """Record a send or edit. `new_content` marks an edit that changed what the message
        says (not only its buttons), kept in the snapshot as the test-side key NEW_CONTENT."""
        snapshot = self.view(key)
        if new_content:
            snapshot[NEW_CONTENT] = True
        self.events.setdefault(key[0], []).append(snapshot)
        self.message_signal.notify()


NEW_CONTENT = "_new_content"  # not Telegram's: only in the snapshots tests look at


def _with_caption(content: JSON, caption: str | None) -> JSON:
    if caption is not None:
        content["caption"] = caption
    return content


def inline_buttons(message: JSON) -> list[tuple[str, str]]:
    """(text, callback_data) for each inline button; url-type buttons give their url."""
    markup = message.get("reply_markup") or {}
    return [
        (b.get("text", ""), b.get("callback_data") or b.get("url") or "")
        for row in markup.get("inline_keyboard", [])
        for b in row
    ]
