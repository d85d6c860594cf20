"""Toolset: membership, combining, duplicates, warm_up once, and (safe) serialization."""

from __future__ import annotations

from typing import Any

import pytest

from haybale.core import ALLOWLIST_ENV_VAR
from haybale.errors import DeserializationError, UnsafeImportError
from haybale.tools import Tool, Toolset

PARAMS: dict[str, Any] = {"type": "object", "properties": {}}


def make(name: str) -> Tool:
    return Tool(name=name, description=f"tool {name}", parameters=PARAMS, function=print)


class CountingTool(Tool):
    warmed: int = 0

    def warm_up(self) -> None:
        CountingTool.warmed += 1


class NamedToolset(Toolset):
    """A subclass, to check it round-trips through its own type string."""


def test_iteration_len_index_and_membership() -> None:
    a, b = make("a"), make("b")
    toolset = Toolset([a, b])
    assert [t.name for t in toolset] == ["a", "b"]
    assert len(toolset) == 2
    assert toolset[1] is b
    assert a in toolset
    assert "b" in toolset
    assert "c" not in toolset
    assert make("c") not in toolset
    assert len(Toolset()) == 0


def test_add_a_tool_or_a_toolset() -> None:
    toolset = Toolset([make("a")])
    toolset.add(make("b"))
    toolset.add(Toolset([make("c"), make("d")]))
    assert [t.name for t in toolset] == ["a", "b", "c", "d"]


def test_plus_combines_into_a_new_toolset() -> None:
    base = Toolset([make("a")])
    combined = base + make("b") + Toolset([make("c")]) + [make("d")]
    assert [t.name for t in combined] == ["a", "b", "c", "d"]
    assert [t.name for t in base] == ["a"]


@pytest.mark.parametrize("other", [42, "tool", [make("x"), 3]])
def test_plus_rejects_other_types(other: Any) -> None:
    with pytest.raises(TypeError, match="Can only combine"):
        Toolset([make("a")]) + other


def test_duplicate_names_are_rejected_everywhere() -> None:
    with pytest.raises(ValueError, match="Duplicate tool names: a"):
        Toolset([make("a"), make("a")])
    toolset = Toolset([make("a"), make("b")])
    with pytest.raises(ValueError, match="Duplicate tool names: b"):
        toolset.add(make("b"))
    assert len(toolset) == 2
    with pytest.raises(ValueError, match="Duplicate tool names: a, b"):
        toolset + [make("a"), make("b")]  # noqa: RUF005  (Toolset.__add__ is under test)


@pytest.mark.parametrize("tools", [make("a"), [make("a"), "b"]])
def test_constructor_rejects_non_tools(tools: Any) -> None:
    with pytest.raises(TypeError, match="Tool"):
        Toolset(tools)


def test_warm_up_reaches_every_tool_on_every_call() -> None:
    # Haystack's semantics: the toolset delegates each time; idempotence is each tool's own job.
    CountingTool.warmed = 0
    toolset = Toolset([CountingTool(name="c1", description="", parameters=PARAMS, function=print), make("p")])
    toolset.warm_up()
    toolset.warm_up()
    assert CountingTool.warmed == 2
    toolset.add(CountingTool(name="c2", description="", parameters=PARAMS, function=print))
    assert CountingTool.warmed == 2  # adding never warms
    toolset.warm_up()
    assert CountingTool.warmed == 4


def test_selection_hooks_return_the_toolset_itself() -> None:
    toolset = Toolset([make("a"), make("b")])
    assert [t.name for t in toolset.get_selectable_tools()] == ["a", "b"]
    assert toolset.spawn() is toolset
    assert toolset.spawn({"a"}) is toolset


def test_round_trip_in_haystacks_shape() -> None:
    toolset = Toolset([make("a"), make("b")])
    data = toolset.to_dict()
    assert data["type"] == "haybale.tools.toolset.Toolset"
    assert [t["data"]["name"] for t in data["data"]["tools"]] == ["a", "b"]
    assert Toolset.from_dict(data) == toolset


def test_reads_a_haystack_written_toolset() -> None:
    data = {
        "type": "haystack.tools.toolset.Toolset",
        "data": {
            "tools": [
                {
                    "type": "haystack.tools.tool.Tool",
                    "data": {
                        "name": "p",
                        "description": "print",
                        "parameters": PARAMS,
                        "function": "builtins.print",
                        "outputs_to_string": None,
                        "inputs_from_state": None,
                        "outputs_to_state": None,
                    },
                }
            ]
        },
    }
    restored = Toolset.from_dict(data)
    assert restored[0].function is print


def test_subclasses_round_trip_through_their_type(monkeypatch: pytest.MonkeyPatch) -> None:
    CountingTool.warmed = 0
    toolset = NamedToolset([CountingTool(name="c", description="", parameters=PARAMS, function=print)])
    data = toolset.to_dict()
    assert data["type"] == f"{__name__}.NamedToolset"
    assert data["data"]["tools"][0]["type"] == f"{__name__}.CountingTool"
    with pytest.raises(UnsafeImportError):
        Toolset.from_dict(data)  # the tool class lives in an unlisted module
    monkeypatch.setenv(ALLOWLIST_ENV_VAR, __name__)
    restored = NamedToolset.from_dict(data)
    assert type(restored) is NamedToolset
    assert type(restored[0]) is CountingTool


def test_from_dict_rejects_non_tool_classes_and_bad_shapes() -> None:
    with pytest.raises(DeserializationError, match="not a Tool class"):
        Toolset.from_dict({"type": "x", "data": {"tools": [{"type": "haybale.tools.toolset.Toolset"}]}})
    with pytest.raises(DeserializationError, match="must look like"):
        Toolset.from_dict({"type": "x", "data": {"tools": "nope"}})
    with pytest.raises(DeserializationError, match="with a 'type'"):
        Toolset.from_dict({"type": "x", "data": {"tools": [{"data": {}}]}})
