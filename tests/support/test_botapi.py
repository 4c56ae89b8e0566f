"""The fake Bot API, driven by a real aiogram Bot over HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import pytest
import pytest_asyncio
from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
)

from tests.support.botapi import FakeBotApi, TelegramLimits, button, buttons, keyboard
from tests.support.botapi_state import Upload

pytestmark = pytest.mark.asyncio

TOKEN = "123456:TEST"


class QuickCloseSession(AiohttpSession):
    """AiohttpSession.close() sleeps 250 ms for TLS shutdown; plain HTTP to 127.0.0.1 needn't."""

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


def make_bot(api: FakeBotApi, token: str = TOKEN, session_class: type = QuickCloseSession) -> Bot:
    return Bot(token, session=session_class(api=TelegramAPIServer.from_base(api.base_url)))


def kb(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=text, callback_data=data) for text, data in row]
            for row in rows
        ]
    )


@pytest_asyncio.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        assert server.limits == TelegramLimits()  # Telegram's limits, enforced by default
        yield server


@pytest_asyncio.fixture
async def bot(api: FakeBotApi) -> AsyncIterator[Bot]:
    bot = make_bot(api)
    yield bot
    await bot.session.close()


@asynccontextmanager
async def serving(limits: TelegramLimits | None) -> AsyncIterator[tuple[FakeBotApi, Bot]]:
    """A server with these limits (None: none) and a bot talking to it."""
    async with FakeBotApi(limits=limits) as server:
        client = make_bot(server)
        try:
            yield server, client
        finally:
            await client.session.close()


@pytest.mark.asyncio
async def test_get_me(api: FakeBotApi, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.username) == (123456, True, "hocvuso_test_bot")
    assert me.first_name == "hocvuso test" and me.can_join_groups is True
    assert api.calls == [("getMe", {})]


@pytest.mark.asyncio
async def test_unknown_token_is_unauthorized(api: FakeBotApi) -> None:
    intruder = make_bot(api, token="999:WRONG")
    try:
        with pytest.raises(TelegramUnauthorizedError, match="Unauthorized"):
            await intruder.get_me()
    finally:
        await intruder.session.close()
    assert api.calls == []


@pytest.mark.asyncio
async def test_send_message_with_inline_keyboard(api: FakeBotApi, bot: Bot) -> None:
    alice = api.user(1001, "Alice", username="alice")
    markup = kb([("Có ✅", "yes"), ("Không", "no")], [("Trợ giúp", "help:1")])
    sent = await bot.send_message(alice.id, "Bạn đồng ý?", reply_markup=markup)

    assert isinstance(sent, Message) and sent.message_id == 1
    assert sent.chat.id == alice.id and sent.from_user and sent.from_user.id == 123456
    assert sent.reply_markup and sent.reply_markup.model_dump() == markup.model_dump()
    method, params = api.calls[-1]
    assert method == "sendMessage" and params["chat_id"] == alice.id
    assert params["reply_markup"]["inline_keyboard"][1][0]["callback_data"] == "help:1"

    [recorded] = api.sent(alice.id)
    assert recorded["text"] == "Bạn đồng ý?"
    assert buttons(recorded) == [("Có ✅", "yes"), ("Không", "no"), ("Trợ giúp", "help:1")]
    assert api.button(recorded, "Không") == "no"
    with pytest.raises(AssertionError, match="Trợ giúp"):
        button(recorded, "Maybe")


@pytest.mark.asyncio
async def test_reply_keyboard_is_kept_for_tests_but_not_echoed(api: FakeBotApi, bot: Bot) -> None:
    alice = api.user(1001, "Alice")
    reply_kb = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="📱 Gửi số")]])
    sent = await bot.send_message(alice.id, "Số điện thoại?", reply_markup=reply_kb)
    assert sent.reply_markup is None  # Message.reply_markup only carries inline keyboards
    assert keyboard(api.sent(alice.id)[0]) == ["📱 Gửi số"]


