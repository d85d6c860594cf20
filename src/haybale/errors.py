"""Every error haybale raises on purpose.

The tree::

    HaybaleError
    ├── ConfigurationError (also ValueError)    bad or missing settings: no API key, no endpoint, bad option
    │   └── BatchInputError                     a batch's input or output is unusable: no file, duplicate ids
    ├── SerializationError (also ValueError)    a value that refuses to be written, e.g. a token Secret
    ├── DeserializationError (also ValueError)  a dict that cannot be read back
    │   ├── UnsafeImportError                   a type or callable outside haybale and the allowlist
    │   └── DeserializationTypeError            a value of the wrong type in it (also TypeError)
    ├── SchemaGenerationError (also ValueError) no JSON schema can be built for a tool's function
    ├── ToolInvocationError                     a tool's function raised
    ├── LocalServerError                        the embedded local model server failed to start or died
    ├── CommandError                            a ``haybale`` command failed for a reason it explains
    │   └── UsageError                          the command line cannot work as given (exit status 2)
    └── APIError                                talking to the provider failed
        ├── APIConnectionError                  no connection, or it broke mid-way
        │   └── APITimeoutError                 connect/read timeout, or a stream that went idle
        ├── APIStatusError                      the server answered with a non-2xx status
        │   ├── BadRequestError                 400
        │   ├── AuthenticationError             401
        │   ├── PermissionDeniedError           403
        │   ├── NotFoundError                   404
        │   ├── ConflictError                   409
        │   ├── UnprocessableEntityError        422
        │   ├── RateLimitError                  429
        │   └── InternalServerError             >= 500
        └── APIResponseError                    a 2xx answer we cannot use: malformed JSON, or an
                                                error object sent inside a 200 stream

Argument errors subclass ``ValueError`` so code written for Haystack, which catches ``ValueError``,
keeps working. ``APIError`` carries ``partial``: the reply assembled before a stream failed, so
nothing the caller already saw through its callback is lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from haybale.dataclasses import ChatMessage


class HaybaleError(Exception):
    """Base class of every error haybale raises on purpose."""


class ConfigurationError(HaybaleError, ValueError):
    """A setting is missing or invalid; the message says which and how to fix it."""


class BatchInputError(ConfigurationError):
    """A batch's input or output cannot be used at all: a missing file, duplicate ids, an output
    that is not a batch's output. (One unreadable row is not this: it becomes that row's error.)"""


class SerializationError(HaybaleError, ValueError):
    """A value cannot be serialized (for example a Secret holding a raw token)."""


class DeserializationError(HaybaleError, ValueError):
    """A serialized dict is malformed or names something that cannot be loaded."""


class UnsafeImportError(DeserializationError):
    """A serialized dict names a module outside haybale and the deserialization allowlist."""


class DeserializationTypeError(DeserializationError, TypeError):
    """A serialized dict holds a value of the wrong type (a str where a list of tools belongs).

    Also a ``TypeError``, which is what Haystack raises for the same dicts.
    """


class SchemaGenerationError(HaybaleError, ValueError):
    """A JSON schema cannot be built for a function's parameters."""


class ToolInvocationError(HaybaleError):
    """A tool's function raised; the original exception is chained as ``__cause__``."""

    def __init__(self, message: str, *, tool_name: str | None = None) -> None:
        super().__init__(message)
        self.tool_name = tool_name


class LocalServerError(HaybaleError):
    """The embedded local model server (``haybale.local``) failed to start, or died while starting."""


class CommandError(HaybaleError):
    """A ``haybale`` command failed for a reason it explains itself (exit status 1)."""


class UsageError(CommandError):
    """The command line cannot work as given (exit status 2)."""


