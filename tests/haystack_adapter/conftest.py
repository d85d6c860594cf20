"""Fixtures for the Haystack components: the real haystack-ai package, pointed at the fake server.

haystack-ai is a test dependency (the ``haystack`` extra, installed by scripts/venv.sh): these
tests import it unconditionally and fail loudly if it is missing. Haystack's telemetry is
switched off before it is imported, so no test tries to reach the network.
"""

from __future__ import annotations

import os

os.environ["HAYSTACK_TELEMETRY_ENABLED"] = "False"

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from haystack.utils import Secret

from haystack_integrations.components.generators.haybale import (
    HaybaleAzureOpenAIChatGenerator,
    HaybaleOpenAIChatGenerator,
    HaybaleOpenRouterChatGenerator,
)

TEST_KEY = "sk-test-SECRET-77c1"


@pytest.fixture
def make_llm(fake_server: Any) -> Iterator[Callable[..., HaybaleOpenAIChatGenerator]]:
    """HaybaleOpenAIChatGenerators aimed at the fake server (no retries, short timeout by default)."""
    made: list[HaybaleOpenAIChatGenerator] = []

    def make(**kwargs: Any) -> HaybaleOpenAIChatGenerator:
        kwargs.setdefault("api_key", Secret.from_token(TEST_KEY))
        kwargs.setdefault("model", "gpt-test")
        kwargs.setdefault("api_base_url", fake_server.base_url)
        kwargs.setdefault("max_retries", 0)
        kwargs.setdefault("timeout", 5.0)
        llm = HaybaleOpenAIChatGenerator(**kwargs)
        made.append(llm)
        return llm

    yield make
    for llm in made:
        llm.close()


@pytest.fixture
def make_azure_llm(fake_server: Any) -> Iterator[Callable[..., HaybaleAzureOpenAIChatGenerator]]:
    made: list[HaybaleAzureOpenAIChatGenerator] = []

    def make(**kwargs: Any) -> HaybaleAzureOpenAIChatGenerator:
        kwargs.setdefault("api_key", Secret.from_token(TEST_KEY))
        kwargs.setdefault("azure_endpoint", f"http://127.0.0.1:{fake_server.port}")
        kwargs.setdefault("azure_deployment", "gpt-test")
        kwargs.setdefault("max_retries", 0)
        llm = HaybaleAzureOpenAIChatGenerator(**kwargs)
        made.append(llm)
        return llm

    yield make
    for llm in made:
        llm.close()


@pytest.fixture
def make_openrouter_llm(fake_server: Any) -> Iterator[Callable[..., HaybaleOpenRouterChatGenerator]]:
    made: list[HaybaleOpenRouterChatGenerator] = []

    def make(**kwargs: Any) -> HaybaleOpenRouterChatGenerator:
        kwargs.setdefault("api_key", Secret.from_token(TEST_KEY))
        kwargs.setdefault("api_base_url", fake_server.base_url)
        kwargs.setdefault("max_retries", 0)
        llm = HaybaleOpenRouterChatGenerator(**kwargs)
        made.append(llm)
        return llm

    yield make
    for llm in made:
        llm.close()
