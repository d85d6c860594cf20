"""A small structural check of a tool's ``parameters`` JSON schema (no jsonschema dependency).

It catches the mistakes people actually make (a misspelt type, ``properties`` as a list, ``required``
naming a missing property) and says where; it does not implement the whole JSON Schema meta-schema.
"""

from __future__ import annotations

from typing import Any

from haybale.core._json_check import json_problem

JSON_TYPES = frozenset({"string", "number", "integer", "boolean", "array", "object", "null"})
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_MAPS = ("properties", "$defs", "definitions", "patternProperties")
_SCHEMA_VALUES = ("not", "additionalProperties", "contains", "if", "then", "else")


def check_parameters_schema(parameters: Any) -> None:
    """Raise ``ValueError`` naming the first problem in a tool's parameters schema."""
    if not isinstance(parameters, dict):
        raise ValueError(
            f"Tool parameters must be a JSON schema dict, got {type(parameters).__name__}: "
            "use {'type': 'object', 'properties': {...}}."
        )
    # First, so a 3000-level schema is refused here instead of overflowing the walk below.
    found = json_problem(parameters)
    if found is not None:
        raise ValueError(f"Invalid JSON schema at parameters{found.shown_path}: it {found.problem}")
    # A schema without "type" is accepted (Haystack accepts it; an object is implied by
    # "properties"); one that names another type cannot describe keyword arguments.
    kind = parameters.get("type", "object")
    if kind != "object" and not (isinstance(kind, list) and "object" in kind):
        raise ValueError(
            f"Tool parameters must be an object schema ('type': 'object'), got type "
            f"{kind!r}: put the arguments under 'properties'."
        )
    _check(parameters, "parameters")


def _fail(where: str, problem: str) -> ValueError:
    return ValueError(f"Invalid JSON schema at {where}: {problem}")


def _check(schema: Any, where: str) -> None:
    if isinstance(schema, bool):  # true/false are valid schemas
        return
    if not isinstance(schema, dict):
        raise _fail(where, f"a schema must be a dict, got {type(schema).__name__}.")
    _check_type(schema.get("type"), where)
    _check_required(schema, where)
    if "enum" in schema and not isinstance(schema["enum"], list):
        raise _fail(where, "'enum' must be a list of allowed values.")
    for key in _SCHEMA_MAPS:
        if key in schema:
            _check_map(schema[key], f"{where}.{key}")
    for key in _SCHEMA_LISTS:
        if key in schema:
            _check_list(schema[key], f"{where}.{key}")
    for key in _SCHEMA_VALUES:
        if key in schema:
            _check(schema[key], f"{where}.{key}")
    if "items" in schema:
        items = schema["items"]
        if isinstance(items, list):  # the older tuple form
            _check_list(items, f"{where}.items")
        else:
            _check(items, f"{where}.items")


def _check_type(kind: Any, where: str) -> None:
    if kind is None:
        return
    kinds = kind if isinstance(kind, list) else [kind]
    for name in kinds:
        if not isinstance(name, str) or name not in JSON_TYPES:
            allowed = ", ".join(sorted(JSON_TYPES))
            raise _fail(f"{where}.type", f"{name!r} is not a JSON schema type (use one of: {allowed}).")


def _check_required(schema: dict[str, Any], where: str) -> None:
    if "required" not in schema:
        return
    required = schema["required"]
    if not isinstance(required, list) or not all(isinstance(n, str) for n in required):
        raise _fail(f"{where}.required", "'required' must be a list of property names.")
    properties = schema.get("properties", {})
    missing = [n for n in required if not isinstance(properties, dict) or n not in properties]
    if missing:
        raise _fail(
            f"{where}.required",
            f"names {missing} that are not in 'properties': add them there or remove them from 'required'.",
        )


def _check_map(value: Any, where: str) -> None:
    if not isinstance(value, dict):
        raise _fail(where, f"must be a dict of name -> schema, got {type(value).__name__}.")
    for name, sub in value.items():
        _check(sub, f"{where}.{name}")


def _check_list(value: Any, where: str) -> None:
    if not isinstance(value, list) or not value:
        raise _fail(where, "must be a non-empty list of schemas.")
    for index, sub in enumerate(value):
        _check(sub, f"{where}[{index}]")
