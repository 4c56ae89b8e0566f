"""Catalogue upkeep: extract messages, update vi and en, check they compile.

    python scripts/i18n.py extract   # bot/**.py → locales/messages.pot
    python scripts/i18n.py update    # merge the .pot into locales/{vi,en}/LC_MESSAGES/messages.po
    python scripts/i18n.py compile   # compile both in memory and report untranslated entries
    python scripts/i18n.py all       # the three in order

English msgids are the source text; the en catalogue repeats them (msgstr = msgid)
so that both catalogues are complete and English can be reworded without code changes.

Who reads a message (its readers) is a fact of the code, collected at extraction as a
`#. readers: staff officer` comment: a `# readers: …` comment on the line above a `T(`
call names its readers; one at the top of a module (before its imports) is the default
for the module's messages; without either, a message reaches everyone, including people
who have not joined yet ("guest"). Readers are address groups (parent, student, staff,
officer, guest) or roles (principal → staff, dept_admin → officer).

How a message is worded for each reader is a fact of the language: beside the neutral
entry (no msgctxt, no form of address), a catalogue may hold one entry per address
group (msgctxt "parent", "student", "staff" or "officer") with that group's wording.
`update` keeps those variants as long as their msgid is in the code.
tests/i18n/test_address.py renders every entry for every reader it reaches.
"""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"
POT = LOCALES / "messages.pot"
LANGUAGES = ("vi", "en")
KEYWORDS = {"T": None, "_": None, "__": None}
TAG = "readers:"
GROUPS = ("parent", "student", "staff", "officer", "guest")  # guest: not joined yet
ROLE_GROUPS = {"principal": "staff", "dept_admin": "officer", "superadmin": "officer"}
MODULE_TAG = re.compile(r"^# readers:(.*)$")


def groups(declared: str, where: str) -> frozenset[str]:
    """`staff dept_admin` → {"staff", "officer"}; unknown names are an error."""
    found = set()
    for name in declared.replace(",", " ").split():
        group = ROLE_GROUPS.get(name, name)
        if group not in GROUPS:
            raise SystemExit(f"{where}: unknown reader {name!r} (known: {', '.join(GROUPS)})")
        found.add(group)
    if not found:
        raise SystemExit(f"{where}: '# readers:' names nobody")
    return frozenset(found)


def module_readers(path: Path) -> frozenset[str] | None:
    """The default readers of a module: a `# readers:` line before its first import."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(("import ", "from ")):
            return None
        matched = MODULE_TAG.match(line)
        if matched:
            return groups(matched.group(1), str(path))
    return None


def readers_of(catalog: Catalog, msgid: str) -> frozenset[str]:
    """Whom a message of `collect()` (or of a catalogue updated from it) reaches."""
    message = catalog.get(msgid)
    comments = message.auto_comments if message is not None else []
    for comment in comments:
        if comment.startswith(TAG):
            return groups(comment[len(TAG) :], msgid)
    return frozenset(GROUPS)


def collect(root: Path = ROOT / "bot") -> Catalog:
    """Every message in the code, with its readers (the union over its call sites)."""
    reach: dict[str, set[str]] = {}
    defaults: dict[str, frozenset[str] | None] = {}
    for filename, lineno, message, comments, _context in extract_from_dir(
        str(root), keywords=KEYWORDS, comment_tags=(TAG,)
    ):
        msgid = message if isinstance(message, str) else message[0]
        if filename not in defaults:
            defaults[filename] = module_readers(root / filename)
        # Babel may hand the module's own tag to its first message too: the nearest wins
        tagged = [c for c in comments if c.startswith(TAG)]
        if tagged:
            site = groups(tagged[-1][len(TAG) :], f"{filename}:{lineno}")
        else:
            site = defaults[filename] or frozenset(GROUPS)
        reach.setdefault(msgid, set()).update(site)
    catalog = Catalog(project="hocvuso")
    for msgid in sorted(reach):
        readers = reach[msgid]
        comments = [] if readers == set(GROUPS) else [TAG + " " + " ".join(sorted(readers))]
        catalog.add(msgid, auto_comments=comments)
    return catalog


def extract() -> None:
    with POT.open("wb") as handle:
        write_po(handle, collect(), omit_header=True, sort_output=True, width=76)


def merge(catalog: Catalog, template: Catalog, language: str) -> None:
    """`template`'s messages into `catalog`; reader variants (msgctxt) stay while their
    msgid is in the template, with its readers comment; English repeats the msgid."""
    variants = [m for m in catalog if m.id and m.context]
    catalog.update(template, no_fuzzy_matching=True)
    for variant in variants:
        neutral = catalog.get(variant.id)
        if neutral is not None:
            catalog.add(
                variant.id,
                variant.string,
                auto_comments=neutral.auto_comments,
                user_comments=variant.user_comments,
                flags=variant.flags,
                context=variant.context,
            )
    if language == "en":
        for message in catalog:
            if message.id and not message.string:
                message.string = message.id


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
            catalog = Catalog(locale=language, project="hocvuso")
        merge(catalog, template, language)
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
