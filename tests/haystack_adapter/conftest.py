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


def _factory(cls: type[Any], defaults: dict[str, Any]) -> Iterator[Callable[..., Any]]:
    """Build ``cls`` with ``defaults`` under the caller's keyword arguments; close them all at the end."""
    made: list[Any] = []

    def make(**kwargs: Any) -> Any:
        llm = cls(**{"api_key": Secret.from_token(TEST_KEY), "max_retries": 0, **defaults, **kwargs})
        made.append(llm)
        return llm

    yield make
    for llm in made:
        llm.close()


@pytest.fixture
def make_llm(fake_server: Any) -> Iterator[Callable[..., HaybaleOpenAIChatGenerator]]:
    """HaybaleOpenAIChatGenerators aimed at the fake server (no retries, short timeout by default)."""
    defaults = {"model": "gpt-test", "api_base_url": fake_server.base_url, "timeout": 5.0}
    yield from _factory(HaybaleOpenAIChatGenerator, defaults)


@pytest.fixture
def make_azure_llm(fake_server: Any) -> Iterator[Callable[..., HaybaleAzureOpenAIChatGenerator]]:
    defaults = {"azure_endpoint": f"http://127.0.0.1:{fake_server.port}", "azure_deployment": "gpt-test"}
    yield from _factory(HaybaleAzureOpenAIChatGenerator, defaults)


@pytest.fixture
def make_openrouter_llm(fake_server: Any) -> Iterator[Callable[..., HaybaleOpenRouterChatGenerator]]:
    yield from _factory(HaybaleOpenRouterChatGenerator, {"api_base_url": fake_server.base_url})
