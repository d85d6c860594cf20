"""HaybaleOpenAIChatGenerator: Haystack's OpenAIChatGenerator, served by haybale."""

from __future__ import annotations

from typing import Any, ClassVar

from haystack import component
from haystack.dataclasses import StreamingCallbackT
from haystack.tools import ToolsType
from haystack.utils import Secret

from haybale.components.generators.chat import OpenAIChatGenerator
from haystack_integrations.components.generators.haybale._base import HaybaleChatGeneratorBase
from haystack_integrations.components.generators.haybale._convert import to_haybale_secret


@component
class HaybaleOpenAIChatGenerator(HaybaleChatGeneratorBase):
    """A Haystack component with the init parameters, sockets and behaviour of Haystack's
    ``OpenAIChatGenerator``, whose requests go through haybale's generator.

    Change one import in a pipeline and keep everything else::

        from haystack import Pipeline
        from haystack.components.builders import ChatPromptBuilder
        from haystack_integrations.components.generators.haybale import HaybaleOpenAIChatGenerator

        pipe = Pipeline()
        pipe.add_component("prompt", ChatPromptBuilder(template=[ChatMessage.from_user("{{ q }}")]))
        pipe.add_component("llm", HaybaleOpenAIChatGenerator(model="gpt-5-mini"))
        pipe.connect("prompt.prompt", "llm.messages")

    Differences from Haystack's class are haybale's: errors are ``haybale.errors`` exceptions, and a
    tool call whose arguments are not valid JSON is kept (raw text in ``extra["raw_arguments"]``).
    """

    SUPPORTED_MODELS: ClassVar[list[str]] = OpenAIChatGenerator.SUPPORTED_MODELS

    def __init__(
        self,
        api_key: Secret = Secret.from_env_var("OPENAI_API_KEY"),  # noqa: B008  (Haystack's default)
        model: str = "gpt-5-mini",
        streaming_callback: StreamingCallbackT | None = None,
        api_base_url: str | None = None,
        organization: str | None = None,
        generation_kwargs: dict[str, Any] | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        tools: ToolsType | None = None,
        tools_strict: bool = False,
        http_client_kwargs: dict[str, Any] | None = None,
    ) -> None:
        self.api_key = api_key
        self.model = model
        self.streaming_callback = streaming_callback
        self.api_base_url = api_base_url
        self.organization = organization
        self.generation_kwargs = dict(generation_kwargs or {})
        self.timeout = timeout
        self.max_retries = max_retries
        self.tools = tools
        self.tools_strict = tools_strict
        self.http_client_kwargs = http_client_kwargs
        self._generator = OpenAIChatGenerator(
            api_key=to_haybale_secret(api_key, "api_key"),  # type: ignore[arg-type]
            model=model,
            api_base_url=api_base_url,
            organization=organization,
            generation_kwargs=self.generation_kwargs,
            timeout=timeout,
            max_retries=max_retries,
            tools_strict=tools_strict,
            http_client_kwargs=http_client_kwargs,
        )
        self._start(streaming_callback, tools)

    def to_dict(self) -> dict[str, Any]:
        """This component as Haystack's dict (the API key only as an environment reference)."""
        return self._to_dict(
            model=self.model,
            api_base_url=self.api_base_url,
            organization=self.organization,
            api_key=self.api_key,
            timeout=self.timeout,
            max_retries=self.max_retries,
            tools_strict=self.tools_strict,
            http_client_kwargs=self.http_client_kwargs,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HaybaleOpenAIChatGenerator:
        """The component from ``to_dict()`` output (as Haystack's loaders call it)."""
        generator: HaybaleOpenAIChatGenerator = cls._from_dict(data)
        return generator
