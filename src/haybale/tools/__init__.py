"""Tools a chat model can call, grouped in Toolsets, at Haystack's import paths.

Importing this package never imports pydantic: only ``create_tool_from_function``/``@tool`` need it.
"""

from __future__ import annotations

from haybale.tools.from_function import create_tool_from_function, tool
from haybale.tools.serde_utils import deserialize_tools_or_toolset_inplace, serialize_tools_or_toolset
from haybale.tools.tool import Tool
from haybale.tools.toolset import Toolset
from haybale.tools.utils import ToolsType, check_duplicate_tool_names, flatten_tools_or_toolsets

__all__ = [
    "Tool",
    "ToolsType",
    "Toolset",
    "check_duplicate_tool_names",
    "create_tool_from_function",
    "deserialize_tools_or_toolset_inplace",
    "flatten_tools_or_toolsets",
    "serialize_tools_or_toolset",
    "tool",
]
