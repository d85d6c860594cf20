"""The compatibility backend: ``httpx2``, which honours every ``httpx2.Client`` argument as given."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

import httpx2

from haybale._http._base import TransportFailure
from haybale._http._options import DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_KEEPALIVE, ClientSettings


def _options(settings: ClientSettings) -> dict[str, Any]:
    options = dict(settings.kwargs)
    options.pop("timeout", None)
    limits = options.pop("limits", None)
    if isinstance(limits, Mapping):
        limits = httpx2.Limits(**limits)
    options["limits"] = limits or httpx2.Limits(
        max_connections=DEFAULT_MAX_CONNECTIONS, max_keepalive_connections=DEFAULT_MAX_KEEPALIVE
    )
    options["timeout"] = httpx2.Timeout(settings.timeout)
    options["headers"] = dict(settings.headers)
    return options


def _failure(exc: Exception, response: httpx2.Response | None = None) -> TransportFailure:
    status = response.status_code if response is not None else None
    headers = response.headers if response is not None else None
    if isinstance(exc, httpx2.TimeoutException):
        kind = "timeout"
    elif isinstance(exc, httpx2.DecodingError):
        kind = "decoding"
    else:
        kind = "connection"
    return TransportFailure(kind, f"{type(exc).__name__}: {exc}", status=status, headers=headers)  # type: ignore[arg-type]


_ERRORS = (httpx2.TransportError, httpx2.DecodingError)


class SyncResponse:
    def __init__(self, response: httpx2.Response) -> None:
        self._response = response
        self.status = response.status_code
        self.headers: Mapping[str, str] = response.headers

    def read(self) -> bytes:
        try:
            return self._response.read()
        except _ERRORS as exc:
            raise _failure(exc, self._response) from exc

    def chunks(self) -> Iterator[bytes]:
        try:
            yield from self._response.iter_bytes()
        except _ERRORS as exc:
            raise _failure(exc, self._response) from exc

    def close(self) -> None:
        self._response.close()


class AsyncResponse:
    def __init__(self, response: httpx2.Response) -> None:
        self._response = response
        self.status = response.status_code
        self.headers: Mapping[str, str] = response.headers

    async def read(self) -> bytes:
        try:
            return await self._response.aread()
        except _ERRORS as exc:
            raise _failure(exc, self._response) from exc

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            async for data in self._response.aiter_bytes():
                yield data
        except _ERRORS as exc:
            raise _failure(exc, self._response) from exc

    async def close(self) -> None:
        await self._response.aclose()


class SyncClient:
    def __init__(self, settings: ClientSettings) -> None:
        self._client = httpx2.Client(**_options(settings))

    def send(self, url: str, body: bytes, headers: Mapping[str, str], method: str = "POST") -> SyncResponse:
        # Always opened as a stream: a body that fails to decode is then reported with its status.
        client = self._client
        try:
            request = client.build_request(method, url, content=body, headers=headers)
            return SyncResponse(client.send(request, stream=True))
        except _ERRORS as exc:
            raise _failure(exc) from exc

    def close(self) -> None:
        self._client.close()


class AsyncClient:
    def __init__(self, settings: ClientSettings) -> None:
        self._client = httpx2.AsyncClient(**_options(settings))

    async def send(
        self, url: str, body: bytes, headers: Mapping[str, str], method: str = "POST"
    ) -> AsyncResponse:
        client = self._client
        try:
            request = client.build_request(method, url, content=body, headers=headers)
            return AsyncResponse(await client.send(request, stream=True))
        except _ERRORS as exc:
            raise _failure(exc) from exc

    async def aclose(self) -> None:
        await self._client.aclose()
