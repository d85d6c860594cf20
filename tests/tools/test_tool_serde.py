"""flatten_tools_or_toolsets, the duplicate check, and the generator-level (de)serialization helpers."""

from __future__ import annotations

from typing import Any

import pytest

from haybale.core import ALLOWLIST_ENV_VAR
from haybale.errors import DeserializationError, UnsafeImportError
from haybale.tools import (
    Tool,
    Toolset,
    check_duplicate_tool_names,
    deserialize_tools_or_toolset_inplace,
    flatten_tools_or_toolsets,
    serialize_tools_or_toolset,
)

PARAMS: dict[str, Any] = {"type": "object", "properties": {"x": {"type": "string"}}}


def make(name: str) -> Tool:
    return Tool(name=name, description=name.upper(), parameters=PARAMS, function=print)


def haystack_tool_dict(name: str) -> dict[str, Any]:
    return {
        "type": "haystack.tools.tool.Tool",
        "data": {
            "name": name,
            "description": "from Haystack",
            "parameters": PARAMS,
            "function": "builtins.print",
            "outputs_to_string": None,
            "inputs_from_state": None,
            "outputs_to_state": None,
        },
    }


def test_flatten_expands_toolsets_in_order() -> None:
    a, b, c = make("a"), make("b"), make("c")
    assert flatten_tools_or_toolsets([a, Toolset([b, c])]) == [a, b, c]
    assert flatten_tools_or_toolsets(Toolset([c])) == [c]
    assert flatten_tools_or_toolsets(None) == []
    assert flatten_tools_or_toolsets([]) == []


@pytest.mark.parametrize("bad", [make("a"), "tools", [make("a"), {"name": "b"}]])
def test_flatten_rejects_other_types(bad: Any) -> None:
    with pytest.raises(TypeError, match="Tool"):
        flatten_tools_or_toolsets(bad)


def test_duplicate_check_names_every_duplicate() -> None:
    check_duplicate_tool_names(None)
    check_duplicate_tool_names([make("a"), make("b")])
    with pytest.raises(ValueError, match="Duplicate tool names: a, b") as info:
        check_duplicate_tool_names([make("b"), make("a"), make("b"), make("a"), make("c")])
    assert "c" not in str(info.value).split(":")[1].split(".")[0]


def test_serialize_keeps_tool_and_toolset_boundaries() -> None:
    a, b = make("a"), make("b")
    assert serialize_tools_or_toolset(None) is None
    assert serialize_tools_or_toolset(Toolset([a])) == Toolset([a]).to_dict()
    assert serialize_tools_or_toolset([a, Toolset([b])]) == [a.to_dict(), Toolset([b]).to_dict()]


def test_serialize_rejects_other_types() -> None:
    with pytest.raises(TypeError, match="Toolset"):
        serialize_tools_or_toolset("tools")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Tool or Toolset"):
        serialize_tools_or_toolset([make("a"), 3])  # type: ignore[list-item]


def test_deserialize_round_trips_lists_and_toolsets() -> None:
    tools: list[Tool | Toolset] = [make("a"), Toolset([make("b")])]
    data: dict[str, Any] = {"tools": serialize_tools_or_toolset(tools), "other": 1}
    deserialize_tools_or_toolset_inplace(data)
    assert data["tools"] == tools
    assert data["other"] == 1
    data = {"kit": serialize_tools_or_toolset(Toolset([make("c")]))}
    deserialize_tools_or_toolset_inplace(data, key="kit")
    assert data["kit"] == Toolset([make("c")])


def test_deserialize_leaves_missing_and_none_alone() -> None:
    data: dict[str, Any] = {"tools": None}
    deserialize_tools_or_toolset_inplace(data)
    assert data == {"tools": None}
    empty: dict[str, Any] = {}
    deserialize_tools_or_toolset_inplace(empty)
    assert empty == {}


def test_deserialize_reads_haystack_written_tools() -> None:
    data: dict[str, Any] = {
        "tools": [
            haystack_tool_dict("one"),
            {"type": "haystack.tools.toolset.Toolset", "data": {"tools": [haystack_tool_dict("two")]}},
        ]
    }
    deserialize_tools_or_toolset_inplace(data)
    one, toolset = data["tools"]
    assert isinstance(one, Tool)
    assert one.function is print
    assert isinstance(toolset, Toolset)
    assert [t.name for t in toolset] == ["two"]


def test_deserialize_refuses_unlisted_classes_and_functions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ALLOWLIST_ENV_VAR, raising=False)
    with pytest.raises(UnsafeImportError, match="'collections'"):
        deserialize_tools_or_toolset_inplace({"tools": [{"type": "collections.UserDict", "data": {}}]})
    bad = haystack_tool_dict("x")
    bad["data"]["function"] = "shutil.rmtree"
    with pytest.raises(UnsafeImportError, match="shutil"):
        deserialize_tools_or_toolset_inplace({"tools": [bad]})


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ("tools", "must hold a serialized Toolset"),
        (["x"], "needs 'type' and 'data'"),
        ({"type": "haybale.tools.tool.Tool", "data": {}}, "is not a Toolset class"),
        ([{"type": "haybale.utils.auth.Secret", "data": {}}], "is not a Tool or Toolset class"),
    ],
)
def test_deserialize_rejects_bad_values(value: Any, match: str) -> None:
    with pytest.raises(DeserializationError, match=match) as info:
        deserialize_tools_or_toolset_inplace({"tools": value})
    # Haystack raises TypeError for these dicts: code catching either keeps working
    assert isinstance(info.value, TypeError)
    assert isinstance(info.value, ValueError)


def test_a_toolset_holding_a_non_tool_class_is_a_type_error_too() -> None:
    data = {
        "type": "haybale.tools.toolset.Toolset",
        "data": {"tools": [{"type": "haybale.utils.auth.Secret"}]},
    }
    with pytest.raises(TypeError, match="is not a Tool class"):
        Toolset.from_dict(data)
    with pytest.raises(TypeError, match="must be a dict with a 'type'"):
        Toolset.from_dict({"type": "haybale.tools.toolset.Toolset", "data": {"tools": ["x"]}})
