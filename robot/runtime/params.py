"""Typed node parameters: a pydantic model declared field by field on the runtime.

Both runtimes read parameters from the same ROS 2 style YAML
(`node_name: {ros__parameters: {...}}`); this turns them into a validated
object and a clear error naming the parameter when a value is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from homecare.errors import ConfigError
from robot.runtime.api import Runtime

ParamsModel = TypeVar("ParamsModel", bound=BaseModel)


def load_params(rt: Runtime, model: type[ParamsModel]) -> ParamsModel:
    """Declare every field of `model` on `rt.params` and validate what comes back."""
    values: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        default = field.get_default(call_default_factory=True)
        values[name] = rt.params.declare(name, _plain(default))
    try:
        return model.model_validate(values)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ConfigError(
            f"node {rt.name}: parameter {where}={first.get('input')!r}: {first['msg']}"
        ) from None


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump()
    if isinstance(value, tuple):
        return list(value)
    return value


def read_parameter_file(path: Path) -> dict[str, dict[str, Any]]:
    """Parameters per node name from a ROS 2 parameter YAML file.

    Accepts `node: {ros__parameters: {...}}` and the `/**` wildcard section
    (applied to every node, overridden by the node's own section).
    """
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"parameter file {path} does not exist") from None
    except yaml.YAMLError as error:
        raise ConfigError(
            f"parameter file {path} is not valid YAML: {_yaml_where(error)}"
        ) from None
    if document is None:
        return {}
    if not isinstance(document, Mapping):
        raise ConfigError(f"parameter file {path}: expected node sections at the top level")
    result: dict[str, dict[str, Any]] = {}
    for node_name, section in document.items():
        if not isinstance(section, Mapping) or not isinstance(
            section.get("ros__parameters"), Mapping
        ):
            raise ConfigError(
                f"parameter file {path}: section {node_name!r} needs a 'ros__parameters' mapping"
            )
        result[str(node_name).lstrip("/")] = dict(section["ros__parameters"])
    return result


def parameters_for(node_name: str, sections: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    merged = dict(sections.get("**", {}))
    merged.update(sections.get(node_name, {}))
    return merged


def _yaml_where(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    if mark is None:
        return str(problem)
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"