@pytest.mark.asyncio
async def test_long_poll_gets_text_and_press_injected_while_waiting(
    api: FakeBotApi, bot: Bot
) -> None:
    alice = api.user(1001, "Alice", last_name="Nguyễn")
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    assert not poll.done()
    api.send_text(alice, "/start ref_42")
    [update] = await asyncio.wait_for(poll, 2)
    message = update.message
    assert message and message.text == "/start ref_42" and message.chat.id == alice.id
    assert message.from_user and message.from_user.language_code == "vi"
    assert [(e.type, e.offset, e.length) for e in message.entities or []] == [("bot_command", 0, 6)]

    question = await bot.send_message(alice.id, "Chọn:", reply_markup=kb([("A", "pick:a")]))
    poll = asyncio.create_task(bot.get_updates(offset=update.update_id + 1, timeout=5))
    await asyncio.sleep(0.05)
    stored = await api.next_message(alice.id)
    query = api.press(alice, stored, api.button(stored, "A"))
    [pressed] = await asyncio.wait_for(poll, 2)
    callback = pressed.callback_query
    assert callback and callback.id == query["id"] and callback.data == "pick:a"
    assert callback.chat_instance and callback.from_user.id == alice.id
    assert isinstance(callback.message, Message)
    assert callback.message.message_id == question.message_id

    assert await bot.answer_callback_query(callback.id, text="Đã chọn", show_alert=True)
    assert await api.wait_for_answer(query) == {"text": "Đã chọn", "show_alert": True}
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(callback.id)
    with pytest.raises(AssertionError, match="no button"):
        api.press(alice, stored, "pick:zzz")


@pytest.mark.asyncio
async def test_offset_confirms_and_limit_and_timeout(api: FakeBotApi, bot: Bot) -> None:
    alice = api.user(1001, "Alice")
    for text in ("một", "hai", "ba"):
        api.send_text(alice, text)
    first = await bot.get_updates(timeout=0)
    assert [u.message.text for u in first if u.message] == ["một", "hai", "ba"]
    assert [u.update_id for u in first] == [1, 2, 3]
    assert len(await bot.get_updates(timeout=0)) == 3  # nothing confirmed yet

    [second] = await bot.get_updates(offset=2, limit=1, timeout=0)
    assert second.update_id == 2
    assert [u.update_id for u in await bot.get_updates(timeout=0)] == [2, 3]
    assert await bot.get_updates(offset=4, timeout=0) == []

    started = time.monotonic()
    assert await bot.get_updates(offset=4, timeout=1) == []
    assert 0.8 < time.monotonic() - started < 2


@pytest.mark.asyncio
async def test_edit_message_text_and_markup(api: FakeBotApi, bot: Bot) -> None:
    alice = api.user(1001, "Alice")
    original = await bot.send_message(alice.id, "Câu 1", reply_markup=kb([("Đáp án A", "a")]))
    edited = await bot.edit_message_text(
        "Câu 1 — đúng!", chat_id=alice.id, message_id=original.message_id
    )
    assert isinstance(edited, Message) and edited.text == "Câu 1 — đúng!"
    assert edited.reply_markup is None and edited.edit_date  # no reply_markup: keyboard removed
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            "Câu 1 — đúng!", chat_id=alice.id, message_id=original.message_id
        )
    await bot.edit_message_reply_markup(
        chat_id=alice.id, message_id=original.message_id, reply_markup=kb([("Tiếp", "next")])
    )
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=alice.id, message_id=99)

    [current] = api.sent(alice.id)
    assert current["text"] == "Câu 1 — đúng!" and buttons(current) == [("Tiếp", "next")]
    history = [await api.next_message(alice.id) for _ in range(3)]
    assert [(m["text"], buttons(m)) for m in history] == [
        ("Câu 1", [("Đáp án A", "a")]),
        ("Câu 1 — đúng!", []),
        ("Câu 1 — đúng!", [("Tiếp", "next")]),
    ]

    assert await bot.delete_message(alice.id, original.message_id)
    assert api.sent(alice.id) == []
    assert len(api.sent(alice.id, include_deleted=True)) == 1


