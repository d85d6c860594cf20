"""Shared fixtures: the scripted fake server, sync/async parity, and a clean provider environment."""

from __future__ import annotations

import asyncio
import inspect
import os
from collections.abc import Iterator
from typing import Any

import pytest

from fake_server import FakeServer
from processes import haybale_command as _haybale_command

_PROVIDER_ENV_PREFIXES = ("OPENAI_", "AZURE_OPENAI_", "OPENROUTER_")
# Both libraries' allowlists are honoured: a developer's own setting must not loosen refusal tests.
_ALLOWLIST_VARS = ("HAYBALE_DESERIALIZATION_ALLOWLIST", "HAYSTACK_DESERIALIZATION_ALLOWLIST")


@pytest.fixture(autouse=True)
def _clean_provider_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the developer's real keys and endpoints out of every test."""
    for name in list(os.environ):
        if name.startswith(_PROVIDER_ENV_PREFIXES) or name in _ALLOWLIST_VARS:
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def _fake_server_session() -> Iterator[FakeServer]:
    with FakeServer() as server:
        yield server


@pytest.fixture
def fake_server(_fake_server_session: FakeServer) -> Iterator[FakeServer]:
    """The shared fake server, with an empty script and no recorded requests."""
    _fake_server_session.reset()
    yield _fake_server_session
    _fake_server_session.reset()


class Parity:
    """Runs one test body through ``run`` (sync) or ``run_async`` (async)."""

    def __init__(self, mode: str) -> None:
        self.mode = mode

    def run(self, generator: Any, *args: Any, **kwargs: Any) -> Any:
        if self.mode == "sync":
            return generator.run(*args, **kwargs)
        callback = kwargs.get("streaming_callback")
        if callback is not None and not inspect.iscoroutinefunction(callback):

            async def async_callback(chunk: Any) -> None:
                callback(chunk)

            kwargs["streaming_callback"] = async_callback
        return asyncio.run(generator.run_async(*args, **kwargs))

    def raises(self, exc_type: type[BaseException], generator: Any, *args: Any, **kwargs: Any) -> Any:
        with pytest.raises(exc_type) as info:
            self.run(generator, *args, **kwargs)
        return info.value


@pytest.fixture(params=["sync", "async"])
def parity(request: pytest.FixtureRequest) -> Parity:
    """``parity.run(generator, ...)`` in both modes; ``parity.mode`` says which."""
    return Parity(request.param)


@pytest.fixture(scope="session")
def haybale_command() -> list[str]:
    """How to run the ``haybale`` console command in a subprocess."""
    return _haybale_command()


@pytest.fixture(params=["pyreqwest", "httpx2"])
def http_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each HTTP backend in turn (chosen through HAYBALE_HTTP_BACKEND, as a user would)."""
    monkeypatch.setenv("HAYBALE_HTTP_BACKEND", request.param)
    return str(request.param)
