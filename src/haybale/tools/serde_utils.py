"""(De)serializing a generator's ``tools`` argument in the shapes Haystack writes."""

from __future__ import annotations

from typing import Any

from haybale.core._imports import import_class
from haybale.errors import DeserializationTypeError
from haybale.tools.tool import Tool
from haybale.tools.toolset import Toolset
from haybale.tools.utils import ToolsType


def serialize_tools_or_toolset(tools: ToolsType | None) -> dict[str, Any] | list[dict[str, Any]] | None:
    """A Toolset as one dict, a list as a list of dicts (toolsets kept whole), None as None."""
    if tools is None:
        return None
    if isinstance(tools, Toolset):
        return tools.to_dict()
    if not isinstance(tools, list):
        raise TypeError(
            f"tools must be a Toolset, a list of Tools/Toolsets or None, not {type(tools).__name__}."
        )
    serialized = []
    for item in tools:
        if not isinstance(item, Tool | Toolset):
            raise TypeError(f"Items in tools must be Tool or Toolset objects, got {type(item).__name__}.")
        serialized.append(item.to_dict())
    return serialized


def deserialize_tools_or_toolset_inplace(data: dict[str, Any], key: str = "tools") -> None:
    """Replace ``data[key]`` (serialized tools or a toolset) with the objects, importing safely."""
    serialized = data.get(key)
    if serialized is None:
        return
    if isinstance(serialized, dict):
        data[key] = _load(serialized, Toolset)
        return
    if not isinstance(serialized, list):
        raise DeserializationTypeError(
            f"{key!r} must hold a serialized Toolset (a dict) or a list of tools, "
            f"got {type(serialized).__name__}."
        )
    data[key] = [_load(item, (Tool, Toolset)) for item in serialized]


def _load(item: Any, expected: type[Any] | tuple[type[Any], ...]) -> Any:
    if not isinstance(item, dict) or not isinstance(item.get("type"), str) or "data" not in item:
        raise DeserializationTypeError(f"A serialized tool needs 'type' and 'data' keys, got {item!r:.80}.")
    cls = import_class(item["type"])
    if not issubclass(cls, expected):
        names = expected.__name__ if isinstance(expected, type) else " or ".join(e.__name__ for e in expected)
        raise DeserializationTypeError(f"{item['type']!r} is not a {names} class.")
    return cls.from_dict(item)
