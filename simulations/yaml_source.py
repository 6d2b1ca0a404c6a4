"""Read a YAML data file into a pydantic model, with errors as `file:line: field: message`.

Homes and scenarios are written by hand; an error that names the line and the
field (`scenario.yaml:14: timeline[3].room: unknown room 'kitchn'`) saves the
author a search.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from homecare.errors import HomecareError

FieldPath = tuple[str | int, ...]
ModelT = TypeVar("ModelT", bound=BaseModel)


class _Loader(yaml.SafeLoader):
    """YAML 1.1 without base-60 numbers: an unquoted `at: 10:15` stays the text "10:15"."""


_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _NUMBER_TAGS]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


def parse_yaml(text: str) -> tuple[object, dict[FieldPath, int]]:
    """The data of a YAML document and the line of each field path."""
    root = yaml.compose(text, Loader=_Loader)
    data = yaml.load(text, Loader=_Loader)  # a SafeLoader subclass: no arbitrary objects
    return data, line_numbers(root) if root is not None else {}


def load_yaml_model(
    path: Path,
    model: type[ModelT],
    error: type[HomecareError],
    what: str,
    checks: Callable[[ModelT], Iterator[tuple[FieldPath, str]]] | None = None,
) -> ModelT:
    """Parse `path` as `model`; the first problem raises `error` naming file, line and field.

    `what` names the kind of file in messages ("home", "scenario"); `checks` yields
    (field path, message) for what the schema alone cannot see.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as problem:
        raise error(f"cannot read {what} file {path}: {problem.strerror}") from problem
    try:
        data, lines = parse_yaml(text)
    except yaml.YAMLError as problem:
        mark = getattr(problem, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise error(f"{path}{line}: not valid YAML: {problem}") from problem
    if not isinstance(data, dict):
        raise error(f"{path}:1: a {what} file must be a mapping of fields")
    try:
        parsed = model.model_validate(data)
    except ValidationError as problem:
        first = problem.errors()[0]
        raise error(where(path, lines, tuple(first["loc"])) + f" {first['msg']}") from problem
    found = next(checks(parsed), None) if checks else None
    if found is not None:
        loc, message = found
        raise error(where(path, lines, loc) + f" {message}")
    return parsed


def line_numbers(root: yaml.Node) -> dict[FieldPath, int]:
    """Map each field path (as pydantic `loc`) to its 1-based YAML line."""
    lines: dict[FieldPath, int] = {}

    def walk(node: yaml.Node, path: FieldPath) -> None:
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                child = (*path, str(key.value))
                lines[child] = key.start_mark.line + 1
                walk(value, child)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, (*path, index))

    walk(root, ())
    return lines


def where(path: Path, lines: dict[FieldPath, int], loc: FieldPath) -> str:
    """`file:line: field:` using the deepest part of loc that the YAML has."""
    line = 1
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            line = lines[loc[:end]]
            break
    field = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)
    return f"{path}:{line}: {field.lstrip('.') or '(top level)'}:"


def shipped_names(folder: Path) -> list[str]:
    """The names of the YAML files shipped in `folder` (homes, scenarios)."""
    return sorted(p.stem for p in folder.glob("*.yaml"))


def resolve_shipped(name_or_path: str, folder: Path, error: type[HomecareError], what: str) -> Path:
    """A shipped file's name (from `folder`) or a path to such a file."""
    if name_or_path in shipped_names(folder):
        return folder / f"{name_or_path}.yaml"
    path = Path(name_or_path)
    if path.is_file():
        return path
    raise error(
        f"no {what} {name_or_path!r}: not a file and not a shipped {what} "
        f"({', '.join(shipped_names(folder)) or 'none'})"
    )
