"""``Toolset``: a named group of tools handed to a generator as one unit."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from haybale.core._imports import import_class
from haybale.core.serialization import generate_qualified_class_name
from haybale.errors import DeserializationError, DeserializationTypeError
from haybale.tools.tool import Tool, check_duplicate_tool_names


@dataclass
class Toolset:
    """A collection of tools with unique names.

    Subclass it to load tools dynamically (override ``warm_up``, and ``to_dict``/``from_dict`` when
    the subclass has its own init parameters).
    """

    tools: list[Tool] = field(default_factory=list)

    def __post_init__(self) -> None:
        if isinstance(self.tools, Tool) or not isinstance(self.tools, Iterable):
            raise TypeError("Toolset(tools=...) takes a list of Tool objects, e.g. Toolset([my_tool]).")
        self.tools = list(self.tools)
        for item in self.tools:
            if not isinstance(item, Tool):
                raise TypeError(f"A Toolset holds Tool objects only, got {type(item).__name__}.")
        check_duplicate_tool_names(self.tools)

    def __iter__(self) -> Iterator[Tool]:
        return iter(self.tools)

    def __len__(self) -> int:
        return len(self.tools)

    def __getitem__(self, index: int) -> Tool:
        return self.tools[index]

    def __contains__(self, item: object) -> bool:
        """``tool in toolset`` (by equality) or ``"name" in toolset`` (by name)."""
        if isinstance(item, str):
            return any(t.name == item for t in self.tools)
        return any(t == item for t in self.tools)

    def get_selectable_tools(self) -> list[Tool]:
        """The tools an agent may pick by name (all of them; subclasses that hide some override this)."""
        return list(self.tools)

    def spawn(self, selected_tool_names: set[str] | None = None) -> Toolset:
        """The toolset to use for one agent run: this one, as a plain Toolset keeps no per-run state."""
        return self

    def add(self, tool: Tool | Toolset) -> None:
        """Add a tool, or every tool of another toolset; names must stay unique."""
        new = _as_tool_list(tool)
        check_duplicate_tool_names([*self.tools, *new])
        self.tools.extend(new)

    def __add__(self, other: Tool | Toolset | list[Tool]) -> Toolset:
        """A new Toolset with this one's tools followed by ``other``'s."""
        combined = [*self.tools, *_as_tool_list(other)]
        return Toolset(combined)

    def warm_up(self) -> None:
        """Warm up every tool, as Haystack does: each call reaches each tool's own ``warm_up``.

        May run before every call, so a tool's ``warm_up`` must be idempotent (guarding on its own
        state). A subclass that loads its tools from elsewhere overrides this, guarding likewise.
        """
        for item in self.tools:
            item.warm_up()

    def to_dict(self) -> dict[str, Any]:
        """``{"type": <class path>, "data": {"tools": [...]}}``, Haystack's shape."""
        return {
            "type": generate_qualified_class_name(type(self)),
            "data": {"tools": [item.to_dict() for item in self.tools]},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Toolset:
        """A toolset from ``to_dict()`` output; each tool's class is imported safely."""
        body = data.get("data") if isinstance(data, dict) else None
        if not isinstance(body, dict) or not isinstance(body.get("tools", []), list):
            raise DeserializationError(
                "A serialized Toolset must look like {'type': ..., 'data': {'tools': [...]}}."
            )
        return cls(tools=[_tool_from_dict(item) for item in body.get("tools", [])])


def _tool_from_dict(item: Any) -> Tool:
    if not isinstance(item, dict) or not isinstance(item.get("type"), str):
        raise DeserializationTypeError(
            f"Each serialized tool must be a dict with a 'type', got {item!r:.80}."
        )
    tool_class = import_class(item["type"])
    if not issubclass(tool_class, Tool):
        raise DeserializationTypeError(f"{item['type']!r} is not a Tool class, so it cannot be in a Toolset.")
    return tool_class.from_dict(item)


def _as_tool_list(other: Any) -> list[Tool]:
    if isinstance(other, Tool):
        return [other]
    if isinstance(other, Toolset):
        return list(other.tools)
    if isinstance(other, list) and all(isinstance(t, Tool) for t in other):
        return list(other)
    raise TypeError(
        f"Can only combine a Toolset with a Tool, a Toolset or a list of Tools, not {other!r:.80}."
    )
