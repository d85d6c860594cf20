"""``json_problem`` finds exactly what the JSON encoder refuses, and says where."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from haybale.core._json_check import MAX_DEPTH, json_problem

good_leaves = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
)
bad_leaves = st.sampled_from([math.nan, math.inf, -math.inf, {1, 2}, object(), b"bytes", "x\ud800", "\udfff"])
keys = st.text(max_size=5) | st.integers() | st.booleans() | st.none()
values = st.recursive(
    good_leaves | bad_leaves,
    lambda inner: st.lists(inner, max_size=3) | st.tuples(inner) | st.dictionaries(keys, inner, max_size=3),
    max_leaves=12,
)


def encodes(value: Any) -> bool:
    try:
        json.dumps(value, ensure_ascii=False, allow_nan=False).encode()
    except (TypeError, ValueError):
        return False
    return True


@given(values)
def test_finds_a_problem_exactly_when_the_encoder_fails(value: Any) -> None:
    assert (json_problem(value) is None) == encodes(value)


@pytest.mark.parametrize(
    ("value", "path", "kind"),
    [
        ({"a": [1, {"b": math.nan}]}, "['a'][1]['b']", ValueError),
        ({"a": (1, 2, {3})}, "['a'][2]", TypeError),
        ({"a": {(1, 2): "tuple key"}}, "['a']", TypeError),
        ([{"ok": "fine"}, "bad \ud800"], "[1]", ValueError),
        ({"k\udc80": 1}, "['k\\udc80'] (the key itself)", ValueError),
    ],
)
def test_names_the_path_to_the_first_problem(value: Any, path: str, kind: type[Exception]) -> None:
    found = json_problem(value)
    assert found is not None
    assert (found.path, found.kind) == (path, kind)


def test_depth_is_bounded_without_recursion() -> None:
    value: Any = 1
    for _ in range(100_000):  # far past the interpreter's recursion limit
        value = [value]
    found = json_problem(value)
    assert found is not None
    assert "nests deeper than" in found.problem
    assert len(found.error("x").args[0]) < 500
    looped: list[Any] = []
    looped.append(looped)
    assert json_problem(looped) is not None
    shallow: Any = 1
    for _ in range(MAX_DEPTH):
        shallow = {"a": shallow}
    assert json_problem(shallow) is None
