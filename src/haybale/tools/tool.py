"""``Tool``: a function a language model can ask to call, with its JSON-schema parameters."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from haybale.core.serialization import generate_qualified_class_name
from haybale.errors import DeserializationError, ToolInvocationError
from haybale.tools._async_bridge import async_origin, run_in_thread, sync_wrapper
from haybale.tools._schema_check import check_parameters_schema
from haybale.utils.callable_serialization import deserialize_callable, serialize_callable


@dataclass
class Tool:
    """A named function with a description and a JSON schema for its keyword arguments.

    ``function`` runs for ``invoke``; ``async_function`` (optional) for ``invoke_async``. A coroutine
    function passed as ``function`` becomes the ``async_function`` and gets a blocking wrapper.
    ``outputs_to_string``, ``inputs_from_state`` and ``outputs_to_state`` are kept and serialized as
    Haystack does, for agents that use them.
    """

    name: str
    description: str
    parameters: dict[str, Any]
    function: Callable[..., Any]
    async_function: Callable[..., Awaitable[Any]] | None = None
    outputs_to_string: dict[str, Any] | None = None
    inputs_from_state: dict[str, str] | None = None
    outputs_to_state: dict[str, dict[str, Any]] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError("A Tool needs a non-empty name: the model calls it by that name.")
        if not isinstance(self.description, str):
            raise TypeError(f"Tool {self.name!r}: description must be a string.")
        if not callable(self.function):
            raise TypeError(
                f"Tool {self.name!r}: function must be callable, got {type(self.function).__name__}."
            )
        from inspect import iscoroutinefunction  # lazily: inspect costs ~7 ms to import

        if iscoroutinefunction(self.function):
            if self.async_function is None:
                self.async_function = self.function
            self.function = sync_wrapper(self.function)
        if self.async_function is not None and not iscoroutinefunction(self.async_function):
            raise TypeError(f"Tool {self.name!r}: async_function must be an `async def` function.")
        try:
            check_parameters_schema(self.parameters)
        except ValueError as error:
            raise ValueError(f"Tool {self.name!r}: {error}") from None
        _check_state_mappings(self)

    @property
    def tool_spec(self) -> dict[str, Any]:
        """What the model sees: name, description and parameters schema."""
        return {"name": self.name, "description": self.description, "parameters": self.parameters}

    def warm_up(self) -> None:
        """Prepare expensive resources before the first call; subclasses override (idempotently)."""

    def invoke(self, **kwargs: Any) -> Any:
        """Call the tool's function; any exception becomes a ``ToolInvocationError``."""
        try:
            return self.function(**kwargs)
        except Exception as error:
            raise self._invocation_error(error) from error

    async def invoke_async(self, **kwargs: Any) -> Any:
        """Await ``async_function``, or run ``function`` in a worker thread so the loop stays free."""
        try:
            if self.async_function is not None:
                return await self.async_function(**kwargs)
            return await run_in_thread(self.function, kwargs)
        except Exception as error:
            raise self._invocation_error(error) from error

    def _invocation_error(self, error: Exception) -> ToolInvocationError:
        return ToolInvocationError(
            f"Tool {self.name!r} failed: {type(error).__name__}: {error}", tool_name=self.name
        )

    def to_dict(self) -> dict[str, Any]:
        """``{"type": <class path>, "data": {...}}`` with callables written as import paths."""
        origin = async_origin(self.function)
        data: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "parameters": self.parameters,
            "function": serialize_callable(origin or self.function),
            "outputs_to_string": _handlers_to_paths(self.outputs_to_string),
            "inputs_from_state": self.inputs_from_state,
            "outputs_to_state": _state_handlers(self.outputs_to_state, serialize_callable),
        }
        # only written when it is not implied by `function`, so Haystack can still read the dict
        if self.async_function is not None and self.async_function is not origin:
            data["async_function"] = serialize_callable(self.async_function)
        return {"type": generate_qualified_class_name(type(self)), "data": data}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Tool:
        """A tool from ``to_dict()`` output (or Haystack's); callables are imported safely."""
        fields = data.get("data") if isinstance(data, dict) else None
        if not isinstance(fields, dict) or "function" not in fields:
            raise DeserializationError(
                "A serialized Tool must look like {'type': ..., 'data': {'name': ..., 'function': ...}}."
            )
        init = dict(fields)  # never mutate the caller's dict
        init["function"] = deserialize_callable(init["function"])
        if init.get("async_function") is not None:
            init["async_function"] = deserialize_callable(init["async_function"])
        init["outputs_to_string"] = _paths_to_handlers(init.get("outputs_to_string"))
        init["outputs_to_state"] = _state_handlers(init.get("outputs_to_state"), deserialize_callable)
        return cls(**init)


def _check_state_mappings(tool: Tool) -> None:
    for state_key, param in (tool.inputs_from_state or {}).items():
        if not isinstance(param, str):
            raise ValueError(
                f"Tool {tool.name!r}: inputs_from_state[{state_key!r}] must name a parameter (a str), "
                f"got {type(param).__name__}."
            )
    for key, config in (tool.outputs_to_state or {}).items():
        if not isinstance(config, dict):
            raise ValueError(f"Tool {tool.name!r}: outputs_to_state[{key!r}] must be a dict.")
        if "handler" in config and not callable(config["handler"]):
            raise ValueError(f"Tool {tool.name!r}: outputs_to_state[{key!r}]['handler'] must be callable.")
    handler = (tool.outputs_to_string or {}).get("handler")
    if handler is not None and not callable(handler):
        raise ValueError(f"Tool {tool.name!r}: outputs_to_string['handler'] must be callable.")


def _handlers_to_paths(config: dict[str, Any] | None) -> dict[str, Any] | None:
    if config is None or config.get("handler") is None:
        return config
    return {**config, "handler": serialize_callable(config["handler"])}


def _paths_to_handlers(config: dict[str, Any] | None) -> dict[str, Any] | None:
    if config is None or not isinstance(config.get("handler"), str):
        return config
    return {**config, "handler": deserialize_callable(config["handler"])}


def _state_handlers(
    mapping: dict[str, dict[str, Any]] | None, convert: Callable[[Any], Any]
) -> dict[str, dict[str, Any]] | None:
    if not mapping:
        return mapping
    return {
        key: {**config, "handler": convert(config["handler"])} if "handler" in config else dict(config)
        for key, config in mapping.items()
    }


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
