"""Fill locales/vi from a {msgid: msgstr} dict in a Python file (a translator's worksheet)."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parent.parent / "locales" / "vi" / "LC_MESSAGES" / "messages.po"


def main(sheet: str) -> None:
    table = runpy.run_path(sheet)["VI"]
    with PO.open("rb") as handle:
        catalog = read_po(handle, locale="vi")
    for message in catalog:
        if message.id in table:
            message.string = table[message.id]
            message.flags.discard("fuzzy")
    with PO.open("wb") as handle:
        write_po(handle, catalog, sort_output=True, width=100, ignore_obsolete=True)


if __name__ == "__main__":
    main(sys.argv[1])
