"""Objects to and from ``{"type": ..., "init_parameters": {...}}`` dicts, in Haystack's format."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from haybale.core._imports import import_class, to_haybale_name
from haybale.errors import DeserializationError, UnsafeImportError

T = TypeVar("T")


def generate_qualified_class_name(cls: type[Any]) -> str:
    """``module.QualName`` of a class: the ``type`` string written for it."""
    return f"{cls.__module__}.{cls.__qualname__}"


def default_to_dict(obj: Any, **init_parameters: Any) -> dict[str, Any]:
    """The dict for ``obj``: its class's qualified name plus the given init parameters."""
    return {"type": generate_qualified_class_name(type(obj)), "init_parameters": init_parameters}


def default_from_dict(cls: type[T], data: Mapping[str, Any]) -> T:
    """``cls(**data["init_parameters"])`` after checking that ``data["type"]`` names ``cls``.

    A type string Haystack wrote for the same class is accepted too.
    """
    type_name = _type_name(data)
    if not names_class(type_name, cls):
        raise DeserializationError(
            f"Cannot build {generate_qualified_class_name(cls)} from a dict of type {type_name!r}: "
            "call from_dict on the class the dict was written for, or use component_from_dict(data)."
        )
    init_parameters = data.get("init_parameters") or {}
    if not isinstance(init_parameters, Mapping):
        raise DeserializationError(f"'init_parameters' must be a dict, got {type(init_parameters).__name__}.")
    return cls(**init_parameters)


def names_class(type_name: str, cls: type[Any]) -> bool:
    """Whether ``type_name`` (haybale's or Haystack's spelling) refers to ``cls``."""
    own = generate_qualified_class_name(cls)
    translated = to_haybale_name(type_name)
    if own in (type_name, translated):
        return True
    # a re-export path such as ``haybale.components.generators.chat.OpenAIChatGenerator``
    try:
        return import_class(type_name) is cls
    except (DeserializationError, UnsafeImportError, ImportError):
        return False


def import_class_by_name(fully_qualified_name: str) -> type[Any]:
    """The class named by a type string, imported safely (haybale and the allowlist only)."""
    return import_class(fully_qualified_name)


def component_from_dict(data: Mapping[str, Any]) -> Any:
    """Rebuild any object from its ``to_dict()`` output, whatever its class."""
    cls = import_class_by_name(_type_name(data))
    from_dict = getattr(cls, "from_dict", None)
    if callable(from_dict):
        return from_dict(dict(data))
    return default_from_dict(cls, data)


def _type_name(data: Mapping[str, Any]) -> str:
    if not isinstance(data, Mapping):
        raise DeserializationError(
            f"Expected a dict with 'type' and 'init_parameters', got {type(data).__name__}."
        )
    type_name = data.get("type")
    if not isinstance(type_name, str) or not type_name:
        raise DeserializationError(
            "Missing 'type' in the serialized data: "
            "expected {'type': 'module.Class', 'init_parameters': {...}}."
        )
    return type_name
