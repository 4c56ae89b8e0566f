"""Load a campaign pack from YAML, reporting problems by file, line and field.

YAML is composed into nodes first, so every key and list item keeps its line.
Each validation error is then mapped to the line of the offending field, or
of its nearest existing parent when the field is missing.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.campaign.checks import Loc, PackInconsistent, loc_text
from bot.campaign.errors import describe
from bot.campaign.overlay import PackOverlay, merge
from bot.campaign.pack import CampaignPack
from bot.errors import HocvusoError

_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass(frozen=True)
class Problem:
    """One problem in a pack file; `line` is 1-based, 0 when unknown."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class PackError(HocvusoError):
    """A campaign pack failed to load; `problems` lists every problem found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: p.line)
        super().__init__("\n".join(str(p) for p in self.problems))


class _Reader:
    """Turns composed YAML nodes into plain data, remembering each path's line."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.lines: dict[Loc, int] = {}
        self.problems: list[Problem] = []
        self._scalars = SafeConstructor()

    def problem(self, line: int, loc: Loc, message: str) -> None:
        self.problems.append(Problem(self.filename, line, loc_text(loc), message))

    def read(self, node: Node, loc: Loc = (), active: frozenset[int] = frozenset()) -> Any:
        line = node.start_mark.line + 1
        if isinstance(node, ScalarNode):
            try:
                return self._scalars.construct_object(node)
            except Exception as exc:  # dates like 2025-02-30, unknown tags
                self.problem(line, loc, f"invalid value {node.value!r}: {_reason(exc)}")
                return None
        if id(node) in active:
            self.problem(line, loc, "recursive alias")
            return None
        active = active | {id(node)}
        if isinstance(node, SequenceNode):
            items = []
            for index, child in enumerate(node.value):
                self.lines[(*loc, index)] = child.start_mark.line + 1
                items.append(self.read(child, (*loc, index), active))
            return items
        assert isinstance(node, MappingNode)
        return self._mapping(node, loc, active)

    def _mapping(self, node: MappingNode, loc: Loc, active: frozenset[int]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if key_node.tag == _MERGE_TAG:
                self.problem(line, loc, "merge keys (<<) are not supported")
                continue
            if not isinstance(key_node, ScalarNode) or key_node.tag != _STR_TAG:
                shown = key_node.value if isinstance(key_node, ScalarNode) else "?"
                self.problem(line, loc, f"key {shown!r} must be text")
                continue
            key = key_node.value
            if key in result:
                first = self.lines[(*loc, key)]
                self.problem(line, (*loc, key), f"duplicate key (first on line {first})")
                continue
            self.lines[(*loc, key)] = line
            result[key] = self.read(value_node, (*loc, key), active)
        return result

    def line_of(self, loc: Loc) -> int:
        """Line of `loc`, or of its nearest ancestor present in the file."""
        for end in range(len(loc), -1, -1):
            if loc[:end] in self.lines:
                return self.lines[loc[:end]]
        return 1


def _reason(exc: Exception) -> str:
    return str(getattr(exc, "problem", None) or exc)


Document = CampaignPack | PackOverlay


def parse_document(text: str, filename: str, base: CampaignPack | None = None) -> Document:
    """Validate YAML `text`: a whole pack, or a province pack (it has `extends`), which is
    also merged over `base` when given so that its references are checked too.
    `filename` is only used in error messages."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        what = ", ".join(part for part in (exc.context, exc.problem) if part)
        raise PackError([Problem(filename, line, "", f"YAML syntax error: {what}")]) from None
    except yaml.YAMLError as exc:
        raise PackError([Problem(filename, 0, "", f"YAML error: {exc}")]) from None
    if root is None:
        raise PackError([Problem(filename, 1, "", "the file is empty (no YAML content)")])
    if not isinstance(root, MappingNode):
        kind = "a list" if isinstance(root, SequenceNode) else "a single value"
        line = root.start_mark.line + 1
        raise PackError([Problem(filename, line, "", f"top level must be a mapping, not {kind}")])
    reader = _Reader(filename)
    reader.lines[()] = root.start_mark.line + 1
    data = reader.read(root)
    if reader.problems:
        raise PackError(reader.problems)
    model: type[CampaignPack] | type[PackOverlay] = (
        PackOverlay if "extends" in data else CampaignPack
    )
    try:
        document = model.model_validate(data)
    except ValidationError as exc:
        raise PackError(_problems(exc, reader)) from None
    if isinstance(document, PackOverlay) and base is not None:
        try:
            merge(base, document)
        except PackInconsistent as exc:
            raise PackError(
                [
                    Problem(reader.filename, reader.line_of(loc), loc_text(loc), message)
                    for loc, message in exc.problems
                ]
            ) from None
    return document


def parse_pack(text: str, filename: str) -> CampaignPack:
    """Validate YAML `text` as a whole pack; `filename` is only used in error messages."""
    document = parse_document(text, filename)
    if isinstance(document, PackOverlay):
        raise PackError(
            [
                Problem(
                    filename,
                    1,
                    "extends",
                    f"this is a province pack over '{document.extends}', not a whole pack: "
                    "load it with --org",
                )
            ]
        )
    return document


def _problems(exc: ValidationError, reader: _Reader) -> list[Problem]:
    problems = []
    for error in exc.errors():
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, PackInconsistent):
            pairs = cause.problems
        else:
            pairs = [(tuple(error["loc"]), describe(error))]
        for loc, message in pairs:
            problems.append(Problem(reader.filename, reader.line_of(loc), loc_text(loc), message))
    return problems


def _read(path: str | Path) -> str:
    name = str(path)
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise PackError([Problem(name, 0, "", "file not found")]) from None
    except UnicodeDecodeError:
        raise PackError([Problem(name, 0, "", "file is not UTF-8 text")]) from None
    except OSError as exc:
        raise PackError([Problem(name, 0, "", f"cannot read file: {exc.strerror}")]) from None


def load_pack(path: str | Path) -> CampaignPack:
    """Read and validate the whole pack at `path`."""
    return parse_pack(_read(path), str(path))


def load_document(path: str | Path, base: CampaignPack | None = None) -> Document:
    """Read and validate a whole pack or a province pack (merged over `base`, if given)."""
    return parse_document(_read(path), str(path), base)


def default_pack_path() -> Path:
    """The national base pack (Bình dân học vụ số 2025–2030) shipped with the package."""
    return Path(__file__).with_name("default.yaml")


@functools.cache
def load_default_pack() -> CampaignPack:
    """The default pack, loaded once."""
    return load_pack(default_pack_path())


def province_pack_paths() -> list[Path]:
    """The province packs shipped with the package (bot/campaign/provinces/*.yaml)."""
    return sorted(Path(__file__).with_name("provinces").glob("*.yaml"))


@functools.cache
def load_province_packs() -> tuple[PackOverlay, ...]:
    """The shipped province packs, each checked against the shipped base, loaded once."""
    base = load_default_pack()
    found = []
    for path in province_pack_paths():
        document = load_document(path, base)
        if not isinstance(document, PackOverlay):
            raise PackError([Problem(str(path), 1, "extends", "a province pack needs 'extends'")])
        found.append(document)
    return tuple(found)
