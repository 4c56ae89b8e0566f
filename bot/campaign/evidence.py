"""What evidence a milestone accepts: one rule, used by the report flow and the service."""

from __future__ import annotations

FILE_LIMIT = 20 * 1024 * 1024  # the largest file a bot may download from Telegram
CAPTION_LIMIT = 1024
ACCEPTS = {
    "photo": frozenset({"photo"}),
    "document": frozenset({"document"}),
    "photo_or_document": frozenset({"photo", "document"}),
    "none": frozenset(),
}


def problem(rule: str, kind: str | None, size: int | None, caption: str | None) -> str | None:
    """None when the evidence fits `rule`; else missing, kind, too_big or caption_too_long."""
    accepted = ACCEPTS[rule]
    if not accepted:
        return None
    if kind is None:
        return "missing"
    if kind not in accepted:
        return "kind"
    if size is not None and size > FILE_LIMIT:
        return "too_big"
    if caption is not None and len(caption) > CAPTION_LIMIT:
        return "caption_too_long"
    return None