@pytest.mark.asyncio
async def test_blocked_and_flooded_chats(api: FakeBotApi, bot: Bot) -> None:
    alice, bob = api.user(1001, "Alice"), api.user(1002, "Bob")
    api.block(alice.id)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(alice.id, "Xin chào")

    api.flood(bob.id, retry_after=3, times=2)
    for _ in range(2):
        with pytest.raises(TelegramRetryAfter) as caught:
            await bot.send_message(bob.id, "Xin chào")
        assert caught.value.retry_after == 3
        api.advance(3)  # the flood's retry_after has passed
    await bot.send_message(bob.id, "Xin chào")
    assert [m["text"] for m in api.sent(bob.id)] == ["Xin chào"]
    assert len(api.calls_to("sendMessage")) == 4
    assert [(a.outcome, a.reason) for a in api.log(bob.id)] == [
        ("429", "flood"), ("429", "flood"), ("ok", "")
    ]  # fmt: skip
    assert api.retry_after_violations() == [] and api.limit_refusals() == []
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(555, "ai đó?")


@pytest.mark.asyncio
async def test_commands_per_scope_and_language(api: FakeBotApi, bot: Bot) -> None:
    vi = [BotCommand(command="start", description="Bắt đầu")]
    en = [
        BotCommand(command="start", description="Start"),
        BotCommand(command="help", description="Help"),
    ]
    assert await bot.set_my_commands(vi)
    assert await bot.set_my_commands(en, language_code="en")
    assert await bot.set_my_commands(en[1:], scope=BotCommandScopeChat(chat_id=1001))

    def dump(commands: list[BotCommand]) -> list[dict]:
        return [c.model_dump(exclude_none=True) for c in commands]

    assert dump(await bot.get_my_commands()) == dump(vi)
    assert dump(await bot.get_my_commands(language_code="en")) == dump(en)
    assert await bot.get_my_commands(language_code="fr") == []
    assert api.commands(language_code="en")[1] == {"command": "help", "description": "Help"}
    assert api.commands("chat", chat_id=1001) == [{"command": "help", "description": "Help"}]

    assert await bot.delete_my_commands(language_code="en")
    assert api.commands(language_code="en") == []
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Start", description="x")])


@pytest.mark.asyncio
async def test_photo_upload_get_file_and_download(api: FakeBotApi, bot: Bot) -> None:
    alice = api.user(1001, "Alice")
    payload = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10
    sent = await bot.send_photo(
        alice.id, BufferedInputFile(payload, "chung-nhan.png"), caption="Chứng nhận"
    )
    assert sent.photo and sent.caption == "Chứng nhận"
    file_id = sent.photo[-1].file_id
    upload = api.calls_to("sendPhoto")[0]["photo"]
    assert isinstance(upload, Upload) and upload.filename == "chung-nhan.png"
    assert upload.file_id == file_id and upload.data == payload

    info = await bot.get_file(file_id)
    assert info.file_path and info.file_size == len(payload)
    downloaded = await bot.download(file_id)
    assert downloaded is not None and downloaded.read() == payload

    again = await bot.send_photo(alice.id, file_id)  # resend by file_id: no new upload
    assert again.photo and again.photo[-1].file_id == file_id
    with pytest.raises(TelegramBadRequest, match="invalid file_id"):
        await bot.get_file("nope")


