"""Turn the errors a user can cause into one line that says what went wrong and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass

from haybale import errors
from haybale.errors import CommandError


@dataclass(frozen=True)
class Target:
    """What the command talks to, so error messages can name it."""

    provider: str
    model: str | None
    base_url: str | None
    key_env: str | None


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _what(error: errors.APIError) -> str:
    """What went wrong, without the library's hint (the CLI says how to fix it in its own terms)."""
    what = _one_line(error.message)
    if isinstance(error, errors.APIStatusError):
        what = f"HTTP {error.status_code}: {what}"
    if error.request_id:
        what = f"{what} (request id {error.request_id})"
    return what


def _fix(error: errors.APIError, target: Target) -> str | None:
    """How to fix ``error`` with the command's options and variables; the library's hint otherwise."""
    if isinstance(error, errors.APITimeoutError):
        return "retry, or give it longer with OPENAI_TIMEOUT=<seconds>"
    if isinstance(error, errors.APIConnectionError):
        if target.provider == "local":
            return "the local model server stopped; run the command again"
        where = f"--base-url / OPENAI_BASE_URL (now {target.base_url})" if target.base_url else "your network"
        return f"check {where} and that the server is running"
    if isinstance(error, errors.AuthenticationError) and target.key_env:
        return f"check the key in {target.key_env}"
    if isinstance(error, errors.NotFoundError):
        return f"check --model ({target.model or 'the default'}) and --base-url"
    if isinstance(error, errors.RateLimitError):
        return "wait a moment and retry, or set OPENAI_MAX_RETRIES higher so haybale waits and retries"
    return error.hint


def _api_hint(error: errors.APIError, target: Target) -> str:
    fix = _fix(error, target)
    return f"{_what(error)}: {fix}" if fix else _what(error)


def describe(error: BaseException, target: Target | None = None) -> str | None:
    """The message to print for ``error``, or None when it is a bug that deserves its traceback."""
    if isinstance(error, CommandError):
        return str(error)
    if isinstance(error, errors.APIError) and target is not None:
        return _api_hint(error, target)
    if isinstance(error, errors.LocalServerError):
        # Keep its lines: the server's log tail is the whole point of that message.
        return str(error)
    if isinstance(error, errors.HaybaleError):
        return _one_line(str(error))
    return None
