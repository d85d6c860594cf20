"""HaybaleOpenRouterChatGenerator: the OpenRouter integration's OpenRouterChatGenerator, served by haybale."""

from __future__ import annotations

from typing import Any, ClassVar

from haystack import component
from haystack.dataclasses import StreamingCallbackT
from haystack.tools import ToolsType
from haystack.utils import Secret

from haybale.components.generators.chat import OpenRouterChatGenerator
from haystack_integrations.components.generators.haybale._base import HaybaleChatGeneratorBase
from haystack_integrations.components.generators.haybale._convert import to_haybale_secret


@component
class HaybaleOpenRouterChatGenerator(HaybaleChatGeneratorBase):
    """A Haystack component with the init parameters and sockets of the ``openrouter-haystack``
    integration's ``OpenRouterChatGenerator`` (every init argument keyword-only), whose requests go
    through haybale's OpenRouter generator: reasoning and ``reasoning_details`` kept and sent back,
    errors inside a 200 stream raised, the serving provider in ``meta["provider"]``.
    """

    SUPPORTED_MODELS: ClassVar[list[str]] = OpenRouterChatGenerator.SUPPORTED_MODELS

    def __init__(
        self,
        *,
        api_key: Secret = Secret.from_env_var("OPENROUTER_API_KEY"),  # noqa: B008  (the integration's default)
        model: str = "openai/gpt-4o-mini",
        streaming_callback: StreamingCallbackT | None = None,
        api_base_url: str | None = "https://openrouter.ai/api/v1",
        generation_kwargs: dict[str, Any] | None = None,
        tools: ToolsType | None = None,
        timeout: float | None = None,
        extra_headers: dict[str, Any] | None = None,
        max_retries: int | None = None,
        http_client_kwargs: dict[str, Any] | None = None,
    ) -> None:
        self.api_key = api_key
        self.model = model
        self.streaming_callback = streaming_callback
        self.api_base_url = api_base_url
        self.generation_kwargs = dict(generation_kwargs or {})
        self.tools = tools
        self.timeout = timeout
        self.extra_headers = extra_headers
        self.max_retries = max_retries
        self.http_client_kwargs = http_client_kwargs
        self._generator = OpenRouterChatGenerator(
            api_key=to_haybale_secret(api_key, "api_key"),  # type: ignore[arg-type]
            model=model,
            api_base_url=api_base_url,
            generation_kwargs=self.generation_kwargs,
            timeout=timeout,
            extra_headers=extra_headers,
            max_retries=max_retries,
            http_client_kwargs=http_client_kwargs,
        )
        self._start(streaming_callback, tools)

    def to_dict(self) -> dict[str, Any]:
        """This component as Haystack's dict (the API key only as an environment reference)."""
        return self._to_dict(
            api_key=self.api_key,
            model=self.model,
            api_base_url=self.api_base_url,
            timeout=self.timeout,
            extra_headers=self.extra_headers,
            max_retries=self.max_retries,
            http_client_kwargs=self.http_client_kwargs,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HaybaleOpenRouterChatGenerator:
        """The component from ``to_dict()`` output (as Haystack's loaders call it)."""
        generator: HaybaleOpenRouterChatGenerator = cls._from_dict(data)
        return generator
