"""Run the real ``haybale`` console command in subprocesses."""

from __future__ import annotations

import os
import subprocess

import pytest

from processes import RunCli

_PROVIDER_VARS = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "AZURE_OPENAI_API_KEY",
    "AZURE_OPENAI_AD_TOKEN",
    "AZURE_OPENAI_ENDPOINT",
    "OPENROUTER_API_KEY",
)


@pytest.fixture
def clean_env() -> dict[str, str]:
    """The environment without any provider credentials or endpoints, and without retries."""
    env = {name: value for name, value in os.environ.items() if name not in _PROVIDER_VARS}
    env["OPENAI_MAX_RETRIES"] = "0"
    return env


@pytest.fixture
def openai_env(clean_env: dict[str, str]) -> dict[str, str]:
    """An environment that makes the CLI pick the openai provider with a test key."""
    return {**clean_env, "OPENAI_API_KEY": "sk-cli-test"}


@pytest.fixture
def run_cli(haybale_command: list[str]) -> RunCli:
    """Run ``haybale`` with arguments, an environment and optional stdin text; capture its output."""

    def run(*args: str, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*haybale_command, *args],
            input=stdin if stdin is not None else "",
            capture_output=True,
            text=True,
            env=env,
            timeout=240,
        )

    return run
