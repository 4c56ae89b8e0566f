"""Adding a name to an award's shortlist, or removing one, as tables of
(state, input) → (state, effects)."""

from __future__ import annotations

import unicodedata

import pytest

from bot.flows import engine
from bot.flows.engine import Pick, Record, Reply, State, TextInput
from bot.flows.nomination import NOMINATION, NOTHING_CHANGED, SHOWN
from tests.flows.texts import msgids

AWARDS = [{"id": "staff_certificate", "title": "Giấy khen"}, {"id": "class_cert", "title": "Lớp"}]
ADD = {"mode": "add", "school": 3, "awards": AWARDS}
REMOVE = {**ADD, "mode": "remove"}
CHOSEN = {"award": "staff_certificate", "award_title": "Giấy khen"}
MATCHES = [{"key": "p7", "label": "Lê Văn Cường (Tổ Toán)"}, {"key": "p9", "label": "Lê Thu"}]


def state(step: str, **data: object) -> State:
    return State("nomination", step, data)


def last_reply(result: engine.Result) -> Reply:
    return [e for e in result.effects if isinstance(e, Reply)][-1]


def records(result: engine.Result) -> list[Record]:
    return [e for e in result.effects if isinstance(e, Record)]


def test_the_awards_are_offered_first() -> None:
    for data, prompt in (
        (ADD, "Which award's shortlist would you like to add a name to?"),
        (REMOVE, "Which award's shortlist would you like to remove a name from?"),
    ):
        reply = last_reply(engine.start(NOMINATION, data))
        assert msgids(reply.text) == [prompt]
        assert [c.key for c in reply.choices] == ["staff_certificate", "class_cert"]


