"""Importing haybale.tools (and utils/core) must stay light: no pydantic, no asyncio, no HTTP."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
import haybale.tools, haybale.utils, haybale.core
from haybale.tools import Tool
Tool(name="t", description="", parameters={"type": "object", "properties": {}}, function=print).invoke()
roots = {"pydantic", "asyncio", "httpx2", "httpx", "jsonschema"}
heavy = sorted(m for m in sys.modules if m.split(".")[0] in roots)
print(",".join(heavy))
"""


def test_importing_tools_does_not_import_pydantic_or_asyncio() -> None:
    result = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


LAZY = """
import sys
from haybale.tools import create_tool_from_function
def f(x: int) -> int:
    return x
before = "pydantic" in sys.modules
create_tool_from_function(f)
print(before, "pydantic" in sys.modules)
"""


def test_pydantic_loads_only_when_a_schema_is_generated() -> None:
    result = subprocess.run([sys.executable, "-c", LAZY], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "True"]
