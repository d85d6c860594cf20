"""A Tool from a plain Python function: the schema from its type hints, the text from its docstring."""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any, overload

from haybale.errors import SchemaGenerationError
from haybale.tools.tool import Tool


def create_tool_from_function(
    function: Callable[..., Any],
    name: str | None = None,
    description: str | None = None,
    inputs_from_state: dict[str, str] | None = None,
    outputs_to_state: dict[str, dict[str, Any]] | None = None,
    outputs_to_string: dict[str, Any] | None = None,
) -> Tool:
    """A Tool calling ``function``, described by its type hints and docstring.

    Parameter descriptions come from ``Annotated[T, "description"]`` or, failing that, from the
    docstring (``:param x:`` or a Google ``Args:`` section). The description defaults to the docstring's
    text before its parameter sections. Parameters filled from agent state (``inputs_from_state``) and
    callable-typed parameters are left out of the schema. An ``async def`` function becomes the tool's
    ``async_function`` and its ``function`` stays None, as in Haystack (``invoke`` still runs it).
    """
    # imported here: only building a tool needs them, and `import haybale.tools` stays light
    from haybale.tools._docstring import docstring_params, docstring_summary

    if not callable(function):
        raise TypeError(f"create_tool_from_function needs a function, got {type(function).__name__}.")
    fields, annotated = _collect_fields(function, set((inputs_from_state or {}).values()))
    schema = _build_schema(function, fields)
    described = {**docstring_params(function.__doc__), **annotated}
    for param, text in described.items():
        if param in schema["properties"] and text:
            schema["properties"][param]["description"] = text
    from inspect import iscoroutinefunction

    is_async = iscoroutinefunction(function)
    return Tool(
        name=name or function.__name__,
        description=description if description is not None else docstring_summary(function.__doc__),
        parameters=schema,
        function=None if is_async else function,
        async_function=function if is_async else None,
        inputs_from_state=inputs_from_state,
        outputs_to_state=outputs_to_state,
        outputs_to_string=outputs_to_string,
    )


def _collect_fields(
    function: Callable[..., Any], from_state: set[str]
) -> tuple[dict[str, tuple[Any, Any]], dict[str, str]]:
    """``{param: (type, default)}`` for the schema, and descriptions found in ``Annotated``."""
    try:
        hints = typing.get_type_hints(function, include_extras=True)
    except Exception as error:  # an unresolvable forward reference, typically
        raise SchemaGenerationError(
            f"Cannot read the type hints of {function.__name__!r}: {error}. Define the types it uses at "
            "module level so they can be resolved."
        ) from error
    import inspect

    skipped_kinds = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    fields: dict[str, tuple[Any, Any]] = {}
    descriptions: dict[str, str] = {}
    for param in inspect.signature(function).parameters.values():
        if param.name in from_state or param.kind in skipped_kinds:
            continue
        if param.name not in hints:
            raise SchemaGenerationError(
                f"Parameter {param.name!r} of {function.__name__!r} has no type hint: add one "
                "(e.g. `city: str`) so the model knows what to send."
            )
        hint = hints[param.name]
        if _mentions_callable(hint):
            continue  # no JSON schema exists for a function argument
        metadata = getattr(hint, "__metadata__", ())
        if metadata and isinstance(metadata[0], str):
            descriptions[param.name] = metadata[0]
        fields[param.name] = (hint, ... if param.default is param.empty else param.default)
    return fields, descriptions


def _mentions_callable(hint: Any) -> bool:
    import collections.abc

    if hint is collections.abc.Callable or typing.get_origin(hint) is collections.abc.Callable:
        return True
    return any(_mentions_callable(arg) for arg in typing.get_args(hint) if not isinstance(arg, str))


def _build_schema(function: Callable[..., Any], fields: dict[str, tuple[Any, Any]]) -> dict[str, Any]:
    from pydantic import create_model

    try:
        model = create_model(function.__name__, **fields)  # type: ignore[call-overload]
        schema: dict[str, Any] = model.model_json_schema()
    except Exception as error:
        culprit = _find_culprit(fields)
        where = f"parameter {culprit!r} of " if culprit else ""
        raise SchemaGenerationError(
            f"Cannot build a JSON schema for {where}{function.__name__!r}: {type(error).__name__}: {error}. "
            "Use JSON-friendly types (str, int, float, bool, list, dict, Literal, Enum, dataclasses, "
            "TypedDict or pydantic models)."
        ) from error
    _drop_titles(schema)
    schema.setdefault("properties", {})
    return schema


def _find_culprit(fields: dict[str, tuple[Any, Any]]) -> str | None:
    """The first parameter whose type alone cannot be turned into a schema."""
    from pydantic import create_model

    for param, spec in fields.items():
        try:
            create_model("Probe", **{param: spec}).model_json_schema()  # type: ignore[call-overload]
        except Exception:
            return param
    return None


# Keywords whose values are data, not schemas: a "title" key inside them belongs to the data.
_DATA_KEYWORDS = frozenset({"default", "enum", "const", "examples", "example"})
# Keywords mapping user-chosen names (properties, definitions) to schemas: a property may be named "title".
_NAME_KEYED = frozenset({"properties", "$defs", "definitions", "patternProperties", "dependentSchemas"})


def _drop_titles(schema: Any) -> None:
    """Remove pydantic's generated ``title`` keys (noise to the model), keeping properties named title."""
    if isinstance(schema, list):
        for item in schema:
            _drop_titles(item)
        return
    if not isinstance(schema, dict):
        return
    schema.pop("title", None)
    for key, value in schema.items():
        if key in _NAME_KEYED and isinstance(value, dict):
            for sub in value.values():
                _drop_titles(sub)
        elif key not in _DATA_KEYWORDS:
            _drop_titles(value)


@overload
def tool(function: Callable[..., Any], /) -> Tool: ...


@overload
def tool(
    function: None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    inputs_from_state: dict[str, str] | None = None,
    outputs_to_state: dict[str, dict[str, Any]] | None = None,
    outputs_to_string: dict[str, Any] | None = None,
) -> Callable[[Callable[..., Any]], Tool]: ...


def tool(
    function: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    inputs_from_state: dict[str, str] | None = None,
    outputs_to_state: dict[str, dict[str, Any]] | None = None,
    outputs_to_string: dict[str, Any] | None = None,
) -> Tool | Callable[[Callable[..., Any]], Tool]:
    """Turn a function into a Tool: ``@tool`` or ``@tool(name=..., description=...)``."""

    def decorate(func: Callable[..., Any]) -> Tool:
        return create_tool_from_function(
            func,
            name=name,
            description=description,
            inputs_from_state=inputs_from_state,
            outputs_to_state=outputs_to_state,
            outputs_to_string=outputs_to_string,
        )

    return decorate if function is None else decorate(function)
