"""AzureOpenAIChatGenerator: the OpenAI chat generator pointed at an Azure OpenAI deployment."""

from __future__ import annotations

import os
from typing import Any, ClassVar

from haybale._wire.azure import AzureEndpoint, TokenProvider
from haybale._wire.providers import AZURE, Provider
from haybale.components.generators.chat._checks import (
    check_headers,
    check_secret,
    check_text,
    check_url,
    env_url,
)
from haybale.components.generators.chat.openai import OpenAIChatGenerator
from haybale.core import component, default_to_dict
from haybale.dataclasses import StreamingCallbackT
from haybale.errors import ConfigurationError
from haybale.tools import ToolsType
from haybale.utils import Secret, deserialize_callable, deserialize_secrets_inplace, serialize_callable

DEFAULT_DEPLOYMENT = "gpt-4.1-mini"


@component
class AzureOpenAIChatGenerator(OpenAIChatGenerator):
    """Chat replies from a model deployed on Azure OpenAI.

    Behaves like ``OpenAIChatGenerator`` (same ``run``/``run_async``/``stream``, tools, structured
    output, streaming); only where requests go and how they authenticate differ. Requests go to
    ``{azure_endpoint}/openai/deployments/{azure_deployment}/chat/completions?api-version=...``.

    Credentials, read at ``warm_up()`` (or the first call, which fails there with a clear error when
    none is set, so a pipeline can be built and saved without them): an API key
    (``AZURE_OPENAI_API_KEY``), a static Azure AD token (``AZURE_OPENAI_AD_TOKEN``), or
    ``azure_ad_token_provider``, a function returning a fresh token that is called before every
    attempt, so long-running generators keep working after a token expires. ``run`` needs a sync
    provider; ``run_async`` takes either. ``azure_endpoint`` and ``api_version`` may be Secrets too
    (e.g. ``Secret.from_env_var("AZURE_OPENAI_ENDPOINT")``): they are resolved at warm-up and
    serialized as environment references, so one saved pipeline serves several environments.

    Usage::

        from haybale.components.generators.chat import AzureOpenAIChatGenerator
        from haybale.dataclasses import ChatMessage

        generator = AzureOpenAIChatGenerator(
            azure_endpoint="https://my-resource.openai.azure.com/", azure_deployment="gpt-4.1-mini"
        )
        reply = generator.run([ChatMessage.from_user("What is NLP?")])["replies"][0]

    Azure's content-filter verdicts are kept in the reply meta as ``prompt_filter_results`` and
    ``content_filter_results`` when the service sends them.
    """

    _PROVIDER: ClassVar[Provider] = AZURE

    #: Models Azure OpenAI deploys (the deployment name usually matches); not a limit.
    SUPPORTED_MODELS: ClassVar[list[str]] = [
        "gpt-5",
        "gpt-5-mini",
        "gpt-5-nano",
        "gpt-5-chat",
        "gpt-5.1",
        "gpt-5.1-chat",
        "gpt-5.2",
        "gpt-5.2-chat",
        "gpt-5.4",
        "gpt-4.1",
        "gpt-4.1-mini",
        "gpt-4.1-nano",
        "gpt-4o",
        "gpt-4o-mini",
        "gpt-4",
        "gpt-35-turbo",
        "o1",
        "o3",
        "o3-mini",
        "o4-mini",
        "gpt-oss-120b",
    ]

    def __init__(
        self,
        azure_endpoint: str | Secret | None = None,
        api_version: str | Secret | None = "2024-12-01-preview",
        azure_deployment: str | None = DEFAULT_DEPLOYMENT,
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
        azure_ad_token_provider: TokenProvider | None = None,
        http_client_kwargs: dict[str, Any] | None = None,
    ) -> None:
        _check_azure_arguments(azure_endpoint, api_version, azure_deployment, azure_ad_token)
        _check_azure_auth(azure_ad_token_provider, default_headers)
        super().__init__(
            api_key=api_key,  # type: ignore[arg-type]  # Azure allows None: another credential may be used
            model=azure_deployment or DEFAULT_DEPLOYMENT,
            streaming_callback=streaming_callback,
            organization=organization,
            generation_kwargs=generation_kwargs,
            timeout=timeout,
            max_retries=max_retries,
            tools=tools,
            tools_strict=tools_strict,
            http_client_kwargs=http_client_kwargs,
        )
        # A missing endpoint fails here, like Haystack (a Secret must resolve now too); its value is
        # read again at warm-up, so a Secret follows its variable and is serialized as a reference.
        endpoint = azure_endpoint or env_url("AZURE_OPENAI_ENDPOINT")
        if not endpoint or not _setting(endpoint, "azure_endpoint"):
            raise ConfigurationError(_NO_ENDPOINT)
        self.azure_endpoint: str | Secret = endpoint
        self.api_version: str | Secret | None = api_version
        self.azure_deployment = azure_deployment
        self.azure_ad_token = azure_ad_token
        self.default_headers = dict(default_headers or {})
        self.azure_ad_token_provider = azure_ad_token_provider

    def _make_endpoint(self) -> AzureEndpoint:
        azure_endpoint = _setting(self.azure_endpoint, "azure_endpoint") or os.environ.get(
            "AZURE_OPENAI_ENDPOINT"
        )
        if not azure_endpoint:
            raise ConfigurationError(_NO_ENDPOINT)
        # a Secret's value is not repeated in the message
        check_url("azure_endpoint", azure_endpoint, show=not isinstance(self.azure_endpoint, Secret))
        api_version = _setting(self.api_version, "api_version") or os.environ.get("OPENAI_API_VERSION")
        if not api_version:
            raise ConfigurationError(
                "No Azure OpenAI API version: pass api_version='2024-12-01-preview' (or the version your "
                "deployment supports) or set OPENAI_API_VERSION."
            )
        return AzureEndpoint(
            azure_endpoint=azure_endpoint,
            deployment=self.azure_deployment or self.model,
            api_version=api_version,
            api_key=self.api_key,
            azure_ad_token=self.azure_ad_token,
            token_provider=self.azure_ad_token_provider,
            organization=self.organization,
            default_headers=self.default_headers,
        )

    def to_dict(self) -> dict[str, Any]:
        """This generator as a dict: secrets as env references, the token provider as an import path."""
        provider = self.azure_ad_token_provider
        ad_token = self.azure_ad_token
        return default_to_dict(
            self,
            azure_endpoint=_setting_to_dict(self.azure_endpoint),
            azure_deployment=self.azure_deployment,
            api_version=_setting_to_dict(self.api_version),
            organization=self.organization,
            azure_ad_token=ad_token.to_dict() if ad_token is not None else None,
            default_headers=self.default_headers,
            tools_strict=self.tools_strict,
            azure_ad_token_provider=serialize_callable(provider) if provider else None,
            **self._serialized_common(),
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Any:
        """A generator from ``to_dict()`` output, or from the dict Haystack writes for it.

        The token provider is imported like any other callable: only from haybale and the modules
        listed in ``HAYBALE_DESERIALIZATION_ALLOWLIST``.
        """
        init = dict(data.get("init_parameters") or {})
        deserialize_secrets_inplace(init, keys=["azure_ad_token"])
        for key in ("azure_endpoint", "api_version"):  # plain strings, or Secrets written as dicts
            if isinstance(init.get(key), dict):
                init[key] = Secret.from_dict(init[key])
        provider = init.get("azure_ad_token_provider")
        if isinstance(provider, str):
            init["azure_ad_token_provider"] = deserialize_callable(provider)
        return super().from_dict({**data, "init_parameters": init})


_NO_ENDPOINT = (
    "No Azure OpenAI endpoint: pass azure_endpoint='https://<resource>.openai.azure.com/' "
    "(or a Secret holding it) or set AZURE_OPENAI_ENDPOINT."
)


def _setting(value: str | Secret | None, name: str) -> str | None:
    """A str setting that may be given as a Secret, resolved now (an unset strict variable says so)."""
    if not isinstance(value, Secret):
        return value
    try:
        return value.resolve_value()
    except ValueError as error:
        raise ConfigurationError(f"{name} is a Secret that cannot be resolved: {error}") from None


def _setting_to_dict(value: str | Secret | None) -> str | dict[str, Any] | None:
    return value.to_dict() if isinstance(value, Secret) else value


def _check_azure_arguments(
    azure_endpoint: Any, api_version: Any, azure_deployment: Any, azure_ad_token: Any
) -> None:
    # api_key and the other shared arguments are checked by the shared checks; these are Azure's own.
    for name, value in (("azure_endpoint", azure_endpoint), ("api_version", api_version)):
        if value is not None and not isinstance(value, str | Secret):
            raise TypeError(f"{name} must be a str or a Secret, got {type(value).__name__}.")
    check_text("azure_deployment", azure_deployment, optional=True, example="gpt-4.1-mini")
    check_secret("azure_ad_token", azure_ad_token, "AZURE_OPENAI_AD_TOKEN")


def _check_azure_auth(token_provider: Any, default_headers: Any) -> None:
    if token_provider is not None and not callable(token_provider):
        raise TypeError(
            "azure_ad_token_provider must be a function that returns a token string (sync, or async "
            f"for run_async), got {type(token_provider).__name__}."
        )
    check_headers("default_headers", default_headers)
