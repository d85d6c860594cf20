"""Mistakes end with one clear line on stderr and a non-zero exit status, never a traceback."""

from __future__ import annotations

from typing import Any

import pytest

from fake_server import Reply
from haybale.cli._providers import choose_provider
from haybale.local import free_port
from processes import RunCli


def _one_error_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if "error:" in line]
    assert len(errors) == 1, stderr
    return errors[0]


def _only_line(stderr: str) -> tuple[str, str]:
    """The failure as ``haybale: error: <what went wrong>: <how to fix it>``, alone on stderr."""
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    prefix = "haybale: error: "
    assert lines[0].startswith(prefix), stderr
    what, _, fix = lines[0][len(prefix) :].rpartition(": ")
    assert what, stderr
    assert fix, stderr
    return what, fix


@pytest.mark.parametrize(
    ("provider", "variable"),
    [("openai", "OPENAI_API_KEY"), ("openrouter", "OPENROUTER_API_KEY"), ("azure", "AZURE_OPENAI_API_KEY")],
)
def test_missing_key_names_the_variable(
    run_cli: RunCli, clean_env: dict[str, str], provider: str, variable: str
) -> None:
    result = run_cli("chat", "Hi", "--provider", provider, env=clean_env)
    assert result.returncode == 1
    line = _one_error_line(result.stderr)
    assert variable in line
    assert "--provider local" in line


@pytest.mark.parametrize("stream", [[], ["--no-stream"]])
def test_unreachable_server_says_what_and_how_once(
    run_cli: RunCli, openai_env: dict[str, str], stream: list[str]
) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    result = run_cli("chat", "Hi", "--provider", "openai", "--base-url", url, *stream, env=openai_env)
    assert result.returncode == 1
    what, fix = _only_line(result.stderr)
    assert "could not talk to http://127.0.0.1" in what
    assert "ConnectError" in what
    assert fix == f"check --base-url / OPENAI_BASE_URL (now {url}) and that the server is running"
    assert result.stderr.count("running") == 1
    assert "api_base_url" not in result.stderr  # the library's hint, in the library's terms


@pytest.mark.parametrize("stream", [[], ["--no-stream"]])
def test_rejected_key_says_what_and_how_once(
    run_cli: RunCli, fake_server: Any, openai_env: dict[str, str], stream: list[str]
) -> None:
    fake_server.script(
        Reply.json(
            {"error": {"message": "Incorrect API key provided"}},
            status=401,
            headers={"x-request-id": "req_9"},
        )
    )
    result = run_cli(
        "chat", "Hi", "--provider", "openai", "--base-url", fake_server.base_url, *stream, env=openai_env
    )
    assert result.returncode == 1
    what, fix = _only_line(result.stderr)
    assert what == "HTTP 401: Incorrect API key provided (request id req_9)"
    assert fix == "check the key in OPENAI_API_KEY"
    assert result.stderr.count("check") == 1  # the library's own key hint is not repeated
    assert "sk-cli-test" not in result.stderr


def test_timeout_says_what_and_how_once(
    run_cli: RunCli, fake_server: Any, openai_env: dict[str, str]
) -> None:
    fake_server.script(Reply.delay(5, Reply.json({})))
    env = {**openai_env, "OPENAI_TIMEOUT": "0.3"}
    result = run_cli("chat", "Hi", "--provider", "openai", "--base-url", fake_server.base_url, env=env)
    assert result.returncode == 1
    what, fix = _only_line(result.stderr)
    assert what.startswith("no answer from http://127.0.0.1")
    assert fix == "retry, or give it longer with OPENAI_TIMEOUT=<seconds>"
    assert result.stderr.count("timeout") == 1