class APIError(HaybaleError):
    """A request to the provider failed.

    ``message`` says what went wrong and ``hint`` (if any) how to fix it; ``str(error)`` shows both.
    They are kept apart so a front end (the CLI) can put its own fix in place of the library's
    instead of printing two. ``provider`` names the endpoint kind ("openai", "azure", "openrouter"),
    ``request_id`` is the id the server gave the request (if any), and ``partial`` holds the reply
    assembled from a stream before it failed (``None`` when nothing had arrived or the call was not
    streamed).
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        request_id: str | None = None,
        partial: ChatMessage | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.provider = provider
        self.request_id = request_id
        self.partial = partial

    def __str__(self) -> str:
        parts = [f"{self.message} (hint: {self.hint})" if self.hint else self.message]
        if self.provider:
            parts.append(f"provider={self.provider}")
        if self.request_id:
            parts.append(f"request_id={self.request_id}")
        return " | ".join(parts)


class APIConnectionError(APIError):
    """The connection could not be made, or it broke before the answer was complete."""


class APITimeoutError(APIConnectionError):
    """A timeout expired: connecting, waiting for the answer, or between two stream chunks."""


class APIResponseError(APIError):
    """The server answered 2xx with something unusable, or reported an error inside a stream.

    ``body`` is the offending payload (parsed JSON when possible, else text); ``status_code`` the
    HTTP status of the answer, when known.
    """

    def __init__(
        self, message: str, *, body: Any = None, status_code: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.body = body
        self.status_code = status_code


class APIStatusError(APIError):
    """The server answered with a non-2xx status.

    ``status_code`` is the HTTP status and ``body`` the error payload (parsed JSON when possible,
    else text). Neither ever contains the request's credentials: only the server's answer is kept,
    and any credential the server echoes back is replaced by ``[redacted]``.
    ``headers`` holds the response headers (names in lower case), and ``retry_after`` the pause in
    seconds the server asked for (``retry-after-ms`` or ``Retry-After``), or None.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        retry_after: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.status_code = status_code
        self.body = body
        self.headers: dict[str, str] = {name.lower(): value for name, value in (headers or {}).items()}
        self.retry_after = retry_after

    def __str__(self) -> str:
        return f"HTTP {self.status_code}: {super().__str__()}"


class BadRequestError(APIStatusError):
    """400: the request was malformed or asked for something the model does not support."""


class AuthenticationError(APIStatusError):
    """401: the API key or token was missing, wrong or expired."""


class PermissionDeniedError(APIStatusError):
    """403: the credentials are valid but may not use this model or resource."""


class NotFoundError(APIStatusError):
    """404: wrong URL, model or deployment name."""


class ConflictError(APIStatusError):
    """409: the server reports a conflicting concurrent operation (retried)."""


class UnprocessableEntityError(APIStatusError):
    """422: the server understood the request but rejects a field in it."""


class RateLimitError(APIStatusError):
    """429: too many requests or tokens; retried honouring Retry-After."""


class InternalServerError(APIStatusError):
    """5xx: the provider failed; retried."""


_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


_TRANSIENT_STATUSES = frozenset({408, 409, 429})


def is_transient(error: BaseException) -> bool:
    """Whether ``error`` may go away if the same request is sent again later.

    True for connection failures and timeouts, and for answers with status 408, 409, 429 or 5xx
    (the server's ``x-should-retry: true``/``false`` header overrides the status). False for
    everything else: a request the server refused, an unusable answer, an error inside a stream.
    haybale's own retries follow this rule; code that retries on its own (a batch job) can too.
    """
    if isinstance(error, APIStatusError):
        verdict = error.headers.get("x-should-retry")
        if verdict in ("true", "false"):
            return verdict == "true"
        return error.status_code in _TRANSIENT_STATUSES or error.status_code >= 500
    return isinstance(error, APIConnectionError)


def status_error_class(status_code: int) -> type[APIStatusError]:
    """The most specific ``APIStatusError`` subclass for an HTTP status code."""
    if status_code >= 500:
        return InternalServerError
    return _STATUS_CLASSES.get(status_code, APIStatusError)


__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "BatchInputError",
    "CommandError",
    "ConfigurationError",
    "ConflictError",
    "DeserializationError",
    "DeserializationTypeError",
    "HaybaleError",
    "InternalServerError",
    "LocalServerError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "SchemaGenerationError",
    "SerializationError",
    "ToolInvocationError",
    "UnprocessableEntityError",
    "UnsafeImportError",
    "UsageError",
    "is_transient",
    "status_error_class",
]
