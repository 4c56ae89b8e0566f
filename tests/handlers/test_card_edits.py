"""A pressed flow card moves forward in place: edited into the next question, not re-sent.

When Telegram refuses the edit the question comes as a new message and nothing is lost;
"message is not modified" counts as shown; a button of an older step leaves its card alone.
"""

from __future__ import annotations

from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageReplyMarkup,
    EditMessageText,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)
from aiogram.types import InlineKeyboardMarkup

from bot.flows.engine import STALE
from bot.handlers.callbacks import VERSION, FlowCallback
from bot.handlers.flow import MOVED_ON
from bot.i18n import Renderer
from tests.handlers.test_onboarding import SCHOOL, onboard
from tests.support.harness import Harness, Person

CARD = 4242  # the message whose buttons are pressed
CANT_EDIT = "Bad Request: message can't be edited"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


def flow_data(step: str, key: str) -> str:
    return FlowCallback(v=VERSION, flow="onboarding", step=step, key=key).pack()


def buttons_of(request: TelegramMethod[Any]) -> list[str]:
    markup = getattr(request, "reply_markup", None)
    if not isinstance(markup, InlineKeyboardMarkup):
        return []
    return [b.callback_data or "" for row in markup.inline_keyboard for b in row]


def since(h: Harness, before: int, *kinds: type) -> list[Any]:
    return [m for m in h.session.requests[before:] if isinstance(m, kinds)]


def renderer(h: Harness) -> Renderer:
    return Renderer(h.app.catalogues, "vi", h.app.settings.zone)


def refuse_edits(
    h: Harness, monkeypatch: pytest.MonkeyPatch, message: str, times: int | None = None
) -> list[EditMessageText]:
    """Make Telegram refuse the next `times` EditMessageText calls (all, with None)."""
    answer = h.session.make_request
    refused: list[EditMessageText] = []

    async def make_request(
        bot: Bot, method: TelegramMethod[Any], timeout: int | None = None
    ) -> Any:
        if isinstance(method, EditMessageText) and (times is None or len(refused) < times):
            h.session.requests.append(method)
            refused.append(method)
            raise TelegramBadRequest(method=method, message=message)
        return await answer(bot, method, timeout)

    monkeypatch.setattr(h.session, "make_request", make_request)
    return refused


async def at_language_step(h: Harness, who: Person, class_name: str, role: str = "parent") -> None:
    class_id = await h.org(*SCHOOL, ("class", class_name))
    await h.say(who, f"/start {await h.invite(class_id, role)}")
    first = h.session.last(who.id)
    assert isinstance(first, SendMessage)
    assert buttons_of(first) == [flow_data("language", "vi"), flow_data("language", "en")]


async def test_each_press_edits_the_pressed_card_into_the_next_question(harness: Harness) -> None:
    who = Person(901, "Lan")
    # A student: nothing typed from start to end (a parent types their child's name).
    await at_language_step(harness, who, "10C1", role="student")

    before = len(harness.session.requests)
    await harness.press(who, flow_data("language", "vi"), message_id=CARD)
    [edit] = since(harness, before, EditMessageText)
    assert (edit.chat_id, edit.message_id) == (who.id, CARD)
    assert "10C1" in edit.text and "/forget" in edit.text
    assert renderer(harness)(STALE) not in edit.text
    assert buttons_of(edit) == [flow_data("consent", "accept"), flow_data("consent", "decline")]
    assert since(harness, before, SendMessage, EditMessageReplyMarkup) == []
    [answer] = since(harness, before, AnswerCallbackQuery)
    assert not answer.show_alert and not answer.text

    before = len(harness.session.requests)
    await harness.press(who, flow_data("consent", "accept"), message_id=CARD)
    [edit] = since(harness, before, EditMessageText)
    assert (edit.chat_id, edit.message_id) == (who.id, CARD)
    assert "gõ" in edit.text.lower()
    assert buttons_of(edit) == [flow_data("name", "keep")]
    assert since(harness, before, SendMessage, EditMessageReplyMarkup) == []

    before = len(harness.session.requests)
    await harness.press(who, flow_data("name", "keep"), message_id=CARD)
    [edit] = since(harness, before, EditMessageText)
    assert edit.message_id == CARD
    assert "Lan" in edit.text and "10C1" in edit.text and "học sinh" in edit.text
    assert buttons_of(edit) == []
    assert since(harness, before, SendMessage, EditMessageReplyMarkup) == []

    # one card for the whole onboarding: only the first question was a new message
    assert len([m for m in harness.session.sent(who.id) if isinstance(m, SendMessage)]) == 1


