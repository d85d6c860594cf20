"""The Azure OpenAI endpoint: deployment URLs with ``api-version``, three ways to authenticate,
and content-filter results kept in the reply meta.

Authentication, in the order the official SDK applies it (so a Haystack user sees the same
behaviour): a static Azure AD token is sent as ``Authorization: Bearer``; otherwise a token
provider, if given, is called for every attempt (retries included) so an expiring token is
refreshed; otherwise the API key goes in the ``api-key`` header.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import quote

from haybale._wire.endpoint import OpenAIEndpoint, credential, header_safe
from haybale._wire.providers import AZURE, Provider
from haybale.errors import ConfigurationError
from haybale.utils import Secret

TokenProvider = Callable[[], str | Awaitable[str]]

NO_CREDENTIALS = (
    "No credentials for Azure OpenAI: pass api_key=Secret.from_token(...), "
    "azure_ad_token=Secret.from_token(...) or azure_ad_token_provider=<function returning a token>, "
    "or set AZURE_OPENAI_API_KEY or AZURE_OPENAI_AD_TOKEN."
)


def deployment_url(azure_endpoint: str, deployment: str, api_version: str, path: str) -> str:
    # Both values end up in the path/query: quote them so a stray "/" or "&" cannot reshape the URL.
    return (
        f"{azure_endpoint.rstrip('/')}/openai/deployments/{quote(deployment, safe='')}"
        f"{path}?api-version={quote(api_version, safe='')}"
    )


class AzureEndpoint(OpenAIEndpoint):
    """One Azure OpenAI deployment."""

    facts: Provider = AZURE
    provider = AZURE.name
    # Azure puts filter results on chunks (some with empty choices); they must reach the reply meta.
    inspects_chunks = True

    def __init__(
        self,
        *,
        azure_endpoint: str,
        deployment: str,
        api_version: str,
        api_key: Secret | None,
        azure_ad_token: Secret | None,
        token_provider: TokenProvider | None,
        organization: str | None = None,
        default_headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(
            base_url=azure_endpoint,
            api_key=api_key,
            organization=organization,
            default_headers=default_headers,
        )
        self._deployment = (azure_endpoint, deployment, api_version)
        self._ad_token = azure_ad_token
        self._token_provider = token_provider
        self._ask_provider: TokenProvider | None = None  # set by resolve() when no static token wins

    def url_for(self, path: str) -> str:
        return deployment_url(*self._deployment, path)

    def _auth_headers(self) -> dict[str, str]:
        # Called once, by resolve(): it also decides whether headers() must ask the provider.
        token = credential(self._ad_token, "azure_ad_token")
        self._ask_provider = self._token_provider if token is None else None
        if token is not None:
            return {"Authorization": f"Bearer {token}"}
        if self._ask_provider is not None:
            return {}  # added per attempt by headers()/headers_async()
        key = credential(self._api_key, "api_key")
        if key is None:
            raise ConfigurationError(NO_CREDENTIALS)
        return {"api-key": key}

    def headers(self) -> Mapping[str, str]:
        base = super().headers()
        if self._ask_provider is None:
            return base
        token = self._ask_provider()
        if inspect.isawaitable(token):
            if inspect.iscoroutine(token):
                token.close()  # never awaited: close it so Python does not warn about it
            raise ConfigurationError(
                "azure_ad_token_provider is async, so it can only be used by run_async()/stream_async(). "
                "Call those, or pass a sync function that returns the token."
            )
        return self._with_token(base, token)

    async def headers_async(self) -> Mapping[str, str]:
        base = super().headers()
        if self._ask_provider is None:
            return base
        token: Any = self._ask_provider()
        if inspect.isawaitable(token):
            token = await token
        return self._with_token(base, token)

    @staticmethod
    def _with_token(base: Mapping[str, str], token: Any) -> Mapping[str, str]:
        if isinstance(token, str):
            token = token.strip()
        if not isinstance(token, str) or not token:
            # never echo the value: it may be a credential object or a token in the wrong shape
            got = "an empty string" if token == "" else type(token).__name__
            raise ConfigurationError(
                f"azure_ad_token_provider returned {got}, not a token string. It must return the bearer "
                "token itself, e.g. azure.identity.get_bearer_token_provider(credential, scope)."
            )
        token = header_safe(token, "the token returned by azure_ad_token_provider")
        return {**base, "Authorization": f"Bearer {token}"}

    def reply_meta(self, payload: Mapping[str, Any]) -> dict[str, Any] | None:
        results = payload.get("prompt_filter_results")
        return {"prompt_filter_results": results} if results else None

    def choice_meta(self, choice: Mapping[str, Any]) -> dict[str, Any] | None:
        # Streamed chunks carry the results for their own piece of text; empty ones (the role chunk,
        # the finish chunk) must not erase an earlier verdict, so they are skipped.
        results = choice.get("content_filter_results")
        return {"content_filter_results": results} if results else None
