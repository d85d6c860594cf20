"""The one place where deserialization turns a dotted name into a Python object.

Names written by Haystack are translated to haybale's (``haystack.`` and ``haystack_integrations.``
become ``haybale.``, plus a few paths that moved). A name is then imported only if it lies inside
``haybale`` or inside a module prefix listed in ``HAYBALE_DESERIALIZATION_ALLOWLIST`` or Haystack's
``HAYSTACK_DESERIALIZATION_ALLOWLIST`` (comma-separated, read at each call): a dict from an untrusted
file must not be able to name ``os.system``.
"""

from __future__ import annotations

import importlib
import os
import types
from typing import Any

from haybale.errors import DeserializationError, UnsafeImportError

ALLOWLIST_ENV_VAR = "HAYBALE_DESERIALIZATION_ALLOWLIST"
# Haystack's variable is honoured too, so a deployment configured for Haystack loads the same dicts.
HAYSTACK_ALLOWLIST_ENV_VAR = "HAYSTACK_DESERIALIZATION_ALLOWLIST"
ALLOWLIST_ENV_VARS = (ALLOWLIST_ENV_VAR, HAYSTACK_ALLOWLIST_ENV_VAR)

# Haystack paths whose haybale home is not the plain prefix swap.
_RENAMED: dict[str, str] = {
    "haystack_integrations.components.generators.openrouter.chat.chat_generator.OpenRouterChatGenerator": (
        "haybale.components.generators.chat.openrouter.OpenRouterChatGenerator"
    ),
    "haystack.components.generators.chat.openai.OpenAIChatGenerator": (
        "haybale.components.generators.chat.openai.OpenAIChatGenerator"
    ),
    "haystack.components.generators.chat.azure.AzureOpenAIChatGenerator": (
        "haybale.components.generators.chat.azure.AzureOpenAIChatGenerator"
    ),
    "haystack.components.generators.utils.print_streaming_chunk": (
        "haybale.components.generators.utils.print_streaming_chunk"
    ),
}

_PREFIXES = (("haystack_integrations.", "haybale."), ("haystack.", "haybale."))

# Builtins a Haystack dict commonly names (a tool wrapping ``print``); they cannot run code or touch
# files. Anything else in ``builtins`` (eval, exec, open, __import__, ...) needs the allowlist.
_SAFE_BUILTINS = frozenset(
    [
        "abs",
        "all",
        "any",
        "ascii",
        "bin",
        "bool",
        "bytes",
        "chr",
        "dict",
        "divmod",
        "float",
        "format",
        "frozenset",
        "hex",
        "int",
        "len",
        "list",
        "max",
        "min",
        "oct",
        "ord",
        "pow",
        "print",
        "range",
        "repr",
        "reversed",
        "round",
        "set",
        "sorted",
        "str",
        "sum",
        "tuple",
    ]
)


def to_haybale_name(name: str) -> str:
    """The haybale name for a dotted name Haystack wrote (other names are returned unchanged)."""
    renamed = _RENAMED.get(name)
    if renamed is not None:
        return renamed
    for old, new in _PREFIXES:
        if name.startswith(old):
            return new + name[len(old) :]
    return name


def allowed_prefixes() -> tuple[str, ...]:
    """``haybale`` plus the prefixes listed in both allowlist variables right now.

    Haystack's spelling ``pkg.*`` means the prefix ``pkg``, as it does there.
    """
    listed = ",".join(os.environ.get(name, "") for name in ALLOWLIST_ENV_VARS)
    extra = (p.strip().removesuffix(".*").rstrip(".") for p in listed.split(","))
    return ("haybale", *(p for p in extra if p))


def is_allowed(name: str) -> bool:
    """Whether the dotted ``name`` lies inside an allowed prefix (on a dot boundary)."""
    return any(name == prefix or name.startswith(prefix + ".") for prefix in allowed_prefixes())


def _refuse(name: str, module: str) -> UnsafeImportError:
    root = module.split(".")[0]
    return UnsafeImportError(
        f"Refusing to import {name!r}: module {module!r} is outside haybale and the deserialization "
        f"allowlist. If you trust the data, allow it with `export {ALLOWLIST_ENV_VAR}={root}` "
        "(comma-separated module prefixes)."
    )


def import_object(name: str) -> Any:
    """The object a dotted ``name`` points to, imported only from allowed modules.

    The name may point at a module attribute or deeper (``pkg.mod.Class.method``). Haystack names are
    translated first. Raises ``UnsafeImportError`` for disallowed modules and
    ``DeserializationError`` when nothing by that name exists.
    """
    if not isinstance(name, str) or not name or name.startswith(".") or ".." in name:
        raise DeserializationError(f"Expected a dotted import path like 'package.module.name', got {name!r}.")
    resolved = to_haybale_name(name)
    parts = resolved.split(".")
    if len(parts) == 2 and parts[0] == "builtins" and parts[1] in _SAFE_BUILTINS:
        return _check_origin(name, getattr(importlib.import_module("builtins"), parts[1]), safe_builtin=True)
    if not is_allowed(resolved):
        raise _refuse(name, resolved.rsplit(".", 1)[0] if len(parts) > 1 else resolved)
    module, depth = _import_longest_module(name, parts)
    obj: Any = module
    for attr in parts[depth:]:
        try:
            obj = getattr(obj, attr)
        except AttributeError:
            raise DeserializationError(
                f"Cannot load {name!r}: {obj.__name__ if hasattr(obj, '__name__') else obj!r} "
                f"has no attribute {attr!r}. Check the spelling or the haybale version."
            ) from None
        if isinstance(obj, types.ModuleType):
            # a module reached through an attribute (``mod.os``) would escape the allowlist
            raise _refuse(name, obj.__name__)
    return _check_origin(name, obj, safe_builtin=False)


def _import_longest_module(name: str, parts: list[str]) -> tuple[types.ModuleType, int]:
    """Import the longest allowed module that ``parts`` starts with; returns it and its length."""
    for depth in range(len(parts) - 1, 0, -1):
        candidate = ".".join(parts[:depth])
        if not is_allowed(candidate):
            break
        try:
            return importlib.import_module(candidate), depth
        except ModuleNotFoundError as error:
            # only "this candidate does not exist" means: try a shorter one
            missing = error.name or ""
            if candidate != missing and not candidate.startswith(missing + "."):
                raise
    raise DeserializationError(
        f"Cannot load {name!r}: no importable module found in {'.'.join(parts)!r}. "
        "Check the spelling, and that the package is installed."
    )


def _check_origin(name: str, obj: Any, *, safe_builtin: bool) -> Any:
    """Refuse an object re-exported from a disallowed module (``allowed_mod.eval``)."""
    origin = getattr(obj, "__module__", None)
    if safe_builtin or not isinstance(origin, str) or is_allowed(origin):
        return obj
    if origin == "builtins" and getattr(obj, "__name__", None) in _SAFE_BUILTINS:
        return obj
    raise _refuse(name, origin)


def import_class(name: str) -> type[Any]:
    """The class a dotted ``name`` points to, imported safely (see ``import_object``)."""
    obj = import_object(name)
    if not isinstance(obj, type):
        raise DeserializationError(f"{name!r} names a {type(obj).__name__}, not a class.")
    return obj
