"""Callables to and from their import path, e.g. a streaming callback or a tool's function."""

from __future__ import annotations

from collections.abc import Callable
from types import MethodType
from typing import Any

from haybale.core._imports import import_object
from haybale.errors import DeserializationError, SerializationError


def serialize_callable(callable_handler: Callable[..., Any]) -> str:
    """The import path (``module.qualname``) of a module-level function, method or builtin.

    Lambdas and functions defined inside other functions have no import path and are refused.
    """
    if not callable(callable_handler):
        raise SerializationError(f"Expected a callable, got {type(callable_handler).__name__}.")
    target: Any = callable_handler
    if isinstance(target, MethodType):
        if not isinstance(target.__self__, type):
            raise SerializationError(
                f"Cannot serialize the bound method {target.__qualname__!r}: its instance cannot be "
                "written to a string. Use a module-level function, a staticmethod or a classmethod."
            )
        target = target.__func__  # a classmethod is addressed through its function's qualname
    qualname = getattr(target, "__qualname__", None)
    module = getattr(target, "__module__", None)
    if not isinstance(qualname, str) or not isinstance(module, str):
        raise SerializationError(
            f"Cannot serialize {callable_handler!r}: it has no module-level name. "
            "Pass a function defined at the top level of a module."
        )
    if "<lambda>" in qualname:
        raise SerializationError(
            "Cannot serialize a lambda: it has no import path. Define it with `def` at module level."
        )
    if "<locals>" in qualname:
        raise SerializationError(
            f"Cannot serialize {qualname!r}: it is defined inside a function, so it cannot be imported. "
            "Move it to module level."
        )
    if any(part.startswith("_") for part in qualname.split(".")):
        # deserialize_callable refuses private and special attribute steps (they can reach past the
        # allowlist), so such a path could be written but never read back
        raise SerializationError(
            f"Cannot serialize {qualname!r}: a private or special name cannot be loaded back. "
            "Give the function a public name (no leading underscore) in its module."
        )
    return f"{module}.{qualname}"


def deserialize_callable(callable_handle: str) -> Callable[..., Any]:
    """The callable at import path ``callable_handle``, imported safely.

    Only haybale and the modules listed in the deserialization allowlist are imported; Haystack
    paths are translated to haybale's. A path naming a function that ``@tool`` turned into a Tool
    gives that tool's function (its ``async_function`` for an async-only tool).
    """
    obj = import_object(callable_handle)
    if isinstance(obj, staticmethod | classmethod):  # reached through a class __dict__
        obj = obj.__func__
    obj = _unwrap_tool(obj)
    if not callable(obj):
        raise DeserializationError(
            f"{callable_handle!r} names a {type(obj).__name__}, which is not callable."
        )
    return obj  # type: ignore[no-any-return]


def _unwrap_tool(obj: Any) -> Any:
    # @tool rebinds a module-level function's name to a Tool, so the path a tool's to_dict writes
    # for its function leads back to the Tool itself.
    from haybale.tools.tool import Tool  # here: haybale.tools imports this module

    if isinstance(obj, Tool):
        return obj.function if obj.function is not None else obj.async_function
    return obj
