"""Fixtures for the batch tests: generators aimed at the fake server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from haybale.components.generators.chat import OpenAIChatGenerator
from haybale.utils import Secret


@pytest.fixture
def make_generator(fake_server: Any) -> Callable[..., OpenAIChatGenerator]:
    """OpenAIChatGenerators aimed at the fake server: short timeout, no retries unless asked."""

    def make(**kwargs: Any) -> OpenAIChatGenerator:
        kwargs.setdefault("api_key", Secret.from_token("sk-batch-test"))
        kwargs.setdefault("model", "m")
        kwargs.setdefault("api_base_url", fake_server.base_url)
        kwargs.setdefault("timeout", 5.0)
        kwargs.setdefault("max_retries", 0)
        return OpenAIChatGenerator(**kwargs)

    return make