@pytest.mark.asyncio
async def test_user_media_can_be_downloaded(api: FakeBotApi, bot: Bot) -> None:
    alice = api.user(1001, "Alice")
    photo = api.send_photo(alice, caption="ảnh", file_size=50_000)
    doc = api.send_document(alice, "bai-tap.pdf", "application/pdf", data=b"%PDF-1.4 test")
    api.send_sticker(alice)
    api.send_voice(alice)
    api.send_contact(alice, "+84901234567")
    api.send_location(alice, 21.03, 105.85)
    big = api.send_document(alice, "video.zip", "application/zip", 30 * 1024 * 1024)

    updates = await bot.get_updates(timeout=0)
    messages = [u.message for u in updates if u.message]
    assert [m.content_type for m in messages] == [
        "photo", "document", "sticker", "voice", "contact", "location", "document",
    ]  # fmt: skip
    largest = messages[0].photo[-1] if messages[0].photo else None
    assert largest and largest.file_id == photo["photo"][-1]["file_id"]
    assert len({p.file_unique_id for p in messages[0].photo or []}) == 3
    assert (await bot.download(largest.file_id)).read() == api.file_bytes(largest.file_id)
    assert len(api.file_bytes(largest.file_id)) == 50_000
    assert (await bot.download(doc["document"]["file_id"])).read() == b"%PDF-1.4 test"
    assert messages[4].contact and messages[4].contact.user_id == alice.id
    with pytest.raises(TelegramBadRequest, match="file is too big"):
        await bot.get_file(big["document"]["file_id"])


@pytest.mark.asyncio
async def test_validation_errors_look_like_telegram(api: FakeBotApi, bot: Bot) -> None:
    alice = api.user(1001, "Alice")
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(alice.id, "a" * 4097)
    await bot.send_message(alice.id, "ồ" * 4096)
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(alice.id, "x", reply_markup=kb([("B", "d" * 65)]))
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_photo(alice.id, BufferedInputFile(b"x", "a.jpg"), caption="c" * 1025)
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(alice.id, "1 < 2", parse_mode="HTML")

    async with aiohttp.ClientSession() as http:
        base = f"{api.base_url}/bot{TOKEN}"
        async with http.post(f"{base}/sendMessage", data={"text": "hi"}) as resp:
            assert resp.status == 400
            assert (await resp.json())["description"] == "Bad Request: chat_id is empty"
        async with http.post(f"{base}/sendMessage", data={"chat_id": "1001"}) as resp:
            assert (await resp.json())["description"] == "Bad Request: message text is empty"
        async with http.post(f"{base}/launchRocket", json={}) as resp:
            assert resp.status == 404
            assert await resp.json() == {"ok": False, "error_code": 404, "description": "Not Found"}


@pytest.mark.asyncio
async def test_html_parse_mode_becomes_entities(api: FakeBotApi, bot: Bot) -> None:
    alice = api.user(1001, "Alice")
    sent = await bot.send_message(
        alice.id, '<b>Xin chào</b> &lt;3 <a href="https://vi.wikipedia.org">🔗 link</a>',
        parse_mode="HTML",
    )  # fmt: skip
    assert sent.text == "Xin chào <3 🔗 link"
    assert [(e.type, e.offset, e.length) for e in sent.entities or []] == [
        ("bold", 0, 8),
        ("text_link", 12, 7),  # the emoji is two UTF-16 code units
    ]
    assert sent.html_text.startswith("<b>Xin chào</b> &lt;3")


