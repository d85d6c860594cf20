"""``haybale chat`` with no key set answers from the embedded local model."""

from __future__ import annotations

import json

import pytest

from processes import RunCli

pytestmark = pytest.mark.e2e


def test_chat_without_a_key_uses_the_local_model(run_cli: RunCli, clean_env: dict[str, str]) -> None:
    result = run_cli("chat", "What's Natural Language Processing?", "--max-tokens", "24", env=clean_env)
    assert result.returncode == 0, result.stderr
    assert "using local (model smollm2)" in result.stderr
    assert result.stdout.strip()
    assert result.stdout.endswith("\n")


def test_local_json_output(run_cli: RunCli, clean_env: dict[str, str]) -> None:
    result = run_cli(
        "chat", "Name a fruit.", "--provider", "local", "--json", "--temperature", "0", "--max-tokens", "12",
        env=clean_env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert output["provider"] == "local"
    assert output["model"] == "smollm2"
    assert output["text"]
    assert output["meta"]["finish_reason"] in {"stop", "length"}
