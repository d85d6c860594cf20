"""Strict-mode schema conversion: recursive, and never mutating the input."""

from __future__ import annotations

import copy
from typing import Any

from haybale._wire.strict_schema import to_strict_schema

NESTED: dict[str, Any] = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "description": "City"},
        "unit": {"type": "string", "enum": ["c", "f"]},
        "address": {
            "type": "object",
            "properties": {"street": {"type": "string"}, "zip": {"type": "string"}},
            "required": ["street"],
        },
        "stops": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}}}},
        "when": {"anyOf": [{"type": "object", "properties": {"day": {"type": "integer"}}}, {"type": "null"}]},
        "shape": {
            "oneOf": [{"$ref": "#/$defs/Circle"}, {"type": "object", "properties": {"w": {"type": "number"}}}]
        },
        "both": {"allOf": [{"type": "object", "properties": {"x": {"type": "integer"}}}]},
        "legacy": {"$ref": "#/definitions/Old"},
        "pair": {
            "type": "array",
            "prefixItems": [{"type": "object", "properties": {"k": {"type": "string"}}}],
        },
    },
    "required": ["city"],
    "$defs": {"Circle": {"type": "object", "properties": {"r": {"type": "number"}}}},
    "definitions": {"Old": {"type": ["object", "null"], "properties": {"v": {"type": "string"}}}},
}


def strictness(schema: dict[str, Any]) -> tuple[Any, Any]:
    return schema.get("additionalProperties"), schema.get("required")


def test_top_level_object_requires_every_property_and_forbids_extras() -> None:
    strict = to_strict_schema(NESTED)
    assert strict["additionalProperties"] is False
    assert strict["required"] == list(NESTED["properties"])


def test_nested_objects_everywhere_are_strict() -> None:
    strict = to_strict_schema(NESTED)
    props = strict["properties"]
    assert strictness(props["address"]) == (False, ["street", "zip"])
    assert strictness(props["stops"]["items"]) == (False, ["name"])
    assert strictness(props["when"]["anyOf"][0]) == (False, ["day"])
    assert props["when"]["anyOf"][1] == {"type": "null"}
    assert strictness(props["shape"]["oneOf"][1]) == (False, ["w"])
    assert props["shape"]["oneOf"][0] == {"$ref": "#/$defs/Circle"}
    assert strictness(props["both"]["allOf"][0]) == (False, ["x"])
    assert strictness(props["pair"]["prefixItems"][0]) == (False, ["k"])
    assert strictness(strict["$defs"]["Circle"]) == (False, ["r"])
    assert strictness(strict["definitions"]["Old"]) == (False, ["v"])


def test_non_object_schemas_are_left_alone() -> None:
    assert to_strict_schema({"type": "string", "maxLength": 3}) == {"type": "string", "maxLength": 3}
    assert to_strict_schema({"type": "array", "items": {"type": "integer"}}) == {
        "type": "array",
        "items": {"type": "integer"},
    }


def test_object_without_properties_becomes_an_empty_strict_object() -> None:
    assert to_strict_schema({"type": "object"}) == {
        "type": "object",
        "properties": {},
        "required": [],
        "additionalProperties": False,
    }


def test_existing_additional_properties_schema_is_replaced_by_false() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"type": "string"}},
        "additionalProperties": {"type": "string"},
    }
    assert to_strict_schema(schema)["additionalProperties"] is False


def test_input_is_never_mutated_and_nothing_is_shared() -> None:
    original = copy.deepcopy(NESTED)
    strict = to_strict_schema(NESTED)
    assert original == NESTED
    strict["properties"]["unit"]["enum"].append("k")
    strict["properties"]["city"]["description"] = "changed"
    assert original == NESTED


def test_conversion_is_idempotent() -> None:
    once = to_strict_schema(NESTED)
    assert to_strict_schema(once) == once