@pytest.mark.asyncio
async def test_json_and_multipart_bodies_and_other_sends(api: FakeBotApi, bot: Bot) -> None:
    alice, bob = api.user(1001, "Alice"), api.user(1002, "Bob")
    async with aiohttp.ClientSession() as http:
        base = f"{api.base_url}/bot{TOKEN}"
        body = {"chat_id": alice.id, "text": "123", "reply_markup": '{"inline_keyboard": []}'}
        async with http.post(f"{base}/sendMessage", json=body) as resp:
            assert (await resp.json())["result"]["text"] == "123"
        form = aiohttp.FormData()
        form.add_field("chat_id", str(alice.id))
        form.add_field("document", b"a,b\n1,2\n", filename="diem.csv", content_type="text/csv")
        async with http.post(f"{base}/sendDocument", data=form) as resp:
            document = (await resp.json())["result"]["document"]
    assert api.calls[0][1]["reply_markup"] == {"inline_keyboard": []}
    assert document["file_name"] == "diem.csv" and document["mime_type"] == "text/csv"

    album = await bot.send_media_group(
        alice.id,
        [
            InputMediaPhoto(media=BufferedInputFile(b"one", "1.jpg"), caption="một"),
            InputMediaPhoto(media=BufferedInputFile(b"two", "2.jpg")),
        ],
    )
    assert len(album) == 2 and album[0].media_group_id == album[1].media_group_id
    assert album[0].caption == "một"

    copied = await bot.copy_message(bob.id, alice.id, album[0].message_id)
    forwarded = await bot.forward_message(bob.id, alice.id, album[0].message_id)
    assert forwarded.forward_origin and copied.message_id + 1 == forwarded.message_id
    assert [m.get("caption") for m in api.sent(bob.id)] == ["một", "một"]
    assert await bot.send_chat_action(bob.id, "typing")
    assert await bot.set_chat_menu_button()


@pytest.mark.asyncio
async def test_wait_for_reports_recent_messages_on_timeout(api: FakeBotApi, bot: Bot) -> None:
    alice = api.user(1001, "Alice")
    await bot.send_message(alice.id, "Tin cũ")

    async def send_later() -> None:
        await asyncio.sleep(0.05)
        await bot.send_message(alice.id, "Tin mới")

    sending = asyncio.create_task(send_later())
    fresh = await api.wait_for(alice.id, timeout=2)
    assert fresh["text"] == "Tin mới"
    await sending
    old = await api.wait_for(alice.id, lambda m: m["text"] == "Tin cũ", since_now=False)
    assert old["message_id"] == 1
    with pytest.raises(AssertionError, match="Tin mới") as caught:
        await api.wait_for(alice.id, lambda m: "never" in m["text"], timeout=0.1)
    assert "Tin cũ" in str(caught.value)


@pytest.mark.asyncio
async def test_dispatcher_long_polling_end_to_end(api: FakeBotApi) -> None:
    dp = Dispatcher()

    @dp.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(f"echo: {message.text}", reply_markup=kb([("Lại", "again")]))

    @dp.callback_query(F.data == "again")
    async def again(callback: CallbackQuery) -> None:
        await callback.answer("OK")
        if isinstance(callback.message, Message):
            await callback.message.edit_text("echo: lại")

    bot = make_bot(api, session_class=AiohttpSession)  # the stock session, closed by the dispatcher
    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=2))
    alice = api.user(1001, "Alice")
    try:
        api.send_text(alice, "xin chào")
        reply = await api.next_message(alice.id, timeout=5)
        assert reply["text"] == "echo: xin chào"
        query = api.press(alice, reply, api.button(reply, "Lại"))
        edited = await api.next_message(alice.id, timeout=5)
        assert edited["text"] == "echo: lại" and buttons(edited) == []
        assert (await api.wait_for_answer(query))["text"] == "OK"
    finally:
        await dp.stop_polling()
        await asyncio.wait_for(polling, 5)
    assert polling.done() and not polling.cancelled()
    assert {"getMe", "getUpdates", "sendMessage", "editMessageText"} <= {m for m, _ in api.calls}


# -- Telegram's limits, faults, outages, and what the log tells ---------------------------------


