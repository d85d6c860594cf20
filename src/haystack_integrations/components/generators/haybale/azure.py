"""HaybaleAzureOpenAIChatGenerator: Haystack's AzureOpenAIChatGenerator, served by haybale."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from haystack import component
from haystack.dataclasses import StreamingCallbackT
from haystack.tools import ToolsType
from haystack.utils import Secret, serialize_callable

from haybale.components.generators.chat import AzureOpenAIChatGenerator
from haystack_integrations.components.generators.haybale._base import HaybaleChatGeneratorBase
from haystack_integrations.components.generators.haybale._convert import to_haybale_secret, to_haybale_setting


@component
class HaybaleAzureOpenAIChatGenerator(HaybaleChatGeneratorBase):
    """A Haystack component with the init parameters, sockets and behaviour of Haystack's
    ``AzureOpenAIChatGenerator``, whose requests go through haybale's Azure generator.

    As with Haystack 3, it builds without credentials and says which are missing at warm-up;
    ``azure_endpoint`` and ``api_version`` may be Secrets, serialized as environment references.
    """

    SUPPORTED_MODELS: ClassVar[list[str]] = AzureOpenAIChatGenerator.SUPPORTED_MODELS

    def __init__(
        self,
        azure_endpoint: str | Secret | None = None,
        api_version: str | Secret | None = "2024-12-01-preview",
        azure_deployment: str | None = "gpt-4.1-mini",
        api_key: Secret | None = Secret.from_env_var("AZURE_OPENAI_API_KEY", strict=False),  # noqa: B008
        azure_ad_token: Secret | None = Secret.from_env_var("AZURE_OPENAI_AD_TOKEN", strict=False),  # noqa: B008
        organization: str | None = None,
        streaming_callback: StreamingCallbackT | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        generation_kwargs: dict[str, Any] | None = None,
        default_headers: dict[str, str] | None = None,
        tools: ToolsType | None = None,
        tools_strict: bool = False,
        *,
        azure_ad_token_provider: Callable[[], str | Awaitable[str]] | None = None,
        http_client_kwargs: dict[str, Any] | None = None,
    ) -> None:
        self.azure_endpoint = azure_endpoint
        self.api_version = api_version
        self.azure_deployment = azure_deployment
        self.model = azure_deployment or "gpt-4.1-mini"
        self.api_key = api_key
        self.azure_ad_token = azure_ad_token
        self.organization = organization
        self.streaming_callback = streaming_callback
        self.timeout = timeout
        self.max_retries = max_retries
        self.generation_kwargs = dict(generation_kwargs or {})
        self.default_headers = dict(default_headers or {})
        self.tools = tools
        self.tools_strict = tools_strict
        self.azure_ad_token_provider = azure_ad_token_provider
        self.http_client_kwargs = http_client_kwargs
        self._generator = AzureOpenAIChatGenerator(
            azure_endpoint=to_haybale_setting(azure_endpoint, "azure_endpoint"),
            api_version=to_haybale_setting(api_version, "api_version"),
            azure_deployment=azure_deployment,
            api_key=to_haybale_secret(api_key, "api_key"),
            azure_ad_token=to_haybale_secret(azure_ad_token, "azure_ad_token"),
            organization=organization,
            timeout=timeout,
            max_retries=max_retries,
            generation_kwargs=self.generation_kwargs,
            default_headers=default_headers,
            tools_strict=tools_strict,
            azure_ad_token_provider=azure_ad_token_provider,
            http_client_kwargs=http_client_kwargs,
        )
        self._start(streaming_callback, tools)

    def to_dict(self) -> dict[str, Any]:
        """This component as Haystack's dict: secrets as references, the token provider as a path."""
        provider = self.azure_ad_token_provider
        return self._to_dict(
            azure_endpoint=self.azure_endpoint,
            azure_deployment=self.azure_deployment,
            organization=self.organization,
            api_version=self.api_version,
            timeout=self.timeout,
            max_retries=self.max_retries,
            api_key=self.api_key,
            azure_ad_token=self.azure_ad_token,
            default_headers=self.default_headers,
            tools_strict=self.tools_strict,
            azure_ad_token_provider=serialize_callable(provider) if provider is not None else None,
            http_client_kwargs=self.http_client_kwargs,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HaybaleAzureOpenAIChatGenerator:
        """The component from ``to_dict()`` output (as Haystack's loaders call it)."""
        generator: HaybaleAzureOpenAIChatGenerator = cls._from_dict(
            data, callables=("streaming_callback", "azure_ad_token_provider")
        )
        return generator
