"""The structural check of a tool's parameters schema: valid schemas pass, errors say where."""

from __future__ import annotations

from typing import Any

import pytest

from haybale.tools import Tool
from haybale.tools._schema_check import check_parameters_schema


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "properties": {}},
        {"type": "object"},
        # no "type" at all: Haystack accepts these (the properties imply an object), so haybale does too
        {"properties": {"city": {"type": "string"}}, "required": ["city"]},
        {},
        {"type": ["object", "null"], "properties": {}},
        {
            "type": "object",
            "properties": {
                "a": {"type": ["string", "null"]},
                "b": {"type": "array", "items": {"type": "object", "properties": {"c": {"type": "integer"}}}},
                "d": {"anyOf": [{"$ref": "#/$defs/D"}, {"type": "null"}], "default": None},
                "e": {"enum": ["x", "y"]},
                "f": {"type": "object", "additionalProperties": {"type": "number"}},
                "g": True,
            },
            "required": ["a", "b"],
            "$defs": {"D": {"type": "object", "properties": {"x": {"type": "boolean"}}, "required": ["x"]}},
        },
    ],
)
def test_valid_schemas_pass(schema: dict[str, Any]) -> None:
    check_parameters_schema(schema)


@pytest.mark.parametrize(
    ("schema", "where", "what"),
    [
        ("not a dict", "", "must be a JSON schema dict"),
        ({"type": "string"}, "", "must be an object schema"),
        ({"type": "array", "items": {"type": "string"}}, "", "must be an object schema"),
        ({"type": "object", "properties": []}, "parameters.properties", "dict of name -> schema"),
        ({"type": "object", "properties": {"a": "string"}}, "parameters.properties.a", "must be a dict"),
        (
            {"type": "object", "properties": {"a": {"type": "strng"}}},
            "parameters.properties.a.type",
            "'strng' is not a JSON schema type",
        ),
        (
            {"type": "object", "properties": {"a": {}}, "required": "a"},
            "parameters.required",
            "must be a list",
        ),
        (
            {"type": "object", "properties": {"a": {}}, "required": ["a", "b"]},
            "parameters.required",
            "['b'] that are not in 'properties'",
        ),
        (
            {"type": "object", "properties": {"a": {"type": "array", "items": {"type": "int"}}}},
            "parameters.properties.a.items.type",
            "'int' is not",
        ),
        (
            {"type": "object", "properties": {"a": {"anyOf": []}}},
            "parameters.properties.a.anyOf",
            "non-empty list",
        ),
        (
            {"type": "object", "properties": {"a": {"oneOf": [{"type": "string"}, {"type": "float"}]}}},
            "parameters.properties.a.oneOf[1].type",
            "'float' is not",
        ),
        (
            {"type": "object", "$defs": {"X": {"type": "object", "required": ["q"]}}},
            "parameters.$defs.X.required",
            "not in 'properties'",
        ),
        (
            {"type": "object", "properties": {"a": {"allOf": [{"enum": "x"}]}}},
            "parameters.properties.a.allOf[0]",
            "'enum' must be a list",
        ),
    ],
)
def test_invalid_schemas_say_what_and_where(schema: Any, where: str, what: str) -> None:
    with pytest.raises(ValueError) as info:
        check_parameters_schema(schema)
    message = str(info.value)
    assert what in message
    assert where in message


def test_tool_construction_prefixes_the_tool_name() -> None:
    with pytest.raises(ValueError, match=r"Tool 'lookup': Invalid JSON schema at parameters\.properties\.q"):
        Tool(
            name="lookup",
            description="",
            parameters={"type": "object", "properties": {"q": {"type": "text"}}},
            function=print,
        )


def _nested(levels: int) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(levels):
        schema = {"type": "object", "properties": {"a": schema}}
    return schema


@pytest.mark.parametrize(
    ("parameters", "error"),
    [
        (
            {"type": "object", "properties": {"x": {"type": "number", "default": float("nan")}}},
            r"\['properties'\]\['x'\]\['default'\]: it is nan, which JSON cannot represent",
        ),
        (
            {"type": "object", "properties": {"x": {"type": "number", "maximum": float("inf")}}},
            r"\['maximum'\]: it is inf",
        ),
        (
            {"type": "object", "properties": {"x": {"enum": {"a", "b"}}}},
            r"\['enum'\]: it has type set",
        ),
        (_nested(3000), r"nests deeper than 64 levels"),
    ],
)
def test_values_json_cannot_carry_are_refused_at_construction(parameters: dict[str, Any], error: str) -> None:
    with pytest.raises(ValueError, match=f"Tool 'f': Invalid JSON schema at parameters.*{error}"):
        Tool(name="f", description="d", parameters=parameters, function=print)
