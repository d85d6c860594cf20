"""OpenRouterChatGenerator: the OpenAI chat generator pointed at OpenRouter."""

from __future__ import annotations

from typing import Any, ClassVar

from haybale._wire.openrouter import OpenRouterEndpoint
from haybale._wire.providers import OPENROUTER, Provider
from haybale.components.generators.chat._checks import check_headers, check_url
from haybale.components.generators.chat.openai import OpenAIChatGenerator
from haybale.core import component, default_to_dict
from haybale.dataclasses import StreamingCallbackT
from haybale.tools import ToolsType
from haybale.utils import Secret


@component
class OpenRouterChatGenerator(OpenAIChatGenerator):
    """Chat replies from any model OpenRouter routes to (``openai/...``, ``anthropic/...``, ...).

    Behaves like ``OpenAIChatGenerator``; every init argument is keyword-only. OpenRouter's own
    request fields go in ``generation_kwargs`` and are sent as they are, for example
    ``{"provider": {"order": ["openai"]}, "models": [...], "reasoning": {"effort": "low"}}``.
    ``extra_headers`` are added to every request (OpenRouter reads ``HTTP-Referer`` and ``X-Title``
    to attribute traffic to your app).

    Usage::

        from haybale.components.generators.openrouter import OpenRouterChatGenerator
        from haybale.dataclasses import ChatMessage

        generator = OpenRouterChatGenerator(model="openai/gpt-4o-mini")  # key from OPENROUTER_API_KEY
        reply = generator.run([ChatMessage.from_user("What is NLP?")])["replies"][0]

    What comes back, streamed or not: reasoning (``reasoning`` and ``reasoning_details``) as
    ``reply.reasoning``, with the details in ``reply.reasoning.extra["reasoning_details"]`` and sent
    back on the next turn; the usage dict as OpenRouter sends it (``cost`` included); and the
    provider that served the request in ``meta["provider"]``. An error OpenRouter reports inside a
    stream raises ``APIResponseError`` carrying the partial reply.
    """

    _PROVIDER: ClassVar[Provider] = OPENROUTER

    #: A few of the models OpenRouter routes to (``provider/model``); any of its model ids works.
    SUPPORTED_MODELS: ClassVar[list[str]] = [
        "openai/gpt-4o-mini",
        "openai/gpt-4o",
        "openai/gpt-5-mini",
        "anthropic/claude-sonnet-4",
        "google/gemini-2.5-flash",
        "deepseek/deepseek-r1",
        "meta-llama/llama-3.3-70b-instruct",
        "mistralai/mistral-small-3.2-24b-instruct",
    ]

    def __init__(
        self,
        *,
        api_key: Secret = Secret.from_env_var("OPENROUTER_API_KEY"),  # noqa: B008  (the documented default)
        model: str = "openai/gpt-4o-mini",
        streaming_callback: StreamingCallbackT | None = None,
        api_base_url: str | None = OPENROUTER.default_url,
        generation_kwargs: dict[str, Any] | None = None,
        tools: ToolsType | None = None,
        timeout: float | None = None,
        extra_headers: dict[str, Any] | None = None,
        max_retries: int | None = None,
        http_client_kwargs: dict[str, Any] | None = None,
    ) -> None:
        check_headers("extra_headers", extra_headers, any_value=True)
        super().__init__(
            api_key=api_key,
            model=model,
            streaming_callback=streaming_callback,
            api_base_url=api_base_url,
            generation_kwargs=generation_kwargs,
            timeout=timeout,
            max_retries=max_retries,
            tools=tools,
            http_client_kwargs=http_client_kwargs,
        )
        self.extra_headers = extra_headers

    def _make_endpoint(self) -> OpenRouterEndpoint:
        # api_base_url=None means OpenRouter's URL here, never OPENAI_BASE_URL or api.openai.com.
        check_url("api_base_url", self.api_base_url)
        return OpenRouterEndpoint(
            base_url=self.api_base_url or str(OPENROUTER.default_url),
            api_key=self.api_key,
            extra_headers=self.extra_headers,
        )

    def to_dict(self) -> dict[str, Any]:
        """This generator as a dict (JSON-serializable; the API key only as an env reference)."""
        return default_to_dict(
            self,
            model=self.model,
            api_base_url=self.api_base_url,
            extra_headers=self.extra_headers,
            **self._serialized_common(),
        )
