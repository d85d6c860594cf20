"""An Azure AD token provider, at the import path Haystack uses (``haystack.utils.azure``).

Haystack dicts for AzureOpenAIChatGenerator often name
``haystack.utils.azure.default_azure_ad_token_provider``; it is translated to this module, so such
a dict loads. It needs the optional ``azure-identity`` package, imported at the first call only.
"""

from __future__ import annotations

import threading
from typing import Any

from haybale.errors import ConfigurationError

COGNITIVE_SERVICES_SCOPE = "https://cognitiveservices.azure.com/.default"

_lock = threading.Lock()
_provider: Any = None


def default_azure_ad_token_provider() -> str:
    """A bearer token for Azure OpenAI from ``azure.identity.DefaultAzureCredential``.

    The credential (and with it azure-identity's token cache) is made once and reused, so calling
    this before every request costs a cache lookup, not a sign-in.
    """
    global _provider
    with _lock:
        if _provider is None:
            try:
                from azure.identity import (  # type: ignore[import-not-found,unused-ignore]
                    DefaultAzureCredential,
                    get_bearer_token_provider,
                )
            except ImportError:
                raise ConfigurationError(
                    "default_azure_ad_token_provider needs the azure-identity package: "
                    "pip install azure-identity (or pass api_key / azure_ad_token instead)."
                ) from None
            _provider = get_bearer_token_provider(DefaultAzureCredential(), COGNITIVE_SERVICES_SCOPE)
    token: str = _provider()
    return token
