"""Strict-mode JSON schemas for tool parameters and structured output.

OpenAI's strict mode only accepts object schemas that forbid unknown keys and require every
property. ``to_strict_schema`` rebuilds a schema that way, recursively through every place a
sub-schema can hide (properties, items, ``$defs``/``definitions``, ``anyOf``/``oneOf``/``allOf``,
``not``, ``additionalProperties``). It always returns new containers, so the caller's Tool (or
dict) is never changed. Optional properties become required, as OpenAI asks; their own schema is
kept, so a model can still send ``null`` where the schema allows it.
"""

from __future__ import annotations

from typing import Any

# keys whose value is a single sub-schema
_SCHEMA_KEYS = ("items", "additionalItems", "contains", "not", "if", "then", "else")
# keys whose value is a list of sub-schemas
_SCHEMA_LIST_KEYS = ("anyOf", "oneOf", "allOf", "prefixItems")
# keys whose value maps names to sub-schemas
_SCHEMA_MAP_KEYS = ("properties", "$defs", "definitions", "patternProperties")


def to_strict_schema(schema: Any) -> Any:
    """A strict copy of ``schema`` (any JSON value; non-schemas are copied unchanged)."""
    if isinstance(schema, list):
        return [to_strict_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _SCHEMA_MAP_KEYS and isinstance(value, dict):
            result[key] = {name: to_strict_schema(sub) for name, sub in value.items()}
        elif key in _SCHEMA_KEYS or key in _SCHEMA_LIST_KEYS:
            result[key] = to_strict_schema(value)
        else:
            result[key] = _copy_json(value)
    if _is_object_schema(result):
        properties = result.get("properties")
        names = list(properties) if isinstance(properties, dict) else []
        result["properties"] = properties if isinstance(properties, dict) else {}
        result["required"] = names
        result["additionalProperties"] = False
    return result


def _is_object_schema(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    if kind == "object" or (isinstance(kind, list) and "object" in kind):
        return True
    return kind is None and "properties" in schema


def _copy_json(value: Any) -> Any:
    """Copy plain JSON containers so the result shares nothing mutable with the input."""
    if isinstance(value, dict):
        return {key: _copy_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy_json(item) for item in value]
    return value
