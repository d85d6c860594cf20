"""``response_format``: pydantic model classes, JSON-schema dicts and ``json_object``.

A pydantic model class becomes a strict ``json_schema`` response format (so it works when
streaming too), and the reply text is then validated against the model. A failed validation does
not raise: the reply is kept (the caller may still want the text), a warning is logged, and the
error text is put in ``meta["structured_output_error"]``. Dicts are sent unchanged.

pydantic is never imported here: a class can only be a pydantic model if pydantic is already
loaded, so ``sys.modules`` answers the question for free.
"""

from __future__ import annotations

import sys
from typing import Any

from haybale._logging import get_logger
from haybale._wire.strict_schema import to_strict_schema

logger = get_logger(__name__)


def is_pydantic_model(value: Any) -> bool:
    """True if ``value`` is a pydantic ``BaseModel`` subclass (without importing pydantic)."""
    pydantic = sys.modules.get("pydantic")
    return pydantic is not None and isinstance(value, type) and issubclass(value, pydantic.BaseModel)


def response_format_to_wire(value: Any) -> dict[str, Any]:
    """The JSON value to send for a ``response_format`` given by the caller."""
    if isinstance(value, dict):
        return value
    if is_pydantic_model(value):
        return {
            "type": "json_schema",
            "json_schema": {
                "name": value.__name__,
                "strict": True,
                "schema": to_strict_schema(value.model_json_schema()),
            },
        }
    raise TypeError(
        f"response_format must be a pydantic model class or a dict such as "
        f'{{"type": "json_schema", "json_schema": {{...}}}} or {{"type": "json_object"}}, '
        f"got {type(value).__name__}."
    )


def as_json_object_format(response_format: dict[str, Any]) -> dict[str, Any]:
    """A ``json_schema`` response format in the older ``json_object`` form that carries its schema.

    llama-cpp-python's server (and other servers that predate structured outputs) refuse the
    ``json_schema`` type but constrain ``{"type": "json_object", "schema": ...}`` the same way.
    """
    if response_format.get("type") != "json_schema":
        return response_format
    spec = response_format.get("json_schema") or {}
    schema = spec.get("schema") if isinstance(spec, dict) else None
    return {"type": "json_object", "schema": schema} if schema else {"type": "json_object"}


def validate_reply_text(model: Any, text: str) -> str | None:
    """Validate ``text`` against pydantic ``model``; return the error text, or None when it is valid."""
    try:
        model.model_validate_json(text)
    except ValueError as error:  # pydantic.ValidationError subclasses ValueError
        logger.warning(
            "The reply does not match response_format %s; the reply is kept and the error is in "
            "meta['structured_output_error']: %s",
            model.__name__,
            error,
        )
        return str(error)
    return None
