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


def test_unreachable_server(run_cli: RunCli, openai_env: dict[str, str]) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    result = run_cli("chat", "Hi", "--base-url", url, env=openai_env)
    assert result.returncode == 1
    line = _one_error_line(result.stderr)
    assert "cannot reach" in line
    assert url in line
    assert "--base-url" in line


def test_rejected_key(run_cli: RunCli, fake_server: Any, openai_env: dict[str, str]) -> None:
    fake_server.script(Reply.json({"error": {"message": "Incorrect API key provided"}}, status=401))
    result = run_cli("chat", "Hi", "--base-url", fake_server.base_url, "--no-stream", env=openai_env)
    assert result.returncode == 1
    line = _one_error_line(result.stderr)
    assert "Incorrect API key provided" in line
    assert "OPENAI_API_KEY" in line
    assert "sk-cli-test" not in result.stderr


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
