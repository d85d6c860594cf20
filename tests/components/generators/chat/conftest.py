"""Fixtures for the chat generator protocol tests: generators pointed at the fake server.

``make_openai`` builds OpenAIChatGenerators. ``make_generator`` is parametrized over ``flavor``:
the same test body runs once per generator class (OpenAI, Azure OpenAI, OpenRouter), each
talking to the fake server through its own endpoint (URL, auth header, meta hooks).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from haybale.components.generators.chat import (
    AzureOpenAIChatGenerator,
    OpenAIChatGenerator,
    OpenRouterChatGenerator,
)
from haybale.utils import Secret

TEST_KEY = "sk-test-SECRET-4f9a1c"
AZURE_API_VERSION = "2024-12-01-preview"


@dataclass(frozen=True)
class Flavor:
    """One generator class as the fake server sees it."""

    name: str  # also the ``provider`` put on errors
    cls: type[OpenAIChatGenerator]
    path: str  # the request path the server receives
    query: dict[str, str]
    auth_header: str  # the header that carries TEST_KEY
    auth_value: str

    def build(self, fake_server: Any, **kwargs: Any) -> OpenAIChatGenerator:
        """A generator of this class aimed at ``fake_server`` (no retries, short timeout by default)."""
        kwargs.setdefault("max_retries", 0)
        kwargs.setdefault("timeout", 5.0)
        if self.cls is AzureOpenAIChatGenerator:
            kwargs.setdefault("api_key", Secret.from_token(TEST_KEY))
            kwargs.setdefault("azure_endpoint", f"http://127.0.0.1:{fake_server.port}")
            kwargs.setdefault("azure_deployment", "gpt-test")
        else:
            kwargs.setdefault("api_key", Secret.from_token(TEST_KEY))
            kwargs.setdefault("model", "gpt-test")
            kwargs.setdefault("api_base_url", fake_server.base_url)
        return self.cls(**kwargs)

    def check_request(self, request: Any) -> None:
        """The request went to this flavor's URL, with its credentials, in its header."""
        assert request.path == self.path
        assert request.query == self.query
        assert request.headers[self.auth_header] == self.auth_value


FLAVORS = {
    "openai": Flavor(
        "openai", OpenAIChatGenerator, "/v1/chat/completions", {}, "authorization", f"Bearer {TEST_KEY}"
    ),
    "azure": Flavor(
        "azure",
        AzureOpenAIChatGenerator,
        "/openai/deployments/gpt-test/chat/completions",
        {"api-version": AZURE_API_VERSION},
        "api-key",
        TEST_KEY,
    ),
    "openrouter": Flavor(
        "openrouter",
        OpenRouterChatGenerator,
        "/v1/chat/completions",
        {},
        "authorization",
        f"Bearer {TEST_KEY}",
    ),
}


@pytest.fixture
def openai_key() -> str:
    """The API key the generators built by these fixtures send (to check it never leaks)."""
    return TEST_KEY


@pytest.fixture(params=sorted(FLAVORS))
def flavor(request: pytest.FixtureRequest) -> Flavor:
    """Each generator class in turn."""
    return FLAVORS[request.param]


def _factory(fake_server: Any, flavor: Flavor) -> Iterator[Callable[..., Any]]:
    made: list[OpenAIChatGenerator] = []

    def make(**kwargs: Any) -> Any:
        generator = flavor.build(fake_server, **kwargs)
        made.append(generator)
        return generator

    yield make
    for generator in made:
        generator.close()


@pytest.fixture
def make_openai(fake_server: Any) -> Iterator[Callable[..., OpenAIChatGenerator]]:
    """Build OpenAIChatGenerators aimed at the fake server (no retries, short timeout by default)."""
    yield from _factory(fake_server, FLAVORS["openai"])


@pytest.fixture
def make_generator(fake_server: Any, flavor: Flavor) -> Iterator[Callable[..., OpenAIChatGenerator]]:
    """Like ``make_openai``, for each of the three generator classes in turn (see ``flavor``)."""
    yield from _factory(fake_server, flavor)


@pytest.fixture
def make_azure(fake_server: Any) -> Iterator[Callable[..., AzureOpenAIChatGenerator]]:
    """Build AzureOpenAIChatGenerators aimed at the fake server (deployment ``gpt-test``)."""
    yield from _factory(fake_server, FLAVORS["azure"])


@pytest.fixture
def make_openrouter(fake_server: Any) -> Iterator[Callable[..., OpenRouterChatGenerator]]:
    """Build OpenRouterChatGenerators aimed at the fake server."""
    yield from _factory(fake_server, FLAVORS["openrouter"])
