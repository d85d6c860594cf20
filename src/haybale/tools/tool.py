"""``Tool``: a function a language model can ask to call, with its JSON-schema parameters."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from haybale.core.serialization import generate_qualified_class_name
from haybale.errors import DeserializationError, ToolInvocationError
from haybale.tools._async_bridge import run_blocking, run_in_thread
from haybale.tools._mappings import (
    check_inputs_from_state,
    check_outputs_to_state,
    check_outputs_to_string,
    convert_handlers,
    convert_outputs_to_string,
)
from haybale.tools._schema_check import check_parameters_schema
from haybale.utils.callable_serialization import deserialize_callable, serialize_callable


@dataclass
class Tool:
    """A named function with a description and a JSON schema for its keyword arguments.

    ``function`` (sync) runs for ``invoke``; ``async_function`` (an ``async def``) for ``invoke_async``.
    Either one, or both, must be given. With only ``async_function``, ``invoke`` still works: it runs
    the coroutine to completion on an event loop of its own. With only ``function``, ``invoke_async``
    runs it in a worker thread. A coroutine function passed as ``function`` is taken as the
    ``async_function``. ``outputs_to_string``, ``inputs_from_state`` and ``outputs_to_state`` are kept
    and serialized as Haystack does, for agents that use them. The fields are in Haystack's order, so
    positional arguments mean the same in both libraries.
    """

    name: str
    description: str
    parameters: dict[str, Any]
    function: Callable[..., Any] | None = None
    outputs_to_string: dict[str, Any] | None = None
    inputs_from_state: dict[str, str] | None = None
    outputs_to_state: dict[str, dict[str, Any]] | None = None
    async_function: Callable[..., Awaitable[Any]] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError("A Tool needs a non-empty name: the model calls it by that name.")
        if not isinstance(self.description, str):
            raise TypeError(f"Tool {self.name!r}: description must be a string.")
        _settle_functions(self)
        try:
            check_parameters_schema(self.parameters)
        except ValueError as error:
            raise ValueError(f"Tool {self.name!r}: {error}") from None
        _check_mappings(self)

    @property
    def tool_spec(self) -> dict[str, Any]:
        """What the model sees: name, description and parameters schema."""
        return {"name": self.name, "description": self.description, "parameters": self.parameters}

    def warm_up(self) -> None:
        """Prepare expensive resources before the first call; subclasses override (idempotently)."""

    def invoke(self, **kwargs: Any) -> Any:
        """Call the tool; any exception becomes a ``ToolInvocationError``.

        An async-only tool is run to completion on a fresh event loop (in a helper thread when this
        thread already runs a loop, which then waits: prefer ``invoke_async`` there).
        """
        try:
            self.warm_up()
            if self.function is not None:
                return self.function(**kwargs)
            if self.async_function is None:  # unreachable after __post_init__; keeps mypy informed
                raise TypeError("the tool has no function")
            return run_blocking(self.async_function, kwargs)
        except Exception as error:
            raise self._invocation_error(error) from error

    async def invoke_async(self, **kwargs: Any) -> Any:
        """Await ``async_function``, or run ``function`` in a worker thread so the loop stays free."""
        try:
            self.warm_up()
            if self.async_function is not None:
                return await self.async_function(**kwargs)
            if self.function is None:  # unreachable after __post_init__; keeps mypy informed
                raise TypeError("the tool has no function")
            return await run_in_thread(self.function, kwargs)
        except Exception as error:
            raise self._invocation_error(error) from error

    def _invocation_error(self, error: Exception) -> ToolInvocationError:
        return ToolInvocationError(
            f"Tool {self.name!r} failed: {type(error).__name__}: {error}", tool_name=self.name
        )

    def to_dict(self) -> dict[str, Any]:
        """``{"type": <class path>, "data": {...}}`` with callables written as import paths."""
        data: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "parameters": self.parameters,
            "function": serialize_callable(self.function) if self.function is not None else None,
            "outputs_to_string": convert_outputs_to_string(self.outputs_to_string, serialize_callable),
            "inputs_from_state": self.inputs_from_state,
            "outputs_to_state": convert_handlers(self.outputs_to_state, serialize_callable),
        }
        # only written when set, so older Haystack versions (without the field) can read sync tools
        if self.async_function is not None:
            data["async_function"] = serialize_callable(self.async_function)
        return {"type": generate_qualified_class_name(type(self)), "data": data}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Tool:
        """A tool from ``to_dict()`` output (or Haystack's); callables are imported safely."""
        fields = data.get("data") if isinstance(data, dict) else None
        if not isinstance(fields, dict) or not (fields.get("function") or fields.get("async_function")):
            raise DeserializationError(
                "A serialized Tool must look like {'type': ..., 'data': {'name': ..., 'function': ...}} "
                "(or with 'async_function' for an async tool)."
            )
        init = dict(fields)  # never mutate the caller's dict
        for key in ("function", "async_function"):
            if init.get(key) is not None:
                init[key] = deserialize_callable(init[key])
        init["outputs_to_string"] = convert_outputs_to_string(
            init.get("outputs_to_string"), deserialize_callable
        )
        init["outputs_to_state"] = convert_handlers(init.get("outputs_to_state"), deserialize_callable)
        return cls(**init)


def _settle_functions(tool: Tool) -> None:
    """Check the two function fields; a coroutine function given as ``function`` moves over."""
    from inspect import iscoroutinefunction  # lazily: inspect costs ~7 ms to import

    if tool.function is not None and iscoroutinefunction(tool.function):
        if tool.async_function is not None:
            raise ValueError(
                f"Tool {tool.name!r}: function is an `async def` function and async_function is set too; "
                "pass a regular function as function (or leave it out)."
            )
        tool.async_function, tool.function = tool.function, None
    if tool.function is None and tool.async_function is None:
        raise ValueError(
            f"Tool {tool.name!r} has nothing to call: pass function=<a function> and/or "
            "async_function=<an async def function>."
        )
    if tool.function is not None and not callable(tool.function):
        raise TypeError(f"Tool {tool.name!r}: function must be callable, got {type(tool.function).__name__}.")
    if tool.async_function is not None and not iscoroutinefunction(tool.async_function):
        raise ValueError(
            f"Tool {tool.name!r}: async_function must be an `async def` function; pass a regular "
            "function as function instead."
        )


def _check_mappings(tool: Tool) -> None:
    check_inputs_from_state(tool.name, tool.inputs_from_state, _valid_inputs(tool))
    check_outputs_to_state(tool.name, tool.outputs_to_state)
    check_outputs_to_string(tool.name, tool.outputs_to_string)


def _valid_inputs(tool: Tool) -> set[str] | None:
    """The names ``inputs_from_state`` may fill: the function's parameters and the schema's properties.

    None (anything goes) when the function takes ``**kwargs``.
    """
    if not tool.inputs_from_state:
        return None
    import inspect

    names = set(tool.parameters.get("properties") or ())
    target = tool.function if tool.function is not None else tool.async_function
    try:
        signature = inspect.signature(target)  # type: ignore[arg-type]
    except (TypeError, ValueError):  # some builtins have no signature: the schema must do
        return names
    for param in signature.parameters.values():
        if param.kind is inspect.Parameter.VAR_KEYWORD:
            return None
        names.add(param.name)
    return names


def check_duplicate_tool_names(tools: Iterable[Any] | None) -> None:
    """Raise ``ValueError`` naming every tool name used more than once."""
    if tools is None:
        return
    names = [t.name for t in tools]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(
            f"Duplicate tool names: {', '.join(duplicates)}. The model calls tools by name, so each "
            "name must be unique: rename or remove the duplicates."
        )
