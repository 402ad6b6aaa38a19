"""Reading a playbook file: YAML -> checked `Playbook`, or every problem at once with the file,
line, column and key path of each.

The YAML is composed into nodes (which carry their position) and turned into plain data while
recording where each key path starts, so that a schema error at ("objects", "deal", "fields", 2,
"type") can be reported as `export_trade.yaml:41:15`.
"""

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .schema import Playbook

PathKey = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    column: int
    path: str
    message: str
    hint: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        text = f"{where}: {self.path or '(top)'}: {self.message}"
        return f"{text} (hint: {self.hint})" if self.hint else text


class PlaybookError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class _Loader(yaml.SafeLoader):
    """Safe YAML without implicit timestamps: dates stay strings, as the schema expects."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _to_data(
    node: yaml.Node, path: PathKey, marks: dict[PathKey, tuple[int, int]], loader: _Loader
) -> Any:
    marks.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                key = str(key)
            child = (*path, key)
            marks[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if key in result:
                raise _DuplicateKey(child)
            result[key] = _to_data(value_node, child, marks, loader)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_to_data(item, (*path, i), marks, loader) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


class _DuplicateKey(Exception):
    def __init__(self, path: PathKey) -> None:
        self.path = path


def format_path(path: PathKey) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _mark_for(path: PathKey, marks: dict[PathKey, tuple[int, int]]) -> tuple[int, int]:
    # The deepest recorded ancestor: a missing key is reported at the mapping that lacks it.
    for end in range(len(path), -1, -1):
        if path[:end] in marks:
            return marks[path[:end]]
    return (1, 1)


@dataclass(frozen=True)
class SourceMap:
    """Where each key path of a loaded playbook starts in its file."""

    file: str
    marks: dict[PathKey, tuple[int, int]]

    def problem(self, path: PathKey, message: str, hint: str = "") -> Problem:
        line, column = _mark_for(path, self.marks)
        return Problem(self.file, line, column, format_path(path), message, hint)


def parse_yaml(text: str, file: str) -> tuple[Any, SourceMap]:
    marks: dict[PathKey, tuple[int, int]] = {}
    loader: _Loader | None = None
    try:
        # Constructing the loader already reads the text (and refuses control characters).
        loader = _Loader(text)
        node = loader.get_single_node()
        data = None if node is None else _to_data(node, (), marks, loader)
    except _DuplicateKey as dup:
        source = SourceMap(file, marks)
        raise PlaybookError(
            [source.problem(dup.path, "duplicate key", "each key may appear once in a mapping")]
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        reason = getattr(exc, "problem", None) or str(exc)
        raise PlaybookError(
            [Problem(file, line, column, "", f"not valid YAML: {reason}")]
        ) from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, SourceMap(file, marks)


def _schema_problems(error: ValidationError, source: SourceMap) -> Iterator[Problem]:
    for item in error.errors(include_url=False):
        loc = tuple(item["loc"])
        message = item["msg"]
        hint = ""
        if item["type"] == "extra_forbidden":
            message = f"unknown key '{loc[-1]}'"
            hint = _suggest_key(loc, source)
        elif item["type"] == "missing":
            hint = f"add '{loc[-1]}'"
        elif item["type"] == "string_pattern_mismatch" and loc and loc[-1] == "key":
            message = f"'{item['input']}' is not a valid key"
            hint = "use lowercase letters, digits and _, starting with a letter"
        yield source.problem(loc, message, hint)


def _suggest_key(loc: PathKey, source: SourceMap) -> str:
    from difflib import get_close_matches

    from .schema import KNOWN_KEYS

    wrong = str(loc[-1])
    close = get_close_matches(wrong, sorted(KNOWN_KEYS), n=1, cutoff=0.75)
    return f"did you mean '{close[0]}'?" if close else "remove it or check the spelling"


def _without(data: Any, paths: list[PathKey]) -> Any:
    """A deep copy of `data` without the keys at `paths` (unknown keys, already reported)."""
    copy = json.loads(json.dumps(data))
    for path in paths:
        node: Any = copy
        for part in path[:-1]:
            if isinstance(node, dict):
                node = node.get(str(part))
            elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                node = node[part]
            else:
                node = None
        if isinstance(node, dict):
            node.pop(path[-1], None)
    return copy


def _validate(data: Any) -> Playbook:
    # Through JSON so that strict mode accepts enum values written as strings; nothing else is
    # coerced ("3" stays a string and is refused where a number is expected).
    return Playbook.model_validate_json(json.dumps(data))


def load_playbook(text: str, file: str = "<playbook>") -> tuple[Playbook, SourceMap]:
    """The checked playbook, or PlaybookError listing every problem found."""
    data, source = parse_yaml(text, file)
    if not isinstance(data, dict):
        raise PlaybookError([source.problem((), "a playbook is a mapping of keys")])
    from .checks import semantic_problems

    try:
        playbook = _validate(data)
    except ValidationError as exc:
        problems = list(_schema_problems(exc, source))
        # When the only schema errors are unknown keys (a misspelt `requried`), check the rest
        # of the file without them, so one run reports every problem.
        unknown = [tuple(e["loc"]) for e in exc.errors() if e["type"] == "extra_forbidden"]
        if len(unknown) == len(exc.errors()):
            with contextlib.suppress(ValidationError):
                problems += semantic_problems(_validate(_without(data, unknown)), source)
        raise PlaybookError(sorted(problems, key=lambda p: (p.line, p.column))) from None
    problems = list(semantic_problems(playbook, source))
    if problems:
        raise PlaybookError(sorted(problems, key=lambda p: (p.line, p.column)))
    return playbook, source


def load_playbook_file(path: str | Path) -> tuple[Playbook, SourceMap]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlaybookError(
            [Problem(str(path), 1, 1, "", f"cannot read the file: {exc}")]
        ) from None
    return load_playbook(text, str(path))


BUNDLED_DIR = Path(__file__).resolve().parent / "bundled"


def bundled_playbook_path(name: str) -> Path:
    """The file of a playbook shipped with sopcrm (`export_trade`, `generic_b2b`) or `name` as a
    path."""
    candidate = BUNDLED_DIR / f"{name}.yaml"
    return candidate if candidate.exists() else Path(name)
