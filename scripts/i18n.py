"""Catalogue upkeep: extract messages, update vi and en, check they compile.

    python scripts/i18n.py extract   # bot/**.py → locales/messages.pot
    python scripts/i18n.py update    # merge the .pot into locales/{vi,en}/LC_MESSAGES/messages.po
    python scripts/i18n.py compile   # compile both in memory and report untranslated entries
    python scripts/i18n.py all       # the three in order

English msgids are the source text; the en catalogue repeats them (msgstr = msgid)
so that both catalogues are complete and English can be reworded without code changes.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"
POT = LOCALES / "messages.pot"
LANGUAGES = ("vi", "en")


def extract() -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-k",
            "T",
            "-k",
            "_",
            "-k",
            "__",
            "--no-location",
            "--sort-output",
            "--omit-header",
            "-o",
            str(POT),
            str(ROOT / "bot"),
        ],
        check=True,
    )


def update() -> None:
    with POT.open("rb") as handle:
        template = read_po(handle)
    for language in LANGUAGES:
        path = LOCALES / language / "LC_MESSAGES" / "messages.po"
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=language)
        else:
            from babel.messages.catalog import Catalog

            catalog = Catalog(locale=language, project="hocvuso")
        catalog.update(template, no_fuzzy_matching=True)
        if language == "en":
            for message in catalog:
                if message.id and not message.string:
                    message.string = message.id
        with path.open("wb") as handle:
            write_po(
                handle,
                catalog,
                omit_header=False,
                sort_output=True,
                width=100,
                ignore_obsolete=True,
            )


def compile_check() -> int:
    problems = 0
    for language in LANGUAGES:
        path = LOCALES / language / "LC_MESSAGES" / "messages.po"
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        missing = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
        for msgid in missing:
            print(f"{language}: untranslated: {msgid!r}")
        problems += len(missing)
        write_mo(io.BytesIO(), catalog)
        print(f"{language}: {len([m for m in catalog if m.id])} messages, {len(missing)} missing")
    return 1 if problems else 0


if __name__ == "__main__":
    step = sys.argv[1] if len(sys.argv) > 1 else "all"
    if step in ("extract", "all"):
        extract()
    if step in ("update", "all"):
        update()
    if step in ("compile", "all"):
        raise SystemExit(compile_check())
