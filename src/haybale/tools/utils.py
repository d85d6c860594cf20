"""Helpers for the ``tools`` argument: a list of Tools/Toolsets, or one Toolset."""

from __future__ import annotations

from typing import TypeAlias

from haybale.tools.tool import Tool, check_duplicate_tool_names
from haybale.tools.toolset import Toolset

ToolsType: TypeAlias = list[Tool | Toolset] | Toolset


def flatten_tools_or_toolsets(tools: ToolsType | None) -> list[Tool]:
    """Every Tool in ``tools``, toolsets expanded in place, in order."""
    if tools is None:
        return []
    if isinstance(tools, Toolset):
        return list(tools)
    if not isinstance(tools, list):
        raise TypeError(
            f"tools must be a list of Tool/Toolset objects or a Toolset, got {type(tools).__name__}."
        )
    flat: list[Tool] = []
    for item in tools:
        if isinstance(item, Toolset):
            flat.extend(item)
        elif isinstance(item, Tool):
            flat.append(item)
        else:
            raise TypeError(f"Items in tools must be Tool or Toolset objects, got {type(item).__name__}.")
    return flat


__all__ = ["ToolsType", "check_duplicate_tool_names", "flatten_tools_or_toolsets"]
