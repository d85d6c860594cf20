"""The tool errors at Haystack's import path (``haystack.tools.errors``), from ``haybale.errors``."""

from __future__ import annotations

from haybale.errors import SchemaGenerationError, ToolInvocationError

__all__ = ["SchemaGenerationError", "ToolInvocationError"]