@pytest.mark.parametrize("refusals", [1, None], ids=["once", "always"])
async def test_a_refused_edit_sends_the_question_anew_and_the_flow_goes_on(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, refusals: int | None
) -> None:
    who = Person(902, "Hà")
    await at_language_step(harness, who, "10C2", role="student")
    refused = refuse_edits(harness, monkeypatch, CANT_EDIT, times=refusals)

    before = len(harness.session.requests)
    await harness.press(who, flow_data("language", "vi"), message_id=CARD)
    assert [m.message_id for m in refused] == [CARD]
    [sent] = since(harness, before, SendMessage)
    assert sent.chat_id == who.id
    assert sent.text == refused[0].text and "10C2" in sent.text
    assert buttons_of(sent) == [flow_data("consent", "accept"), flow_data("consent", "decline")]
    assert harness.alerts() == []  # no apology: the refusal was handled

    # the next press, on the new message, works: the flow advanced
    new_card = CARD + 1
    before = len(harness.session.requests)
    await harness.press(who, flow_data("consent", "accept"), message_id=new_card)
    shown = since(harness, before, SendMessage, EditMessageText)
    assert buttons_of(shown[-1]) == [flow_data("name", "keep")]
    if refusals is None:
        assert [type(m) for m in shown] == [EditMessageText, SendMessage]  # refused, then sent
    else:
        assert [type(m) for m in shown] == [EditMessageText]
        assert shown[0].message_id == new_card

    await harness.press(who, flow_data("name", "keep"), message_id=new_card + 1)
    welcome = harness.last_text(who)
    assert "Hà" in welcome and "10C2" in welcome
    await harness.say(who, "/mydata")
    assert "10C2" in harness.last_text(who)


async def test_message_not_modified_counts_as_shown(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    who = Person(903, "Minh")
    await at_language_step(harness, who, "10C3")
    refused = refuse_edits(harness, monkeypatch, NOT_MODIFIED, times=1)

    before = len(harness.session.requests)
    await harness.press(who, flow_data("language", "vi"), message_id=CARD)
    assert [m.message_id for m in refused] == [CARD]
    assert since(harness, before, SendMessage, EditMessageReplyMarkup) == []  # no duplicate

    before = len(harness.session.requests)
    await harness.press(who, flow_data("consent", "accept"), message_id=CARD)
    [edit] = since(harness, before, EditMessageText)
    assert edit.message_id == CARD
    assert buttons_of(edit) == [flow_data("name", "keep")]
    assert since(harness, before, SendMessage) == []


async def test_an_older_steps_button_brings_the_current_card_back(harness: Harness) -> None:
    who = Person(904, "Nam")
    await at_language_step(harness, who, "10C4")
    await harness.press(who, flow_data("language", "vi"), message_id=CARD)
    consent = harness.session.last(who.id)
    assert isinstance(consent, EditMessageText)

    old_card = 4000  # still showing the language buttons (say its edit never arrived)
    before = len(harness.session.requests)
    await harness.press(who, flow_data("language", "en"), message_id=old_card)
    [again] = since(harness, before, EditMessageText)
    assert again.message_id == old_card  # the card they pressed now shows where they are
    assert again.text == consent.text  # still Vietnamese: the old button changed nothing
    assert buttons_of(again) == [flow_data("consent", "accept"), flow_data("consent", "decline")]
    assert since(harness, before, SendMessage) == []
    [toast] = since(harness, before, AnswerCallbackQuery)
    assert toast.text == renderer(harness)(MOVED_ON)

    before = len(harness.session.requests)
    await harness.press(who, flow_data("consent", "accept"), message_id=old_card)
    [edit] = since(harness, before, EditMessageText)
    assert edit.message_id == old_card
    assert buttons_of(edit) == [flow_data("name", "keep")]


async def test_the_invite_link_comes_first_then_its_qr_code(harness: Harness) -> None:
    class_id = await harness.org(*SCHOOL, ("class", "10C5"))
    teacher = Person(905, "Cô Hoa")
    await onboard(harness, teacher, await harness.invite(class_id, "staff"))
    await harness.say(teacher, "/invite")
    await harness.press(teacher, harness.button(teacher, "10C5"), message_id=CARD)
    assert harness.session.last(teacher.id).message_id == CARD

    before = len(harness.session.requests)
    await harness.press(teacher, harness.button(teacher, "phụ huynh"), message_id=CARD)
    link, photo = since(harness, before, EditMessageText, SendPhoto)
    assert isinstance(link, EditMessageText) and link.message_id == CARD
    assert "10C5" in link.text and "https://t.me/" in link.text and link.reply_markup is None
    assert isinstance(photo, SendPhoto)
