"""Bot API method handlers for the fake server.

Each handler takes the state and the decoded params and returns the ``result`` of a successful
answer, or raises ``ApiError`` with a Telegram-like description. Look-up is case-insensitive,
as in the real API.
"""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Callable
from typing import Any

from tests.support.botapi_html import HtmlParseError, parse_html, utf16_len
from tests.support.botapi_polls import POLL_METHODS, allowed, remember_allowed
from tests.support.botapi_state import (
    JSON,
    MAX_DOWNLOAD_SIZE,
    ApiError,
    BotApiState,
    FakeFile,
    Upload,
    bad_request,
    wait_until,
)

_BUTTON_ACTIONS = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay",
)  # fmt: skip
_CHAT_ACTIONS = {
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note",
    "upload_video_note",
}  # fmt: skip
_COPYABLE = (
    "text", "entities", "photo", "document", "video", "audio", "voice", "animation", "sticker",
    "caption", "caption_entities", "contact", "location",
)  # fmt: skip
_MEDIA_KINDS = ("photo", "document", "video", "audio", "voice", "animation")
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)

# -- shared validation ----------------------------------------------------------------------


def _chat_id(value: Any) -> int:
    if value is None or value == "":
        raise bad_request("chat_id is empty")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request("chat not found") from None


def target_chat(state: BotApiState, p: JSON) -> int:
    """The chat a send/edit goes to, after the simulated flood limits and blocks."""
    chat_id = _chat_id(p.get("chat_id"))
    state.chat(chat_id)
    flood = state.floods.get(chat_id)
    if flood:
        retry_after, flood[1] = flood[0], flood[1] - 1
        if flood[1] <= 0:
            del state.floods[chat_id]
        raise ApiError(429, f"Too Many Requests: retry after {retry_after}",
                       {"retry_after": retry_after})  # fmt: skip
    if chat_id in state.blocked:
        raise ApiError(403, "Forbidden: bot was blocked by the user")
    return chat_id


def formatted(p: JSON, key: str, limit: int, too_long: str) -> tuple[str | None, list | None]:
    """(text, entities) of a text or caption, applying parse_mode=HTML like Telegram."""
    text = p.get(key)
    entities = p.get("entities" if key == "text" else "caption_entities")
    if text is None:
        return None, None
    text = str(text)
    if str(p.get("parse_mode") or "").lower() == "html":
        try:
            text, entities = parse_html(text)
        except HtmlParseError as exc:
            raise bad_request(f"can't parse entities: {exc}") from None
    if utf16_len(text) > limit:
        raise bad_request(too_long)
    return text, entities or None


def text_content(p: JSON) -> JSON:
    text, entities = formatted(p, "text", 4096, "message is too long")
    if not (text or "").strip():
        raise bad_request("message text is empty")
    return {"text": text, "entities": entities} if entities else {"text": text}


def caption_content(p: JSON) -> JSON:
    caption, entities = formatted(p, "caption", 1024, "message caption is too long")
    content = {"caption": caption, "caption_entities": entities}
    return {k: v for k, v in content.items() if v}


