"""The ``@component`` class decorator and ``@component.output_types`` for run methods.

Haybale has no pipeline engine: the decorator keeps Haystack code importable and records what a
component declares, so tools (and tests) can read it.

- ``cls.__haybale_component__`` is True on a decorated class.
- ``method.__haybale_output_types__`` is the ``{socket name: type}`` dict passed to ``output_types``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T", bound=type[Any])
F = TypeVar("F", bound=Callable[..., Any])

COMPONENT_MARKER = "__haybale_component__"
OUTPUT_TYPES_ATTR = "__haybale_output_types__"


class _Component:
    """Use as ``@component`` on a class and ``@component.output_types(name=type)`` on its ``run``."""

    def __call__(self, cls: T) -> T:
        if not isinstance(cls, type):
            raise TypeError(f"@component decorates classes, not {type(cls).__name__} objects.")
        if not callable(getattr(cls, "run", None)):
            raise TypeError(f"{cls.__name__} must define a run() method to be a component.")
        setattr(cls, COMPONENT_MARKER, True)
        return cls

    def output_types(self, **types: Any) -> Callable[[F], F]:
        """Record the output sockets a ``run``/``run_async`` method returns, by name and type."""

        def mark(method: F) -> F:
            if not callable(method):
                raise TypeError("@component.output_types(...) decorates a method.")
            setattr(method, OUTPUT_TYPES_ATTR, dict(types))
            return method

        return mark

    @staticmethod
    def is_component(obj: Any) -> bool:
        """Whether ``obj`` (a class or an instance) was decorated with ``@component``."""
        cls = obj if isinstance(obj, type) else type(obj)
        return bool(getattr(cls, COMPONENT_MARKER, False))

    @staticmethod
    def get_output_types(method: Callable[..., Any]) -> dict[str, Any]:
        """The ``{name: type}`` recorded on ``method`` (empty if none)."""
        return dict(getattr(method, OUTPUT_TYPES_ATTR, {}))


component = _Component()
