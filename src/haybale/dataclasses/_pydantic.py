"""Pydantic support for the data model: messages and parts as fields of pydantic models.

A class inheriting ``DictBacked`` validates from an instance or from its ``to_dict()`` form (and
anything its ``from_dict`` reads, such as the dicts Haystack's dataclasses dump to), and dumps to
exactly ``to_dict()``, in Python and in JSON mode. Nothing here imports pydantic: pydantic calls
these hooks only once it is loaded, while building a model that uses the class, so
``import haybale.dataclasses`` stays free of it.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any


class DictBacked:
    """Mixin: the pydantic hooks for a class with ``to_dict()``/``from_dict()``."""

    __slots__ = ()

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        return core_schema.no_info_plain_validator_function(
            lambda value: _validate(cls, value),
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda value: value.to_dict(), when_used="always"
            ),
        )

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: Any, handler: Any) -> dict[str, Any]:
        return json_schema(cls)


def _validate(cls: type[Any], value: Any) -> Any:
    if isinstance(value, cls):
        return value
    if not isinstance(value, dict):
        # pydantic turns a ValueError (not a TypeError) into a ValidationError naming the field
        raise ValueError(f"expected a {cls.__name__} or its to_dict() form, got {type(value).__name__}")
    try:
        return cls.from_dict(value)
    except (TypeError, KeyError) as error:
        raise ValueError(f"not a valid {cls.__name__} dict: {error}") from None


def json_schema(cls: type[Any]) -> dict[str, Any]:
    """The JSON schema of ``cls.to_dict()`` output (coarse: the dicts are checked by ``from_dict``)."""
    if cls.__name__ == "ChatMessage":
        from haybale.dataclasses.chat_message import ChatRole

        return {
            "title": "ChatMessage",
            "type": "object",
            "properties": {
                "role": {"enum": [role.value for role in ChatRole]},
                "content": {"type": "array", "items": {"type": "object"}},
                "name": {"type": ["string", "null"]},
                "meta": {"type": "object"},
            },
            "required": ["role", "content"],
        }
    return {
        "title": cls.__name__,
        "type": "object",
        "properties": {field.name: {} for field in fields(cls)},
    }
