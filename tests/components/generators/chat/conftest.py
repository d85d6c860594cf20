"""Fixtures for the chat generator protocol tests: generators pointed at the fake server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from haybale.components.generators.chat.openai import OpenAIChatGenerator
from haybale.utils import Secret

TEST_KEY = "sk-test-SECRET-4f9a1c"


@pytest.fixture
def openai_key() -> str:
    """The API key the generators built by ``make_openai`` send (to check it never leaks)."""
    return TEST_KEY


@pytest.fixture
def make_openai(fake_server: Any) -> Iterator[Callable[..., OpenAIChatGenerator]]:
    """Build OpenAIChatGenerators aimed at the fake server (no retries, short timeout by default)."""
    made: list[OpenAIChatGenerator] = []

    def make(**kwargs: Any) -> OpenAIChatGenerator:
        kwargs.setdefault("api_key", Secret.from_token(TEST_KEY))
        kwargs.setdefault("model", "gpt-test")
        kwargs.setdefault("api_base_url", fake_server.base_url)
        kwargs.setdefault("max_retries", 0)
        kwargs.setdefault("timeout", 5.0)
        generator = OpenAIChatGenerator(**kwargs)
        made.append(generator)
        return generator

    yield make
    for generator in made:
        generator.close()