@pytest.mark.parametrize(
    ("status", "fix"),
    [
        (429, "wait a moment and retry, or set OPENAI_MAX_RETRIES higher so haybale waits and retries"),
        (400, "check the request parameters and that the model supports them"),
        (404, "check --model (gpt-x) and --base-url"),
        (503, "the provider failed; retry later"),
    ],
)
def test_other_api_errors_carry_one_fix(
    run_cli: RunCli, fake_server: Any, openai_env: dict[str, str], status: int, fix: str
) -> None:
    fake_server.script(Reply.json({"error": {"message": "nope"}}, status=status))
    result = run_cli(
        "chat", "Hi", "--provider", "openai", "--model", "gpt-x", "--base-url", fake_server.base_url,
        env=openai_env,
    )  # fmt: skip
    assert result.returncode == 1
    assert _only_line(result.stderr) == (f"HTTP {status}: nope", fix)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["chat", "--bogus"], "unrecognized arguments: --bogus"),
        (["chat", "x", "--temperature", "5"], "outside 0..2"),
        (["chat", "x", "--max-tokens", "0"], "must be at least 1"),
        (["chat", "x", "--provider", "nope"], "invalid choice: 'nope'"),
        (["local", "serve", "--port", "70000"], "not a TCP port"),
        (["chat"], "no prompt"),
        (["chat", "x", "--provider", "local", "--base-url", "http://x"], "does not apply"),
    ],
)
def test_usage_errors_exit_2(
    run_cli: RunCli, clean_env: dict[str, str], args: list[str], expected: str
) -> None:
    result = run_cli(*args, env=clean_env)
    assert result.returncode == 2
    assert expected in _one_error_line(result.stderr)


def test_help_lists_the_commands(run_cli: RunCli, clean_env: dict[str, str]) -> None:
    result = run_cli("chat", "--help", env=clean_env)
    assert result.returncode == 0
    for option in (
        "--provider",
        "--model",
        "--system",
        "--temperature",
        "--max-tokens",
        "--no-stream",
        "--json",
    ):
        assert option in result.stdout


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"OPENAI_API_KEY": "k", "OPENROUTER_API_KEY": "k"}, "openai"),
        ({"AZURE_OPENAI_AD_TOKEN": "t", "OPENROUTER_API_KEY": "k"}, "azure"),
        ({"AZURE_OPENAI_API_KEY": "k"}, "azure"),
        ({"OPENROUTER_API_KEY": "k"}, "openrouter"),
        ({"OPENAI_API_KEY": ""}, "local"),
        ({}, "local"),
    ],
)
def test_provider_follows_the_keys_that_are_set(env: dict[str, str], expected: str) -> None:
    assert choose_provider(None, env) == expected
    assert choose_provider("openrouter", env) == "openrouter"


@pytest.mark.parametrize(("chosen", "expected"), [(None, "pyreqwest"), ("httpx2", "httpx2")])
def test_version_names_the_http_backend(
    run_cli: RunCli, clean_env: dict[str, str], chosen: str | None, expected: str
) -> None:
    env = dict(clean_env, **({"HAYBALE_HTTP_BACKEND": chosen} if chosen else {}))
    result = run_cli("--version", env=env)
    assert result.returncode == 0
    assert result.stdout.strip() == f"haybale 0.1.0 (HTTP backend: {expected})"


def test_cli_and_local_server_errors_are_in_the_one_tree() -> None:
    from haybale import errors, local

    assert local.LocalServerError is errors.LocalServerError
    assert issubclass(errors.LocalServerError, errors.HaybaleError)
    assert issubclass(errors.UsageError, errors.CommandError)
    assert issubclass(errors.CommandError, errors.HaybaleError)
    for name in ("LocalServerError", "CommandError", "UsageError"):
        assert name in errors.__doc__  # drawn in the tree


def test_the_provider_table_serves_the_cli_and_the_generators() -> None:
    from haybale._wire.providers import PROVIDERS
    from haybale.cli._main import PROVIDERS as CLI_CHOICES
    from haybale.components.generators import chat

    assert (*PROVIDERS, "local") == CLI_CHOICES
    for provider in PROVIDERS.values():
        generator_class = getattr(chat, provider.generator)
        assert generator_class._PROVIDER is provider
        assert provider.key_env_var in provider.credential_env_vars
