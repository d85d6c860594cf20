"""HTTP backends: the only code that imports an HTTP library.

Below both the data model (``fetch``, for ``ImageContent.from_url``/``FileContent.from_url``) and
the wire layer. The wire layer's transport (retries and Retry-After, error mapping, SSE line
splitting, draining after ``[DONE]``, one client per event loop and per process) is written once
and drives either:

- ``pyreqwest`` (the default where its wheel installs): Rust reqwest/hyper, a fraction of httpx2's
  CPU per call;
- ``httpx2``: for every ``http_client_kwargs`` key or value only an httpx2 client can honour
  (``transport``, ``auth``, ``event_hooks``, ``mounts``, an ``ssl.SSLContext``...), for platforms
  without a pyreqwest wheel, for a process forked after pyreqwest's runtime started, and on request
  with ``HAYBALE_HTTP_BACKEND=httpx2``.

See ``_options`` for how the choice is made and ``_base`` for the shapes both provide.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from haybale._http._base import AsyncClient, AsyncResponse, Response, SyncClient, TransportFailure
from haybale._http._options import (
    BACKEND_ENV_VAR,
    COMPAT,
    FAST,
    ClientSettings,
    check_keys,
    settings_for,
)
from haybale._logging import get_logger

logger = get_logger("haybale")


def make_sync_client(settings: ClientSettings) -> tuple[SyncClient, str]:
    """A sync client for ``settings`` and the name of the backend that made it."""
    if settings.backend == FAST:
        from haybale._http import _pyreqwest

        try:
            return _pyreqwest.SyncClient(settings), FAST
        except _pyreqwest.BackendUnavailable:
            _log_fork_fallback()
    from haybale._http import _httpx2

    return _httpx2.SyncClient(replace(settings, backend=COMPAT)), COMPAT


def make_async_client(settings: ClientSettings) -> tuple[AsyncClient, str]:
    """An async client for ``settings`` (for the running event loop) and its backend's name."""
    if settings.backend == FAST:
        from haybale._http import _pyreqwest

        try:
            return _pyreqwest.AsyncClient(settings), FAST
        except _pyreqwest.BackendUnavailable:
            _log_fork_fallback()
    from haybale._http import _httpx2

    return _httpx2.AsyncClient(replace(settings, backend=COMPAT)), COMPAT


def fetch(url: str, *, timeout: float) -> tuple[int, Mapping[str, str], bytes]:
    """GET ``url`` (following redirects) with a one-off client of the usual backend choice.

    Returns (status, headers, body); raises ``TransportFailure`` when no answer arrives.
    """
    settings = settings_for({"follow_redirects": True}, timeout=timeout)
    client, _ = make_sync_client(settings)
    try:
        response = client.send(url, b"", {}, method="GET")
        try:
            return response.status, dict(response.headers.items()), response.read()
        finally:
            response.close()
    finally:
        client.close()


def _log_fork_fallback() -> None:
    logger.info(
        "haybale: pyreqwest's runtime started before this process was forked and cannot run here; "
        "using httpx2 in this process (create generators after forking to keep the fast backend)."
    )


__all__ = [
    "BACKEND_ENV_VAR",
    "COMPAT",
    "FAST",
    "AsyncClient",
    "AsyncResponse",
    "ClientSettings",
    "Response",
    "SyncClient",
    "TransportFailure",
    "check_keys",
    "fetch",
    "make_async_client",
    "make_sync_client",
    "settings_for",
]
