"""SUPPORTED_MODELS: the class attribute Haystack's generators carry, listing known model names."""

from __future__ import annotations

import inspect

import pytest

from haybale.components.generators.chat import (
    AzureOpenAIChatGenerator,
    OpenAIChatGenerator,
    OpenRouterChatGenerator,
)


@pytest.mark.parametrize(
    ("cls", "default_parameter"),
    [
        (OpenAIChatGenerator, "model"),
        (AzureOpenAIChatGenerator, "azure_deployment"),
        (OpenRouterChatGenerator, "model"),
    ],
)
def test_each_generator_lists_models_including_its_default(cls: type, default_parameter: str) -> None:
    models = cls.SUPPORTED_MODELS  # type: ignore[attr-defined]
    assert models
    assert all(isinstance(name, str) and name for name in models)
    assert len(set(models)) == len(models)
    default = inspect.signature(cls).parameters[default_parameter].default
    assert default in models


def test_the_lists_are_per_provider() -> None:
    assert "gpt-35-turbo" in AzureOpenAIChatGenerator.SUPPORTED_MODELS  # Azure's own spelling
    assert "gpt-35-turbo" not in OpenAIChatGenerator.SUPPORTED_MODELS
    assert all("/" in name for name in OpenRouterChatGenerator.SUPPORTED_MODELS)