@pytest.mark.asyncio
async def test_private_chat_limit_refuses_without_effect(api: FakeBotApi, bot: Bot) -> None:
    alice, bob = api.user(1001, "Alice"), api.user(1002, "Bob")
    first = await bot.send_message(alice.id, "1")
    with pytest.raises(TelegramBadRequest):  # a refused-as-invalid request takes no token
        await bot.send_message(alice.id, "a" * 4097)
    await bot.edit_message_text("1 (sửa)", chat_id=alice.id, message_id=first.message_id)
    for text in ("2", "3"):
        await bot.send_message(alice.id, text)  # 4 in a few ms: the burst Telegram allows
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(alice.id, "4")
    assert caught.value.retry_after == 1  # one token a second
    with pytest.raises(TelegramRetryAfter):  # an edit is refused too, and changes nothing
        await bot.edit_message_text("1 (lại)", chat_id=alice.id, message_id=first.message_id)
    assert [m["text"] for m in api.sent(alice.id)] == ["1 (sửa)", "2", "3"]
    await bot.send_message(bob.id, "khác")  # another chat has its own bucket

    api.advance(1)
    fourth = await bot.send_message(alice.id, "4")
    assert fourth.message_id == 4  # the refused sends took no message id
    [refusal] = api.limit_refusals()
    assert (refusal.chat_id, refusal.method, refusal.reason, refusal.retry_after) == (
        alice.id, "sendMessage", "chat", 1,
    )  # fmt: skip
    assert [a.outcome for a in api.log(alice.id)] == [
        "ok", "error", "ok", "ok", "ok", "429", "429", "ok",
    ]  # fmt: skip
    assert api.errors[-1][2] == {
        "ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }  # fmt: skip
    assert len(api.retry_after_violations()) == 1  # the edit, sent inside the announced second


@pytest.mark.asyncio
async def test_group_limit_is_twenty_a_minute(api: FakeBotApi, bot: Bot) -> None:
    group = api.group(-1001234567890, "Phụ huynh 10A1")
    assert group["type"] == "supergroup"
    for n in range(21):
        await bot.send_message(group["id"], f"Thông báo {n}")
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(group["id"], "một nữa")
    assert caught.value.retry_after == 3  # 20 tokens in 60 s: the next in 3 s
    assert [r.reason for r in api.limit_refusals()] == ["group"]
    api.advance(3)
    await bot.send_message(group["id"], "một nữa")
    assert len(api.sent(group["id"])) == 22


@pytest.mark.asyncio
async def test_global_limit_across_chats() -> None:
    async with serving(TelegramLimits(global_capacity=3, global_rate=2)) as (api, bot):
        users = [api.user(2000 + n, f"U{n}") for n in range(4)]
        for user in users[:3]:
            await bot.send_message(user.id, "Xin chào")
        assert await bot.send_chat_action(users[3].id, "typing")  # not a message: not counted
        with pytest.raises(TelegramRetryAfter) as caught:
            await bot.send_message(users[3].id, "Xin chào")
        assert caught.value.retry_after == 1
        assert [(r.chat_id, r.reason) for r in api.limit_refusals()] == [(users[3].id, "global")]
        assert api.sent(users[3].id) == []
        api.advance(0.5)  # one token back
        await bot.send_message(users[0].id, "lại")
        api.advance(0.5)  # and users[3]'s retry_after has run out
        await bot.send_message(users[3].id, "Xin chào")


@pytest.mark.asyncio
async def test_ignoring_retry_after_is_punished_and_reported() -> None:
    async with serving(TelegramLimits(chat_capacity=1, chat_rate=0.4)) as (api, bot):
        alice, bob = api.user(1001, "Alice"), api.user(1002, "Bob")
        await bot.send_message(alice.id, "1")
        with pytest.raises(TelegramRetryAfter) as caught:
            await bot.send_message(alice.id, "2")
        assert caught.value.retry_after == 3  # 2.5 s to the next token, rounded up
        api.advance(2.6)  # a token is back, but the 3 s Telegram announced are not over
        with pytest.raises(TelegramRetryAfter) as caught:
            await bot.send_message(alice.id, "2")
        assert caught.value.retry_after == 1  # what remains, at least 1: a new deadline
        api.advance(1)
        await bot.send_message(alice.id, "2")

        api.flood(bob.id, retry_after=5)
        with pytest.raises(TelegramRetryAfter):
            await bot.send_message(bob.id, "a")
        with pytest.raises(TelegramRetryAfter) as caught:  # the flood is spent; the wait not
            await bot.send_message(bob.id, "a")
        assert caught.value.retry_after == 5
        api.advance(5)
        await bot.send_message(bob.id, "a")

    violations = api.retry_after_violations()
    assert [(v.chat_id, v.method) for v in violations] == [
        (alice.id, "sendMessage"), (bob.id, "sendMessage"),
    ]  # fmt: skip
    assert 0.2 < violations[0].early <= 0.4 and 4.5 < violations[1].early <= 5
    assert [v.chat_id for v in api.retry_after_violations(tolerance=1)] == [bob.id]
    assert [a.reason for a in api.log(alice.id)] == ["", "chat", "penalty", ""]
    assert [r.reason for r in api.limit_refusals()] == ["chat"]  # not the penalty, not floods


async def _pattern(seed: int) -> tuple[list[str], dict[str, int]]:
    """Twelve sends and six getMe under a 5xx fault on sendMessage at rate 0.3."""
    async with serving(None) as (api, bot):
        alice = api.user(1001, "Alice")
        fault = api.inject("5xx", {"SENDMESSAGE"}, rate=0.3, seed=seed)
        outcomes = []
        for n in range(12):
            try:
                await bot.send_message(alice.id, f"tin {n}")
                outcomes.append("ok")
            except TelegramServerError as error:
                outcomes.append(error.message)
            if n % 2:
                await bot.get_me()  # not chosen: never faulted
        assert len(api.sent(alice.id)) == outcomes.count("ok")  # failed sends left nothing
        assert fault.served == 12 - outcomes.count("ok")
        return outcomes, api.faults_served()


@pytest.mark.asyncio
async def test_injected_5xx_is_seeded_and_hits_only_chosen_methods() -> None:
    outcomes, served = await _pattern(seed=7)
    draws = random.Random(7)
    assert [o != "ok" for o in outcomes] == [draws.random() < 0.3 for _ in range(12)]
    failures = [o for o in outcomes if o != "ok"]
    assert failures[:2] == ["Internal Server Error", "Bad Gateway"]  # alternately
    assert served == {"5xx": len(failures)} and len(failures) >= 2
    assert await _pattern(seed=7) == (outcomes, served)
    assert (await _pattern(seed=8))[0] != outcomes


@pytest.mark.asyncio
async def test_injected_429_has_no_effect_and_must_be_waited_out(api: FakeBotApi, bot: Bot) -> None:
    alice = api.user(1001, "Alice")
    card = await bot.send_message(alice.id, "Câu hỏi", reply_markup=kb([("A", "a")]))
    fault = api.inject("429", ["answerCallbackQuery", "editMessageText"], retry_after=2, times=1)
    query = api.press(alice, await api.next_message(alice.id), "a")
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.answer_callback_query(query["id"], text="Đã chọn")
    assert caught.value.retry_after == 2 and query["id"] not in api.callback_answers
    assert fault.served == 1
    await bot.answer_callback_query(query["id"], text="Đã chọn")  # times=1: spent

    api.inject("429", "editMessageText", retry_after=2)
    await bot.send_message(alice.id, "sendMessage is not chosen")
    with pytest.raises(TelegramRetryAfter):
        await bot.edit_message_text("Sửa", chat_id=alice.id, message_id=card.message_id)
    with pytest.raises(TelegramRetryAfter):  # the chat now waits 2 s, for any message method
        await bot.send_message(alice.id, "too early")
    assert api.faults_served() == {"429": 2}
    assert api.sent(alice.id)[0]["text"] == "Câu hỏi"
    assert api.limit_refusals() == [] and len(api.retry_after_violations()) == 1
    api.clear_faults()
    api.advance(2)
    await bot.edit_message_text("Sửa", chat_id=alice.id, message_id=card.message_id)


@pytest.mark.asyncio
async def test_timeout_fault_gives_up_client_but_message_is_sent(api: FakeBotApi, bot: Bot) -> None:
    alice = api.user(1001, "Alice")
    api.inject("timeout", {"sendMessage"}, delay=0.3, times=2)
    with pytest.raises(TelegramNetworkError, match="timeout"):
        await bot.send_message(alice.id, "Xin chào", request_timeout=0.05)
    assert [m["text"] for m in api.sent(alice.id)] == ["Xin chào"]  # Telegram did send it

    started = time.monotonic()
    again = await bot.send_message(alice.id, "Xin chào")  # a patient client waits it out
    assert time.monotonic() - started >= 0.28 and again.message_id == 2
    assert [(a.outcome, a.fault, a.held) for a in api.log(alice.id)] == [
        ("ok", "timeout", 0.3), ("ok", "timeout", 0.3),
    ]  # fmt: skip
    [dup] = api.duplicates()  # the retry after a timeout sent it twice
    assert (dup.chat_id, dup.first_id, dup.repeat_id) == (alice.id, 1, 2)


@pytest.mark.asyncio
async def test_outage_refuses_connections_then_serves_on_same_url(
    api: FakeBotApi, bot: Bot
) -> None:
    alice = api.user(1001, "Alice")
    base_url = api.base_url
    await bot.get_me()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    calls = len(api.calls)

    await api.take_down()
    with pytest.raises(TelegramNetworkError):  # the long poll in progress is cut off
        await asyncio.wait_for(poll, 1)
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(alice.id, "Có ai không?")
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.ClientConnectorError):  # refused: nobody listens
            await http.get(f"{base_url}/bot{TOKEN}/getMe")
    assert len(api.calls) == calls and api.sent(alice.id) == []  # nothing got through

    await api.bring_up()
    assert api.base_url == base_url
    assert (await bot.get_me()).id == 123456
    outage = asyncio.create_task(api.outage(0.2))
    await asyncio.sleep(0.02)
    with pytest.raises(TelegramNetworkError):
        await bot.get_me()
    await outage
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    api.send_text(alice, "đã có mạng")
    [update] = await asyncio.wait_for(poll, 2)
    assert update.message and update.message.text == "đã có mạng"


