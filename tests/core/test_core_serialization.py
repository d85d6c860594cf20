"""default_to_dict / default_from_dict / component_from_dict and Haystack's type strings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from haybale import default_from_dict as top_level_from_dict
from haybale import default_to_dict as top_level_to_dict
from haybale.core import (
    ALLOWLIST_ENV_VAR,
    component,
    component_from_dict,
    default_from_dict,
    default_to_dict,
    generate_qualified_class_name,
)
from haybale.errors import DeserializationError, UnsafeImportError
from haybale.tools import Toolset


@component
class Doubler:
    def __init__(self, factor: int = 2, label: str | None = None) -> None:
        self.factor = factor
        self.label = label

    @component.output_types(value=int)
    def run(self, value: int) -> dict[str, int]:
        return {"value": value * self.factor}

    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(self, factor=self.factor, label=self.label)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Doubler:
        return default_from_dict(cls, data)


TYPE = f"{__name__}.Doubler"


def test_top_level_exports_are_the_same_functions() -> None:
    assert top_level_to_dict is default_to_dict
    assert top_level_from_dict is default_from_dict


def test_default_to_dict_writes_type_and_init_parameters() -> None:
    assert Doubler(3, "x").to_dict() == {"type": TYPE, "init_parameters": {"factor": 3, "label": "x"}}
    assert generate_qualified_class_name(Doubler) == TYPE


def test_default_from_dict_round_trips() -> None:
    restored = Doubler.from_dict(Doubler(5).to_dict())
    assert (restored.factor, restored.label) == (5, None)


def test_default_from_dict_accepts_missing_init_parameters() -> None:
    assert Doubler.from_dict({"type": TYPE}).factor == 2


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({"type": "haybale.tools.toolset.Toolset", "init_parameters": {}}, "Cannot build .*Doubler"),
        ({"init_parameters": {}}, "Missing 'type'"),
        ({"type": TYPE, "init_parameters": [1]}, "must be a dict"),
    ],
)
def test_default_from_dict_rejects_mismatches(data: dict[str, Any], match: str) -> None:
    with pytest.raises(DeserializationError, match=match):
        Doubler.from_dict(data)


def test_default_from_dict_rejects_non_dict() -> None:
    with pytest.raises(DeserializationError, match="Expected a dict"):
        default_from_dict(Doubler, ["x"])  # type: ignore[arg-type]


def test_default_from_dict_accepts_haystack_type_strings_for_haybale_classes() -> None:
    restored = default_from_dict(Toolset, {"type": "haystack.tools.toolset.Toolset", "init_parameters": {}})
    assert isinstance(restored, Toolset)
    # a re-export path names the same class too
    restored = default_from_dict(Toolset, {"type": "haybale.tools.Toolset", "init_parameters": {}})
    assert isinstance(restored, Toolset)


def test_component_from_dict_needs_the_allowlist_for_user_classes(monkeypatch: pytest.MonkeyPatch) -> None:
    data = Doubler(4).to_dict()
    monkeypatch.delenv(ALLOWLIST_ENV_VAR, raising=False)
    with pytest.raises(UnsafeImportError, match=f"export {ALLOWLIST_ENV_VAR}="):
        component_from_dict(data)
    monkeypatch.setenv(ALLOWLIST_ENV_VAR, __name__)
    restored = component_from_dict(data)
    assert isinstance(restored, Doubler)
    assert restored.factor == 4


def test_component_from_dict_refuses_unlisted_modules() -> None:
    with pytest.raises(UnsafeImportError, match="'subprocess'"):
        component_from_dict({"type": "subprocess.Popen", "init_parameters": {"args": ["true"]}})


def test_component_from_dict_uses_default_from_dict_without_a_from_dict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "hb_plain_component.py").write_text(
        "class Plain:\n    def __init__(self, size=1):\n        self.size = size\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv(ALLOWLIST_ENV_VAR, "hb_plain_component")
    restored = component_from_dict({"type": "hb_plain_component.Plain", "init_parameters": {"size": 7}})
    assert type(restored).__name__ == "Plain"
    assert restored.size == 7


def test_component_from_dict_calls_the_class_from_dict() -> None:
    restored = component_from_dict({"type": "haystack.tools.toolset.Toolset", "data": {"tools": []}})
    assert isinstance(restored, Toolset)


def test_haybale_core_exports_only_public_names() -> None:
    import haybale.core as core

    assert all(not name.startswith("_") for name in core.__all__)
    assert not {"import_object", "is_allowed", "to_haybale_name"} & set(core.__all__)
    assert {"component", "default_to_dict", "default_from_dict", "import_class_by_name"} <= set(core.__all__)
