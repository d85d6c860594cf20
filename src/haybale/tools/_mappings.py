"""A tool's agent-facing mappings: ``inputs_from_state``, ``outputs_to_state``, ``outputs_to_string``.

haybale's generators never use them; they are checked and serialized the way Haystack does so that
tools move between the two libraries (and into Haystack agents) unchanged. The exception types are
Haystack's for the same mistakes: ``TypeError`` for a value of the wrong kind where a dict or a name
belongs, ``ValueError`` for a wrong value inside one.

``outputs_to_string`` has two shapes: one config at the root (keys ``source``, ``handler``,
``raw_result``), or one config per output name, each with a ``source``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

_ROOT_KEYS = frozenset({"source", "handler", "raw_result"})


def check_inputs_from_state(
    tool_name: str, mapping: Mapping[str, Any] | None, valid_inputs: set[str] | None
) -> None:
    """Each value names a parameter of the tool (``valid_inputs=None`` accepts any name)."""
    for state_key, param in (mapping or {}).items():
        if not isinstance(param, str):
            raise TypeError(
                f"Tool {tool_name!r}: inputs_from_state[{state_key!r}] must name a parameter (a str), "
                f"got {type(param).__name__}."
            )
        if valid_inputs is not None and param not in valid_inputs:
            raise ValueError(
                f"Tool {tool_name!r}: inputs_from_state[{state_key!r}] names {param!r}, which is not a "
                f"parameter of the tool (it has: {', '.join(sorted(valid_inputs)) or 'none'})."
            )


def check_outputs_to_state(tool_name: str, mapping: Mapping[str, Any] | None) -> None:
    for key, config in (mapping or {}).items():
        _check_config(f"Tool {tool_name!r}: outputs_to_state[{key!r}]", config)


def check_outputs_to_string(tool_name: str, config: Mapping[str, Any] | None) -> None:
    if config is None:
        return
    where = f"Tool {tool_name!r}: outputs_to_string"
    if _is_root_config(config):
        extra = sorted(set(config) - _ROOT_KEYS)
        if extra:
            raise ValueError(
                f"{where} mixes a root config (source/handler/raw_result) with other keys {extra}: use "
                "either one root config, or one config per output name."
            )
        _check_config(where, config)
        if "raw_result" in config and not isinstance(config["raw_result"], bool):
            raise ValueError(f"{where}['raw_result'] must be True or False.")
        return
    for key, sub in config.items():
        _check_config(f"{where}[{key!r}]", sub)
        if "raw_result" in sub:
            raise ValueError(f"{where}[{key!r}]: raw_result is only allowed in a root config.")
        if "source" not in sub:
            raise ValueError(f"{where}[{key!r}] needs a 'source': the output key it reads.")


def _is_root_config(config: Mapping[str, Any]) -> bool:
    return any(key in config for key in _ROOT_KEYS)


def _check_config(where: str, config: Any) -> None:
    if not isinstance(config, dict):
        raise TypeError(
            f"{where} must be a dict (keys 'source' and/or 'handler'), got {type(config).__name__}."
        )
    if "source" in config and not isinstance(config["source"], str):
        raise ValueError(f"{where}['source'] must be the name of an output (a str).")
    if "handler" in config and not callable(config["handler"]):
        raise ValueError(f"{where}['handler'] must be callable.")


def convert_outputs_to_string(
    config: dict[str, Any] | None, convert: Callable[[Any], Any]
) -> dict[str, Any] | None:
    """``config`` with its handler(s) passed through ``convert`` (to or from import paths)."""
    if config is None:
        return None
    if _is_root_config(config):
        return _converted(config, convert)
    return convert_handlers(config, convert)


def convert_handlers(
    mapping: dict[str, dict[str, Any]] | None, convert: Callable[[Any], Any]
) -> dict[str, dict[str, Any]] | None:
    """A mapping of output configs with each handler passed through ``convert``."""
    if not mapping:
        return mapping
    return {key: _converted(config, convert) for key, config in mapping.items()}


def _converted(config: dict[str, Any], convert: Callable[[Any], Any]) -> dict[str, Any]:
    if config.get("handler") is None:
        return dict(config)
    return {**config, "handler": convert(config["handler"])}