@pytest.mark.asyncio
async def test_duplicates_are_repeated_sends_not_edits() -> None:
    async with serving(None) as (api, bot):
        alice, bob = api.user(1001, "Alice"), api.user(1002, "Bob")
        markup = kb([("Tiếp", "next")])
        first = await bot.send_message(alice.id, "Chào", reply_markup=markup)
        await bot.send_message(alice.id, "Chào")  # other markup: another message
        await bot.send_message(bob.id, "Chào", reply_markup=markup)  # another chat
        await bot.edit_message_text("Chào!", chat_id=alice.id, message_id=first.message_id)
        await bot.edit_message_text(
            "Chào", chat_id=alice.id, message_id=first.message_id, reply_markup=markup
        )  # back to the same content: an edit, not a send
        assert api.duplicates() == []
        photo = BufferedInputFile(b"one", "1.jpg")
        await bot.send_photo(alice.id, photo, caption="Ảnh")
        await bot.send_photo(alice.id, BufferedInputFile(b"two", "2.jpg"), caption="Ảnh")
        assert api.duplicates() == []  # same caption, other picture
        repeat = await bot.send_message(alice.id, "Chào", reply_markup=markup)
        await bot.send_photo(alice.id, BufferedInputFile(b"one", "again.jpg"), caption="Ảnh")
        api.send_text(bob, "/start")  # Bob asks again: the same answer is not a duplicate
        await bot.send_message(bob.id, "Chào", reply_markup=markup)

    [text, picture] = api.duplicates()
    assert (text.chat_id, text.method, text.first_id, text.repeat_id) == (
        alice.id, "sendMessage", first.message_id, repeat.message_id,
    )  # fmt: skip
    assert picture.method == "sendPhoto" and 0 < text.seconds < 1
    assert api.duplicates(chat_id=bob.id) == [] and api.duplicates(window=0) == []
    assert [d.chat_id for d in api.duplicates(bob.id, across_updates=True)] == [bob.id]
