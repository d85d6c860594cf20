"""The shapes every HTTP backend provides, and the one failure type they raise.

A backend sends a POST and hands back a response whose body may still be unread, so the transport
above can look at the status and headers first and then read the body whole or as chunks. The
backend maps its library's exceptions to ``TransportFailure`` with one of three kinds, so the
transport's error mapping, retries and stream handling never see an HTTP library's types.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Literal, Protocol

FailureKind = Literal["timeout", "connection", "decoding"]


class TransportFailure(Exception):
    """Bytes could not be sent, received or decoded.

    ``kind`` is ``"timeout"`` (connect, read or pool timeout), ``"connection"`` (refused, reset,
    broken mid-body) or ``"decoding"`` (a body the server encoded wrongly, e.g. corrupt gzip).
    ``detail`` is a short description without any header value; ``status``/``headers`` are the
    answer's, when the failure happened while reading a body.
    """

    def __init__(
        self,
        kind: FailureKind,
        detail: str,
        *,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.kind: FailureKind = kind
        self.detail = detail
        self.status = status
        self.headers: Mapping[str, str] = headers or {}


class Response(Protocol):
    """A sync response: status and headers now, the body when asked."""

    status: int
    headers: Mapping[str, str]  # case-insensitive lookups

    def read(self) -> bytes: ...

    def chunks(self) -> Iterator[bytes]: ...

    def close(self) -> None: ...


class AsyncResponse(Protocol):
    """An async response: status and headers now, the body when asked."""

    status: int
    headers: Mapping[str, str]

    async def read(self) -> bytes: ...

    def chunks(self) -> AsyncIterator[bytes]: ...

    async def close(self) -> None: ...


class SyncClient(Protocol):
    """A connection pool that sends (POST unless told) and returns once the answer's headers are in."""

    def send(self, url: str, body: bytes, headers: Mapping[str, str], method: str = "POST") -> Response: ...

    def close(self) -> None: ...


class AsyncClient(Protocol):
    """The async twin of ``SyncClient``; it belongs to the event loop it was created on."""

    async def send(
        self, url: str, body: bytes, headers: Mapping[str, str], method: str = "POST"
    ) -> AsyncResponse: ...

    async def aclose(self) -> None: ...
