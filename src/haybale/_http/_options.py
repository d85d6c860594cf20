"""``http_client_kwargs`` -> the backend to use and the settings both backends understand.

The keys follow ``httpx2.Client``'s arguments, which is what Haystack users pass. Keys both backends
honour are translated for the fast one; a key or a value that only an httpx2 client can honour
selects httpx2 instead, so nothing a caller asked for is ever dropped; a key neither knows is an
error that names it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.util import find_spec
from typing import Any

from haybale._version import __version__
from haybale.errors import ConfigurationError

FAST = "pyreqwest"
COMPAT = "httpx2"
BACKEND_ENV_VAR = "HAYBALE_HTTP_BACKEND"
USER_AGENT = f"haybale/{__version__}"

SHARED_KEYS = frozenset(
    {"proxy", "verify", "cert", "timeout", "limits", "headers", "http2", "follow_redirects", "trust_env"}
)
HTTPX2_ONLY_KEYS = frozenset(
    {
        "transport",
        "auth",
        "event_hooks",
        "mounts",
        "cookies",
        "params",
        "base_url",
        "max_redirects",
        "default_encoding",
        "http1",
    }
)

# The design doc measured httpcore2's per-request cost growing with the number of pooled keep-alive
# connections, so the defaults stay modest; "limits" can raise them.
DEFAULT_MAX_CONNECTIONS = 100
DEFAULT_MAX_KEEPALIVE = 20


@dataclass(frozen=True)
class ClientSettings:
    """What a backend needs to build a client. ``kwargs`` are the caller's, for httpx2 as given."""

    backend: str
    timeout: float
    user_agent: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    proxy: str | None = None
    verify: bool | str = True
    cert: tuple[str, str | None] | None = None
    max_connections: int | None = DEFAULT_MAX_CONNECTIONS
    max_keepalive: int | None = DEFAULT_MAX_KEEPALIVE
    keepalive_expiry: float | None = None
    http2: bool = False
    follow_redirects: bool = False
    trust_env: bool = True


def check_keys(kwargs: Mapping[str, Any]) -> None:
    """Refuse keys that no backend understands (called at construction, so typos surface early)."""
    unknown = sorted(set(kwargs) - SHARED_KEYS - HTTPX2_ONLY_KEYS)
    if unknown:
        known = ", ".join(sorted(SHARED_KEYS | HTTPX2_ONLY_KEYS))
        raise ConfigurationError(
            f"http_client_kwargs has keys no HTTP client understands: {', '.join(unknown)}. "
            f"Use the arguments of httpx2.Client: {known}."
        )


def settings_for(
    kwargs: Mapping[str, Any], *, timeout: float, user_agent: str = USER_AGENT
) -> ClientSettings:
    """The backend to use for ``kwargs`` (see the module docstring) and its settings."""
    check_keys(kwargs)
    headers = {"User-Agent": user_agent, **dict(kwargs.get("headers") or {})}
    wanted = os.environ.get(BACKEND_ENV_VAR, "").strip().lower() or None
    if wanted not in (None, FAST, COMPAT):
        raise ConfigurationError(
            f"{BACKEND_ENV_VAR}={wanted!r} names no HTTP backend: "
            f"set it to {FAST!r} or {COMPAT!r}, or unset it."
        )
    translated = _translate(kwargs)  # also checks the values both backends share, e.g. "limits"
    if translated is None or wanted == COMPAT or find_spec(FAST) is None:
        return ClientSettings(COMPAT, timeout, user_agent, kwargs=kwargs, headers=headers)
    return ClientSettings(FAST, timeout, user_agent, kwargs=kwargs, headers=headers, **translated)


def _translate(kwargs: Mapping[str, Any]) -> dict[str, Any] | None:
    """The fast backend's settings for ``kwargs``, or None when only httpx2 can honour them."""
    if set(kwargs) & HTTPX2_ONLY_KEYS:
        return None
    out: dict[str, Any] = {}
    for key, value in kwargs.items():
        step = _TRANSLATORS.get(key)
        if step is None:
            continue
        part = step(value)
        if part is None:
            return None
        out.update(part)
    return out


def _proxy(value: Any) -> dict[str, Any] | None:
    if value is None or isinstance(value, str):
        return {"proxy": value}
    return None  # an httpx2.Proxy object (custom headers, SSL context): httpx2 honours it


def _verify(value: Any) -> dict[str, Any] | None:
    if isinstance(value, bool):
        return {"verify": value}
    if isinstance(value, str | os.PathLike) and os.path.isfile(value):
        return {"verify": os.fspath(value)}
    return None  # an ssl.SSLContext, or a directory of certificates


def _cert(value: Any) -> dict[str, Any] | None:
    if isinstance(value, str | os.PathLike):
        return {"cert": (os.fspath(value), None)}
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(p, str | os.PathLike) for p in value):
        return {"cert": (os.fspath(value[0]), os.fspath(value[1]))}
    return None  # with a key password: httpx2 (through the ssl module) can decrypt it


def _limits(value: Any) -> dict[str, Any] | None:
    if value is None:
        return {}
    if isinstance(value, Mapping):
        fields = dict(value)
    elif type(value).__module__.split(".")[0] == COMPAT:  # an httpx2.Limits, read without importing httpx2
        fields = {name: getattr(value, name, None) for name in _LIMIT_FIELDS}
    else:
        return None
    unknown = set(fields) - set(_LIMIT_FIELDS)
    if unknown:
        raise ConfigurationError(
            f"http_client_kwargs['limits'] has unknown fields {sorted(unknown)}; "
            f"use {', '.join(_LIMIT_FIELDS)}."
        )
    return {
        "max_connections": fields.get("max_connections", DEFAULT_MAX_CONNECTIONS),
        "max_keepalive": fields.get("max_keepalive_connections", DEFAULT_MAX_KEEPALIVE),
        "keepalive_expiry": fields.get("keepalive_expiry"),
    }


_LIMIT_FIELDS = ("max_connections", "max_keepalive_connections", "keepalive_expiry")


def _flag(name: str) -> Any:
    def step(value: Any) -> dict[str, Any] | None:
        return {name: bool(value)}

    return step


_TRANSLATORS = {
    "proxy": _proxy,
    "verify": _verify,
    "cert": _cert,
    "limits": _limits,
    "http2": _flag("http2"),
    "follow_redirects": _flag("follow_redirects"),
    "trust_env": _flag("trust_env"),
    "headers": lambda value: {},  # merged into ClientSettings.headers for both backends
    "timeout": lambda value: {},  # the generator's timeout wins (as it always has)
}
