"""Message and service classes built from the `.msg`/`.srv` files with rosbags.

`robot/interfaces/` is the single source of truth: the ROS 2 build generates
`homecare_interfaces` from it, and the local runtime parses the same files
here, so field names and types are exactly ROS 2's. Standard types
(`std_msgs`, `sensor_msgs`, `builtin_interfaces`, ...) come from rosbags'
built-in ROS 2 Jazzy type store.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from rosbags.interfaces import Nodetype
from rosbags.typesys import Stores, get_types_from_msg, get_typestore
from rosbags.typesys.store import Typestore

from homecare.errors import InterfaceError

INTERFACE_PACKAGE = "homecare_interfaces"
INTERFACE_DIR = Path(__file__).resolve().parent.parent / "interfaces"

_NUMPY_TYPES: dict[str, type[np.generic]] = {
    "bool": np.bool_,
    "byte": np.uint8,
    "char": np.uint8,
    "int8": np.int8,
    "uint8": np.uint8,
    "int16": np.int16,
    "uint16": np.uint16,
    "int32": np.int32,
    "uint32": np.uint32,
    "int64": np.int64,
    "uint64": np.uint64,
    "float32": np.float32,
    "float64": np.float64,
}
_FULL_NAME = re.compile(r"^[a-z][a-z0-9_]*/(msg|srv)/[A-Z][A-Za-z0-9]*(_Request|_Response)?$")


class MessageClass:
    """Constructor for one message type that fills every field left out with its default.

    rosbags' dataclasses require every field; rclpy's generated classes do
    not. Nodes are written against the rclpy convention, so this wrapper gives
    the local runtime the same behaviour. Constants are readable as attributes
    (`types.SayRequest.PRIORITY_URGENT`).
    """

    def __init__(self, store: MessageTypes, msgtype: str) -> None:
        self._store = store
        self.__msgtype__ = msgtype
        self.dataclass: type[Any] = store.typestore.types[msgtype]

    def __call__(self, **fields: Any) -> Any:
        unknown = set(fields) - set(self.field_names())
        if unknown:
            raise TypeError(
                f"{self.__msgtype__} has no field(s) {', '.join(sorted(unknown))}; "
                f"fields are {', '.join(self.field_names())}"
            )
        values = {name: fields.get(name, _MISSING) for name in self.field_names()}
        for name, value in values.items():
            if value is _MISSING:
                values[name] = self._store.default_value(self.__msgtype__, name)
        return self.dataclass(**values)

    def field_names(self) -> list[str]:
        return [name for name, _ in self._store.typestore.fielddefs[self.__msgtype__][1]]

    def __getattr__(self, name: str) -> Any:
        for constant, _, value in self._store.typestore.fielddefs[self.__msgtype__][0]:
            if constant == name:
                return value
        raise AttributeError(f"{self.__msgtype__} has no field or constant {name!r}")

    def __repr__(self) -> str:
        return f"<message type {self.__msgtype__}>"


@dataclass(frozen=True)
class ServiceType:
    """A service: its name and the classes of its request and response."""

    name: str
    Request: MessageClass
    Response: MessageClass


class _Missing:
    pass


_MISSING = _Missing()


class MessageTypes:
    """All message and service types the robot knows (`rt.types` in the local runtime).

    `types.Alert` / `types.get("Alert")` reach `homecare_interfaces` types by
    short name; `types.get("sensor_msgs/msg/Image")` (or `sensor_msgs/Image`)
    reaches any standard ROS 2 type.
    """

    def __init__(self, typestore: Typestore, services: dict[str, ServiceType] | None = None):
        self.typestore = typestore
        self._classes: dict[str, MessageClass] = {}
        self._services = services or {}

    # lookup

    def get(self, name: str) -> MessageClass:
        full = self.resolve(name)
        if full not in self._classes:
            self._classes[full] = MessageClass(self, full)
        return self._classes[full]

    def service(self, name: str) -> ServiceType:
        short = name.rsplit("/", maxsplit=1)[-1]
        full = name if "/srv/" in name else f"{INTERFACE_PACKAGE}/srv/{short}"
        if full not in self._services:
            known = ", ".join(sorted(self._services))
            raise InterfaceError(f"unknown service type {name!r}; known service types: {known}")
        return self._services[full]

    def __getattr__(self, name: str) -> MessageClass | ServiceType:
        if name.startswith("_"):
            raise AttributeError(name)
        if f"{INTERFACE_PACKAGE}/srv/{name}" in self._services:
            return self._services[f"{INTERFACE_PACKAGE}/srv/{name}"]
        try:
            return self.get(name)
        except InterfaceError as error:
            raise AttributeError(str(error)) from None

    def resolve(self, name: str) -> str:
        """The full `pkg/msg/Name` of a message type given in any accepted spelling."""
        candidates = [name]
        parts = name.split("/")
        if len(parts) == 1:
            candidates = [f"{INTERFACE_PACKAGE}/msg/{name}"]
        elif len(parts) == 2:
            candidates = [f"{parts[0]}/msg/{parts[1]}"]
        for candidate in candidates:
            if candidate in self.typestore.types:
                return candidate
        raise InterfaceError(
            f"unknown message type {name!r}; `homecare interfaces list` shows the known types"
        )

    def names(self) -> Iterator[str]:
        """Every known message type name, project types first."""
        ours = sorted(n for n in self.typestore.types if n.startswith(f"{INTERFACE_PACKAGE}/msg/"))
        hidden = {n for n in self.typestore.types if "/srv/" in n}
        yield from ours
        yield from sorted(n for n in self.typestore.types if n not in set(ours) | hidden)

    def service_names(self) -> list[str]:
        return sorted(self._services)

    # values

    def default_value(self, msgtype: str, field: str) -> Any:
        for name, spec in self.typestore.fielddefs[msgtype][1]:
            if name == field:
                return self._default_for(spec)
        raise KeyError(field)

    def _default_for(self, spec: tuple[Any, Any]) -> Any:
        nodetype, detail = spec
        if nodetype == Nodetype.BASE:
            return _base_default(detail[0])
        if nodetype == Nodetype.NAME:
            return self.get(detail)()
        element, length = detail
        if element[0] == Nodetype.BASE and element[1][0] in _NUMPY_TYPES:
            size = length if nodetype == Nodetype.ARRAY else 0
            return np.zeros(size, dtype=_NUMPY_TYPES[element[1][0]])
        count = length if nodetype == Nodetype.ARRAY else 0
        return [self._default_for(element) for _ in range(count)]

    # wire format

    def serialize(self, message: Any) -> bytes:
        """ROS 2 CDR bytes of `message` (what rosbag2 and DDS carry)."""
        return bytes(self.typestore.serialize_cdr(message, message.__msgtype__))

    def deserialize(self, raw: bytes, msgtype: str) -> Any:
        return self.typestore.deserialize_cdr(raw, self.resolve(msgtype))

    def definition(self, name: str) -> str:
        """The `.msg` text of a type with its dependencies, as rosbag2 stores it."""
        text, _ = self.typestore.generate_msgdef(self.resolve(name), ros_version=2)
        return text


def _base_default(type_name: str) -> Any:
    if type_name in {"string", "wstring"}:
        return ""
    if type_name == "bool":
        return False
    if type_name.startswith("float"):
        return 0.0
    return 0


def interface_files(kind: str) -> list[Path]:
    """The `.msg` (kind "msg") or `.srv` (kind "srv") files of the interface package."""
    return sorted((INTERFACE_DIR / kind).glob(f"*.{kind}"))


@cache
def load_message_types() -> MessageTypes:
    """Parse the interface package once and register it over ROS 2 Jazzy's standard types."""
    typestore = get_typestore(Stores.ROS2_JAZZY)
    definitions: dict[str, Any] = {}
    service_parts: dict[str, tuple[str, str]] = {}
    for path in interface_files("msg"):
        definitions.update(_parse(path, f"{INTERFACE_PACKAGE}/msg/{path.stem}"))
    for path in interface_files("srv"):
        request_text, response_text = _split_service(path)
        base = f"{INTERFACE_PACKAGE}/srv/{path.stem}"
        # rosbags files every type under a `msg` folder: srv/X_Request becomes srv/msg/X_Request.
        request_types = _parse_text(request_text, f"{base}_Request", path)
        response_types = _parse_text(response_text, f"{base}_Response", path)
        definitions.update(request_types)
        definitions.update(response_types)
        service_parts[base] = (next(iter(request_types)), next(iter(response_types)))
    typestore.register(definitions)
    types = MessageTypes(typestore)
    for base, (request, response) in service_parts.items():
        types._services[base] = ServiceType(base, types.get(request), types.get(response))
    return types


def _split_service(path: Path) -> tuple[str, str]:
    text = path.read_text(encoding="utf-8")
    sections = re.split(r"^---\s*$", text, flags=re.MULTILINE)
    if len(sections) != 2:
        raise InterfaceError(
            f"{path}: a service needs exactly one '---' line between request and response"
        )
    return sections[0], sections[1]


def _parse(path: Path, name: str) -> dict[str, Any]:
    return _parse_text(path.read_text(encoding="utf-8"), name, path)


def _parse_text(text: str, name: str, path: Path) -> dict[str, Any]:
    if not _FULL_NAME.match(name):
        raise InterfaceError(f"{path}: {name!r} is not a valid ROS 2 interface name")
    try:
        return dict(get_types_from_msg(text, name))
    except Exception as error:  # rosbags raises its own parser errors
        raise InterfaceError(f"{path}: cannot parse {name}: {error}") from error
