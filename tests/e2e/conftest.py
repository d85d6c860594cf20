"""The real local model server (llama-cpp-python + SmolLM2-135M), started once for the e2e session.

These tests must run: when the ``local`` extra is missing the fixture fails with the install command
instead of skipping.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from haybale.components.generators.chat import OpenAIChatGenerator
from haybale.errors import ConfigurationError
from haybale.local import LocalModelServer
from haybale.utils import Secret

# Deterministic and short: the model is tiny and the suite must stay fast.
SETTINGS = {"temperature": 0, "seed": 7, "max_tokens": 48}


@pytest.fixture(scope="session")
def local_server() -> Iterator[LocalModelServer]:
    """One running local model server for the whole e2e session."""
    try:
        server = LocalModelServer(startup_timeout=180)
        server.start()
    except ConfigurationError as error:
        pytest.fail(f"The e2e tests need the embedded local model: {error}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def make_local(local_server: LocalModelServer) -> Iterator[Callable[..., OpenAIChatGenerator]]:
    """Build OpenAIChatGenerators aimed at the local server, closed after the test."""
    made: list[OpenAIChatGenerator] = []

    def make(**kwargs: Any) -> OpenAIChatGenerator:
        kwargs.setdefault("api_key", Secret.from_token("local-no-key"))
        kwargs.setdefault("model", local_server.model)
        kwargs.setdefault("api_base_url", local_server.base_url)
        kwargs.setdefault("generation_kwargs", dict(SETTINGS))
        kwargs.setdefault("timeout", 120.0)
        kwargs.setdefault("max_retries", 0)
        generator = OpenAIChatGenerator(**kwargs)
        made.append(generator)
        return generator

    yield make
    for generator in made:
        generator.close()
