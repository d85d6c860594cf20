"""The @component decorator and @component.output_types."""

from __future__ import annotations

import pytest

from haybale import component as top_level_component
from haybale.core import component
from haybale.core.component import OUTPUT_TYPES_ATTR


def test_component_marks_the_class_and_keeps_it() -> None:
    @component
    class Echo:
        @component.output_types(text=str, count=int)
        def run(self, text: str) -> dict[str, object]:
            return {"text": text, "count": 1}

        @component.output_types(text=str)
        async def run_async(self, text: str) -> dict[str, object]:
            return {"text": text}

    assert component.is_component(Echo)
    assert component.is_component(Echo())
    assert Echo().run("a") == {"text": "a", "count": 1}
    assert component.get_output_types(Echo.run) == {"text": str, "count": int}
    assert getattr(Echo.run_async, OUTPUT_TYPES_ATTR) == {"text": str}
    assert top_level_component is component


def test_undecorated_things_are_not_components() -> None:
    class Plain:
        def run(self) -> None:
            return None

    assert not component.is_component(Plain)
    assert component.get_output_types(Plain.run) == {}


def test_component_requires_run() -> None:
    with pytest.raises(TypeError, match="NoRun must define a run"):

        @component
        class NoRun:
            pass


def test_component_rejects_non_classes() -> None:
    with pytest.raises(TypeError, match="decorates classes"):
        component(lambda: None)  # type: ignore[arg-type]


def test_output_types_rejects_non_callables() -> None:
    with pytest.raises(TypeError, match="decorates a method"):
        component.output_types(x=int)(42)  # type: ignore[type-var]
