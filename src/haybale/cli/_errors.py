"""Turn the errors a user can cause into one line that says what went wrong and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass

from haybale import errors


class CommandError(Exception):
    """A failure the CLI explains itself (exit status 1)."""


@dataclass(frozen=True)
class Target:
    """What the command talks to, so error messages can name it."""

    provider: str
    model: str | None
    base_url: str | None
    key_env: str | None


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _api_hint(error: errors.APIError, target: Target) -> str:
    where = target.base_url or f"the {target.provider} API"
    if isinstance(error, errors.APITimeoutError):
        return f"{where} did not answer in time; retry, or raise the timeout with OPENAI_TIMEOUT"
    if isinstance(error, errors.APIConnectionError):
        fix = "check --base-url / OPENAI_BASE_URL and that the server is running"
        if target.provider == "local":
            fix = "the local model server stopped; run the command again"
        return f"cannot reach {where} ({_one_line(error.message)}): {fix}"
    if isinstance(error, errors.AuthenticationError) and target.key_env:
        return f"{_one_line(str(error))}: check the key in {target.key_env}"
    if isinstance(error, errors.NotFoundError):
        return f"{_one_line(str(error))}: check --model ({target.model or 'the default'}) and --base-url"
    return _one_line(str(error))


def describe(error: BaseException, target: Target | None = None) -> str | None:
    """The message to print for ``error``, or None when it is a bug that deserves its traceback."""
    if isinstance(error, CommandError):
        return str(error)
    if isinstance(error, errors.APIError) and target is not None:
        return _api_hint(error, target)
    if type(error).__name__ == "LocalServerError":
        # Keep its lines: the server's log tail is the whole point of that message.
        return str(error)
    if isinstance(error, errors.HaybaleError):
        return _one_line(str(error))
    return None