@pytest.mark.parametrize(
    ("before", "event", "after", "said", "recorded"),
    [
        # add: the award, then part of a name, which the finisher looks up
        (
            state("award", **ADD),
            Pick("award", "staff_certificate"),
            state("search", **ADD, **CHOSEN, none=None),
            [
                "Please type part of the name to add to “{award}” (a person, or a class or unit for a collective award)."
            ],
            [],
        ),
        (
            state("search", **ADD, **CHOSEN),
            TextInput("c"),
            state("search", **ADD, **CHOSEN),
            [
                "Please type from 2 to 64 characters of the name.",
                "Please type part of the name to add to “{award}” (a person, or a class or unit for a collective award).",
            ],
            [],
        ),
        (
            state("search", **ADD, **CHOSEN),
            TextInput("  cường "),
            None,
            [],
            [Record("search", {**ADD, **CHOSEN, "typed": "cường"})],
        ),
        (
            state("search", **ADD, **CHOSEN, none="zzz"),
            Pick("search", "x"),  # nothing to press here
            state("search", **ADD, **CHOSEN, none="zzz"),
            [
                "That button belongs to an earlier message, so nothing was changed.",
                "No one in the school who could be added matches “{typed}” (those already on the shortlist are not offered).",
                "Please type part of the name to add to “{award}” (a person, or a class or unit for a collective award).",
            ],
            [],
        ),
        # remove: the award goes to the finisher, which lists who is on it
        (
            state("award", **REMOVE),
            Pick("award", "staff_certificate"),
            None,
            [],
            [Record("listed", {**REMOVE, **CHOSEN})],
        ),
        # picking the person, then the reason, then confirming
        (
            state("person", **ADD, **CHOSEN, matches=MATCHES),
            Pick("person", "p7"),
            state(
                "reason",
                **ADD,
                **CHOSEN,
                matches=MATCHES,
                subject="p7",
                subject_label=MATCHES[0]["label"],
            ),
            [
                "Why should {name} be on the shortlist of “{award}”? Please type the reason (up to {limit} characters): the school's emulation council will read it."
            ],
            [],
        ),
        (
            state("person", **ADD, **CHOSEN, matches=MATCHES),
            Pick("person", "again"),
            state("search", **ADD, **CHOSEN, matches=MATCHES, none=None),
            [
                "Please type part of the name to add to “{award}” (a person, or a class or unit for a collective award)."
            ],
            [],
        ),
        (
            state("person", **ADD, **CHOSEN, matches=MATCHES),
            TextInput("Thu"),  # adding: typing again searches again
            None,
            [],
            [Record("search", {**ADD, **CHOSEN, "matches": MATCHES, "typed": "Thu"})],
        ),
        (
            state("person", **ADD, **CHOSEN, matches=MATCHES),
            Pick("person", "p999"),  # a forged key: not among the choices
            state("person", **ADD, **CHOSEN, matches=MATCHES),
            [
                "That button belongs to an earlier message, so nothing was changed.",
                "Who would you like to add to the shortlist of “{award}”?",
            ],
            [],
        ),
        (
            state("person", **REMOVE, **CHOSEN, matches=MATCHES),
            TextInput("thu"),  # removing: typing narrows the list
            state("person", **REMOVE, **CHOSEN, matches=MATCHES, filter="thu"),
            ["Whose name would you like to remove from the shortlist of “{award}”?"],
            [],
        ),
        (
            state("person", **REMOVE, **CHOSEN, matches=MATCHES),
            TextInput("Hoa"),
            state("person", **REMOVE, **CHOSEN, matches=MATCHES),
            [
                "No name on the shortlist matches “{typed}”.",
                "Whose name would you like to remove from the shortlist of “{award}”?",
            ],
            [],
        ),
        (
            state("reason", **REMOVE, **CHOSEN, subject="p7", subject_label="Cường"),
            TextInput(" \n "),
            state("reason", **REMOVE, **CHOSEN, subject="p7", subject_label="Cường"),
            [
                "Please type a reason of 1 to {limit} characters.",
                "Why should {name} come off the shortlist of “{award}”? Please type the reason (up to {limit} characters): the school's emulation council will read it.",
            ],
            [],
        ),
        (
            state("reason", **REMOVE, **CHOSEN, subject="p7", subject_label="Cường"),
            TextInput("x" * 501),
            state("reason", **REMOVE, **CHOSEN, subject="p7", subject_label="Cường"),
            [
                "Please type a reason of 1 to {limit} characters.",
                "Why should {name} come off the shortlist of “{award}”? Please type the reason (up to {limit} characters): the school's emulation council will read it.",
            ],
            [],
        ),
        (
            state("reason", **REMOVE, **CHOSEN, subject="p7", subject_label="Cường"),
            TextInput(unicodedata.normalize("NFD", "Chưa đủ\tminh chứng ")),
            state(
                "confirm",
                **REMOVE,
                **CHOSEN,
                subject="p7",
                subject_label="Cường",
                reason="Chưa đủ minh chứng",
            ),
            ["Remove {name} from the shortlist of “{award}”?\nReason: {reason}"],
            [],
        ),
        (
            state(
                "confirm", **REMOVE, **CHOSEN, subject="p7", subject_label="Cường", reason="Lý do"
            ),
            Pick("confirm", "yes"),
            None,
            [],
            [Record("remove", {"school": 3, **CHOSEN, "subject": "p7", "reason": "Lý do"})],
        ),
        (
            state("confirm", **ADD, **CHOSEN, subject="p7", subject_label="Cường", reason="Lý do"),
            TextInput("1"),  # a numbered answer, for channels without buttons
            None,
            [],
            [Record("add", {"school": 3, **CHOSEN, "subject": "p7", "reason": "Lý do"})],
        ),
        (
            state("confirm", **ADD, **CHOSEN, subject="p7", subject_label="Cường", reason="Lý do"),
            Pick("confirm", "no"),
            None,
            [NOTHING_CHANGED.msgid],
            [],
        ),
    ],
)
def test_the_table(
    before: State,
    event: engine.Input,
    after: State | None,
    said: list[str],
    recorded: list[Record],
) -> None:
    result = engine.step(NOMINATION, before, event)
    assert result.state == after
    replies = [e for e in result.effects if isinstance(e, Reply)]
    assert [m for r in replies for m in msgids(r.text)] == said
    assert records(result) == recorded


def test_the_reason_kept_is_nfc_and_a_long_list_is_shown_in_part() -> None:
    result = engine.step(
        NOMINATION,
        state("reason", **ADD, **CHOSEN, subject="p7", subject_label="Cường"),
        TextInput(unicodedata.normalize("NFD", "Có sáng kiến")),
    )
    assert result.state is not None and result.state.data["reason"] == "Có sáng kiến"
    assert unicodedata.is_normalized("NFC", result.state.data["reason"])
    many = [{"key": f"p{n}", "label": f"Người {n}"} for n in range(SHOWN + 5)]
    reply = last_reply(engine.start(NOMINATION, {**REMOVE, **CHOSEN, "matches": many}, at="person"))
    assert len(reply.choices) == SHOWN
    assert msgids(reply.text) == [
        "Whose name would you like to remove from the shortlist of “{award}”?",
        "You can also type part of a name to find it in the list.",
    ]
    narrowed = engine.step(
        NOMINATION, state("person", **REMOVE, **CHOSEN, matches=many), TextInput("Người 24")
    )
    assert [c.key for c in last_reply(narrowed).choices] == ["p24"]