def markup(p: JSON) -> JSON | None:
    value = p.get("reply_markup")
    if value is None:
        return None
    if not isinstance(value, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    for row in value.get("inline_keyboard", []):
        for button in row:
            if "callback_data" in button:
                if not 1 <= len(str(button["callback_data"]).encode()) <= 64:
                    raise bad_request("BUTTON_DATA_INVALID")
            elif not any(action in button for action in _BUTTON_ACTIONS):
                raise bad_request("can't parse inline keyboard button: "
                                  "Text buttons are unallowed in the inline keyboard")  # fmt: skip
    return value


def reply_to(state: BotApiState, chat_id: int, p: JSON) -> JSON:
    params = p.get("reply_parameters") or {}
    message_id = params.get("message_id") or p.get("reply_to_message_id")
    original = state.messages.get((chat_id, int(message_id))) if message_id else None
    if message_id and original is None and not params.get("allow_sending_without_reply"):
        raise bad_request("message to be replied not found")
    if original is None:
        return {}
    return {"reply_to_message": {k: v for k, v in original.items() if k != "reply_to_message"}}


def resolve_file(state: BotApiState, value: Any, kind: str) -> FakeFile:
    if isinstance(value, Upload):
        return state.register_upload(value, kind)
    if isinstance(value, str) and value in state.files:
        return state.files[value]
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        name = value.rsplit("/", 1)[-1] if kind == "document" else None
        return state.new_file(kind, 10_000, file_name=name)  # never fetched: no internet
    if value is None:
        raise bad_request(f"there is no {kind} in the request")
    raise bad_request("wrong file identifier/HTTP URL specified")


def stored(state: BotApiState, p: JSON, chat_id: int, missing: str) -> tuple[tuple[int, int], JSON]:
    if p.get("message_id") is None:
        raise bad_request("message identifier is not specified")
    key = (chat_id, int(p["message_id"]))
    if key not in state.messages or key in state.deleted:
        raise bad_request(missing)
    return key, state.messages[key]


# -- sending --------------------------------------------------------------------------------


def send_message(state: BotApiState, p: JSON) -> JSON:
    chat_id = target_chat(state, p)
    content = text_content(p) | reply_to(state, chat_id, p)
    return state.add_bot_message(chat_id, content, markup(p))


def _send_media(kind: str) -> Callable[[BotApiState, JSON], JSON]:
    def handler(state: BotApiState, p: JSON) -> JSON:
        chat_id = target_chat(state, p)
        media = resolve_file(state, p.get(kind), kind).as_media()
        content = {kind: [media] if kind == "photo" else media}
        content |= caption_content(p) | reply_to(state, chat_id, p)
        return state.add_bot_message(chat_id, content, markup(p))

    return handler


def send_media_group(state: BotApiState, p: JSON) -> list[JSON]:
    chat_id = target_chat(state, p)
    items = p.get("media")
    if not isinstance(items, list) or not 2 <= len(items) <= 10:
        raise bad_request("wrong number of media in the album, must be 2-10")
    group_id = str(time.time_ns())
    sent = []
    for item in items:
        kind = item.get("type")
        if kind not in ("photo", "video", "document", "audio"):
            raise bad_request(f"unsupported media type {kind!r} in the album")
        media = resolve_file(state, item.get("media"), kind).as_media()
        content = {kind: [media] if kind == "photo" else media, "media_group_id": group_id}
        sent.append(state.add_bot_message(chat_id, content | caption_content(item), None))
    return sent


def copy_message(state: BotApiState, p: JSON) -> JSON:
    chat_id = target_chat(state, p)
    _, source = stored(state, p, _chat_id(p.get("from_chat_id")), "message to copy not found")
    content = {k: copy.deepcopy(source[k]) for k in _COPYABLE if k in source}
    if p.get("caption") is not None:
        content = {k: v for k, v in content.items() if not k.startswith("caption")}
        content |= caption_content(p)
    return {"message_id": state.add_bot_message(chat_id, content, markup(p))["message_id"]}


def forward_message(state: BotApiState, p: JSON) -> JSON:
    chat_id = target_chat(state, p)
    _, source = stored(state, p, _chat_id(p.get("from_chat_id")), "message to forward not found")
    content = {k: copy.deepcopy(source[k]) for k in _COPYABLE if k in source}
    origin = {"type": "user", "sender_user": source["from"], "date": source["date"]}
    return state.add_bot_message(chat_id, content | {"forward_origin": origin}, None)


def send_chat_action(state: BotApiState, p: JSON) -> bool:
    target_chat(state, p)
    if p.get("action") not in _CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    return True


# -- editing --------------------------------------------------------------------------------


def _edit(state: BotApiState, p: JSON, changes: JSON, needs: tuple[str, ...], absent: str) -> JSON:
    """Apply an edit; omitting reply_markup removes the keyboard, as in Telegram."""
    if p.get("inline_message_id"):
        raise bad_request("inline messages are not supported by the fake Bot API")
    key, message = stored(state, p, target_chat(state, p), "message to edit not found")
    if message["from"]["id"] != state.bot_id:
        raise bad_request("message can't be edited")
    if not any(k in message for k in needs):
        raise bad_request(absent)
    new_markup = markup(p)
    if {k: message.get(k) for k in changes} == changes and state.raw_markup.get(key) == new_markup:
        raise bad_request(_NOT_MODIFIED)
    for k, v in changes.items():
        if v is None:
            message.pop(k, None)
        else:
            message[k] = v
    state.set_markup(key, new_markup)
    message["edit_date"] = int(time.time())
    state.emit(key, new_content=bool(changes))
    return copy.deepcopy(message)


def edit_message_text(state: BotApiState, p: JSON) -> JSON:
    changes = {"entities": None} | text_content(p)
    return _edit(state, p, changes, ("text",), "there is no text in the message to edit")


def edit_message_caption(state: BotApiState, p: JSON) -> JSON:
    changes = {"caption": None, "caption_entities": None} | caption_content(p)
    return _edit(state, p, changes, _MEDIA_KINDS, "there is no caption in the message to edit")


def edit_message_reply_markup(state: BotApiState, p: JSON) -> JSON:
    return _edit(state, p, {}, ("message_id",), "message can't be edited")


def delete_message(state: BotApiState, p: JSON) -> bool:
    chat_id = _chat_id(p.get("chat_id"))
    key, _ = stored(state, p, chat_id, "message to delete not found")
    state.deleted.add(key)
    return True


def answer_callback_query(state: BotApiState, p: JSON) -> bool:
    query_id = str(p.get("callback_query_id", ""))
    if query_id not in state.open_callbacks:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    if len(str(p.get("text") or "")) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    state.open_callbacks.discard(query_id)
    answer = {k: v for k, v in p.items() if k != "callback_query_id"}
    state.callback_answers[query_id] = {"text": None, "show_alert": False} | answer
    state.message_signal.notify()  # wakes FakeBotApi.wait_for_answer
    return True


# -- bot settings, files, updates -----------------------------------------------------------


def scope_key(p: JSON) -> tuple[Any, ...]:
    scope = p.get("scope") or {"type": "default"}
    if not isinstance(scope, dict):
        raise bad_request("can't parse BotCommandScope JSON object")
    ids = [None if scope.get(k) is None else int(scope[k]) for k in ("chat_id", "user_id")]
    return (scope.get("type", "default"), *ids, p.get("language_code") or "")


def set_my_commands(state: BotApiState, p: JSON) -> bool:
    commands = p.get("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("can't parse commands JSON object")
    for command in commands:
        if not _COMMAND.fullmatch(str(command.get("command", ""))):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description", ""))) <= 256:
            raise bad_request("command description must be 1-256 characters")
    state.commands_by_scope[scope_key(p)] = [
        {"command": c["command"], "description": c["description"]} for c in commands
    ]
    return True


def delete_my_commands(state: BotApiState, p: JSON) -> bool:
    state.commands_by_scope.pop(scope_key(p), None)
    return True


def get_my_commands(state: BotApiState, p: JSON) -> list[JSON]:
    return copy.deepcopy(state.commands_by_scope.get(scope_key(p), []))


def set_chat_menu_button(state: BotApiState, p: JSON) -> bool:
    chat_id = None if p.get("chat_id") is None else _chat_id(p["chat_id"])
    state.menu_buttons[chat_id] = p.get("menu_button") or {"type": "default"}
    return True


def get_chat_menu_button(state: BotApiState, p: JSON) -> JSON:
    chat_id = None if p.get("chat_id") is None else _chat_id(p["chat_id"])
    return state.menu_buttons.get(chat_id) or {"type": "default"}


def get_file(state: BotApiState, p: JSON) -> JSON:
    fake = state.files.get(str(p.get("file_id", "")))
    if fake is None:
        raise bad_request("invalid file_id")
    if fake.file_size > MAX_DOWNLOAD_SIZE:
        raise bad_request("file is too big")
    return {
        "file_id": fake.file_id,
        "file_unique_id": fake.file_unique_id,
        "file_size": fake.file_size,
        "file_path": fake.file_path,
    }


async def get_updates(state: BotApiState, p: JSON) -> list[JSON]:
    if state.webhook_url:
        raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                            "use deleteWebhook to delete the webhook first")  # fmt: skip
    state.confirm_updates(None if p.get("offset") is None else int(p["offset"]))
    remember_allowed(state, p)
    # Telegram never delivers update types the bot did not ask for: they are dropped.
    state.updates = [u for u in state.updates if allowed(state, u)]
    limit = min(max(int(p.get("limit") or 100), 1), 100)
    state.poll_generation += 1
    mine = state.poll_generation
    state.update_signal.notify()  # a poll still waiting is now superseded

    def ready() -> Any:
        if state.poll_generation != mine:
            return "superseded"
        if state.closing:
            return []
        state.updates = [u for u in state.updates if allowed(state, u)]
        return state.updates[:limit] or None

    result = await wait_until(state.update_signal, ready, float(p.get("timeout") or 0))
    if result == "superseded":
        raise ApiError(409, "Conflict: terminated by other getUpdates request; make sure that "
                            "only one bot instance is running")  # fmt: skip
    return copy.deepcopy(result or [])


def set_webhook(state: BotApiState, p: JSON) -> bool:
    remember_allowed(state, p)
    state.webhook_url = str(p.get("url") or "")
    return True


def delete_webhook(state: BotApiState, p: JSON) -> bool:
    state.webhook_url = ""
    if p.get("drop_pending_updates"):
        state.updates.clear()
    return True


def get_webhook_info(state: BotApiState, p: JSON) -> JSON:
    return {
        "url": state.webhook_url,
        "has_custom_certificate": False,
        "pending_update_count": len(state.updates),
    }


METHODS: dict[str, Callable[[BotApiState, JSON], Any]] = {
    name.lower(): handler
    for name, handler in {
        "getMe": lambda state, p: dict(state.bot_user),
        "getUpdates": get_updates,
        "setWebhook": set_webhook,
        "deleteWebhook": delete_webhook,
        "getWebhookInfo": get_webhook_info,
        "sendMessage": send_message,
        **{f"send{kind.capitalize()}": _send_media(kind) for kind in (*_MEDIA_KINDS, "sticker")},
        "sendMediaGroup": send_media_group,
        "copyMessage": copy_message,
        "forwardMessage": forward_message,
        "sendChatAction": send_chat_action,
        "editMessageText": edit_message_text,
        "editMessageCaption": edit_message_caption,
        "editMessageReplyMarkup": edit_message_reply_markup,
        "deleteMessage": delete_message,
        "answerCallbackQuery": answer_callback_query,
        "setMyCommands": set_my_commands,
        "deleteMyCommands": delete_my_commands,
        "getMyCommands": get_my_commands,
        "setChatMenuButton": set_chat_menu_button,
        "getChatMenuButton": get_chat_menu_button,
        "getFile": get_file,
    }.items()
} | POLL_METHODS
