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
    translated first. Each check below closes one way around the allowlist; they run in this order:

    1. ``_split``: the name's shape (identifiers only, a bounded number of segments);
    2. the allowlist, on the translated name, before anything is imported;
    3. ``_walk``: every attribute step after the module is public (no ``_private``, no ``__dunder__``
       step such as ``__dict__`` or ``__subclasses__``) and never reaches a module;
    4. ``_check_origin``: the object found must itself come from an allowed module.

    Raises ``UnsafeImportError`` for anything refused and ``DeserializationError`` when nothing by
    that name exists.
    """
    if not isinstance(name, str) or not name:
        raise DeserializationError(f"Expected a dotted import path like 'package.module.name', got {name!r}.")
    parts = _split(name, to_haybale_name(name))
    if len(parts) == 2 and parts[0] == "builtins" and parts[1] in _SAFE_BUILTINS:
        return getattr(importlib.import_module("builtins"), parts[1])
    resolved = ".".join(parts)
    if not is_allowed(resolved):
        raise _refuse(name, resolved.rsplit(".", 1)[0] if len(parts) > 1 else resolved)
    module, depth = _import_longest_module(name, parts)
    return _check_origin(name, _walk(name, module, parts[depth:]))


# Real import paths are a handful of segments deep; a bound keeps a hostile name from driving the
# import machinery into a RecursionError (a 5000-segment name did).
MAX_SEGMENTS = 32


def _split(name: str, resolved: str) -> list[str]:
    """The segments of the translated name, after checking the name has the shape of an import path."""
    parts = resolved.split(".")
    if len(parts) > MAX_SEGMENTS:
        raise UnsafeImportError(
            f"Refusing to import a path of {len(parts)} segments (at most {MAX_SEGMENTS}): "
            f"{name[:80]!r}... is not a real import path. Check where this data comes from."
        )
    if not all(part.isidentifier() for part in parts):
        raise DeserializationError(
            f"Expected a dotted import path like 'package.module.name', got {name[:200]!r}: "
            "each segment must be a Python identifier."
        )
    return parts


def _walk(name: str, obj: Any, steps: list[str]) -> Any:
    """Follow attribute ``steps`` from a module, refusing the ones that could reach past the allowlist."""
    for attr in steps:
        if attr.startswith("_"):
            # __dict__, __globals__, __subclasses__, _SAFE_BUILTINS...: a door into objects and state
            # that no import path written by serialize_callable ever needs.
            raise UnsafeImportError(
                f"Refusing to load {name!r}: {attr!r} is a private or special attribute. A serialized "
                "path may only name public attributes; give the object a public name in its module."
            )
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
    return obj


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


def home_module(obj: Any) -> str | None:
    """The module ``obj`` comes from: where it was defined, or for a builtin bound method, where
    its method was defined.

    A builtin method bound to an object (``some_dict.update``, ``SomeClass.mro``) has no
    ``__module__``; its home is the module of the class that defines the method (``builtins`` for
    both), so an allowed module's data cannot lend its methods.
    """
    if isinstance(obj, types.ModuleType):
        return obj.__name__
    module = getattr(obj, "__module__", None)
    if isinstance(module, str):
        return module
    owner = getattr(obj, "__self__", None)
    if isinstance(owner, types.ModuleType):
        return owner.__name__
    if owner is None or owner is obj:
        return _module_of(type(obj))
    classes: tuple[type[Any], ...] = type(owner).__mro__
    if isinstance(owner, type):  # a method bound to a class: defined on it, or on its metaclass
        classes = owner.__mro__ + classes
    method = getattr(obj, "__name__", None)
    for cls in classes:
        if isinstance(method, str) and method in vars(cls):
            return _module_of(cls)
    return _module_of(type(owner))


def _module_of(cls: type[Any]) -> str | None:
    module = getattr(cls, "__module__", None)
    return module if isinstance(module, str) else None


def _check_origin(name: str, obj: Any) -> Any:
    """Refuse an object whose home module is not allowed (``allowed_mod.eval``, ``mod.a_dict.update``)."""
    origin = home_module(obj)
    if origin is None:
        raise UnsafeImportError(
            f"Refusing to load {name!r}: cannot tell which module it comes from, so it cannot be checked "
            "against the allowlist. Name a function or class defined in your own module instead."
        )
    if is_allowed(origin):
        return obj
    if origin == "builtins" and _is_safe_builtin(obj):
        return obj
    raise _refuse(name, origin)


def _is_safe_builtin(obj: Any) -> bool:
    """Whether ``obj`` is one of the safe builtins itself (re-exported), not a method sharing a name."""
    import builtins

    name = getattr(obj, "__name__", None)
    return name in _SAFE_BUILTINS and getattr(builtins, name) is obj


def import_class(name: str) -> type[Any]:
    """The class a dotted ``name`` points to, imported safely (see ``import_object``)."""
    obj = import_object(name)
    if not isinstance(obj, type):
        raise DeserializationError(f"{name!r} names a {type(obj).__name__}, not a class.")
    return obj
