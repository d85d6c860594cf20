"""Fixtures for the local model tests (process helpers live in tests/processes.py)."""

from __future__ import annotations

import os

import pytest


@pytest.fixture
def keyless_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment with every provider key removed, so the CLI picks the local model."""
    for name in (
        "OPENAI_API_KEY",
        "AZURE_OPENAI_API_KEY",
        "AZURE_OPENAI_AD_TOKEN",
        "OPENROUTER_API_KEY",
        "OPENAI_BASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    return dict(os.environ)
