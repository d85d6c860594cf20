"""Turning failed HTTP exchanges into ``haybale.errors`` with useful, secret-free messages."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import jiter

from haybale._wire._retry import server_delay
from haybale.errors import (
    APIConnectionError,
    APIError,
    APIResponseError,
    APIStatusError,
    APITimeoutError,
    status_error_class,
)

# Error bodies are kept on the exception for debugging; an HTML page or a runaway proxy answer must not
# turn every logged error into megabytes.
MAX_BODY_CHARS = 64 * 1024
_MAX_MESSAGE_CHARS = 1000

_REQUEST_ID_HEADERS = ("x-request-id", "apim-request-id", "x-generation-id", "cf-ray")

_HINTS = {
    400: "check the request parameters and that the model supports them",
    401: "check the API key (is it set, current, and for this provider?)",
    403: "check that this key may use this model or resource",
    404: "check the model / deployment name and the base URL",
    429: "slow down, or raise max_retries so haybale waits and retries",
}


def request_id(headers: Mapping[str, str]) -> str | None:
    """The server's id for the request, looking at the providers' headers in order of preference."""
    for name in _REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value:
            return value
    return None


def decode_body(raw: bytes) -> Any:
    """The body as parsed JSON when possible, else as (bounded) text."""
    if len(raw) <= MAX_BODY_CHARS:
        try:
            return jiter.from_json(raw)
        except ValueError:
            pass
    return raw[:MAX_BODY_CHARS].decode("utf-8", "replace")


def server_message(body: Any) -> str:
    """The human-readable part of an error body, whatever shape the provider uses."""
    text: Any = body
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and error.get("message"):
            text = error["message"]
        elif isinstance(error, str):
            text = error
        elif body.get("message"):
            text = body["message"]
        elif body.get("detail"):
            text = body["detail"]
    text = text if isinstance(text, str) else str(text)
    text = " ".join(text.split())
    return text[:_MAX_MESSAGE_CHARS] or "(empty body)"


def host_of(url: str) -> str:
    """Scheme, host and port only: paths and queries can carry keys (e.g. Azure's ``api-version`` URLs)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def status_error(status: int, headers: Mapping[str, str], raw: bytes, provider: str) -> APIStatusError:
    """The ``APIStatusError`` subclass for a non-2xx answer."""
    body = decode_body(raw)
    message = server_message(body)
    hint = _HINTS.get(status) or ("the provider failed; retry later" if status >= 500 else None)
    return status_error_class(status)(
        message,
        status_code=status,
        body=body,
        headers=headers,
        retry_after=server_delay(headers),
        provider=provider,
        request_id=request_id(headers),
        hint=hint,
    )


REDACTED = "[redacted]"
# Shorter values are placeholders, not credentials ("x", "EMPTY", "none" for local servers), and
# replacing them would garble every message they happen to occur in.
_MIN_SECRET_CHARS = 8


def redact(error: APIError, secrets: Iterable[str]) -> APIError:
    """``error`` with each of ``secrets`` replaced in its message, body and headers (in place).

    A proxy that echoes the request's key in its 401 body would otherwise put the key in
    ``error.body``, ``str(error)`` and every log line that prints the error.
    """
    words = sorted({s for s in secrets if len(s) >= _MIN_SECRET_CHARS}, key=len, reverse=True)
    if not words:
        return error
    error.message = _scrub(error.message, words)
    error.args = (error.message,)
    if isinstance(error, APIStatusError | APIResponseError):
        error.body = _scrub(error.body, words)
    if isinstance(error, APIStatusError):
        error.headers = _scrub(error.headers, words)
    return error


def _scrub(value: Any, words: list[str]) -> Any:
    if isinstance(value, str):
        for word in words:
            value = value.replace(word, REDACTED)
        return value
    if isinstance(value, dict):
        return {_scrub(key, words): _scrub(item, words) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item, words) for item in value]
    return value


def connection_error(url: str, provider: str, reason: str) -> APIConnectionError:
    """No connection, or it broke; says where we tried to go and what to check."""
    return APIConnectionError(
        f"could not talk to {host_of(url)}: {reason}",
        provider=provider,
        hint="check that the server is running and that api_base_url is right",
    )


def timeout_error(url: str, provider: str, timeout: float) -> APITimeoutError:
    """A timeout expired; names the value and how to change it."""
    return APITimeoutError(
        f"no answer from {host_of(url)} within timeout={timeout} s",
        provider=provider,
        hint="raise it with the generator's timeout= argument or the OPENAI_TIMEOUT env var",
    )


def response_error(raw: bytes, headers: Mapping[str, str], provider: str) -> APIResponseError:
    """A 2xx answer whose body is not JSON."""
    text = raw[:MAX_BODY_CHARS].decode("utf-8", "replace")
    return APIResponseError(
        f"the server answered 2xx but the body is not valid JSON: {text[:200]!r}",
        body=text,
        provider=provider,
        request_id=request_id(headers),
    )


def decoding_error(
    status: int | None, headers: Mapping[str, str], reason: str, provider: str
) -> APIResponseError:
    """A body that could not be decoded (a corrupt gzip stream, say): the server's fault, not ours."""
    return APIResponseError(
        f"the server's answer (HTTP {status}) could not be decoded: {reason}",
        status_code=status,
        provider=provider,
        request_id=request_id(headers),
    )
