"""Telegram-style HTML parse_mode for the fake Bot API.

Mirrors what the real server does with ``parse_mode=HTML``: the tags are stripped from the
text and turned into ``MessageEntity`` dicts (offsets in UTF-16 code units), and malformed
markup is rejected with a "can't parse entities" error modelled on Telegram's (tdlib's) own
messages, so a bot that forgets to escape user input fails the same way it would in production.
"""

from __future__ import annotations

import html
import re
from typing import Any

_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_START_TAG = re.compile(r"<([^\s>]*)")
_ATTR = re.compile(r"""([\w-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_CHAR_REF = re.compile(r"&(#[0-9]{1,7}|#x[0-9a-fA-F]{1,6}|lt|gt|amp|quot);")


class HtmlParseError(ValueError):
    """Markup Telegram would refuse; str(error) is the part after "can't parse entities: "."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _attrs(raw: str) -> dict[str, str]:
    out = {}
    for m in _ATTR.finditer(raw):
        value = next((g for g in m.groups()[1:] if g is not None), "")
        out[m.group(1).lower()] = html.unescape(value)
    return out


def _entity(name: str, attrs: dict[str, str], stack: list[list[Any]], where: str) -> Any:
    """The entity dict a start tag opens (None when the tag adds no entity of its own)."""
    kind = _TAGS[name]
    if name == "span" and attrs.get("class") != "tg-spoiler":
        raise HtmlParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {where}')
    if name == "a":
        return {"type": kind, "url": attrs["href"]} if attrs.get("href") else None
    if name == "tg-emoji":
        return {"type": kind, "custom_emoji_id": attrs.get("emoji-id", "")}
    if name == "blockquote" and "expandable" in attrs:
        return {"type": "expandable_blockquote"}
    language = attrs.get("class", "")
    if name == "code" and stack and stack[-1][0] == "pre" and language.startswith("language-"):
        if stack[-1][2] is not None:
            stack[-1][2]["language"] = language.removeprefix("language-")
        return None
    return {"type": kind}


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Return (plain text, entities) for an HTML-formatted message text or caption."""
    out: list[str] = []
    pos = 0  # current offset in the plain text, in UTF-16 code units
    stack: list[list[Any]] = []  # [tag name, start offset, entity dict or None]
    entities: list[dict[str, Any]] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char != "<":
            ref = _CHAR_REF.match(text, i) if char == "&" else None
            piece = html.unescape(ref.group(0)) if ref else char
            i = ref.end() if ref else i + 1
            out.append(piece)
            pos += utf16_len(piece)
            continue
        where = str(len(text[:i].encode()))
        if text.startswith("</", i):
            end = text.find(">", i)
            if end < 0:
                raise HtmlParseError(f"Unclosed end tag at byte offset {where}")
            name = text[i + 2 : end].strip().lower()
            if not stack:
                raise HtmlParseError(f'Unexpected end tag "{name}" at byte offset {where}')
            if stack[-1][0] != name:
                raise HtmlParseError(
                    f'Unmatched end tag at byte offset {where}, expected "</{stack[-1][0]}>", '
                    f'found "</{name}>"'
                )
            _, start, entity = stack.pop()
            if entity is not None and pos > start:
                entities.append({**entity, "offset": start, "length": pos - start})
            i = end + 1
            continue
        match = _START_TAG.match(text, i)
        name = match.group(1).lower() if match else ""
        if name not in _TAGS:
            raise HtmlParseError(f'Unsupported start tag "{name}" at byte offset {where}')
        end = text.find(">", match.end())
        if end < 0:
            raise HtmlParseError(f"Unclosed start tag at byte offset {where}")
        entity = _entity(name, _attrs(text[match.end() : end]), stack, where)
        stack.append([name, pos, entity])
        i = end + 1
    if stack:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities
